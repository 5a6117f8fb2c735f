"""Legacy encodings and the three places a charset can be declared (HTTP header, <meta>, nowhere)."""

from __future__ import annotations

import random

from curation.sample.document import Document
from curation.sample.lexicon import FIRST_NAMES, town
from curation.sample.template import render

# Name used on the wire -> Python codec.
CODECS = {
    "utf-8": "utf-8", "windows-1252": "cp1252", "iso-8859-1": "latin-1", "koi8-r": "koi8_r",
    "windows-1251": "cp1251", "shift_jis": "shift_jis", "gb2312": "gb2312", "gbk": "gbk",
}
# How a page states its charset. "header_lies": the header says utf-8, the body is windows-1252.
DECLARATIONS = ("both", "header", "meta", "meta_http_equiv", "none", "header_lies")

_CP1252_SENTENCES = (
    "“We met at the café on {town} Road,” {name} said — “the one with the crème brûlée.”",
    "The menu at the little café promised a “naïve” crème brûlée — which, to be fair, it was.",
    "{name} calls it her “résumé dish” — a purée of roasted roots with a sauté of greens.",
)
_LATIN1_SENTENCES = (
    "The café sold us a crème brûlée, two slices of Müsli bread and a jalapeño salsa for £6.",
    "{name} ordered the soupe à l'oignon at the café in {town}; it came with a crêpe and cost £4½.",
)


def localise(doc: Document, charset: str, rng: random.Random) -> None:
    """Give an English page the characters its legacy charset is known for (curly quotes, é, £)."""
    if charset not in ("windows-1252", "iso-8859-1"):
        return
    pools = {"name": FIRST_NAMES, "town": (town(rng),)}
    bank = _CP1252_SENTENCES if charset == "windows-1252" else _LATIN1_SENTENCES
    sentence = render(rng.choice(bank), rng, pools)
    target = doc.sections[min(1, len(doc.sections) - 1)]
    target.paragraphs[0] = f"{target.paragraphs[0]} {sentence}"
    if charset == "windows-1252":  # typographic apostrophes and dashes, as word processors write them
        for section in doc.sections:
            section.paragraphs = [p.replace("'", "’").replace("; ", " — ") for p in section.paragraphs]


def meta_tag(charset: str, declaration: str) -> str:
    if declaration in ("both", "meta"):
        return f'<meta charset="{charset}">\n'
    if declaration == "meta_http_equiv":
        return f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">\n'
    return ""


def content_type(charset: str, declaration: str, media_type: str = "text/html") -> str:
    if declaration in ("both", "header"):
        return f"{media_type}; charset={charset}"
    if declaration == "header_lies":
        return f"{media_type}; charset=utf-8"
    return media_type


def encode(text: str, charset: str) -> bytes:
    """Characters the charset lacks become numeric references, as browsers submit them."""
    return text.encode(CODECS[charset], errors="xmlcharrefreplace")
