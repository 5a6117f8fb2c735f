import numpy as np
import pyarrow as pa

from curation.shards import open_shard
from curation.tokens.packing import ConcatPacker
from curation.tokens.shuffle import RowShuffler


def _rows(n_docs: int) -> list[pa.RecordBatch]:
    packer = ConcatPacker(8, 0, 1, "uint16")
    ids = pa.array([f"d{i}" for i in range(n_docs)])
    out = packer.add(ids, pa.array([[2 + i % 50] * 7 for i in range(n_docs)], pa.list_(pa.uint16())))
    return out + packer.finish()


def _shuffle(tmp, name: str, seed: int, n_buckets: int) -> tuple[list[str], pa.Table]:
    sh = RowShuffler(tmp / name / "work", tmp / name / "out", "train", 0, n_buckets, seed, 8, "uint16")
    for batch in _rows(1000):
        for start in range(0, batch.num_rows, 37):
            sh.add(batch.slice(start, 37))
    result = sh.finish()
    tables = [open_shard(tmp / name / "out" / s).read_all() for s in result.shards]
    return result.shards, pa.concat_tables(tables)


def test_rows_are_permuted_not_lost_and_split_into_shards(tmp_path):
    shards, table = _shuffle(tmp_path, "a", seed=0, n_buckets=4)
    assert shards == [f"train/part-{i:05d}.arrow" for i in range(4)]
    row_id = table.column("row_id").to_numpy()
    assert sorted(row_id) == list(range(1000))  # 1000 docs of 7 tokens + eos = 1000 rows of 8
    assert (np.diff(row_id) < 0).sum() > 300  # shuffled, not sorted
    first = table.slice(0, 1).to_pylist()[0]
    assert first["input_ids"] == [2 + first["row_id"] % 50] * 7 + [0]  # rows travel whole
    assert not (tmp_path / "a" / "work" / "train").exists()  # buckets removed


def test_same_seed_same_order_other_seed_other_order(tmp_path):
    _, a = _shuffle(tmp_path, "a", seed=0, n_buckets=3)
    _, b = _shuffle(tmp_path, "b", seed=0, n_buckets=3)
    _, c = _shuffle(tmp_path, "c", seed=1, n_buckets=3)
    assert a.equals(b)
    assert not a.column("row_id").equals(c.column("row_id"))
