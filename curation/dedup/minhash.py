"""MinHash signatures for many documents at once, identical to datasketch's, and LSH band keys.

datasketch (2.x, scheme ``affine32``) turns a 32-bit shingle hash ``h`` into ``a_k * fmix32(h) + b_k
mod 2^32`` for permutation *k* and keeps the minimum per permutation. We take ``a`` and ``b`` from
``datasketch.MinHash(num_perm, seed).permutations`` and apply the same arithmetic to every shingle
of a batch in one (permutations x shingles) pass, reducing per document with ``np.minimum.reduceat``.

LSH: the signature is cut into ``bands`` bands of ``rows`` values; two documents become candidates
when any band is equal. For Jaccard similarity *s*: P(candidate) = 1 - (1 - s^rows)^bands.
"""

from __future__ import annotations

import numpy as np

from curation.dedup.shingles import fmix64

EMPTY = np.uint32(0xFFFFFFFF)  # datasketch's value for a permutation that saw no shingle
CHUNK = 16384  # shingles per pass: a (permutations x CHUNK) uint32 buffer, 7.3 MB at 112 permutations


def fmix32(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


class MinHasher:
    def __init__(self, num_perm: int, seed: int):
        from datasketch import MinHash

        a, b = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
        self.num_perm = num_perm
        self.a = np.ascontiguousarray(a, dtype=np.uint32)[:, None]  # (P, 1)
        self.b = np.ascontiguousarray(b, dtype=np.uint32)[:, None]

    def signatures(self, h32: np.ndarray, sh_offsets: np.ndarray) -> np.ndarray:
        """(documents, num_perm) uint32 signatures; a document without shingles gets all ``EMPTY``."""
        n_docs = len(sh_offsets) - 1
        sig = np.full((n_docs, self.num_perm), EMPTY, dtype=np.uint32)
        total = len(h32)
        if total == 0:
            return sig
        x = fmix32(h32.astype(np.uint32, copy=False))
        starts = sh_offsets[:-1]
        nonempty = np.flatnonzero(np.diff(sh_offsets) > 0)
        # Segments never cross a document start or a chunk boundary, so one reduceat per chunk
        # gives per-segment minima, and a second one merges the segments of each document.
        cuts = np.union1d(starts[nonempty], np.arange(0, total, CHUNK))
        buf = np.empty((self.num_perm, min(CHUNK, total)), dtype=np.uint32)
        parts = []
        for lo in range(0, total, CHUNK):
            hi = min(lo + CHUNK, total)
            view = buf[:, :hi - lo]
            np.multiply(self.a, x[lo:hi][None, :], out=view)
            view += self.b
            i0, i1 = np.searchsorted(cuts, [lo, hi])
            parts.append(np.minimum.reduceat(view, cuts[i0:i1] - lo, axis=1))
        segments = np.concatenate(parts, axis=1)  # (P, len(cuts))
        first = np.searchsorted(cuts, starts[nonempty])
        sig[nonempty] = np.minimum.reduceat(segments, first, axis=1).T
        return sig


def band_keys(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(documents, bands) uint64: a 64-bit hash of each band's ``rows`` values.

    Two different bands collide on their key with probability 2^-64 per pair, so the expected
    number of spurious candidates among 10^9 documents is ~0.03 per band.
    """
    n = sig.shape[0]
    keys = np.empty((n, bands), dtype=np.uint64)
    s = sig.astype(np.uint64)
    for band in range(bands):
        acc = np.full(n, band, dtype=np.uint64)
        for j in range(band * rows, (band + 1) * rows):
            acc = fmix64(acc ^ s[:, j]) + np.uint64(j)
        keys[:, band] = fmix64(acc)
    return keys


def estimated_jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> np.ndarray:
    """Fraction of equal signature values, row by row: an unbiased estimate of Jaccard similarity
    with standard error sqrt(s (1 - s) / num_perm)."""
    return (sig_a == sig_b).mean(axis=-1)


def candidate_probability(s: float, bands: int, rows: int) -> float:
    return 1.0 - (1.0 - s ** rows) ** bands


def s_curve(bands: int, rows: int) -> dict:
    """The LSH S-curve these settings imply, as stored in the stage folder and printed at start."""
    points = [round(0.3 + 0.05 * i, 2) for i in range(14)]
    return {
        "bands": bands,
        "rows": rows,
        "num_perm": bands * rows,
        "threshold": round((1.0 / bands) ** (1.0 / rows), 4),  # where the curve is steepest
        "p_candidate": {f"{s:.2f}": round(candidate_probability(s, bands, rows), 4) for s in points},
    }


def format_s_curve(curve: dict) -> str:
    lines = [f"MinHash LSH: {curve['bands']} bands x {curve['rows']} rows = {curve['num_perm']} permutations, "
             f"threshold ~{curve['threshold']:.2f}",
             "  Jaccard  P(candidate)"]
    for s, p in curve["p_candidate"].items():
        bar = "#" * round(40 * p)
        lines.append(f"  {s}     {p:6.4f}  {bar}")
    return "\n".join(lines)
