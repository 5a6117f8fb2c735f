"""Hash partitions of surviving posts: the map side writes them, the reduce side reads one across maps.

Map task *i* writes ``<folder>/part-i/bucket-j.arrow`` for every partition *j* (empty ones too, so
the reduce side can tell a finished empty bucket from a missing one). Posts are buffered and written
in large batches; each bucket file is renamed into place only when the whole map task succeeds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from curation.errors import ShardError
from curation.shards import ShardWriter, read_table

FLUSH_ROWS = 65536


def bucket_path(folder: Path, map_index: int, bucket: int) -> Path:
    return folder / f"part-{map_index:05d}" / f"bucket-{bucket:05d}.arrow"


class PartitionWriter:
    def __init__(self, folder: Path, map_index: int, partitions: int, schema: pa.Schema):
        self.partitions = partitions
        self.schema = schema
        self.rows = 0
        self._writers = [ShardWriter(bucket_path(folder, map_index, j), schema) for j in range(partitions)]
        self._tables: list[pa.Table] = []
        self._buckets: list[np.ndarray] = []
        self._buffered = 0

    def add(self, table: pa.Table, buckets: list[int]) -> None:
        if table.num_rows == 0:
            return
        self._tables.append(table)
        self._buckets.append(np.asarray(buckets, dtype=np.int64))
        self._buffered += table.num_rows
        if self._buffered >= FLUSH_ROWS:
            self._flush()

    def _flush(self) -> None:
        if not self._buffered:
            return
        table = pa.concat_tables(self._tables).combine_chunks()
        buckets = np.concatenate(self._buckets)
        order = np.argsort(buckets, kind="stable")  # stable: rows keep their file order in a bucket
        table = table.take(pa.array(order))
        counts = np.bincount(buckets, minlength=self.partitions)
        start = 0
        for j, count in enumerate(counts.tolist()):
            if count:
                self._writers[j].write(table.slice(start, count))
                start += count
        self.rows += self._buffered
        self._tables, self._buckets, self._buffered = [], [], 0

    def commit(self) -> None:
        self._flush()
        for w in self._writers:
            w.commit(self.schema)

    def abort(self) -> None:
        for w in self._writers:
            w.abort()


def read_bucket(folder: Path, map_count: int, bucket: int) -> pa.Table | None:
    """Bucket ``bucket`` of every map task, concatenated in map order (memory-mapped, not copied);
    None if all are empty."""
    tables = []
    for i in range(map_count):
        path = bucket_path(folder, i, bucket)
        if not path.exists():
            raise ShardError(f"{path}: partition file missing; the map phase did not finish "
                             "(rerun the same command to resume)")
        t = read_table(path)
        if t.num_rows:
            tables.append(t)
    return pa.concat_tables(tables) if tables else None
