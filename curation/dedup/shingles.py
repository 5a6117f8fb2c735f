"""Word n-gram shingles hashed in one numpy pass per batch of documents.

The shingle hash is built from per-word hashes so that only each batch's *distinct* words are
hashed in Python (xxh64); combining them into n-gram hashes is vectorized over every shingle of the
batch at once. ``shingle_hash32`` is the same function on one shingle's bytes (its words joined by
single spaces): passed to ``datasketch.MinHash(hashfunc=...)`` it gives signatures identical to
``curation.dedup.minhash`` (tested).

A document shorter than ``n`` words is one shingle of all its words, so short documents can still
be matched; a document without words has no shingle and never becomes a candidate.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

_MASK64 = (1 << 64) - 1
_MUL = 0x9E3779B97F4A7C15  # 2^64 / golden ratio, odd: multiplication by it is a bijection mod 2^64
_ROT = 27
_F1, _F2 = 0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53  # MurmurHash3 fmix64 constants


def fmix64(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finalizer (an avalanching bijection), elementwise; wraps mod 2^64."""
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(_F1)
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(_F2)
    return h ^ (h >> np.uint64(33))


def _fmix64_int(h: int) -> int:
    h ^= h >> 33
    h = (h * _F1) & _MASK64
    h ^= h >> 33
    h = (h * _F2) & _MASK64
    return h ^ (h >> 33)


def word_hashes(words: pa.Array) -> np.ndarray:
    """xxh64 of each word's UTF-8 bytes; distinct words are hashed once per call."""
    if len(words) == 0:
        return np.zeros(0, dtype=np.uint64)
    encoded = pc.dictionary_encode(words)
    distinct = encoded.dictionary.cast(pa.binary()).to_pylist()
    table = np.fromiter((xxhash.xxh64_intdigest(w) for w in distinct), dtype=np.uint64, count=len(distinct))
    return table[encoded.indices.to_numpy(zero_copy_only=False)]


def _combine(acc: np.ndarray, w: np.ndarray) -> np.ndarray:
    rotated = (acc << np.uint64(_ROT)) | (acc >> np.uint64(64 - _ROT))
    return (rotated ^ w) * np.uint64(_MUL)


def shingle_hashes(wh: np.ndarray, offsets: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of every word n-gram of every document, and the shingle ``offsets``
    (len = documents + 1) into them. ``wh`` and ``offsets`` are ``word_hashes`` and the word offsets."""
    lengths = np.diff(offsets)
    counts = np.where(lengths >= n, lengths - n + 1, np.minimum(lengths, 1))
    sh_offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(counts, out=sh_offsets[1:])
    out = np.empty(int(sh_offsets[-1]), dtype=np.uint64)
    if len(out) == 0:
        return out, sh_offsets
    full = lengths >= n
    in_full = np.repeat(full, counts)
    n_windows = len(wh) - n + 1
    if full.any():
        # Every window of n consecutive words of the flat array (n contiguous passes, no gather),
        # then the windows that lie inside one document.
        acc = np.zeros(n_windows, dtype=np.uint64)
        for j in range(n):
            acc = _combine(acc, wh[j:j + n_windows])
        end = np.repeat(offsets[1:], lengths)[:n_windows]
        inside = np.arange(n_windows) + n <= end
        out[in_full] = fmix64(acc[inside] ^ np.uint64(n))
    short = np.flatnonzero((lengths > 0) & ~full)  # one shingle of all k < n words
    if len(short):
        start, k = offsets[short], lengths[short]
        acc = np.zeros(len(short), dtype=np.uint64)
        for j in range(n - 1):
            acc = np.where(j < k, _combine(acc, wh[np.minimum(start + j, len(wh) - 1)]), acc)
        out[~in_full] = fmix64(acc ^ k.astype(np.uint64))
    return out, sh_offsets


def shingle_hash64(shingle: bytes) -> int:
    """The hash ``shingle_hashes`` computes, for one shingle given as its words joined by b" "."""
    acc = 0
    parts = shingle.split(b" ")
    for w in parts:
        rotated = ((acc << _ROT) | (acc >> (64 - _ROT))) & _MASK64
        acc = ((rotated ^ xxhash.xxh64_intdigest(w)) * _MUL) & _MASK64
    return _fmix64_int(acc ^ len(parts))


def shingle_hash32(shingle: bytes) -> int:
    """The 32-bit hash MinHash uses: the high half of ``shingle_hash64`` (a datasketch hashfunc)."""
    return shingle_hash64(shingle) >> 32


def doc_shingles(doc_words: list[str], n: int) -> list[bytes]:
    """One document's shingles as bytes, for datasketch and for reference checks."""
    if not doc_words:
        return []
    if len(doc_words) < n:
        return [" ".join(doc_words).encode("utf-8")]
    return [" ".join(doc_words[i:i + n]).encode("utf-8") for i in range(len(doc_words) - n + 1)]


def text_shingles(text: pa.Array | pa.ChunkedArray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Shingle hashes of a column of texts: normalize, split, hash (see ``curation.dedup.text``)."""
    from curation.dedup.text import words

    flat, offsets = words(text)
    return shingle_hashes(word_hashes(flat), offsets, n)


def distinct_per_doc(h: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each document's shingle hashes sorted and deduplicated: its shingle *set*."""
    doc = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    order = np.lexsort((h, doc))
    h, doc = h[order], doc[order]
    keep = np.r_[True, (h[1:] != h[:-1]) | (doc[1:] != doc[:-1])] if len(h) else np.zeros(0, dtype=bool)
    h, doc = h[keep], doc[keep]
    new_offsets = np.zeros(len(offsets), dtype=np.int64)
    np.cumsum(np.bincount(doc, minlength=len(offsets) - 1), out=new_offsets[1:])
    return h, new_offsets


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Exact Jaccard similarity of two sorted, distinct shingle-hash arrays (0 when both are empty)."""
    if len(a) == 0 and len(b) == 0:
        return 0.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter)
