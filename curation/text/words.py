"""Words of a whole batch of documents, split once and shared by every word-based rule of a stage.

A *token* is a whitespace-separated run of characters. A *word* is a token with the punctuation and
symbols at its ends stripped (``"(well-known),"`` -> ``well-known``, ``"#tag"`` -> ``tag``); a token
of punctuation or symbols only (``-``, ``|``, ``...``, an emoji) is not a word. Counting words, not
punctuation, is what the Gopher rules mean, at the cost of a str.split rather than a tokenizer;
contractions stay one word (``don't``), where spaCy or NLTK make two.

Scripts written without spaces between words (Chinese, Japanese, Thai, Lao, Khmer, Burmese, Tibetan)
have no whitespace words to count: ``unsegmented`` flags documents where such characters are most of
the text, and the filters skip their word-based rules for them instead of dropping them all as "too
few words".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curation.text.columns import flatten, per_doc, to_numpy
from curation.text.punctuation import punctuation_and_symbols

# Gopher (Rae et al. 2021, appendix A): "at least two of the following English words".
GOPHER_STOP_WORDS = ("the", "be", "to", "of", "and", "that", "have", "with")

_UNSEGMENTED_CHAR = r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}\p{Tibetan}]"
#: a document is "unsegmented" when more than this fraction of its non-space characters are in those scripts
UNSEGMENTED_MIN_FRACTION = 0.5


@dataclass
class Words:
    """The words of ``n_docs`` documents, flattened in document order: word i belongs to ``parents[i]``."""

    words: pa.Array
    parents: np.ndarray  # int64, non-decreasing
    lengths: np.ndarray  # int64, characters of each word
    n_docs: int
    nonspace_chars: np.ndarray  # per document: characters of all whitespace tokens
    tokens: np.ndarray  # per document: whitespace tokens (words plus punctuation-only tokens)

    def count(self) -> np.ndarray:
        """Words per document."""
        return per_doc(self.parents, self.n_docs)

    def chars(self) -> np.ndarray:
        """Characters of the words of each document."""
        return per_doc(self.parents, self.n_docs, self.lengths.astype(np.float64))

    def count_where(self, mask: np.ndarray) -> np.ndarray:
        """Per document: words for which ``mask`` is true."""
        return per_doc(self.parents[mask], self.n_docs)

    def distinct_in(self, vocabulary: tuple[str, ...] | list[str]) -> np.ndarray:
        """Per document: how many distinct words of ``vocabulary`` occur (case-insensitive)."""
        if not vocabulary or len(self.words) == 0:
            return np.zeros(self.n_docs, dtype=np.int64)
        index = pc.index_in(pc.utf8_lower(self.words), value_set=pa.array([w.lower() for w in vocabulary]))
        found = to_numpy(pc.is_valid(index))
        ids = to_numpy(index.filter(pc.is_valid(index))).astype(np.int64)
        pairs = np.unique(self.parents[found] * len(vocabulary) + ids)
        return per_doc(pairs // len(vocabulary), self.n_docs)


def whitespace_tokens(texts: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Whitespace-separated tokens of every text, and the index of each token's text."""
    # Arrow yields "" before leading and after trailing whitespace, and one "" for an empty text
    texts = pc.utf8_trim_whitespace(texts)
    tokens, parents = flatten(pc.utf8_split_whitespace(texts))
    empty = to_numpy(pc.equal(pc.utf8_length(texts), 0)).astype(bool)
    if empty.any():
        keep = ~empty[parents]
        tokens, parents = tokens.filter(pa.array(keep)), parents[keep]
    return tokens, parents


def split_words(texts: pa.Array) -> Words:
    tokens, parents = whitespace_tokens(texts)
    n_docs = len(texts)
    nonspace = per_doc(parents, n_docs, to_numpy(pc.utf8_length(tokens)).astype(np.float64))
    n_tokens = per_doc(parents, n_docs)
    stripped = pc.utf8_trim(tokens, characters=punctuation_and_symbols())
    lengths = to_numpy(pc.utf8_length(stripped)).astype(np.int64)
    keep = lengths > 0
    words = stripped.filter(pa.array(keep)) if not keep.all() else stripped
    return Words(words, parents[keep], lengths[keep], n_docs, nonspace, n_tokens)


def has_letter(words: pa.Array) -> np.ndarray:
    """Per word: does it contain at least one letter (any script)?"""
    found = to_numpy(pc.utf8_is_alpha(words)).astype(bool)  # all letters: the common case, and cheap
    rest = np.nonzero(~found)[0]
    if len(rest):
        found[rest] = to_numpy(pc.match_substring_regex(words.take(pa.array(rest)), r"\pL")).astype(bool)
    return found


def unsegmented(texts: pa.Array, nonspace_chars: np.ndarray) -> np.ndarray:
    """Per document: are most characters from scripts written without spaces between words?"""
    if len(texts) == 0:
        return np.zeros(0, dtype=bool)
    chars = to_numpy(pc.count_substring_regex(texts, _UNSEGMENTED_CHAR)).astype(np.float64)
    return chars > UNSEGMENTED_MIN_FRACTION * np.maximum(nonspace_chars, 1)
