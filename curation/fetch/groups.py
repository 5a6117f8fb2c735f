"""Hash groups on disk: one Arrow IPC *file* per input, whose record batch *j* holds the rows of group *j*
in input order. A task of the next phase reads batch *j* of every file (random access, memory-mapped),
so grouping needs no global index and the result does not depend on the number of workers.

Used by ``fetch`` (groups = hosts, for politeness) and ``warc_join`` (groups = URL keys, for the join).
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import numpy as np
import pyarrow as pa

from curation.ids import stable_hash64
from curation.shards import atomic_path
from curation.storage import as_path, is_remote, open_input


def group_of(keys: Iterable[str], n: int) -> np.ndarray:
    """Group of each key: a stable 64-bit hash modulo ``n`` (the same on every machine)."""
    return np.fromiter((stable_hash64(k) % n for k in keys), dtype=np.int64)


def write_groups(path: str | os.PathLike, table: pa.Table, group: np.ndarray, n: int) -> None:
    """Write ``table`` as ``n`` record batches, batch j = its rows with ``group == j`` (order kept)."""
    order = np.argsort(group, kind="stable")
    counts = np.bincount(group, minlength=n) if len(group) else np.zeros(n, dtype=np.int64)
    table = table.take(pa.array(order, pa.int64())).combine_chunks()
    empty = pa.RecordBatch.from_pylist([], schema=table.schema)
    with atomic_path(path) as tmp, pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, table.schema) as w:
        start = 0
        for c in counts:
            w.write_batch(table.slice(start, int(c)).to_batches()[0] if c else empty)
            start += int(c)


def read_group(paths: Iterable[str | os.PathLike], j: int) -> pa.Table | None:
    """Group ``j`` of every file, concatenated in the order of ``paths``; None without files."""
    parts = []
    for path in paths:
        path = as_path(path)
        with pa.memory_map(str(path)) if not is_remote(path) else open_input(path, 1 << 20) as source:
            parts.append(pa.Table.from_batches([pa.ipc.open_file(source).get_batch(j)]))
    return pa.concat_tables(parts, promote_options="default").combine_chunks() if parts else None
