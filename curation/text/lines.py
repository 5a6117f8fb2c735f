"""Lines and paragraphs of a whole batch of documents, and duplicates among them per document.

A line is the text between two ``\\n`` with surrounding whitespace (``\\r`` included) stripped;
blank lines are not lines. A paragraph is text between blank lines (``\\n`` + optional spaces +
``\\n``), stripped the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curation.text.columns import flatten, per_doc, to_numpy


@dataclass
class Parts:
    """Non-blank lines (or paragraphs) of ``n_docs`` documents, flattened in document order."""

    values: pa.Array
    parents: np.ndarray  # int64
    n_docs: int

    def count(self) -> np.ndarray:
        return per_doc(self.parents, self.n_docs)

    def count_where(self, mask: np.ndarray) -> np.ndarray:
        return per_doc(self.parents[mask], self.n_docs)

    def lengths(self) -> np.ndarray:
        return to_numpy(pc.utf8_length(self.values)).astype(np.int64)


def _parts(pieces: pa.Array, n_docs: int) -> Parts:
    values, parents = flatten(pieces)
    values = pc.utf8_trim_whitespace(values)
    keep = to_numpy(pc.greater(pc.utf8_length(values), 0))
    if not keep.all():
        values, parents = values.filter(pa.array(keep)), parents[keep]
    return Parts(values, parents, n_docs)


def split_lines(texts: pa.Array) -> Parts:
    return _parts(pc.split_pattern(texts, "\n"), len(texts))


def split_paragraphs(texts: pa.Array) -> Parts:
    return _parts(pc.split_pattern_regex(texts, r"\n\s*\n"), len(texts))


def duplicates(parts: Parts) -> tuple[np.ndarray, np.ndarray]:
    """Per document: how many parts repeat an earlier part of the same document, and their characters.

    The first occurrence of a repeated line is not a duplicate; each later one is (Gopher's count).
    """
    n = parts.n_docs
    if len(parts.values) == 0:
        return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    table = pa.table({"doc": pa.array(parts.parents, pa.int64()), "part": parts.values})
    groups = table.group_by(["doc", "part"], use_threads=False).aggregate([("part", "count")])
    extra = to_numpy(groups.column("part_count")) - 1
    repeated = extra > 0
    if not repeated.any():
        return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    docs = to_numpy(groups.column("doc"))[repeated]
    lengths = to_numpy(pc.utf8_length(groups.column("part").filter(pa.array(repeated))))
    extra = extra[repeated]
    return (per_doc(docs, n, extra.astype(np.float64)).astype(np.int64),
            per_doc(docs, n, (extra * lengths).astype(np.float64)).astype(np.int64))
