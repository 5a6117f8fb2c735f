import json
import random
from pathlib import Path

import pyarrow as pa
import pytest

from curation.classifier import FastTextScorer, preprocess, train_classifier, valid_text
from curation.errors import UserError
from curation.shards import write_table

PROSE = ["the", "committee", "studied", "river", "history", "of", "a", "village", "and", "published", "careful",
         "report", "on", "its", "library", "which", "scholars", "describe", "as", "remarkable", "museum"]
SPAM = ["click", "here", "buy", "now", "cheap", "login", "cart", "free", "shipping", "deal", "subscribe", "cookies",
        "menu", "home", "sale", "offer", "win", "prize"]


def labelled(n: int, seed: int = 0) -> list[dict]:
    """A tiny, separable labelled set: prose-like sentences against shop boilerplate."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        words, label = (PROSE, "hq") if i % 2 == 0 else (SPAM, "lq")
        text = " ".join(rng.choice(words) for _ in range(rng.randint(8, 30)))
        rows.append({"text": text.capitalize() + ".", "label": label})
    return rows


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def small(**kw):
    return {"dim": 8, "bucket": 1000, "epoch": 10, "min_count": 1, **kw}


def test_preprocess_lowercases_splits_punctuation_and_folds_lines():
    out = preprocess(["Hello,\nWorld!\u00a0It's\u2028fine\t__label__x", None, "   "])
    assert out == ["hello , world ! it ' s fine _ _ label _ _ x", "", ""]
    assert preprocess(["abcdef"], max_chars=3) == ["abc"]


def test_valid_text_repairs_invalid_utf8():
    broken = pa.array([b"ok", b"\xed\xa0\x80surrogate", None], pa.binary()).cast(pa.string(), safe=False)
    fixed, repaired = valid_text(broken)
    assert repaired == 1
    assert fixed.to_pylist()[0] == "ok" and fixed.to_pylist()[1].endswith("surrogate") and fixed[2].as_py() is None


def test_train_from_labelled_jsonl_reports_held_out_precision_recall(tmp_path):
    data = write_jsonl(tmp_path / "train.jsonl", labelled(400))
    report = train_classifier(tmp_path / "m.bin", jsonl=[str(data)], **small())
    assert set(report.labels) == {"hq", "lq"}
    assert sum(n["valid"] for n in report.labels.values()) == pytest.approx(40, abs=20)
    assert report.metrics["hq"]["precision"] >= 0.95 and report.metrics["lq"]["recall"] >= 0.95
    assert "precision" in report.format() and "held-out accuracy" in report.format()
    card = json.loads((tmp_path / "m.bin.json").read_text())
    assert card["labels"] == report.labels and card["preprocessing"]
    scorer = FastTextScorer(str(tmp_path / "m.bin"), "hq", "test")
    good, bad, empty = scorer.score(preprocess(["The committee published a careful report on its library.",
                                                "Click here buy now free shipping deal", ""]))
    assert good > 0.8 > 0.2 > bad and empty == 0.0


def test_training_is_deterministic(tmp_path):
    data = write_jsonl(tmp_path / "train.jsonl", labelled(200))
    train_classifier(tmp_path / "a.bin", jsonl=[str(data)], **small())
    train_classifier(tmp_path / "b.bin", jsonl=[str(data)], **small())
    assert (tmp_path / "a.bin").read_bytes() == (tmp_path / "b.bin").read_bytes()


def test_gpt3_style_positive_against_negative_shards(tmp_path):
    rows = labelled(300, seed=1)
    for label, folder in (("hq", "ref"), ("lq", "crawl")):
        texts = [r["text"] for r in rows if r["label"] == label]
        write_table(tmp_path / folder / "part-00000.arrow", pa.table({"id": [str(i) for i in range(len(texts))],
                                                                       "text": texts}))
    report = train_classifier(tmp_path / "q.bin", positive=[str(tmp_path / "ref")],
                              negative=[str(tmp_path / "crawl" / "*.arrow")], max_per_class=100, **small())
    assert {k: v["train"] + v["valid"] for k, v in report.labels.items()} == {"hq": 100, "lq": 100}
    assert report.accuracy >= 0.95


def test_malformed_and_empty_lines_are_counted_not_fatal(tmp_path):
    data = tmp_path / "d.jsonl"
    rows = labelled(100)
    data.write_text("".join(json.dumps(r) + "\n" for r in rows) + "not json\n" + json.dumps({"text": "x"}) + "\n"
                    + json.dumps({"text": "  \n ", "label": "hq"}) + "\n", encoding="utf-8")
    report = train_classifier(tmp_path / "m.bin", jsonl=[str(data)], **small())
    assert report.skipped == {"malformed_lines": 2, "empty_text": 1}


@pytest.mark.parametrize(("kwargs", "message"), [
    ({}, "give either --jsonl"),
    ({"jsonl": ["a.jsonl"], "positive": ["x"]}, "give either --jsonl"),
    ({"positive": ["x"]}, "needs both --positive and --negative"),
    ({"jsonl": ["missing.jsonl"]}, "missing.jsonl: no such file"),
    ({"positive": ["nowhere/"], "negative": ["nowhere/"]}, "no Arrow shard found"),
])
def test_user_errors_name_the_flag(tmp_path, monkeypatch, kwargs, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError, match=message):
        train_classifier(tmp_path / "m.bin", **kwargs)


def test_one_label_is_refused(tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", [r for r in labelled(50) if r["label"] == "hq"])
    with pytest.raises(UserError, match="at least two labels"):
        train_classifier(tmp_path / "m.bin", jsonl=[str(data)], **small())


def test_scorer_names_the_labels_a_model_has(tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", labelled(60))
    train_classifier(tmp_path / "m.bin", jsonl=[str(data)], **small())
    with pytest.raises(UserError, match=r"q\.label: model .* has no label 'toxic'; its labels: (hq, lq|lq, hq)"):
        FastTextScorer(str(tmp_path / "m.bin"), "toxic", "q")
    with pytest.raises(UserError, match="q.model: no such file"):
        FastTextScorer(str(tmp_path / "nope.bin"), "hq", "q")
