"""Non-English text banks, one module per language, all written for this project.

Templates use the syntax of ``curation.sample.template`` with the slots {name}, {city}, {num} and
{month}; ``ui`` holds the words of the page furniture (menu, footer, cookie notice) in that language.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LanguageBank:
    code: str  # ISO 639-1, as fastText lid.176 labels it
    tld: str
    site_words: tuple[str, ...]
    titles: tuple[str, ...]
    headings: tuple[str, ...]
    sentences: tuple[str, ...]
    names: tuple[str, ...]
    cities: tuple[str, ...]
    months: tuple[str, ...]
    ui: dict[str, str]
    word_joiner: str = " "  # "" for Japanese and Chinese, written without spaces


def _load() -> dict[str, LanguageBank]:
    from curation.sample.languages import de, es, fr, it, ja, nl, pt, ru, zh

    return {m.BANK.code: m.BANK for m in (fr, de, es, it, pt, nl, ru, ja, zh)}


LANGUAGES: dict[str, LanguageBank] = _load()
