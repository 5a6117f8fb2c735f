"""The word list of the optional C4 bad-words rule, as one case-insensitive RE2 pattern."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from curation.errors import UserError

DEFAULT_LIST = Path(__file__).parent / "lists" / "bad_words_en.txt"


@functools.cache
def load_words(path: str | None = None) -> tuple[str, ...]:
    """Lowercased entries of a list file (one word or phrase per line; ``#`` starts a comment)."""
    file = Path(path) if path else DEFAULT_LIST
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(f"c4.bad_words_file: cannot read {file} ({e}); give a UTF-8 text file with one "
                        "word or phrase per line") from None
    words = sorted({line.strip().lower() for line in lines if line.strip() and not line.startswith("#")})
    if not words:
        raise UserError(f"c4.bad_words_file: {file} lists no words")
    return tuple(words)


def pattern(words: tuple[str, ...]) -> str:
    """Matches any entry as whole words in lowercased text (longest alternatives first)."""
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return rf"\b(?:{alternatives})\b"
