"""The part both dedup stages share: the keep policy setting, and the last phase, which copies each
input shard, drops the members a cluster does not keep and labels every member with its cluster.

A stage subclass writes the earlier phases and says where its assignments are
(``assignment_files``) and how similar each dropped member is to its cluster's kept one (``judge``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from curation.dedup.assign import ASSIGNMENT_SCHEMA, size_histogram
from curation.dedup.policy import KeepPolicy
from curation.dedup.workfiles import read_range, row_of, shard_range
from curation.errors import UserError
from curation.shards import iter_batches, list_shards, read_json, shard_schema, write_json
from curation.stage import Outcome, Stage, StageConfig

SUMMARY_FILE = "dedup.json"


class DedupConfig(StageConfig):
    keep: KeepPolicy = Field(
        "highest_karma",
        description="Which member of a duplicate cluster survives: highest_karma (Reddit score, the "
                    "WebText signal), longest (most characters), earliest (first_seen/date) or first_id; "
                    "ties go to the smallest id.")


class DedupStage(Stage):
    reason: ClassVar[str]
    cluster_column: ClassVar[str]

    # -- input -----------------------------------------------------------------------------------
    def shards(self) -> list[str]:
        return list_shards(self.ctx.input_dir)

    def shard_index(self, key: str) -> int:
        return self.shards().index(key)

    def work(self, phase: str) -> Path:
        return self.ctx.stage_dir / "_work" / phase

    def input_path(self, key: str) -> Path:
        return self.ctx.input_dir / f"{key}.arrow"

    def describe_input(self, key: str) -> str:
        return str(self.input_path(key)) if key.startswith("part-") else key

    def prepare(self) -> None:
        if self.ctx.input_dir is None:
            raise UserError(f"{self.ctx.label}: {self.name} needs an earlier stage that produces documents "
                            "(put it after extract)")
        shards = self.shards()
        if shards and "text" not in shard_schema(self.input_path(shards[0])).names:
            raise UserError(f"{self.ctx.label}: {self.name} needs a `text` column, which "
                            f"{self.ctx.input_dir.name} does not have; put it after extract")

    # -- what a subclass provides ------------------------------------------------------------------
    def assignment_files(self) -> list[Path]:
        raise NotImplementedError

    def judge(self, key: str, members: pa.Table) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
        """For the members of this shard a cluster does not keep: (similarity to the kept member,
        whether to drop, notes)."""
        raise NotImplementedError

    # -- the last phase ----------------------------------------------------------------------------
    def load_assignments(self, key: str) -> pa.Table:
        lo, hi = shard_range(self.shard_index(key))
        parts = [read_range(p, lo, hi) for p in self.assignment_files() if p.exists()]
        if not parts:
            return ASSIGNMENT_SCHEMA.empty_table()
        return pa.concat_tables(parts).sort_by([("node", "ascending")])

    def produce(self, key: str) -> Iterator[Outcome]:
        a = self.load_assignments(key)
        rows = row_of(a.column("node").to_numpy())
        members = a.filter(pc.invert(a.column("keep")))
        signal, drop, notes = self.judge(key, members)
        member_signal = np.full(a.num_rows, np.nan)
        member_drop = np.zeros(a.num_rows, dtype=bool)
        not_kept = np.flatnonzero(~a.column("keep").to_numpy(zero_copy_only=False))
        member_signal[not_kept] = signal
        member_drop[not_kept] = drop
        cluster = a.column("cluster").combine_chunks()
        notes = {**notes, "cluster_sizes": size_histogram(a), "duplicates": int(member_drop.sum())}
        offset = 0
        for table in iter_batches(self.input_path(key), self.config.batch_size):
            n = table.num_rows
            i0, i1 = np.searchsorted(rows, [offset, offset + n])
            where = np.full(n, -1, dtype=np.int64)
            where[rows[i0:i1] - offset] = np.arange(i0, i1)
            index = pa.array(where, mask=where < 0)
            table = _set_column(table, self.cluster_column, cluster.take(index))
            dropped = np.zeros(n, dtype=bool)
            dropped[rows[i0:i1] - offset] = member_drop[i0:i1]
            values = np.full(n, np.nan)
            values[rows[i0:i1] - offset] = member_signal[i0:i1]
            reasons = pa.array(np.where(dropped, self.reason, None), pa.string())
            signals = pa.array(values, mask=~dropped)
            yield Outcome.split(table, reasons, signals, notes=notes)
            notes = {}
            offset += n

    def empty_schema(self) -> pa.Schema | None:
        shards = self.shards()
        if not shards:
            return None
        schema = shard_schema(self.input_path(shards[0]))
        if self.cluster_column in schema.names:
            return schema
        return schema.append(pa.field(self.cluster_column, pa.string()))

    def finalize(self) -> None:
        """``dedup.json``: the settings, the cluster size histogram and what was removed, for the
        report, the data card and ``curate inspect``."""
        d = self.ctx.stage_dir
        sizes: dict[str, int] = {}
        total = {"records": 0, "words": 0, "bytes": 0}
        removed = {"records": 0, "words": 0, "bytes": 0}
        for path in sorted((d / "stats").glob("part-*.json")):
            stats = read_json(path)
            for k in total:
                total[k] += (stats.get("in") or {}).get(k, 0)
                removed[k] += stats.get("drops", {}).get(self.reason, {}).get(k, 0)
            for size, count in stats.get("notes", {}).get("cluster_sizes", {}).items():
                sizes[size] = sizes.get(size, 0) + count
        write_json(d / SUMMARY_FILE, {
            "stage": self.name,
            "reason": self.reason,
            "cluster_column": self.cluster_column,
            "config": self.config.model_dump(mode="json"),
            "clusters": sum(sizes.values()),
            "cluster_sizes": dict(sorted(sizes.items(), key=lambda kv: int(kv[0]))),
            "removed": removed,
            "total": total,
            "removed_fraction": {k: round(removed[k] / total[k], 6) if total[k] else 0.0 for k in total},
            **self.summary_extra(),
        })

    def summary_extra(self) -> dict[str, Any]:
        return {}


def _set_column(table: pa.Table, name: str, column: pa.Array) -> pa.Table:
    if name in table.column_names:
        return table.set_column(table.column_names.index(name), name, column)
    return table.append_column(name, column)
