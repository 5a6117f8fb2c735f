import json
import math
import random
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from curation.classifier import train_classifier
from curation.config import parse_pipeline
from curation.errors import UserError
from curation.shards import read_json, read_table, write_table
from curation.stage import StageContext
from curation.stages.quality_model import (
    QualityModel,
    QualityModelConfig,
    pareto_keep,
    top_fraction_threshold,
)
from curation.testing import run_stage

PROSE = ["the", "committee", "studied", "river", "history", "of", "a", "village", "and", "published", "careful",
         "report", "on", "its", "library", "which", "scholars", "describe", "as", "remarkable", "museum"]
SPAM = ["click", "here", "buy", "now", "cheap", "login", "cart", "free", "shipping", "deal", "subscribe", "cookies"]


def sentence(rng: random.Random, good_share: float) -> str:
    return " ".join(rng.choice(PROSE if rng.random() < good_share else SPAM) for _ in range(20)) + "."


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> str:
    d = tmp_path_factory.mktemp("model")
    rng = random.Random(0)
    rows = [{"text": sentence(rng, 1.0 if i % 2 else 0.0), "label": "hq" if i % 2 else "lq"} for i in range(400)]
    (d / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    train_classifier(d / "q.bin", jsonl=[str(d / "train.jsonl")], dim=8, bucket=1000, epoch=10, min_count=1)
    return str(d / "q.bin")


def docs(n: int, seed: int) -> list[str]:
    """Documents whose share of prose words goes from 0 to 1, so their scores spread."""
    rng = random.Random(seed)
    return [sentence(rng, i / max(n - 1, 1)) for i in range(n)]


def write_input(tmp_path: Path, shards: list[list[str | None]]) -> None:
    start = 0
    for i, texts in enumerate(shards):
        ids = [f"doc{start + j}" for j in range(len(texts))]
        write_table(tmp_path / "in" / f"part-{i:05d}.arrow", pa.table({"id": ids, "text": pa.array(texts, pa.string())}))
        start += len(texts)


def run(tmp_path: Path, shards: list[list[str | None]], **cfg) -> tuple[pa.Table, pa.Table, QualityModel]:
    """Run every phase of the stage the way the runner does; returns all kept and all rejected records."""
    write_input(tmp_path, shards)
    stage = QualityModel(QualityModelConfig(**cfg), StageContext(tmp_path, tmp_path / "q", tmp_path / "in", "04-q"))
    run_stage(stage)
    keys = stage.task_keys(stage.phases()[-1])
    kept = pa.concat_tables([read_table(tmp_path / "q" / f"{k}.arrow") for k in keys])
    rejected = [tmp_path / "q" / "rejected" / f"{k}.arrow" for k in keys]
    rejected = [read_table(p) for p in rejected if p.exists()]
    return kept, pa.concat_tables(rejected) if rejected else None, stage


def test_min_score_keeps_prose_drops_boilerplate(tmp_path, model):
    kept, rejected, _ = run(tmp_path, [["The committee published a careful report on the village library.",
                                        "Click here buy now cheap login cart free shipping deal."]],
                            model=model, min_score=0.5)
    assert kept.column("id").to_pylist() == ["doc0"] and kept.column("quality_score")[0].as_py() > 0.5
    assert rejected.column("id").to_pylist() == ["doc1"]
    assert rejected.column("drop_reason").to_pylist() == ["low_quality"]
    assert kept.schema.field("quality_score").type == pa.float32() == rejected.schema.field("quality_score").type


def test_keep_top_fraction_keeps_exactly_that_many_over_all_shards(tmp_path, model):
    shards = [docs(30, 1), docs(25, 2), docs(45, 3)]
    kept, rejected, stage = run(tmp_path, shards, model=model, keep_top_fraction=0.3)
    assert stage.phases() == ["score", "threshold", "apply"]
    scores = np.concatenate([kept.column("quality_score").to_numpy(), rejected.column("quality_score").to_numpy()])
    assert kept.num_rows + rejected.num_rows == 100
    threshold = read_json(tmp_path / "q" / "_work" / "threshold" / "threshold.json")["threshold"]
    assert threshold == np.sort(scores)[-30]
    assert kept.num_rows == int((scores >= threshold).sum()) >= 30
    assert kept.column("quality_score").to_numpy().min() >= rejected.column("quality_score").to_numpy().max()


def test_top_fraction_threshold_is_exact_with_ties_and_chunks():
    rng = np.random.default_rng(0)
    scores = np.concatenate([rng.random(5000, dtype=np.float32), np.full(300, 0.5, np.float32), np.zeros(10, np.float32)])
    chunks = np.array_split(scores, 7)
    for fraction in (1e-4, 0.01, 0.3, 0.5, 0.9999, 1.0):
        k = math.ceil(fraction * len(scores))
        assert top_fraction_threshold(lambda c=chunks: iter(c), fraction) == np.sort(scores)[-k]
    assert top_fraction_threshold(lambda: iter([np.zeros(0, np.float32)]), 0.5) == float("inf")


def test_pareto_keep_is_seeded_by_document_id():
    ids = [f"d{i}" for i in range(4000)]
    low, high = np.full(4000, 0.1), np.full(4000, 0.95)
    a = pareto_keep(ids, low, 9.0, 0)
    assert (a == pareto_keep(ids, low, 9.0, 0)).all() and (a != pareto_keep(ids, low, 9.0, 1)).any()
    # P(Lomax(9) > x) = (1 + x) ** -9
    assert a.mean() == pytest.approx(1.9 ** -9, abs=0.01)
    assert pareto_keep(ids, high, 9.0, 0).mean() == pytest.approx(1.05 ** -9, abs=0.03)


def test_pareto_mode_in_the_stage(tmp_path, model):
    kept, rejected, _ = run(tmp_path, [docs(200, 4)], model=model, pareto_alpha=9.0)
    assert kept.num_rows and rejected.num_rows
    assert np.mean(kept.column("quality_score").to_numpy()) > np.mean(rejected.column("quality_score").to_numpy())


def test_no_mode_only_scores(tmp_path, model):
    kept, rejected, _ = run(tmp_path, [docs(10, 5)], model=model)
    assert kept.num_rows == 10 and rejected is None


def test_bad_input_is_counted_not_fatal(tmp_path, model):
    texts = ["", None, "!!! ??? ###", "这是一个中文句子。" * 100, "مرحبا بالعالم", "word " * 400_000]
    kept, rejected, _ = run(tmp_path, [texts], model=model, min_score=0.0)
    assert kept.num_rows == len(texts) and rejected is None
    assert kept.column("quality_score").to_pylist()[:2] == [0.0, 0.0]
    stats = read_json(tmp_path / "q" / "stats" / "part-00000.json")
    assert stats["notes"]["quality_no_words"] == 2


def test_one_mode_at_a_time():
    with pytest.raises(UserError, match=r"stages\[0\]: set one of min_score, keep_top_fraction, pareto_alpha"):
        parse_pipeline({"name": "x", "stages": [{"stage": "quality_model", "model": "m.bin", "min_score": 0.5,
                                                 "keep_top_fraction": 0.2}]})
