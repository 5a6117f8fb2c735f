"""Keyword-stuffed shop pages and link-farm SEO pages: what the repetition and quality filters exist for."""

from __future__ import annotations

import random

from curation.sample.document import Document, Section
from curation.sample.lexicon import town

PRODUCTS = (
    "wireless earbuds", "garden hoses", "phone cases", "vitamin gummies", "replica watches", "car insurance quotes",
    "essay writing help", "slimming tea", "led strip lights", "cheap flights", "payday loans", "crypto signals",
    "follower packages", "designer handbags", "printer ink", "protein powder", "gaming chairs", "hair clippers",
)
_SHOUTS = ("BEST PRICE", "LOWEST PRICE GUARANTEED", "FREE SHIPPING", "LIMITED OFFER", "ORDER NOW", "50% OFF TODAY")
_STUFFING = ("cheap {p}", "{p} online", "best {p}", "{p} sale", "{p} discount", "buy {p}", "{p} deals",
             "{p} 2019", "top {p}", "{p} near me", "{p} free shipping", "genuine {p}", "{p} coupon")


def write_spam(rng: random.Random) -> Document:
    p = rng.choice(PRODUCTS)
    title = f"Buy Cheap {p.title()} Online - Best Price {p.title()} Discount 2019"
    stuffing = [s.format(p=p) for s in rng.sample(_STUFFING, len(_STUFFING))]
    intro = (f"Looking for cheap {p}? Best {p} at the best price! Buy {p} online now. "
             + ", ".join(stuffing) + ".")
    shout = f"BUY CHEAP {p.upper()} - {rng.choice(_SHOUTS)}!!!"
    offers = [f"buy cheap {p} in {town(rng)} best price {rng.randint(5, 99)}.99" for _ in range(rng.randint(8, 14))]
    repeated = [shout] * rng.randint(6, 12)  # the same line again and again
    keywords = ", ".join(stuffing * 3)
    return Document(
        title=title,
        sections=[
            Section(None, [intro], items=repeated),
            Section(f"Cheap {p} best price list", [], items=offers),
            Section("Tags", [keywords]),
        ],
        topic="spam",
    )


def write_seo(rng: random.Random) -> Document:
    """A link farm: one thin sentence and dozens of keyword anchors pointing to other invented shops."""
    p = rng.choice(PRODUCTS)
    title = f"Top {rng.randint(20, 90)} {p.title()} Resources and Links ({rng.randint(2017, 2019)})"
    links = []
    for n in range(rng.randint(40, 70)):
        anchor = rng.choice(_STUFFING).format(p=p) + f" {town(rng)}"
        slug = anchor.replace(" ", "-")
        host = f"{rng.choice(('best', 'top', 'cheap', 'my', 'the'))}-{p.split()[0]}-{rng.choice(('deals', 'shop', 'hub', 'zone'))}.biz"
        links.append((anchor, f"http://{host}/{slug}?ref=seo{n}"))
    intro = f"Here are the best {p} links on the web. Click the links below for the best {p} deals."
    return Document(title=title, sections=[Section(None, [intro], links=links)], topic="seo")
