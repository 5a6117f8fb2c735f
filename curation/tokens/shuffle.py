"""Rows -> shuffled shards on disk, in bounded memory: a two-pass external shuffle.

Pass 1 numbers rows in packing order (``row_id``) and sends each to one of ``n_buckets`` bucket files
at random; pass 2 loads one bucket at a time, permutes it, and writes it as one output shard. Random
buckets followed by a uniform permutation inside each bucket give a uniform permutation of all rows,
while memory holds one bucket (about ``rows_per_shard`` rows) and small per-bucket write buffers.
Every draw comes from ``numpy``'s generator seeded with (seed, split, bucket), so the output is the
same on every run.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from curation.shards import ShardWriter, open_shard
from curation.tokens.packing import row_schema

BUFFER_BYTES = 64 << 20  # all buckets' write buffers together
OUT_BATCH_ROWS = 1024  # rows per record batch in the output shards


@dataclass
class SplitResult:
    shards: list[str] = field(default_factory=list)  # paths relative to the packed folder
    rows: int = 0


class RowShuffler:
    def __init__(self, work_dir: Path, out_dir: Path, split: str, split_index: int, n_buckets: int,
                 seed: int, seq_len: int, dtype: str):
        self.work_dir, self.out_dir, self.split = Path(work_dir), Path(out_dir), split
        self.n_buckets = max(1, n_buckets)
        self.seed, self.split_index = seed, split_index
        self.schema = row_schema(seq_len, dtype)
        self.rows = 0
        self._rng = np.random.default_rng([seed, split_index])
        row_bytes = seq_len * np.dtype(dtype).itemsize + 64
        self._flush_rows = max(16, BUFFER_BYTES // (row_bytes * self.n_buckets))
        self._buffers: list[list[pa.RecordBatch]] = [[] for _ in range(self.n_buckets)]
        self._buffered = np.zeros(self.n_buckets, dtype=np.int64)
        self._writers: list[ShardWriter | None] = [None] * self.n_buckets

    def _bucket_path(self, b: int) -> Path:
        return self.work_dir / self.split / f"bucket-{b:05d}.arrow"

    def add(self, batch: pa.RecordBatch) -> None:
        n = batch.num_rows
        if n == 0:
            return
        row_id = pa.array(np.arange(self.rows, self.rows + n, dtype=np.int64))
        batch = pa.RecordBatch.from_arrays(
            [batch.column("input_ids"), batch.column("doc_starts"), batch.column("n_tokens"), row_id,
             batch.column("doc_ids")], schema=self.schema)
        self.rows += n
        buckets = self._rng.integers(0, self.n_buckets, size=n)
        order = np.argsort(buckets, kind="stable")
        counts = np.bincount(buckets, minlength=self.n_buckets)
        bounds = np.concatenate([[0], np.cumsum(counts)])
        grouped = batch.take(pa.array(order))
        for b in np.flatnonzero(counts):
            self._buffers[b].append(grouped.slice(int(bounds[b]), int(counts[b])))
            self._buffered[b] += counts[b]
            if self._buffered[b] >= self._flush_rows:
                self._flush(int(b))

    def _flush(self, b: int) -> None:
        if not self._buffers[b]:
            return
        if self._writers[b] is None:
            self._writers[b] = ShardWriter(self._bucket_path(b), self.schema)
        self._writers[b].write(pa.Table.from_batches(self._buffers[b], schema=self.schema))
        self._buffers[b], self._buffered[b] = [], 0

    def finish(self) -> SplitResult:
        """Permute each bucket and write it as ``<split>/part-NNNNN.arrow``; remove the buckets."""
        for b in range(self.n_buckets):
            self._flush(b)
            if self._writers[b] is not None:
                self._writers[b].commit()
        result = SplitResult(rows=self.rows)
        for b in range(self.n_buckets):
            if self._writers[b] is None:
                continue  # no row drew this bucket
            path = self._bucket_path(b)
            table = open_shard(path).read_all()
            perm = np.random.default_rng([self.seed, self.split_index, b]).permutation(table.num_rows)
            name = f"{self.split}/part-{len(result.shards):05d}.arrow"
            out = ShardWriter(self.out_dir / name, self.schema)
            for start in range(0, table.num_rows, OUT_BATCH_ROWS):
                out.write(table.take(pa.array(perm[start:start + OUT_BATCH_ROWS])))
            out.commit()
            result.shards.append(name)
            del table
            path.unlink()
        shutil.rmtree(self.work_dir / self.split, ignore_errors=True)
        return result
