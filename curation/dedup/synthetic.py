"""Generated documents with planted near-duplicates at known Jaccard similarity (tests, benchmarks).

Documents are random sequences over a vocabulary of 4096 pronounceable made-up words with Zipfian
frequencies, so a word 5-gram packs exactly into 60 bits and true shingle Jaccard similarities are
computed exactly (no hashing). A near-duplicate copies its source and replaces ``k`` words at
positions exactly ``n`` apart: each replacement changes exactly ``n`` shingles, so with ``m``
distinct shingles the copy's similarity is (m - kn) / (m + kn) and ``k`` is chosen to hit a target.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curation.ids import doc_id

VOCAB_BITS = 12
VOCAB_SIZE = 1 << VOCAB_BITS
_ONSETS = ["b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z", "br", "ch", "dr", "fl", "gr", "pl", "sh", "st", "th", "tr"]
_VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "ee", "oo", "ou"]


def vocabulary(seed: int = 0) -> list[str]:
    """``VOCAB_SIZE`` distinct lower-case words of one to four syllables."""
    rng = np.random.default_rng(seed)
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < VOCAB_SIZE:
        n = int(rng.integers(1, 5))
        w = "".join(_ONSETS[rng.integers(len(_ONSETS))] + _VOWELS[rng.integers(len(_VOWELS))] for _ in range(n))
        if w not in seen:
            seen.add(w)
            words.append(w)
    return words


def zipf_words(rng: np.random.Generator, count: int, exponent: float = 1.0) -> np.ndarray:
    """``count`` word indices drawn with probability ~ 1 / rank^exponent."""
    p = 1.0 / np.arange(1, VOCAB_SIZE + 1) ** exponent
    return rng.choice(VOCAB_SIZE, size=count, p=p / p.sum()).astype(np.int64)


def shingle_set(doc: np.ndarray, n: int) -> np.ndarray:
    """Distinct word n-grams of one document as exact integer codes (n * 12 bits <= 64)."""
    if len(doc) == 0:
        return np.zeros(0, dtype=np.uint64)
    if len(doc) < n:
        n = len(doc)
    code = np.zeros(len(doc) - n + 1, dtype=np.uint64)
    for j in range(n):
        code = (code << np.uint64(VOCAB_BITS)) | doc[j:len(doc) - n + 1 + j].astype(np.uint64)
    return np.unique(code)


def true_jaccard(a: np.ndarray, b: np.ndarray, n: int) -> float:
    sa, sb = shingle_set(a, n), shingle_set(b, n)
    inter = len(np.intersect1d(sa, sb, assume_unique=True))
    union = len(sa) + len(sb) - inter
    return inter / union if union else 0.0


def near_copy(doc: np.ndarray, target: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """A copy of ``doc`` whose shingle Jaccard with it is close to ``target`` (exact for 1.0)."""
    out = doc.copy()
    if target >= 1.0:
        return out
    m = len(doc) - n + 1
    k = max(1, round(m * (1 - target) / (n * (1 + target))))
    offset = int(rng.integers(n))
    slots = np.arange(offset, len(doc), n)
    pos = np.sort(rng.choice(slots, size=min(k, len(slots)), replace=False))
    out[pos] = (doc[pos] + rng.integers(1, VOCAB_SIZE, size=len(pos))) % VOCAB_SIZE  # always a different word
    return out


@dataclass
class Corpus:
    table: pa.Table  # id, url, text, score
    pairs: pa.Table  # source, copy (row numbers in ``table``), target and true Jaccard


def make_corpus(n_docs: int, *, copies: float = 0.1, targets: tuple[float, ...] = (0.85, 0.9, 0.95, 1.0),
                n: int = 5, min_words: int = 80, max_words: int = 300, seed: int = 0,
                vocab: list[str] | None = None) -> Corpus:
    """``n_docs`` documents of which a fraction ``copies`` are near-copies of another (original)
    document, each original copied at most once, at similarities cycling through ``targets``."""
    rng = np.random.default_rng(seed)
    vocab = vocab or vocabulary()
    n_copies = int(round(n_docs * copies))
    n_orig = n_docs - n_copies
    lengths = rng.integers(min_words, max_words + 1, size=n_orig)
    offsets = np.zeros(n_orig + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    flat = zipf_words(rng, int(offsets[-1]))
    docs = [flat[offsets[i]:offsets[i + 1]] for i in range(n_orig)]
    sources = np.sort(rng.choice(n_orig, size=n_copies, replace=False)) if n_copies else np.zeros(0, np.int64)
    src_rows, copy_rows, target_list, true_list = [], [], [], []
    for c, src in enumerate(sources.tolist()):
        target = targets[c % len(targets)]
        copy = near_copy(docs[src], target, n, rng)
        src_rows.append(src)
        copy_rows.append(len(docs))
        target_list.append(target)
        true_list.append(true_jaccard(docs[src], copy, n))
        docs.append(copy)
    order = rng.permutation(len(docs))  # copies are spread over the corpus, not all at the end
    position = np.empty_like(order)
    position[order] = np.arange(len(order))
    all_words = np.concatenate([docs[i] for i in order]) if docs else np.zeros(0, np.int64)
    doc_offsets = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum([len(docs[i]) for i in order], out=doc_offsets[1:])
    text = pc.binary_join(pa.ListArray.from_arrays(pa.array(doc_offsets.astype(np.int32)),
                                                   pa.array(vocab).take(pa.array(all_words))), " ")
    urls = [f"https://site{i % 997}.example/page/{i}" for i in range(len(docs))]
    table = pa.table({
        "id": [doc_id(u) for u in urls],
        "url": urls,
        "text": text,
        "score": rng.integers(3, 500, size=len(docs)),
    })
    pairs = pa.table({
        "source": pa.array(position[np.array(src_rows, dtype=np.int64)], pa.int64()),
        "copy": pa.array(position[np.array(copy_rows, dtype=np.int64)], pa.int64()),
        "target": pa.array(target_list, pa.float64()),
        "jaccard": pa.array(true_list, pa.float64()),
    })
    return Corpus(table, pairs)
