"""Builders that turn a document (or bytes) into a fetched page: URL, HTTP headers, encoded body."""

from __future__ import annotations

import random
from html import escape

from curation.sample import binary, generic
from curation.sample.boilerplate import furnish
from curation.sample.charsets import content_type, encode, meta_tag
from curation.sample.document import Document
from curation.sample.lexicon import generic_pools
from curation.sample.page import STATUS_TEXT, Page
from curation.sample.sites import Site, page_path
from curation.sample.template import render
from curation.sample.themes import render_html
from curation.sample.topics import Topic


def related_titles(rng: random.Random, topic: Topic, count: int) -> list[str]:
    pools = {**generic_pools(rng), **topic.pools}
    return [render(rng.choice(topic.titles + generic.TITLES), rng, pools) for _ in range(count)]


def page_url(site: Site, rng: random.Random, title: str, tok: str) -> str:
    return f"{site.scheme}://{site.host}{page_path(site, rng, title, tok)}"


def _headers(site: Site, media_type: str | None, length: int) -> list[tuple[str, str]]:
    headers = [("Server", site.server)]  # the WARC writer puts Date first
    if media_type is not None:
        headers.append(("Content-Type", media_type))
    headers += [("Content-Length", str(length)), ("Connection", "close"), ("Vary", "Accept-Encoding")]
    if site.theme == "blog":
        headers.append(("X-Powered-By", "PHP/7.2.14"))
    return headers


def html_page(
    rng: random.Random,
    doc: Document,
    site: Site,
    url: str,
    kind: str,
    related: list[str],
    charset: str = "utf-8",
    declaration: str = "both",
    served_as: str | None = "text/html",
    comments: bool = True,
) -> Page:
    """``served_as`` is the media type in the header (None: no Content-Type header at all)."""
    furniture = furnish(rng, site, related, with_comments=comments and doc.lang == "en")
    html = render_html(doc, site, url, furniture, meta_tag(charset, declaration))
    body = encode(html, charset)
    media_type = content_type(charset, declaration) if served_as == "text/html" else served_as
    return Page(url=url, kind=kind, headers=_headers(site, media_type, len(body)), body=body, title=doc.title,
                lang=doc.lang, charset=charset, declaration=declaration, topic=doc.topic, main_text=doc.main_text())


def app_shell_page(site: Site, url: str, doc: Document) -> Page:
    """A client-rendered app: an empty root element, a bundle, and a <noscript> notice."""
    notice = doc.sections[0].paragraphs[0]
    html = (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{escape(doc.title)}</title>\n'
        '<script>window.__INITIAL_STATE__ = {"route": "/", "user": null, "flags": {"beta": false}};</script>\n'
        '<link rel="stylesheet" href="/static/css/app.3f9a1c.css">\n</head>\n<body>\n'
        f'<noscript><div itemprop="articleBody"><h1 itemprop="headline">{escape(doc.title)}</h1><p>{escape(notice)}</p></div></noscript>\n'
        '<div id="root"></div>\n<script src="/static/js/main.8d2e4b.js"></script>\n</body>\n</html>\n'
    )
    body = html.encode("utf-8")
    return Page(url=url, kind="js_required", headers=_headers(site, "text/html; charset=utf-8", len(body)), body=body,
                title=doc.title, charset="utf-8", declaration="both", topic=doc.topic, main_text=doc.main_text())


def binary_page(site: Site, url: str, kind: str, media_type: str, body: bytes, title: str = "") -> Page:
    return Page(url=url, kind=kind, headers=_headers(site, media_type, len(body)), body=body, title=title, lang=None)


def pdf_page(rng: random.Random, site: Site, doc: Document, tok: str) -> Page:
    url = f"{site.scheme}://{site.host}/files/{tok}-{page_path(site, rng, doc.title, tok).strip('/').split('/')[-1]}.pdf"
    text = doc.sections[0].paragraphs[0]
    return binary_page(site, url, "pdf", "application/pdf", binary.pdf(doc.title, text), doc.title)


def error_page(site: Site, url: str, status: int) -> Page:
    reason = STATUS_TEXT[status]
    message = ("The page you were looking for could not be found. It may have been moved or deleted."
               if status == 404 else "The server encountered an error and could not complete your request.")
    html = (f"<!DOCTYPE html>\n<html>\n<head><title>{status} {reason}</title></head>\n<body>\n"
            f"<h1>{reason}</h1>\n<p>{message}</p>\n<hr><address>{escape(site.server)}</address>\n</body>\n</html>\n")
    body = html.encode("utf-8")
    page = Page(url=url, kind="not_found" if status == 404 else "server_error", status=status,
                headers=_headers(site, "text/html; charset=utf-8", len(body)), body=body, title=f"{status} {reason}",
                lang=None, charset="utf-8", declaration="header")
    return page


def redirect_page(site: Site, url: str, target: str, status: int) -> Page:
    html = (f"<html><head><title>{STATUS_TEXT[status]}</title></head><body><h1>{STATUS_TEXT[status]}</h1>"
            f'<p>The document has moved <a href="{escape(target)}">here</a>.</p></body></html>\n')
    body = html.encode("ascii")
    headers = _headers(site, "text/html; charset=iso-8859-1", len(body))
    headers.insert(1, ("Location", target))
    return Page(url=url, kind="redirect", status=status, headers=headers, body=body, lang=None,
                charset="iso-8859-1", declaration="header", redirect_to=target)
