import numpy as np
import pyarrow as pa

from curation.dedup.workfiles import node_of, read_range, row_of, shard_of, shard_range, write_sorted


def test_nodes_sort_in_corpus_order_and_round_trip():
    nodes = np.concatenate([node_of(3, np.array([7, 0])), node_of(0, np.array([2**32 - 1]))])
    assert shard_of(nodes).tolist() == [3, 3, 0] and row_of(nodes).tolist() == [7, 0, 2**32 - 1]
    assert np.argsort(nodes).tolist() == [2, 1, 0]
    lo, hi = shard_range(3)
    assert lo <= nodes[0] < hi and not lo <= nodes[2] < hi


def test_read_range_returns_the_sorted_slice(tmp_path):
    path = tmp_path / "f.arrow"
    write_sorted(path, pa.table({"part": pa.array([2, 0, 1, 1, 3], pa.uint16()),
                                 "key": pa.array([5, 6, 9, 8, 1], pa.uint64())}))
    t = read_range(path, 1, 2)
    assert t.column("key").to_pylist() == [8, 9]
    assert read_range(path, 4, 9).num_rows == 0


def test_read_range_on_full_width_keys(tmp_path):
    path = tmp_path / "f.arrow"
    big = [2**64 - 1, 2**63 + 5, 2**63 + 1]
    write_sorted(path, pa.table({"node": pa.array(big, pa.uint64())}))
    assert read_range(path, 2**63, 2**63 + 3).column("node").to_pylist() == [2**63 + 1]
