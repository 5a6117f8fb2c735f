import json
import shutil

import numpy as np
import pytest

from trainer.data import Manifest, PackedSplit, RowBatch, global_batch_rows
from trainer.errors import ConfigError


def test_reads_rows_and_manifest(packed):
    m = Manifest.load(packed)
    split = PackedSplit(m, "train")
    assert len(split) == m.splits["train"]["rows"] > 100
    batch = split.rows(np.array([0, 5, len(split) - 1]))  # first, middle and last shard
    assert batch.input_ids.shape == (3, m.seq_len)
    assert batch.input_ids.max() < m.vocab_size
    assert (batch.n_tokens == m.seq_len).all()  # concat rows are full


def test_segment_ids_follow_doc_starts():
    rows = RowBatch(np.zeros((2, 8), dtype=np.int64), [np.array([3, 6]), np.array([0])], np.array([8, 5]),
                    np.array([0, 1]))
    # Tokens before the first start form their own segment; padding is -1.
    assert rows.segment_ids().tolist() == [[0, 0, 0, 1, 1, 1, 2, 2], [1, 1, 1, 1, 1, -1, -1, -1]]


def test_row_order_is_a_function_of_seed_and_step():
    a = global_batch_rows(100, seed=1, step=7, global_batch=8)
    assert np.array_equal(a, global_batch_rows(100, seed=1, step=7, global_batch=8))
    assert not np.array_equal(a, global_batch_rows(100, seed=2, step=7, global_batch=8))
    # One epoch of steps visits every row once; the next epoch is a different permutation.
    epoch = np.concatenate([global_batch_rows(100, 1, s, 10) for s in range(10)])
    assert sorted(epoch) == list(range(100))
    assert not np.array_equal(epoch, np.concatenate([global_batch_rows(100, 1, s, 10) for s in range(10, 20)]))


def _copy(packed, tmp_path):
    shutil.copytree(packed.parent, tmp_path / "run")
    return tmp_path / "run" / "packed"


def test_missing_manifest_names_the_file(tmp_path):
    with pytest.raises(ConfigError, match="manifest.json not found.*packed/ folder"):
        Manifest.load(tmp_path)


def test_object_storage_data_asks_for_a_local_copy():
    with pytest.raises(ConfigError, match=r"--data s3://b/run/packed: .*copy the packed/ folder first"):
        Manifest.load("s3://b/run/packed")


def test_tokenizer_hash_mismatch(packed, tmp_path):
    p = _copy(packed, tmp_path)
    with open(p.parent / "tokenizer" / "tokenizer.json", "a") as f:
        f.write(" ")
    with pytest.raises(ConfigError, match="tokenizer.sha256 does not match"):
        Manifest.load(p)


def test_missing_shard_and_field(packed, tmp_path):
    p = _copy(packed, tmp_path)
    (p / "train" / "part-00001.arrow").unlink()
    with pytest.raises(ConfigError, match=r"splits.train.shards lists train/part-00001.arrow"):
        Manifest.load(p)
    raw = json.loads((p / "manifest.json").read_text())
    del raw["seq_len"]
    (p / "manifest.json").write_text(json.dumps(raw))
    with pytest.raises(ConfigError, match="missing field.*seq_len"):
        Manifest.load(p)
