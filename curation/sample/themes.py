"""HTML layouts. Every layout marks the headline with itemprop="headline" and the main text container
with itemprop="articleBody" (schema.org microdata, as many real sites do), which is how the tests find
the main text again without an extractor.
"""

from __future__ import annotations

from html import escape

from curation.sample.boilerplate import Furniture, archive_list, comment_list, link_list, menu_items
from curation.sample.document import Document
from curation.sample.sites import Site


def content_html(doc: Document) -> str:
    out = []
    for section in doc.sections:
        if section.heading:
            out.append(f"<h2>{escape(section.heading)}</h2>")
        out.extend(f"<p>{escape(p)}</p>" for p in section.paragraphs)
        if section.items:
            out.append("<ul>" + "".join(f"<li>{escape(i)}</li>" for i in section.items) + "</ul>")
        if section.links:
            out.append('<ul class="links">' + link_list(section.links) + "</ul>")
        if section.table:
            head, *rows = section.table
            cells = "".join(f"<th>{escape(c)}</th>" for c in head)
            body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
            out.append(f"<table><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>")
        if section.preformatted:
            out.append(f"<pre>{escape(section.preformatted)}</pre>")
    return "\n".join(out)


def _head(doc: Document, site: Site, url: str, meta: str, css: str) -> str:
    first = next((p for s in doc.sections for p in s.paragraphs), doc.title)
    return (
        f'<!DOCTYPE html>\n<html lang="{site.lang}">\n<head>\n{meta}'
        f"<title>{escape(doc.title)} | {escape(site.name)}</title>\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="description" content="{escape(first[:150])}">\n'
        f'<link rel="canonical" href="{escape(url)}">\n<link rel="stylesheet" href="{css}">\n</head>\n'
    )


def _cookie(site: Site, css_id: str) -> str:
    return (f'<div id="{css_id}" class="cookie-banner" role="dialog"><p>{escape(site.ui["cookie"])} '
            f'<a href="/cookie-policy/">Cookie policy</a></p><button type="button">{escape(site.ui["accept"])}</button></div>\n')


def _comments(f: Furniture, site: Site) -> str:
    if not f.comments:
        return ""
    return (f'<section id="comments" class="comments-area"><h2 class="comments-title">{len(f.comments)} '
            f'{escape(site.ui["comments"])}</h2><ol class="comment-list">{comment_list(f)}</ol>'
            '<div id="respond"><h3>Leave a Reply</h3><form action="/wp-comments-post.php" method="post">'
            '<textarea name="comment"></textarea><input type="submit" value="Post Comment"></form></div></section>\n')


def _blog(doc: Document, site: Site, url: str, f: Furniture, meta: str) -> str:
    ui = site.ui
    section = site.sections[0]
    return (
        _head(doc, site, url, meta, "/wp-content/themes/twentyish/style.css?ver=5.0.3")
        + '<body class="post-template-default single single-post">\n' + _cookie(site, "cookie-notice")
        + f'<header id="masthead" class="site-header"><p class="site-title"><a href="/">{escape(site.name)}</a></p>\n'
        f'<nav id="site-navigation" class="main-navigation"><ul id="primary-menu">{menu_items(f)}</ul></nav>\n'
        f'<form role="search" class="search-form"><input type="search" placeholder="{escape(ui["search"])}"></form></header>\n'
        f'<nav class="breadcrumbs"><a href="/">{escape(ui["home"])}</a> &raquo; <a href="/{section}/">'
        f'{escape(section.replace("-", " ").title())}</a> &raquo; <span>{escape(doc.title)}</span></nav>\n'
        '<div id="content" class="site-content"><main id="main" class="site-main">\n'
        '<article class="post hentry" itemscope itemtype="https://schema.org/BlogPosting">\n'
        f'<header class="entry-header"><h1 class="entry-title" itemprop="headline">{escape(doc.title)}</h1>\n'
        f'<div class="entry-meta"><time datetime="{f.date_iso}">{f.date_text}</time> '
        f'<span class="author vcard">{escape(doc.author or site.name)}</span></div></header>\n'
        f'<div class="entry-content" itemprop="articleBody">\n{content_html(doc)}\n</div>\n'
        f'<footer class="entry-footer"><span class="tags-links">{" ".join(escape(t) for t in f.tags)}</span></footer>\n'
        "</article>\n"
        f'<section class="related-posts"><h3>{escape(ui["related"])}</h3><ul>{link_list(f.related)}</ul></section>\n'
        + _comments(f, site) + "</main>\n"
        f'<aside id="secondary" class="widget-area"><section class="widget widget_text"><h2 class="widget-title">'
        f'{escape(ui["about"])}</h2><p>{escape(site.blurb)}</p></section>\n'
        f'<section class="widget widget_recent_entries"><h2 class="widget-title">Popular</h2><ul>{link_list(f.popular)}</ul></section>\n'
        f'<section class="widget widget_archive"><h2 class="widget-title">{escape(ui["archive"])}</h2><ul>'
        f'{archive_list(f, site.lang)}</ul></section></aside></div>\n'
        f'<footer id="colophon" class="site-footer"><nav class="footer-menu"><ul><li><a href="/about/">{escape(ui["about"])}</a></li>'
        f'<li><a href="/contact/">{escape(ui["contact"])}</a></li><li><a href="/privacy-policy/">Privacy policy</a></li></ul></nav>\n'
        f'<div class="site-info">&copy; {f.year} {escape(site.name)}. {escape(ui["rights"])}.</div></footer>\n'
        '<script src="/wp-includes/js/wp-embed.min.js?ver=5.0.3"></script>\n</body>\n</html>\n'
    )


def _magazine(doc: Document, site: Site, url: str, f: Furniture, meta: str) -> str:
    ui = site.ui
    return (
        _head(doc, site, url, meta, "/static/css/main.min.css")
        + '<body>\n<div id="page">\n<div id="top-bar"><a href="/subscribe/">Subscribe</a> | <a href="/login/">Log in</a></div>\n'
        f'<div id="masthead"><a class="logo" href="/">{escape(site.name)}</a></div>\n'
        f'<div id="menu" class="nav"><ul>{menu_items(f)}</ul></div>\n'
        f'<div class="crumbs"><a href="/">{escape(ui["home"])}</a> / <a href="/{site.sections[-1]}/">'
        f'{escape(site.sections[-1].replace("-", " ").title())}</a></div>\n'
        '<div id="wrapper"><div id="rail" class="sidebar">\n'
        f'<div class="box"><h4>{escape(ui["search"])}</h4><form action="/search"><input name="q"></form></div>\n'
        f'<div class="box most-read"><h4>Most read</h4><ol>{link_list(f.popular)}</ol></div>\n'
        '<div class="box newsletter"><h4>Newsletter</h4><p>One email a week. No spam, unsubscribe any time.</p></div>\n'
        "</div>\n"
        '<div class="story" itemscope itemtype="https://schema.org/Article">\n'
        f'<h1 class="story-title" itemprop="headline">{escape(doc.title)}</h1>\n'
        f'<div class="story-meta">{escape(doc.author or site.name)} &middot; {f.date_text}</div>\n'
        f'<div class="story-body" itemprop="articleBody">\n{content_html(doc)}\n</div>\n'
        '<div class="share">Share: <a href="#">Twitter</a> <a href="#">Facebook</a> <a href="#">Email</a></div>\n'
        "</div></div>\n"
        f'<div class="more-stories"><h3>{escape(ui["related"])}</h3><ul>{link_list(f.related)}</ul></div>\n'
        + _comments(f, site)
        + _cookie(site, "gdpr-consent")
        + f'<div id="footer"><p><a href="/about/">{escape(ui["about"])}</a> | <a href="/contact/">{escape(ui["contact"])}</a> | '
        f'<a href="/terms/">Terms</a> | <a href="/privacy/">Privacy</a></p><p>Copyright &copy; {f.year} {escape(site.name)}. '
        f'{escape(ui["rights"])}.</p></div>\n</div>\n<script async src="/static/js/bundle.min.js"></script>\n</body>\n</html>\n'
    )


def _minimal(doc: Document, site: Site, url: str, f: Furniture, meta: str) -> str:
    ui = site.ui
    return (
        _head(doc, site, url, meta, "/css/style.css")
        + f'<body>\n<header><a href="/" class="brand">{escape(site.name)}</a><nav><ul>{menu_items(f)}</ul></nav></header>\n'
        f'<nav aria-label="breadcrumb"><ol class="breadcrumb"><li><a href="/">{escape(ui["home"])}</a></li>'
        f'<li><a href="/posts/">Posts</a></li><li aria-current="page">{escape(doc.title)}</li></ol></nav>\n'
        '<main>\n<article>\n'
        f'<h1 itemprop="headline">{escape(doc.title)}</h1>\n<p class="meta"><time datetime="{f.date_iso}">{f.date_text}</time></p>\n'
        f'<section itemprop="articleBody">\n{content_html(doc)}\n</section>\n</article>\n'
        f'<aside class="related"><h2>{escape(ui["related"])}</h2><ul>{link_list(f.related + f.popular)}</ul></aside>\n'
        + _comments(f, site) + "</main>\n" + _cookie(site, "consent")
        + f'<footer><p>&copy; {f.year} {escape(site.name)} &middot; <a href="/index.xml">RSS</a> &middot; '
        f'<a href="/about/">{escape(ui["about"])}</a> &middot; <a href="/contact/">{escape(ui["contact"])}</a></p></footer>\n'
        "</body>\n</html>\n"
    )


def _legacy(doc: Document, site: Site, url: str, f: Furniture, meta: str) -> str:
    ui = site.ui
    return (
        _head(doc, site, url, meta, "/style.css")
        + '<body bgcolor="#ffffff">\n<table width="100%" border="0" cellpadding="4">\n'
        f'<tr><td colspan="2" class="header"><font size="5"><b>{escape(site.name)}</b></font><br>'
        + " | ".join(f'<a href="{h}">{escape(label)}</a>' for label, h in f.menu) + "</td></tr>\n"
        f'<tr><td colspan="2" class="path"><a href="/">{escape(ui["home"])}</a> &gt; <a href="/archive/">{escape(ui["archive"])}</a></td></tr>\n'
        f'<tr><td width="180" valign="top" class="nav"><b>{escape(ui["related"])}</b><ul>{link_list(f.related)}</ul>'
        f'<b>{escape(ui["archive"])}</b><ul>{archive_list(f, site.lang)}</ul></td>\n'
        f'<td valign="top" class="main"><h1 itemprop="headline">{escape(doc.title)}</h1>\n<i>{f.date_text}</i>\n'
        f'<div itemprop="articleBody">\n{content_html(doc)}\n</div>\n'
        + _comments(f, site) + "</td></tr>\n"
        + f'<tr><td colspan="2" class="footer">{_cookie(site, "cookies")}<small>&copy; {f.year} {escape(site.name)} - '
        f'{escape(ui["rights"])}. <a href="/contact.html">{escape(ui["contact"])}</a></small></td></tr>\n'
        "</table>\n</body>\n</html>\n"
    )


def _wiki(doc: Document, site: Site, url: str, f: Furniture, meta: str) -> str:
    return (
        _head(doc, site, url, meta, "/w/load.php?modules=site.styles&only=styles")
        + '<body class="mediawiki ltr sitedir-ltr ns-0 page-article">\n'
        '<div id="mw-page-base"></div><div id="content" class="mw-body" role="main">\n'
        f'<h1 id="firstHeading" class="firstHeading" itemprop="headline">{escape(doc.title)}</h1>\n'
        '<div id="siteSub">From the free encyclopedia</div>\n'
        '<div id="mw-content-text"><div class="mw-parser-output" itemprop="articleBody">\n'
        f"{content_html(doc)}\n</div></div>\n"
        f'<div id="catlinks" class="catlinks">Categories: <a href="/wiki/Category:Villages">Villages</a> | '
        f'<a href="/wiki/Category:Local_history">Local history</a></div></div>\n'
        '<div id="mw-navigation"><div id="mw-panel"><ul><li><a href="/wiki/Main_Page">Main page</a></li>'
        '<li><a href="/wiki/Special:Random">Random article</a></li><li><a href="/wiki/Help:Contents">Help</a></li></ul></div></div>\n'
        f'<div id="footer"><ul id="footer-info"><li>This page was last edited on {f.date_text}.</li>'
        "<li>Text is available under a free licence; additional terms may apply.</li></ul></div>\n"
        "</body>\n</html>\n"
    )


LAYOUTS = {"blog": _blog, "magazine": _magazine, "minimal": _minimal, "legacy": _legacy, "wiki": _wiki}


def render_html(doc: Document, site: Site, url: str, furniture: Furniture, meta: str = "") -> str:
    """The page as text; ``meta`` is the charset declaration to put first in <head> ("" for none)."""
    return LAYOUTS[site.theme](doc, site, url, furniture, meta)
