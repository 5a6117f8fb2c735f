"""Exact deduplication: documents whose normalized text is identical keep one member.

Normalized text is NFKC, lower-cased, with whitespace runs collapsed (``curation.dedup.text``); its
128-bit BLAKE2b hash decides equality (a false match needs a 2^-128 collision).

Phases, all over files:
- ``hash`` (per input shard): hash each document, write (partition, hash, row, rank, id) sorted.
- ``reduce`` (per hash partition): read that partition's slice of every shard's file, group equal
  hashes, keep one member per group by the keep policy. Memory: one partition, ~50 bytes per
  document of it (``partitions`` splits the corpus).
- ``apply`` (per input shard): drop the other members with reason ``exact_duplicate``, signal 1.0,
  and label every member with ``exact_cluster`` (the kept member's id).
Documents with no text are never duplicates here (a filter stage should have dropped them).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from curation.dedup import policy
from curation.dedup.apply import DedupConfig, DedupStage
from curation.dedup.assign import assign
from curation.dedup.text import exact_key
from curation.dedup.workfiles import node_of, read_range, write_sorted
from curation.registry import register
from curation.shards import iter_batches, write_table

HASH_SCHEMA = pa.schema([("part", pa.uint16()), ("h1", pa.uint64()), ("h2", pa.uint64()), ("row", pa.uint32()),
                         ("rank", pa.float64()), ("id", pa.string())])


class ExactDedupConfig(DedupConfig):
    partitions: int = Field(
        16, ge=1, le=4096,
        description="Hash partitions of the reduce phase: reduce tasks each hold 1/partitions of the corpus's "
                    "hashes (~50 bytes a document). Does not change the result.")


def hash_keys(text: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """(documents, 2) uint64 BLAKE2b-128 of the normalized text, and which documents have text."""
    keys = exact_key(text).cast(pa.binary())
    has_text = pc.fill_null(pc.greater(pc.binary_length(keys), 0), False).to_numpy(zero_copy_only=False)
    digests = b"".join(hashlib.blake2b(k, digest_size=16).digest() if k else bytes(16) for k in keys.to_pylist())
    return np.frombuffer(digests, dtype="<u8").reshape(-1, 2), has_text


@register
class ExactDedup(DedupStage):
    name = "exact_dedup"
    Config = ExactDedupConfig
    summary = "drop documents whose normalized text (case, whitespace, NFKC) equals a kept one's"
    reason = "exact_duplicate"
    cluster_column = "exact_cluster"

    def phases(self) -> list[str]:
        return ["hash", "reduce", "apply"]

    def task_keys(self, phase: str) -> list[str]:
        if phase == "reduce":
            return [f"p-{p:04d}" for p in range(self.config.partitions)]
        return self.shards()

    def run_phase_task(self, phase: str, key: str) -> int:
        return self._hash(key) if phase == "hash" else self._reduce(key)

    def _hash(self, key: str) -> int:
        parts, row = [], 0
        for table in iter_batches(self.input_path(key), self.config.batch_size):
            h, has_text = hash_keys(table.column("text"))
            rows = np.arange(row, row + table.num_rows, dtype=np.uint32)
            part = ((h[:, 0] >> np.uint64(32)) * np.uint64(self.config.partitions)) >> np.uint64(32)
            parts.append(pa.table({
                "part": part.astype(np.uint16), "h1": h[:, 0], "h2": h[:, 1], "row": rows,
                "rank": policy.rank(table, self.config.keep), "id": policy.ids(table),
            }, schema=HASH_SCHEMA).filter(pa.array(has_text)))
            row += table.num_rows
        write_sorted(self.work("hash") / f"{key}.arrow",
                     pa.concat_tables(parts) if parts else HASH_SCHEMA.empty_table())
        return row

    def _reduce(self, key: str) -> int:
        p = int(key.split("-")[1])
        slices = []
        for index, shard in enumerate(self.shards()):
            t = read_range(self.work("hash") / f"{shard}.arrow", p, p + 1)
            nodes = node_of(index, t.column("row").to_numpy())
            slices.append(t.drop_columns(["part", "row"]).append_column("node", pa.array(nodes, pa.uint64())))
        table = pa.concat_tables(slices) if slices else None
        out_path = self.work("reduce") / f"{key}.arrow"
        if table is None or table.num_rows == 0:
            write_table(out_path, assign(np.zeros(0, np.uint64), np.zeros(0), np.zeros(0), pa.array([], pa.string())))
            return 0
        table = table.sort_by([("h1", "ascending"), ("h2", "ascending")])
        h1, h2 = table.column("h1").to_numpy(), table.column("h2").to_numpy()
        new_group = np.r_[True, (h1[1:] != h1[:-1]) | (h2[1:] != h2[:-1])]
        group = np.cumsum(new_group) - 1
        sizes = np.bincount(group)
        dup = sizes[group] > 1
        t = table.filter(pa.array(dup))
        write_table(out_path, assign(t.column("node").to_numpy(), group[dup], t.column("rank").to_numpy(),
                                     t.column("id").combine_chunks()))
        return table.num_rows

    def assignment_files(self) -> list[Path]:
        return [self.work("reduce") / f"{k}.arrow" for k in self.task_keys("reduce")]

    def judge(self, key: str, members: pa.Table) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
        return np.ones(members.num_rows), np.ones(members.num_rows, dtype=bool), {}
