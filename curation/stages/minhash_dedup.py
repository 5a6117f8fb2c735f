"""MinHash near-duplicate removal as map/reduce over files (FineWeb's setting by default).

Phases:
- ``signatures`` (per input shard): word 5-gram shingles -> 112 MinHash values per document
  (identical to datasketch's, computed for a whole batch in one numpy pass) -> 14 band keys. Writes
  the signatures with what the keep policy needs (rank, id), and the band keys sorted by
  (band partition, key).
- ``bands`` (per band partition): read that partition's slice of every shard's band file, sort by
  key; documents sharing a key are candidates, written as edges to their group's first member.
  Memory: one partition, 16 bytes per document of it (``bands x band_buckets`` partitions).
- ``clusters`` (one task): union-find over the edges, streamed one partition file at a time, then
  one kept member per cluster by the keep policy. Memory: ~40 bytes per *candidate* document
  (documents sharing some band with another) plus one partition's edges; never the corpus.
- ``keepers`` (per shard): the signatures (and, with ``jaccard_check``, the shingle sets) of the
  kept members located in that shard.
- ``apply`` (per input shard): compare each other member with its cluster's kept member: drop it
  with reason ``near_duplicate`` and ``drop_signal`` = estimated Jaccard (or the exact one with
  ``jaccard_check``, dropping only at or above it); label members with ``dup_cluster``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from pydantic import Field

from curation.dedup import policy
from curation.dedup.apply import DedupConfig, DedupStage
from curation.dedup.assign import assign
from curation.dedup.components import UnionFind
from curation.dedup.minhash import MinHasher, band_keys, estimated_jaccard, format_s_curve, s_curve
from curation.dedup.shingles import distinct_per_doc, jaccard, text_shingles
from curation.dedup.workfiles import (
    node_of,
    read_range,
    read_rows,
    row_of,
    shard_of,
    shard_range,
    write_sorted,
)
from curation.registry import register
from curation.resources import cached
from curation.shards import iter_batches, read_table, write_json, write_table

S_CURVE_FILE = "s_curve.json"


class MinHashDedupConfig(DedupConfig):
    # FineWeb (Penedo et al. 2024): 5-gram shingles, 112 permutations as 14 bands x 8 rows, which
    # makes documents at Jaccard 0.75 candidates with probability 0.77 (0.99 at 0.85).
    ngram: int = Field(5, ge=1, description="Words per shingle (after lower-casing and removing punctuation).")
    bands: int = Field(14, ge=1, le=255, description="LSH bands; more bands find less similar pairs.")
    rows: int = Field(8, ge=1, le=64, description="Signature values per band; more rows demand more similarity.")
    seed: int = Field(1, ge=0, description="Permutation seed; 1 is datasketch's default, so signatures equal "
                                           "datasketch.MinHash(num_perm=bands*rows) with our shingle hash.")
    jaccard_check: float | None = Field(
        None, ge=0.0, le=1.0,
        description="Drop a candidate only if its exact shingle Jaccard with the kept member is at least this; "
                    "None drops every candidate the bands find (FineWeb's choice).")
    band_buckets: int = Field(
        4, ge=1, le=256,
        description="Partitions per band of the bands phase (memory per task ~16 bytes x documents / "
                    "band_buckets). Does not change the result.")

    @property
    def num_perm(self) -> int:
        return self.bands * self.rows


@register
class MinHashDedup(DedupStage):
    name = "minhash_dedup"
    Config = MinHashDedupConfig
    summary = "drop near-duplicate documents (MinHash LSH on word 5-grams, one kept per cluster)"
    reason = "near_duplicate"
    cluster_column = "dup_cluster"

    def phases(self) -> list[str]:
        return ["signatures", "bands", "clusters", "keepers", "apply"]

    def task_keys(self, phase: str) -> list[str]:
        if phase == "bands":
            return [f"b-{p:04d}" for p in range(self.config.bands * self.config.band_buckets)]
        if phase == "clusters":
            return ["all"]
        return self.shards()

    def run_phase_task(self, phase: str, key: str) -> int:
        return getattr(self, f"_{phase}")(key)

    def prepare(self) -> None:
        super().prepare()
        path = self.ctx.stage_dir / S_CURVE_FILE
        if not path.exists():  # printed once, when the stage starts (not on every resume)
            curve = s_curve(self.config.bands, self.config.rows)
            write_json(path, curve)
            print(f"{self.ctx.label}: {format_s_curve(curve)}", file=sys.stderr)

    def summary_extra(self) -> dict[str, Any]:
        return {"s_curve": s_curve(self.config.bands, self.config.rows)}

    def _hasher(self) -> MinHasher:
        c = self.config
        return cached(("minhash", c.num_perm, c.seed), lambda: MinHasher(c.num_perm, c.seed))

    # -- signatures ------------------------------------------------------------------------------
    def _signatures(self, key: str) -> int:
        c = self.config
        hasher = self._hasher()
        metas, bands, row = [], [], 0
        for table in iter_batches(self.input_path(key), c.batch_size):
            h, offsets = text_shingles(table.column("text"), c.ngram)
            sig = hasher.signatures((h >> np.uint64(32)).astype(np.uint32), offsets)
            n_shingles = np.diff(offsets)
            rows = np.arange(row, row + table.num_rows, dtype=np.uint32)
            metas.append(pa.table({
                "row": rows, "rank": policy.rank(table, c.keep), "id": policy.ids(table),
                "shingles": n_shingles.astype(np.uint32),
                "sig": pa.FixedSizeListArray.from_arrays(pa.array(sig.ravel()), c.num_perm),
            }))
            has = n_shingles > 0  # a document without shingles is never a candidate
            keys = band_keys(sig[has], c.bands, c.rows)  # (docs, bands)
            bucket = ((keys >> np.uint64(32)) * np.uint64(c.band_buckets)) >> np.uint64(32)
            part = np.arange(c.bands, dtype=np.uint64)[None, :] * np.uint64(c.band_buckets) + bucket
            bands.append(pa.table({
                "part": part.ravel().astype(np.uint16), "key": keys.ravel(),
                "row": np.repeat(rows[has], c.bands),
            }))
            row += table.num_rows
        out = self.work("signatures")
        if metas:
            write_table(out / f"{key}.arrow", pa.concat_tables(metas).combine_chunks())
            write_sorted(out / f"{key}.bands.arrow", pa.concat_tables(bands))
        else:
            write_table(out / f"{key}.arrow", _meta_schema(c.num_perm).empty_table())
            write_sorted(out / f"{key}.bands.arrow", pa.table({
                "part": pa.array([], pa.uint16()), "key": pa.array([], pa.uint64()),
                "row": pa.array([], pa.uint32())}))
        return row

    # -- bands -----------------------------------------------------------------------------------
    def _bands(self, key: str) -> int:
        p = int(key.split("-")[1])
        keys, nodes = [np.zeros(0, np.uint64)], [np.zeros(0, np.uint64)]
        for index, shard in enumerate(self.shards()):
            t = read_range(self.work("signatures") / f"{shard}.bands.arrow", p, p + 1)
            keys.append(t.column("key").to_numpy())
            nodes.append(node_of(index, t.column("row").to_numpy()))
        k, n = np.concatenate(keys), np.concatenate(nodes)
        order = np.lexsort((n, k))
        k, n = k[order], n[order]
        new = np.r_[True, k[1:] != k[:-1]] if len(k) else np.zeros(0, dtype=bool)
        start = np.maximum.accumulate(np.where(new, np.arange(len(k)), 0))
        write_table(self.work("bands") / f"{key}.arrow",
                    pa.table({"a": pa.array(n[start[~new]], pa.uint64()), "b": pa.array(n[~new], pa.uint64())}))
        return len(k)

    # -- clusters --------------------------------------------------------------------------------
    def _clusters(self, key: str) -> int:
        files = [self.work("bands") / f"{k}.arrow" for k in self.task_keys("bands")]
        nodes, pending, n_pending = np.zeros(0, np.uint64), [], 0
        for f in files:  # pass 1: the candidate documents, merged whenever the backlog outgrows them
            t = read_rows(f)
            pending += [t.column("a").to_numpy(), t.column("b").to_numpy()]
            n_pending += 2 * t.num_rows
            if n_pending > max(len(nodes), 1 << 20):
                nodes, pending, n_pending = _sorted_unique(np.concatenate([nodes, *pending])), [], 0
        nodes = _sorted_unique(np.concatenate([nodes, *pending]))
        uf = UnionFind(len(nodes))
        for f in files:  # pass 2: their components, one partition's edges at a time
            t = read_rows(f)
            uf.union(np.searchsorted(nodes, t.column("a").to_numpy()), np.searchsorted(nodes, t.column("b").to_numpy()))
        comp = uf.roots()
        ranks, ids = [np.zeros(0)], [pa.array([], pa.string())]
        shards = self.shards()
        doc_shard = shard_of(nodes)
        for index in np.unique(doc_shard).tolist():
            lo, hi = np.searchsorted(doc_shard, [index, index + 1])
            meta = read_rows(self.work("signatures") / f"{shards[index]}.arrow", ["rank", "id"])
            take = pa.array(row_of(nodes[lo:hi]))
            ranks.append(meta.column("rank").take(take).to_numpy())
            ids.append(meta.column("id").take(take).combine_chunks())
        write_table(self.work("clusters") / "assignments.arrow",
                    assign(nodes, comp, np.concatenate(ranks), pa.concat_arrays(ids)))
        return len(nodes)

    def assignment_files(self) -> list[Path]:
        return [self.work("clusters") / "assignments.arrow"]

    # -- keepers ---------------------------------------------------------------------------------
    def _keepers(self, key: str) -> int:
        a = self.load_assignments(key)
        kept = a.filter(a.column("keep"))
        rows = row_of(kept.column("node").to_numpy())
        meta = read_rows(self.work("signatures") / f"{key}.arrow", ["sig"])
        columns = {"node": kept.column("node"), "sig": meta.column("sig").take(pa.array(rows))}
        if self.config.jaccard_check is not None:
            columns["shingles"] = self._shingle_sets(key, rows)
        write_table(self.work("keepers") / f"{key}.arrow", pa.table(columns))
        return len(rows)

    def _shingle_sets(self, key: str, rows: np.ndarray) -> pa.LargeListArray:
        text = read_table(self.input_path(key), ["text"]).column("text").take(pa.array(rows))
        h, offsets = distinct_per_doc(*text_shingles(text, self.config.ngram))
        return pa.LargeListArray.from_arrays(pa.array(offsets), pa.array(h, pa.uint64()))

    # -- apply -----------------------------------------------------------------------------------
    def judge(self, key: str, members: pa.Table) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
        n = members.num_rows
        if n == 0:
            return np.zeros(0), np.zeros(0, dtype=bool), {}
        rows = row_of(members.column("node").to_numpy())
        sig_col = read_rows(self.work("signatures") / f"{key}.arrow", ["sig"]).column("sig")
        own = _sig_matrix(sig_col.take(pa.array(rows)), self.config.num_perm)
        keeper = members.column("keeper").to_numpy()
        keeper_sig = np.empty_like(own)
        keeper_sets: list[np.ndarray] = [np.zeros(0, np.uint64)] * n
        check = self.config.jaccard_check
        shards = self.shards()
        ks = shard_of(keeper)
        for index in np.unique(ks).tolist():
            which = np.flatnonzero(ks == index)
            k = read_range(self.work("keepers") / f"{shards[index]}.arrow", *shard_range(index))
            pos = np.searchsorted(k.column("node").to_numpy(), keeper[which])
            keeper_sig[which] = _sig_matrix(k.column("sig").take(pa.array(pos)), self.config.num_perm)
            if check is not None:
                sets = k.column("shingles").combine_chunks().take(pa.array(pos))
                values, offsets = sets.values.to_numpy(), sets.offsets.to_numpy()
                for j, i in enumerate(which.tolist()):
                    keeper_sets[i] = values[offsets[j]:offsets[j + 1]]
        if check is None:
            return estimated_jaccard(own, keeper_sig), np.ones(n, dtype=bool), {}
        own_sets = self._shingle_sets(key, rows)
        values, offsets = own_sets.values.to_numpy(), own_sets.offsets.to_numpy()
        exact = np.array([jaccard(values[offsets[i]:offsets[i + 1]], keeper_sets[i]) for i in range(n)])
        drop = exact >= check
        return exact, drop, {"kept_below_check": int((~drop).sum())}


def _sorted_unique(x: np.ndarray) -> np.ndarray:
    x = np.sort(x)
    return x[np.r_[True, x[1:] != x[:-1]]] if len(x) else x


def _sig_matrix(col: pa.ChunkedArray | pa.FixedSizeListArray, num_perm: int) -> np.ndarray:
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    return col.flatten().to_numpy().reshape(-1, num_perm)


def _meta_schema(num_perm: int) -> pa.Schema:
    return pa.schema([("row", pa.uint32()), ("rank", pa.float64()), ("id", pa.string()),
                      ("shingles", pa.uint32()), ("sig", pa.list_(pa.uint32(), num_perm))])
