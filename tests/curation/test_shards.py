import os
from pathlib import Path

import datasets
import pyarrow as pa
import pytest

from curation.errors import ShardError
from curation.shards import ShardWriter, atomic_path, iter_batches, read_table, remove_tmp_files, write_table


def test_crash_inside_atomic_write_leaves_no_visible_file(tmp_path: Path):
    target = tmp_path / "part-00000.arrow"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"half a shard")
        raise RuntimeError("killed between write and rename")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_crash_between_write_and_rename_leaves_only_a_tmp_file(tmp_path: Path, monkeypatch):
    target = tmp_path / "part-00000.arrow"

    def no_rename(src, dst):
        raise OSError("power cut")

    monkeypatch.setattr(os, "replace", no_rename)
    w = ShardWriter(target)
    w.write(pa.table({"a": [1, 2]}))
    with pytest.raises(OSError):
        w.commit()
    assert not target.exists()
    monkeypatch.undo()
    assert remove_tmp_files(tmp_path) == 0  # the failed commit cleaned its own temp file


def test_leftover_tmp_files_are_removed(tmp_path: Path):
    (tmp_path / "stats").mkdir()
    (tmp_path / "stats" / ".tmp-part-00000.json.abcd").write_text("{")
    assert remove_tmp_files(tmp_path) == 1


def test_kept_and_rejected_shards_open_with_datasets(tmp_path: Path):
    write_table(tmp_path / "part-00000.arrow", pa.table({"id": ["a"], "text": ["hello world"]}))
    write_table(tmp_path / "rejected" / "part-00000.arrow",
                pa.table({"id": ["b"], "text": ["x"], "drop_reason": ["too_short"], "drop_signal": [1.0]}))
    kept = datasets.Dataset.from_file(str(tmp_path / "part-00000.arrow"))
    rejected = datasets.Dataset.from_file(str(tmp_path / "rejected" / "part-00000.arrow"))
    assert kept[0] == {"id": "a", "text": "hello world"}
    assert rejected[0]["drop_reason"] == "too_short"


def test_empty_shard_keeps_its_schema(tmp_path: Path):
    schema = pa.schema([("text", pa.string())])
    w = ShardWriter(tmp_path / "e.arrow")
    w.commit(schema)
    t = read_table(tmp_path / "e.arrow")
    assert t.num_rows == 0 and t.schema == schema


def test_batches_are_cut_by_size_regardless_of_file_batches(tmp_path: Path):
    w = ShardWriter(tmp_path / "s.arrow")
    for start in (0, 3, 10):
        w.write(pa.table({"a": list(range(start, start + (3 if start < 10 else 5)))}))
    w.commit()
    sizes = [t.num_rows for t in iter_batches(tmp_path / "s.arrow", 4)]
    assert sizes == [4, 4, 3]


def test_unreadable_shard_names_the_file(tmp_path: Path):
    bad = tmp_path / "part-00000.arrow"
    bad.write_bytes(b"not arrow at all")
    with pytest.raises(ShardError, match="part-00000.arrow: unreadable shard"):
        read_table(bad)


def test_truncated_shard_names_the_file_when_iterated(tmp_path: Path):
    path = tmp_path / "part-00000.arrow"
    w = ShardWriter(path)
    for i in range(4):
        w.write(pa.table({"text": [f"row {i} " * 2000] * 10}))
    w.commit()
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ShardError, match="part-00000.arrow: unreadable shard"):
        list(iter_batches(path, 5))
    with pytest.raises(ShardError, match="part-00000.arrow: unreadable shard"):
        read_table(path)
