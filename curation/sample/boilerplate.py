"""Page furniture around the main text: menus, breadcrumbs, sidebar, related posts, comments, footer.

It is what an extractor has to strip, so it is varied too: menus differ per site, related titles and
comments per page.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from html import escape

from curation.sample.lexicon import MONTHS, generic_pools, username
from curation.sample.sites import Site
from curation.sample.template import render
from curation.sample.urls import slugify

_MENU_EXTRAS = ("Recipes", "Guides", "Reviews", "Gallery", "Events", "Shop", "Newsletter", "Podcast", "Resources", "FAQ")
_COMMENTS = (
    "Great write-up, thanks for sharing!",
    "I tried this [last|this] {season} and it [worked|helped] [a treat|really well].",
    "Do you have a [photo|link|diagram] of that? I am not sure I follow the second part.",
    "This is [exactly|just] what I needed to read today.",
    "Bookmarked. [Brilliant|Lovely|Useful] post as always.",
    "Not sure I agree with all of it, but the [middle section|bit about timing] is spot on.",
    "My [dad|gran|neighbour] [used to|always] say the same thing!",
    "How long did it take before you [saw|noticed] a difference?",
    "[Thanks|Cheers], {name}. Sharing this with my [club|group|sister].",
    "Any tips for someone starting out in a [small flat|tiny space|cold house]?",
)


@dataclass
class Furniture:
    date_iso: str
    date_text: str
    year: int
    menu: list[tuple[str, str]]
    related: list[tuple[str, str]]
    popular: list[tuple[str, str]]
    comments: list[tuple[str, str, str]] = field(default_factory=list)  # (author, date, text)
    tags: list[str] = field(default_factory=list)


def furnish(rng: random.Random, site: Site, related_titles: list[str], with_comments: bool) -> Furniture:
    year, month, day = rng.randint(2016, 2018), rng.randint(1, 12), rng.randint(1, 28)
    ui = site.ui
    menu = [(ui["home"], "/"), (ui["news"], "/blog/")]
    menu += [(s.replace("-", " ").title(), f"/{s}/") for s in site.sections[:2]]
    if site.lang == "en":
        menu += [(m, f"/{slugify(m)}/") for m in rng.sample(_MENU_EXTRAS, rng.randint(1, 3))]
    menu += [(ui["about"], "/about/"), (ui["contact"], "/contact/")]
    links = [(t, f"/{rng.choice(site.sections)}/{slugify(t)}/") for t in related_titles]
    comments = []
    if with_comments:
        pools = generic_pools(rng)
        for _ in range(rng.randint(2, 5)):
            when = f"{MONTHS[(month + rng.randint(0, 2)) % 12]} {rng.randint(1, 28)}, {year}"
            comments.append((username(rng), when, render(rng.choice(_COMMENTS), rng, pools)))
    tags = [t for t, _ in menu[2:4]]
    return Furniture(
        date_iso=f"{year}-{month:02d}-{day:02d}",
        date_text=f"{MONTHS[month - 1]} {day}, {year}" if site.lang == "en" else f"{day:02d}.{month:02d}.{year}",
        year=year, menu=menu, related=links[:4], popular=links[4:], comments=comments, tags=tags,
    )


def menu_items(f: Furniture) -> str:
    return "".join(f'<li><a href="{href}">{escape(label)}</a></li>' for label, href in f.menu)


def link_list(links: list[tuple[str, str]]) -> str:
    return "".join(f'<li><a href="{href}">{escape(text)}</a></li>' for text, href in links)


def comment_list(f: Furniture) -> str:
    return "".join(
        f'<li class="comment"><div class="comment-author vcard"><b class="fn">{escape(a)}</b> '
        f'<span class="says">says:</span></div><div class="comment-metadata">{escape(d)}</div>'
        f'<div class="comment-content"><p>{escape(t)}</p></div></li>'
        for a, d, t in f.comments
    )


def archive_list(f: Furniture, lang: str) -> str:
    months = [(f.year, m) for m in range(12, 0, -1)][: 6]
    label = (lambda y, m: f"{MONTHS[m - 1]} {y}") if lang == "en" else (lambda y, m: f"{m:02d}/{y}")
    return "".join(f'<li><a href="/{y}/{m:02d}/">{label(y, m)}</a></li>' for y, m in months)
