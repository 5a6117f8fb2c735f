"""Repeated word n-grams per document (Gopher's repetition signals), for a whole batch at once.

Each n-gram is a 64-bit polynomial hash of its word ids, keyed by its document, so one sort per n
counts every n-gram of the batch (a collision needs two different n-grams of one document to share 64
bits: negligible). An n-gram can only repeat where its (n-1)-gram prefix repeats, so level n looks
only at the positions that repeated at level n-1: after the first levels, ordinary prose has almost
none left and the long n-grams cost next to nothing.

Character counts are characters of words (no spaces), divided by all word characters of the document.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pyarrow.compute as pc

from curation.text.columns import ratio, to_numpy
from curation.text.words import Words

_MULT = np.uint64(0x9E3779B97F4A7C15)  # odd: multiplication by it is a bijection mod 2**64
_DOC = np.uint64(0xC2B2AE3D27D4EB4F)
_SHIFT = np.int64(40)  # top n-gram score = count << 40 | characters (an n-gram is < 2**40 characters)


def ngram_char_fractions(words: Words, top: Iterable[int], duplicate: Iterable[int]
                         ) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    """Per document and n: (fraction of characters in the most frequent repeated n-gram, for n in
    ``top``), (fraction of characters covered by any repeated n-gram, for n in ``duplicate``).

    The most frequent n-gram counts only if it occurs at least twice (a single occurrence is not
    repetition); ties go to the longer n-gram; overlapping occurrences can add up past the text's length,
    so the fraction is capped at 1. Covered characters are counted once even where repeated
    n-grams overlap, and include every occurrence (the first one too).
    """
    top, duplicate = sorted(set(top)), sorted(set(duplicate))
    total = words.chars()
    zero = np.where(total > 0, 0.0, np.nan)
    top_out = {n: zero.copy() for n in top}
    dup_out = {n: zero.copy() for n in duplicate}
    n_words = len(words.words)
    if n_words < 2 or not (top or duplicate):
        return top_out, dup_out
    ids = to_numpy(pc.dictionary_encode(words.words).indices).astype(np.uint64) + np.uint64(1)
    parents = words.parents
    doc_key = parents.astype(np.uint64) * _DOC
    cum = np.concatenate(([0], np.cumsum(words.lengths)))
    pos = np.nonzero(parents[:-1] == parents[1:])[0]  # bigram starts inside one document
    hashes = ids[pos]
    for n in range(2, max(top + duplicate) + 1):
        if n > 2:
            end = pos + n - 1
            inside = end < n_words
            inside[inside] = parents[end[inside]] == parents[pos[inside]]
            pos, hashes = pos[inside], hashes[inside]
        if len(pos) == 0:
            break
        hashes = hashes * _MULT + ids[pos + n - 1]
        _, inverse, counts = np.unique(hashes ^ doc_key[pos], return_inverse=True, return_counts=True)
        occurrences = counts[inverse.ravel()]
        repeated = occurrences >= 2
        pos, hashes, occurrences = pos[repeated], hashes[repeated], occurrences[repeated]
        if n in top_out and len(pos):
            score = (occurrences.astype(np.int64) << _SHIFT) | (cum[pos + n] - cum[pos])
            best = np.zeros(words.n_docs, dtype=np.int64)
            np.maximum.at(best, parents[pos], score)
            chars = (best >> _SHIFT) * (best & ((np.int64(1) << _SHIFT) - 1))
            # overlapping occurrences ("a a a a") can cover more than the text: a fraction stays <= 1
            top_out[n] = np.minimum(ratio(chars.astype(np.float64), total), 1.0)
        if n in dup_out and len(pos):
            edges = np.bincount(pos, minlength=n_words + 1) - np.bincount(pos + n, minlength=n_words + 1)
            covered = np.cumsum(edges[:n_words]) > 0
            chars = np.bincount(parents[covered], weights=words.lengths[covered], minlength=words.n_docs)
            dup_out[n] = ratio(chars, total)
    return top_out, dup_out
