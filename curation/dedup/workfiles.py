"""The intermediate files of the dedup stages: sorted Arrow tables read back by key range.

Every file below a stage's ``_work/`` is one record batch sorted by its first column. A reader
memory-maps the file and binary-searches that column, so a reduce task touches only the pages of its
own key range: no task ever loads another task's share of the corpus.

Documents are named across shards by ``node = shard_index << 32 | row``, an uint64 that sorts in
corpus order (shard, then row); ``shard_index`` is the shard's position in the input stage's sorted
shard list, which does not depend on the worker count.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from curation.shards import open_shard, write_table

ROW_BITS = 32
ROW_MASK = np.uint64((1 << ROW_BITS) - 1)


def node_of(shard_index: int, rows: np.ndarray) -> np.ndarray:
    return (np.uint64(shard_index) << np.uint64(ROW_BITS)) | rows.astype(np.uint64)


def shard_of(nodes: np.ndarray) -> np.ndarray:
    return (nodes >> np.uint64(ROW_BITS)).astype(np.int64)


def row_of(nodes: np.ndarray) -> np.ndarray:
    return (nodes & ROW_MASK).astype(np.int64)


def shard_range(shard_index: int) -> tuple[int, int]:
    """The node range [lo, hi) of one shard's documents."""
    return shard_index << ROW_BITS, (shard_index + 1) << ROW_BITS


def write_sorted(path: Path, table: pa.Table) -> None:
    """Write ``table`` sorted by its first column (then the others, for a total order), atomically."""
    if table.num_rows:
        table = table.sort_by([(name, "ascending") for name in table.column_names
                               if not pa.types.is_nested(table.schema.field(name).type)])
    write_table(path, table.combine_chunks())


def read_range(path: Path, lo: int, hi: int) -> pa.Table:
    """Rows whose first column is in [lo, hi), memory-mapped (zero-copy)."""
    table = open_shard(path).read_all()
    if table.num_rows == 0:
        return table
    key = table.column(0)
    key = key.chunk(0) if key.num_chunks == 1 else key.combine_chunks()
    values = key.to_numpy(zero_copy_only=False)
    i0, i1 = np.searchsorted(values, np.asarray([lo, hi], dtype=values.dtype))
    return table.slice(int(i0), int(i1 - i0))


def read_rows(path: Path, columns: list[str] | None = None) -> pa.Table:
    table = open_shard(path).read_all()
    return table.select(columns) if columns else table
