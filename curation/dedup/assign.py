"""From clusters to per-document decisions: one kept member per cluster, chosen by the keep policy.

The result (``assignments``) has one row per member of a cluster of two or more, sorted by node:
``node``, ``cluster`` (the kept member's ``id``, or ``part-index:row`` when it has none), ``keep``,
``size`` (members in the cluster) and ``keeper`` (the kept member's node).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curation.dedup.workfiles import row_of, shard_of

ASSIGNMENT_SCHEMA = pa.schema([
    ("node", pa.uint64()), ("cluster", pa.string()), ("keep", pa.bool_()), ("size", pa.uint32()),
    ("keeper", pa.uint64()),
])


def assign(nodes: np.ndarray, comp: np.ndarray, rank: np.ndarray, ids: pa.Array) -> pa.Table:
    """``comp[i]`` names node *i*'s cluster; each cluster keeps its lowest (rank, id, node)."""
    if len(nodes) == 0:
        return ASSIGNMENT_SCHEMA.empty_table()
    t = pa.table({"comp": comp, "rank": rank, "id": ids, "node": pa.array(nodes, pa.uint64())})
    t = t.sort_by([("comp", "ascending"), ("rank", "ascending"), ("id", "ascending"), ("node", "ascending")])
    comp_sorted = t.column("comp").to_numpy()
    first = np.r_[True, comp_sorted[1:] != comp_sorted[:-1]]
    starts = np.flatnonzero(first)
    sizes = np.diff(np.r_[starts, len(comp_sorted)])
    group = np.cumsum(first) - 1
    keeper_pos = starts[group]
    node_sorted = t.column("node").to_numpy()
    keeper = node_sorted[keeper_pos]
    cluster = t.column("id").combine_chunks().take(pa.array(keeper_pos))
    if pc.any(pc.equal(cluster, "")).as_py():
        located = pa.array([f"{s}:{r}" for s, r in zip(shard_of(keeper).tolist(), row_of(keeper).tolist(),
                                                          strict=True)], pa.string())
        cluster = pc.if_else(pc.equal(cluster, ""), located, cluster)
    out = pa.table({
        "node": pa.array(node_sorted, pa.uint64()),
        "cluster": cluster,
        "keep": pa.array(first),
        "size": pa.array(sizes[group].astype(np.uint32)),
        "keeper": pa.array(keeper, pa.uint64()),
    }, schema=ASSIGNMENT_SCHEMA)
    return out.sort_by([("node", "ascending")])


def size_histogram(assignments: pa.Table) -> dict[str, int]:
    """Clusters per size, counted at their kept member: {"2": 10, "3": 4}."""
    kept = assignments.filter(assignments.column("keep"))
    if kept.num_rows == 0:
        return {}
    values, counts = np.unique(kept.column("size").to_numpy(), return_counts=True)
    return {str(int(v)): int(c) for v, c in zip(values, counts, strict=True)}
