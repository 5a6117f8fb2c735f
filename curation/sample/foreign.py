"""Non-English documents: a few paragraphs from one language bank, with names, towns and numbers varied."""

from __future__ import annotations

import random

from curation.sample.document import Document, Section
from curation.sample.languages import LANGUAGES, LanguageBank
from curation.sample.template import render


def _pools(rng: random.Random, bank: LanguageBank) -> dict[str, object]:
    return {
        "name": bank.names,
        "city": (rng.choice(bank.cities),) * 3 + (rng.choice(bank.cities),),
        "num": lambda r: str(r.randint(3, 60)),
        "month": bank.months,
    }


def write_foreign(rng: random.Random, lang: str) -> Document:
    """Three to five paragraphs of three or four sentences, headed like a blog post, in ``lang``."""
    bank = LANGUAGES[lang]
    pools = _pools(rng, bank)
    deck: list[str] = []
    headings = rng.sample(bank.headings, len(bank.headings))
    sections: list[Section] = []
    for index in range(rng.randint(3, 5)):
        sentences = []
        for _ in range(rng.randint(3, 4)):
            if not deck:
                deck = rng.sample(bank.sentences, len(bank.sentences))
            sentences.append(render(deck.pop(), rng, pools, english=False))
        heading = render(headings.pop(), rng, pools, english=False) if index and headings and rng.random() < 0.6 else None
        sections.append(Section(heading, [bank.word_joiner.join(sentences)]))
    title = render(rng.choice(bank.titles), rng, pools, english=False)
    author = rng.choice(bank.names)
    return Document(title=title, sections=sections, lang=lang, author=author)


def foreign_titles(rng: random.Random, lang: str, count: int) -> list[str]:
    bank = LANGUAGES[lang]
    pools = _pools(rng, bank)
    return [render(rng.choice(bank.titles), rng, pools, english=False) for _ in range(count)]
