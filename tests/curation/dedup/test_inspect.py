from pathlib import Path

import pyarrow as pa
import pytest

from curation.dedup.inspect import format_clusters
from curation.errors import UserError
from curation.testing import make_stage, run_stage, write_shards

BASE = ("the lighthouse keeper wrote down every ship that passed the point in a small blue notebook "
        "and read the list aloud to the gulls each evening before he climbed the stairs to light the lamp")


def write_input(run_dir: Path, table: pa.Table, shards: int) -> None:
    write_shards(run_dir / "01-input", table, shards)


def dedup_run(stage_type: str, params: dict, run_dir: Path) -> None:
    """Every phase of the stage in this process, as the runner does with one worker."""
    run_stage(make_stage(stage_type, run_dir, run_dir / "01-input", "02-dedup", **params))


def _table() -> pa.Table:
    texts = [BASE, BASE + " again", BASE + " once again", "a different page entirely about baking bread",
             "bread baking is different", "a different page entirely about baking bread"]
    return pa.table({"id": [f"id{i}" for i in range(6)], "url": [f"https://x.example/{i}" for i in range(6)],
                     "text": texts, "score": [5, 90, 7, 1, 2, 3]})


def test_largest_cluster_first_with_kept_member_and_similarities(tmp_path):
    write_input(tmp_path, _table(), shards=2)
    dedup_run("minhash_dedup", {}, tmp_path)
    out = format_clusters(tmp_path / "02-dedup", n=5, width=30, columns=3)
    assert out.startswith("02-dedup: 2 clusters of 2+ documents")
    first, second = out.split("\ncluster ")[1:]
    assert first.startswith("id1: 3 documents, 1 kept, 2 dropped")
    header = first.splitlines()[1]
    assert header.startswith("KEPT") and header.count("dropped  similarity") == 2
    assert "id: id1" in first.splitlines()[2] and "https://x.example/0" in first
    assert second.startswith("id5: 2 documents")  # exact copies: the higher score is kept
    assert max(len(line) for line in out.splitlines()[2:]) <= 3 * 30 + 2 * 3


def test_n_limits_the_clusters_and_columns_wrap(tmp_path):
    write_input(tmp_path, _table(), shards=1)
    dedup_run("exact_dedup", {}, tmp_path)
    out = format_clusters(tmp_path / "02-dedup", n=1, width=20, columns=1)
    assert "1 cluster of" in out and out.count("\ncluster ") == 1
    assert "KEPT" in out and "│" not in out


def test_not_a_dedup_folder_is_a_user_error(tmp_path):
    write_input(tmp_path, _table(), shards=1)
    with pytest.raises(UserError, match="not a dedup stage folder"):
        format_clusters(tmp_path / "01-input")
    with pytest.raises(UserError, match="no shards"):
        format_clusters(tmp_path / "nothing")
