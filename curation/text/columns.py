"""The ``text`` column as one clean Arrow array, and per-document reductions over flattened parts.

Filters analyse whole batches in Arrow kernels: a batch's texts are split into one flat array of
parts (words, lines) plus, for each part, the index of its document (its *parent*); per-document
figures are then ``numpy.bincount`` over the parents.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curation.errors import UserError


def text_column(table: pa.Table, stage: str, column: str = "text") -> tuple[pa.Array, int]:
    """The column as one chunk of valid UTF-8 with nulls as ``""``, and how many records had invalid
    UTF-8 (repaired with U+FFFD, so one bad byte does not lose a document or crash a kernel)."""
    if column not in table.column_names:
        raise UserError(f"stage {stage}: the input has no `{column}` column (it has "
                        f"{', '.join(table.column_names) or 'none'}); put this stage after `extract`")
    arr = table.column(column)
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        raise UserError(f"stage {stage}: column `{column}` holds {arr.type}, not text")
    repaired = 0
    try:
        arr.validate(full=True)
    except pa.ArrowInvalid:
        arr, repaired = _repair_utf8(arr)
    return pc.fill_null(arr, ""), repaired


def _repair_utf8(arr: pa.Array) -> tuple[pa.Array, int]:
    binary = pa.large_binary() if pa.types.is_large_string(arr.type) else pa.binary()
    fixed: list[str | None] = []
    repaired = 0
    for raw in arr.view(binary).to_pylist():
        if raw is None:
            fixed.append(None)
            continue
        try:
            fixed.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            fixed.append(raw.decode("utf-8", errors="replace"))
            repaired += 1
    return pa.array(fixed, type=arr.type), repaired


def scrub_surrogates(text: str) -> str:
    """``text`` with lone surrogates (from Python code, never from Arrow) replaced by U+FFFD; a valid
    surrogate pair is joined into its character."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def cap_chars(texts: pa.Array, max_chars: int | None) -> tuple[pa.Array, int]:
    """The first ``max_chars`` characters of each text, and how many texts were longer."""
    if max_chars is None or len(texts) == 0:
        return texts, 0
    longer = pc.sum(pc.greater(pc.utf8_length(texts), max_chars)).as_py() or 0
    if not longer:
        return texts, 0
    return pc.utf8_slice_codeunits(texts, 0, max_chars), longer


def flatten(lists: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """The values of a list array and, for each value, the index of the list it came from."""
    parents = pc.list_parent_indices(lists).to_numpy().astype(np.int64, copy=False)
    return pc.list_flatten(lists), parents


def per_doc(parents: np.ndarray, n_docs: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Per document: the number of parts (or the sum of ``weights`` over its parts)."""
    if weights is None:
        return np.bincount(parents, minlength=n_docs).astype(np.int64)
    return np.bincount(parents, weights=weights, minlength=n_docs)


def to_numpy(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Booleans, integers or lengths as a numpy array (no nulls expected)."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr.to_numpy(zero_copy_only=False)


def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` with NaN where ``den`` is 0 (a signal that does not apply: stored as null)."""
    out = np.full(len(num), np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def float_column(values: np.ndarray) -> pa.Array:
    """A float64 signal column; NaN becomes null."""
    return pa.array(values, type=pa.float64(), from_pandas=True)


def int_column(values: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    return pa.array(values.astype(np.int64), type=pa.int64(), mask=null)


def with_columns(table: pa.Table, columns: dict[str, pa.Array]) -> pa.Table:
    """``table`` with ``columns`` appended, or replaced where a column of that name exists (a rerun of a
    filter over its own output overwrites its earlier signals)."""
    for name, column in columns.items():
        if name in table.column_names:
            table = table.set_column(table.column_names.index(name), name, column)
        else:
            table = table.append_column(name, column)
    return table
