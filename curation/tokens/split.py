"""The deterministic train/validation split, by document id.

A document goes to validation when ``blake2b(seed:id)``, read as a number in [0, 1), is below the
validation fraction (or, when that selects none, it has the smallest hash: ``small_corpus_threshold``): the same document lands in the same split in every run, on every machine,
whatever the shard layout, and the tokenizer stage (same settings) holds out the same documents
the pack stage puts in validation, so the tokenizer never trains on validation text.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from curation.errors import UserError
from curation.ids import stable_hash64

_SCALE = float(2**64)


def split_hashes(ids: list[str], seed: int) -> np.ndarray:
    """(n,) uint64: the stable hash that decides each document's split."""
    return np.fromiter((stable_hash64(f"split:{seed}:{i}") for i in ids), dtype=np.uint64, count=len(ids))


def sample_hashes(ids: list[str], seed: int) -> np.ndarray:
    """(n,) float64 in [0, 1): an independent draw per document, for sampling a byte budget."""
    return np.fromiter((stable_hash64(f"sample:{seed}:{i}") / _SCALE for i in ids), dtype=np.float64,
                       count=len(ids))


def validation_threshold(fraction: float) -> np.uint64:
    """Hashes below this go to validation (0 for fraction 0: nothing does)."""
    return np.uint64(min(int(fraction * _SCALE), 2**64 - 1))


def is_validation(hashes: np.ndarray, fraction: float) -> np.ndarray:
    return hashes < validation_threshold(fraction)


def small_corpus_threshold(fraction: float, documents: int, validation: int, smallest: int | None) -> np.uint64:
    """The validation threshold, moved just past the smallest hash when the fraction puts no document
    in validation although there are two or more: a small corpus still gets a validation split."""
    threshold = validation_threshold(fraction)
    if fraction > 0 and validation == 0 and documents >= 2 and smallest is not None:
        threshold = np.uint64(smallest + 1)
    return threshold


def document_ids(table: pa.Table, where: str) -> list[str]:
    """The ``id`` column as strings; documents without one cannot be split or traced."""
    if "id" not in table.column_names:
        raise UserError(f"{where}: the input records have no `id` column; documents need ids "
                        "(every extraction stage writes one)")
    return [str(i) if i is not None else "" for i in table.column("id").to_pylist()]
