from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from curation.config import parse_pipeline
from curation.dedup.synthetic import make_corpus
from curation.errors import UserError
from curation.registry import get_stage_class
from curation.shards import list_shards, read_json, read_table
from curation.stage import Stage, StageContext
from curation.testing import make_stage, run_stage, write_shards


def _write_input(run_dir: Path, table: pa.Table, shards: int = 1) -> None:
    write_shards(run_dir / "01-input", table, shards)


def _run(run_dir: Path, workers: int = 1, **params) -> Stage:
    return run_stage(make_stage("exact_dedup", run_dir, run_dir / "01-input", "02-dedup", **params), workers)


def _outputs(run_dir: Path) -> tuple[pa.Table, pa.Table | None]:
    d = run_dir / "02-dedup"
    kept = pa.concat_tables([read_table(d / f"{k}.arrow") for k in list_shards(d)])
    rejected = [read_table(p) for p in sorted((d / "rejected").glob("part-*.arrow"))]
    return kept, pa.concat_tables(rejected) if rejected else None


def _docs() -> pa.Table:
    return pa.table({
        "id": ["d1", "d2", "d3", "d4", "d5", "d6", "d7"],
        "url": [f"https://x.example/{i}" for i in range(1, 8)],
        "text": ["Hello  World.\nSecond line", "hello world. second line", "HELLO WORLD. SECOND LINE  ",
                 "Hello World, second line", "", None, ""],
        "score": [5, 50, 7, 9, 1, 1, 1],
    })


def test_exact_duplicates_up_to_case_and_whitespace_are_always_removed(tmp_path):
    _write_input(tmp_path, _docs(), shards=3)  # the three copies sit in three shards
    _run(tmp_path)
    kept, rejected = _outputs(tmp_path)
    assert sorted(kept.column("id").to_pylist()) == ["d2", "d4", "d5", "d6", "d7"]  # d4 differs by a comma
    assert sorted(rejected.column("id").to_pylist()) == ["d1", "d3"]
    assert set(rejected.column("drop_reason").to_pylist()) == {"exact_duplicate"}
    assert rejected.column("drop_signal").to_pylist() == [1.0, 1.0]
    assert set(rejected.column("exact_cluster").to_pylist()) == {"d2"}  # highest karma kept
    clusters = dict(zip(kept.column("id").to_pylist(), kept.column("exact_cluster").to_pylist(), strict=True))
    assert clusters == {"d2": "d2", "d4": None, "d5": None, "d6": None, "d7": None}  # no text: never a duplicate


@pytest.mark.parametrize("keep,winner", [("longest", "d3"), ("first_id", "d1")])
def test_keep_policy_picks_the_survivor(tmp_path, keep, winner):
    _write_input(tmp_path, _docs())
    _run(tmp_path, keep=keep)
    kept, _ = _outputs(tmp_path)
    assert winner in kept.column("id").to_pylist()
    assert len({"d1", "d2", "d3"} & set(kept.column("id").to_pylist())) == 1


def test_every_planted_copy_is_found_and_nothing_else(tmp_path):
    c = make_corpus(500, copies=0.2, targets=(1.0, 0.95), seed=7)
    _write_input(tmp_path, c.table, shards=4)
    _run(tmp_path, partitions=3)
    _, rejected = _outputs(tmp_path)
    exact = c.pairs.filter(pc.equal(c.pairs.column("target"), 1.0))
    assert rejected.num_rows == exact.num_rows == 50
    stats = [read_json(p) for p in sorted((tmp_path / "02-dedup" / "stats").glob("*.json"))]
    assert sum(s["notes"]["cluster_sizes"].get("2", 0) for s in stats) == 50
    assert sum(s["in"]["records"] for s in stats) == 500


def test_same_bytes_for_any_worker_count_and_partitioning(tmp_path):
    c = make_corpus(200, copies=0.3, targets=(1.0,), seed=8)
    outputs = []
    for workers, partitions in ((1, 1), (2, 5)):
        run = tmp_path / f"w{workers}"
        _write_input(run, c.table, shards=3)
        _run(run, workers=workers, partitions=partitions)
        d = run / "02-dedup"
        outputs.append({str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*.arrow"))
                        if "_work" not in p.parts})
    assert outputs[0] == outputs[1] and len(outputs[0]) == 6


def test_empty_shards_give_empty_outputs_with_the_cluster_column(tmp_path):
    _write_input(tmp_path, _docs().slice(0, 0), shards=2)
    _run(tmp_path)
    kept, rejected = _outputs(tmp_path)
    assert kept.num_rows == 0 and "exact_cluster" in kept.column_names and rejected is None


def test_first_stage_is_refused(tmp_path):
    spec = parse_pipeline({"name": "t", "stages": [{"stage": "exact_dedup"}]}).stages[0]
    stage = get_stage_class("exact_dedup")(spec.config, StageContext(tmp_path, tmp_path / "01-x", None, "01-x"))
    with pytest.raises(UserError, match="needs an earlier stage"):
        stage.prepare()
