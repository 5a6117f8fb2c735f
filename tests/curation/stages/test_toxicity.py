import json

import pyarrow as pa
import pytest

from curation.classifier import train_classifier
from curation.errors import UserError
from curation.shards import read_json, read_table, write_table
from curation.stage import StageContext
from curation.stages.toxicity import Toxicity, ToxicityConfig
from curation.toxicity.windows import split_windows

CLEAN = ("The committee approved the budget for the new library on Tuesday, and construction is expected "
         "to begin in the spring after the council reviews the final plans.")
TOXIC = "You are a worthless piece of shit and everyone hates you. Go fuck yourself, you stupid moron."
ARTICLE = "\n\n".join(f"Paragraph {i}. {CLEAN} The river walk will open in stage {i} of the project." for i in range(40))


def run(tmp_path, texts, **cfg):
    """Run the stage on one shard; returns kept rows, rejected rows and the shard's stats."""
    write_table(tmp_path / "in" / "part-00000.arrow",
                pa.table({"id": [str(i) for i in range(len(texts))], "text": pa.array(texts, pa.string())}))
    stage = Toxicity(ToxicityConfig(**cfg), StageContext(tmp_path, tmp_path / "tox", tmp_path / "in", "02-toxicity"))
    stage.prepare()
    stage.run_task("main", "part-00000")
    rejected = tmp_path / "tox" / "rejected" / "part-00000.arrow"
    return (read_table(tmp_path / "tox" / "part-00000.arrow").to_pylist(),
            read_table(rejected).to_pylist() if rejected.exists() else [],
            read_json(tmp_path / "tox" / "stats" / "part-00000.json"))


def test_clear_toxic_dropped_clean_kept_both_scored(tmp_path):
    kept, rejected, stats = run(tmp_path, [CLEAN, TOXIC])
    assert [r["id"] for r in kept] == ["0"] and kept[0]["toxicity"] < 0.2
    assert [r["id"] for r in rejected] == ["1"]
    assert rejected[0]["drop_reason"] == "toxic" and rejected[0]["toxicity"] > 0.95
    assert rejected[0]["drop_signal"] == rejected[0]["toxicity"]
    assert stats["drops"]["toxic"]["records"] == 1


def test_a_rant_inside_a_long_article_is_found(tmp_path):
    paragraphs = ARTICLE.split("\n\n")
    with_rant = "\n\n".join(paragraphs[:20] + [TOXIC] + paragraphs[20:])
    kept, rejected, _ = run(tmp_path, [ARTICLE, with_rant])
    assert [r["id"] for r in kept] == ["0"] and kept[0]["toxicity"] < 0.5
    assert [r["id"] for r in rejected] == ["1"]


def test_no_threshold_scores_without_dropping(tmp_path):
    kept, rejected, _ = run(tmp_path, [CLEAN, TOXIC], max_toxicity=None)
    assert len(kept) == 2 and not rejected and kept[1]["toxicity"] > 0.95


def test_bad_input_is_counted_not_fatal(tmp_path):
    texts = ["", None, "!!! ??? ... ###", "这是一个关于图书馆预算的中文句子。" * 200, "مرحبا بالعالم، هذه جملة عربية.",
             "word " * 300_000]  # the last is a 1.5 MB single line
    kept, rejected, stats = run(tmp_path, texts, max_chars=100_000)
    assert len(kept) == len(texts) and not rejected
    assert all(0.0 <= r["toxicity"] <= 1.0 for r in kept)
    assert kept[0]["toxicity"] == 0.0 and kept[1]["toxicity"] == 0.0
    assert stats["notes"]["toxicity_no_text"] == 2 and stats["notes"]["toxicity_truncated"] == 1
    assert stats["in"]["records"] == stats["out"]["records"] == len(texts)


def test_windows_join_short_lines_and_cut_long_ones():
    assert split_windows("a b\nc d\n\ne f", 5) == ["a b c d", "e f"]
    assert split_windows("a b c d e f g", 3) == ["a b c", "d e f", "g"]
    assert split_windows("x y\n" + "a b c d e f g", 3) == ["x y", "a b c", "d e f", "g"]
    assert split_windows(" \n\t\n", 3) == []


def test_fasttext_plugin_model_and_label(tmp_path):
    rows = [{"text": f"{CLEAN} Item {i}.", "label": "clean"} for i in range(60)]
    rows += [{"text": f"{TOXIC} Number {i}!", "label": "toxic"} for i in range(60)]
    data = tmp_path / "tox.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    model = tmp_path / "tox.bin"
    train_classifier(model, jsonl=[str(data)], dim=8, bucket=1000, epoch=20, min_count=1, valid_fraction=0.0)
    kept, rejected, _ = run(tmp_path, [CLEAN, TOXIC], model=str(model), label="__label__toxic")
    assert [r["id"] for r in kept] == ["0"] and [r["id"] for r in rejected] == ["1"]
    with pytest.raises(UserError, match=r"label: model .* has no label 'insult'"):
        run(tmp_path / "b", [CLEAN], model=str(model), label="insult")


def test_missing_model_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match=r"02-toxicity.model: no such file"):
        run(tmp_path, [CLEAN], model=str(tmp_path / "missing.bin"))


def test_missing_text_column_is_a_user_error(tmp_path):
    write_table(tmp_path / "in" / "part-00000.arrow", pa.table({"id": ["1"], "html": ["<p>x</p>"]}))
    stage = Toxicity(ToxicityConfig(), StageContext(tmp_path, tmp_path / "tox", tmp_path / "in", "02-toxicity"))
    with pytest.raises(UserError, match="no `text` column"):
        stage.run_task("main", "part-00000")
