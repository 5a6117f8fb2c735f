import json
import random
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from curation.classifier import train_classifier
from curation.config import parse_pipeline
from curation.errors import UserError
from curation.registry import register
from curation.report import build_report
from curation.runner import Runner, RunOptions
from curation.shards import iter_batches, write_table
from curation.stage import Outcome, SourceStage
from curation.whatif import format_what_if, parse_expr, what_if

CLEAN = "The committee approved the budget for the new library, and the work begins in spring."
MILD = "Damn, that was a great game last night and the crowd loved it."
TOXIC = "You are a worthless piece of shit. Go fuck yourself, you stupid moron."


@register
class _Docs(SourceStage):
    """Documents from Arrow files, so a test pipeline starts from exactly the texts it needs."""

    name = "test_whatif_docs"

    def read(self, path: str) -> Iterator[Outcome]:
        for table in iter_batches(path, 1000):
            yield Outcome(table)


def corpus(tmp_path: Path) -> str:
    rng = random.Random(0)
    for shard in range(2):
        texts = [rng.choice([CLEAN, CLEAN, MILD, TOXIC]) + f" Item {shard}-{i}." * rng.randint(1, 4)
                 for i in range(40)]
        write_table(tmp_path / "docs" / f"d{shard}.arrow",
                    pa.table({"id": [f"{shard}-{i}" for i in range(40)], "text": texts}))
    return str(tmp_path / "docs" / "*.arrow")


def run(tmp_path: Path, name: str, inputs: str, *filters: dict) -> Path:
    cfg = parse_pipeline({"name": name, "stages": [{"stage": "test_whatif_docs", "inputs": [inputs]}, *filters]})
    Runner(cfg, tmp_path / name).run(RunOptions(workers=1, progress=False))
    return tmp_path / name


def kept(run_dir: Path, index: int) -> dict:
    stage = build_report(run_dir)["stages"][index]
    return {"records": stage["out"]["records"], "words": stage["out"]["words"]}


def test_what_if_equals_a_real_rerun_for_a_threshold(tmp_path):
    inputs = corpus(tmp_path)
    first = run(tmp_path, "a", inputs, {"stage": "toxicity", "name": "tox", "max_toxicity": 0.99})
    result = what_if(first, "tox.max_toxicity=0.4")
    second = run(tmp_path, "b", inputs, {"stage": "toxicity", "name": "tox", "max_toxicity": 0.4})
    assert {k: result["kept_after"][k] for k in ("records", "words")} == kept(second, 1)
    assert {k: result["kept_before"][k] for k in ("records", "words")} == kept(first, 1)
    assert result["kept_after"]["records"] < result["kept_before"]["records"]
    assert result["input"]["records"] == 80 and result["inconsistent"] == 0
    assert result["settings"] == {"max_toxicity": {"run": 0.99, "what_if": 0.4}}
    text = format_what_if(result)
    assert "what if 02-tox (toxicity) had max_toxicity: 0.99 -> 0.4" in text and "dropped as toxic" in text
    off = what_if(first, "02-tox.max_toxicity=null")
    assert off["kept_after"]["records"] == 80 and off["drops_after"] == {}


def test_what_if_equals_a_real_rerun_for_a_top_fraction(tmp_path):
    rng = random.Random(0)
    rows = [{"text": CLEAN + " " + " ".join(rng.choice(CLEAN.split()) for _ in range(8)), "label": "hq"}
            for _ in range(100)]
    rows += [{"text": TOXIC + " " + " ".join(rng.choice(TOXIC.split()) for _ in range(8)), "label": "lq"}
             for _ in range(100)]
    (tmp_path / "t.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    model = str(tmp_path / "q.bin")
    train_classifier(model, jsonl=[str(tmp_path / "t.jsonl")], dim=8, bucket=1000, min_count=1, epoch=5)
    inputs = corpus(tmp_path)
    first = run(tmp_path, "a", inputs, {"stage": "quality_model", "name": "q", "model": model, "min_score": 0.5})
    result = what_if(first, "q.min_score=null; q.keep_top_fraction=0.25")
    second = run(tmp_path, "b", inputs, {"stage": "quality_model", "name": "q", "model": model,
                                         "keep_top_fraction": 0.25})
    assert {k: result["kept_after"][k] for k in ("records", "words")} == kept(second, 1)
    assert result["kept_after"]["records"] >= 20


def test_drops_outside_the_settings_stay_dropped(tmp_path):
    run_dir = run(tmp_path, "a", corpus(tmp_path), {"stage": "toxicity", "name": "tox", "max_toxicity": 0.4})
    shard = run_dir / "02-tox" / "rejected" / "part-00000.arrow"
    table = next(iter_batches(shard, 1000))
    # as if a cause other than the threshold had dropped a clean record
    reasons = pa.array(["robots"] + table.column("drop_reason").to_pylist()[1:])
    toxicity = pa.array([0.0] + table.column("toxicity").to_pylist()[1:])
    table = table.set_column(table.column_names.index("drop_reason"), "drop_reason", reasons)
    write_table(shard, table.set_column(table.column_names.index("toxicity"), "toxicity", toxicity))
    result = what_if(run_dir, "tox.max_toxicity=null")
    assert result["unaffected_drops"] == 1 and result["drops_after"]["robots"]["records"] == 1
    assert result["kept_after"]["records"] == 79


@pytest.fixture(scope="module")
def toxicity_run(tmp_path_factory) -> Path:
    tmp_path = tmp_path_factory.mktemp("whatif")
    return run(tmp_path, "a", corpus(tmp_path), {"stage": "toxicity", "name": "tox"})


@pytest.mark.parametrize(("expr", "message"), [
    ("tox.max_toxicity", "expected STAGE.SETTING=VALUE"),
    ("max_toxicity=0.3", "expected STAGE.SETTING=VALUE"),
    ("nope.max_toxicity=0.3", "no such stage in pipeline 'a'; stages: test_whatif_docs, tox"),
    ("test_whatif_docs.inputs=[]", "is not a filter; filters in this run: tox"),
    ("tox.max_toxic=0.3", "toxicity has no such setting; settings: batch_size, label, max_chars"),
    ("tox.window_words=10", "changes the toxicity signals themselves"),
    ("tox.max_toxicity=2", "tox.max_toxicity: must be <= 1"),
    ("tox.max_toxicity=0.3; other.x=1", "one stage at a time"),
])
def test_user_errors(toxicity_run, expr, message):
    with pytest.raises(UserError, match=message.replace("[", r"\[").replace("(", r"\(")):
        what_if(toxicity_run, expr)


def test_not_a_run_directory(tmp_path):
    with pytest.raises(UserError, match="no config.yaml"):
        what_if(tmp_path, "tox.max_toxicity=0.5")


def test_values_are_yaml():
    assert parse_expr("q.keep_top_fraction=0.3;q.min_score=null") == ("q", {"keep_top_fraction": 0.3,
                                                                           "min_score": None})
    assert parse_expr("01-a.b.c=[1, 2]") == ("01-a.b", {"c": [1, 2]})
