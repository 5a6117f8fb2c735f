"""Text normalization for deduplication, vectorized in Arrow (no per-document Python).

Two normalizations:
- ``exact_key``: Unicode NFKC, lower case, whitespace runs collapsed to one space, trimmed. Two
  documents are exact duplicates when these strings are equal.
- ``words``: additionally turns punctuation and symbols (Unicode categories P and S) into spaces
  before splitting, so near-duplicate detection ignores quoting, dashes and punctuation edits.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_WHITESPACE = r"\s+"
_PUNCT = r"[\p{P}\p{S}]+"  # not \s: a class that matches every space makes the replace 4x slower


def _as_array(text: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks() if text.num_chunks != 1 else text.chunk(0)
    if pa.types.is_large_string(text.type):
        text = text.cast(pa.string())
    return text


def _fold(text: pa.Array | pa.ChunkedArray) -> pa.Array:
    return pc.utf8_lower(pc.utf8_normalize(_as_array(text), "NFKC"))


def exact_key(text: pa.Array | pa.ChunkedArray) -> pa.Array:
    """NFKC, lower case, single spaces, trimmed; null stays null."""
    return pc.utf8_trim_whitespace(pc.replace_substring_regex(_fold(text), _WHITESPACE, " "))


def words(text: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, np.ndarray]:
    """All documents' words, flattened, and ``offsets`` (len = documents + 1): document *d* has
    words ``offsets[d]:offsets[d + 1]``. Null and empty texts have no words."""
    folded = pc.utf8_trim_whitespace(pc.replace_substring_regex(_fold(text), _PUNCT, " "))
    folded = pc.if_else(pc.equal(folded, ""), pa.scalar(None, pa.string()), folded)
    lists = pc.utf8_split_whitespace(folded)  # runs of whitespace are one separator
    lengths = pc.fill_null(pc.list_value_length(lists), 0).to_numpy(zero_copy_only=False)
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return pc.list_flatten(lists), offsets
