"""Invented web sites: a domain, a name, a page layout and a URL style, all derived from the seed."""

from __future__ import annotations

import random
from dataclasses import dataclass

from curation.sample.languages import LanguageBank
from curation.sample.lexicon import FIRST_NAMES, SURNAMES, town
from curation.sample.topics import Topic
from curation.sample.urls import slugify

THEMES = ("blog", "magazine", "minimal", "legacy")
SERVERS = ("nginx/1.14.2", "Apache/2.4.29 (Ubuntu)", "nginx", "Apache", "cloudflare", "Microsoft-IIS/8.5", "LiteSpeed")

ENGLISH_UI = {
    "home": "Home", "news": "Blog", "about": "About", "contact": "Contact", "archive": "Archives",
    "rights": "All rights reserved", "accept": "Got it", "related": "Related posts", "comments": "Comments",
    "search": "Search",
    "cookie": "We use cookies to improve your experience. By continuing to browse you agree to our cookie policy.",
}
_GENERIC_WORDS = ("daily", "notes", "journal", "corner", "field", "house", "works", "press", "lab", "club")


@dataclass(frozen=True)
class Site:
    host: str
    name: str
    theme: str
    scheme: str
    path_style: int
    lang: str
    sections: tuple[str, ...]
    ui: dict[str, str]
    server: str
    blurb: str = ""


def _english_host(rng: random.Random, words: tuple[str, ...]) -> tuple[str, str]:
    a, b = rng.sample(words, 2)
    first, surname = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
    style = rng.randrange(7)
    if style == 0:
        return f"{a}and{b}.com", f"{a.title()} & {b.title()}"
    if style == 1:
        return f"the{a}{b}.net", f"The {a.title()} {b.title()}"
    if style == 2:
        return f"{a}-{b}.org", f"{a.title()} {b.title()}"
    if style == 3:
        return f"{first.lower()}{a}.blog", f"{first}'s {a.title()} Notes"
    if style == 4:
        place = town(rng)
        return f"{a}{place.lower()}.co.uk", f"{place} {a.title()}"
    if style == 5:
        return f"{surname.lower()}s{a}.com", f"{surname}'s {a.title()}"
    return f"notes.{first.lower()}{surname.lower()}.dev", f"{first} {surname}"


def english_site(seed: int, topic: Topic, index: int) -> Site:
    rng = random.Random(f"{seed}:site:{topic.name}:{index}")
    host, name = _english_host(rng, topic.site_words + _GENERIC_WORDS)
    if rng.random() < 0.4 and host.count(".") == 1:
        host = "www." + host
    activity = rng.choice(topic.pools["activity"])
    blurb = f"{name} is a small independent site about {activity}, written from {town(rng)} since {rng.randint(2009, 2017)}."
    return Site(host, name, rng.choice(THEMES), "https" if rng.random() < 0.85 else "http", rng.randrange(6),
                "en", topic.sections, ENGLISH_UI, rng.choice(SERVERS), blurb)


def mirror_site(seed: int, index: int) -> Site:
    """A scraper or aggregator that republishes other sites' articles."""
    rng = random.Random(f"{seed}:mirror:{index}")
    word = rng.choice(("daily", "news", "feed", "top", "best", "digest", "reads", "buzz", "hub"))
    host = f"{word}{rng.choice(('stories', 'articles', 'posts', 'reader', 'wire'))}{rng.randint(1, 99)}.{rng.choice(('info', 'net', 'site', 'online'))}"
    return Site(host, host.split(".")[0].title(), rng.choice(THEMES), "https", rng.randrange(6), "en",
                ("stories", "trending", "lifestyle"), ENGLISH_UI, rng.choice(SERVERS), f"{host} collects the best reads of the web.")


def foreign_site(seed: int, bank: LanguageBank, index: int) -> Site:
    rng = random.Random(f"{seed}:site:{bank.code}:{index}")
    a, b = rng.sample(bank.site_words, 2)
    host = f"{rng.choice(('', 'www.'))}{a}-{b}.{bank.tld}"
    return Site(host, f"{a.title()} {b.title()}", rng.choice(THEMES), "https" if rng.random() < 0.8 else "http",
                rng.randrange(6), bank.code, (a, b), bank.ui, rng.choice(SERVERS))


def shop_site(seed: int, index: int, product: str) -> Site:
    rng = random.Random(f"{seed}:shop:{index}")
    word = slugify(product).split("-")[0]
    host = f"{rng.choice(('best', 'cheap', 'top', 'discount', 'mega'))}-{word}-{rng.choice(('deals', 'store', 'outlet', 'sale'))}.{rng.choice(('biz', 'info', 'shop', 'xyz'))}"
    return Site(host, host.split(".")[0].replace("-", " ").title(), rng.choice(THEMES), "http", rng.randrange(6),
                "en", ("shop", "deals"), ENGLISH_UI, rng.choice(SERVERS))


def wiki_site(host: str) -> Site:
    lang = host.split(".")[0]
    return Site(host, "Wikipedia", "wiki", "https", -1, lang, ("wiki",), ENGLISH_UI, "mw1324.eqiad.wmnet")


def page_path(site: Site, rng: random.Random, title: str, tok: str) -> str:
    slug = slugify(title)
    section = rng.choice(site.sections)
    year, month = rng.randint(2016, 2018), rng.randint(1, 12)
    return (
        f"/{year}/{month:02d}/{slug}-{tok}/",
        f"/{section}/{slug}-{tok}",
        f"/articles/{tok}-{slug}",
        f"/{section}/{slug}-{tok}.html",
        f"/blog/{slug}-{tok}/",
        f"/p/{tok}/{slug}",
    )[site.path_style]
