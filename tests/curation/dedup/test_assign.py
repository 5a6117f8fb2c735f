import numpy as np
import pyarrow as pa

from curation.dedup.assign import assign, size_histogram
from curation.dedup.workfiles import node_of


def test_each_cluster_keeps_its_lowest_rank_then_id_then_position():
    nodes = np.concatenate([node_of(0, np.array([0, 1, 2])), node_of(1, np.array([0, 5]))])
    comp = np.array([7, 7, 7, 3, 3])
    rank = np.array([2.0, 1.0, 1.0, np.inf, np.inf])
    ids = pa.array(["c", "b", "a", "", ""])
    out = assign(nodes, comp, rank, ids).to_pylist()
    assert [r["keep"] for r in out] == [False, False, True, True, False]
    assert [r["cluster"] for r in out] == ["a", "a", "a", "1:0", "1:0"]  # no id: shard:row of the kept one
    assert [r["size"] for r in out] == [3, 3, 3, 2, 2]
    assert all(r["keeper"] == int(nodes[2]) for r in out[:3])
    assert size_histogram(assign(nodes, comp, rank, ids)) == {"2": 1, "3": 1}


def test_no_members_gives_an_empty_table():
    out = assign(np.zeros(0, np.uint64), np.zeros(0), np.zeros(0), pa.array([], pa.string()))
    assert out.num_rows == 0 and size_histogram(out) == {}
