import os
from pathlib import Path

import pyarrow as pa
import pytest

from curation.config import parse_pipeline
from curation.errors import UserError
from curation.shards import read_json, write_table
from curation.stage import Stage
from curation.testing import make_stage, run_stage
from curation.tokens.split import is_validation, split_hashes

WORDS = ["garden", "river", "morning", "window", "kettle", "bicycle", "mountain", "letter", "candle", "harbor", "village", "orchard"]


def _docs(n: int, offset: int = 0) -> pa.Table:
    texts = [" ".join(WORDS[(i * 5 + k * k) % len(WORDS)] for k in range(30 + i % 40)) + f" number {i}."
             for i in range(offset, offset + n)]
    return pa.table({"id": [f"doc{i}" for i in range(offset, offset + n)], "text": texts, "score": [1] * n})


def _input(run: Path, *tables: pa.Table) -> Path:
    for i, t in enumerate(tables):
        write_table(run / "01-input" / f"part-{i:05d}.arrow", t)
    return run / "01-input"


def drive(run: Path, stage_type: str, params: dict, label: str = "02-tokenizer", prev: str = "01-input") -> Stage:
    """Every phase of one stage, in order, as the runner drives it (fingerprint included)."""
    return run_stage(make_stage(stage_type, run, run / prev, label, **params))


SMALL = {"vocab_size": 400, "sentinels": 3, "validation_fraction": 0.1}


def test_trains_writes_the_tokenizer_folder_and_passes_text_through(tmp_path):
    src = _input(tmp_path, _docs(60), _docs(40, 60))
    drive(tmp_path, "tokenizer", SMALL)
    tok = tmp_path / "tokenizer"
    assert {p.name for p in tok.iterdir()} == {"tokenizer.json", "tokenizer_config.json",
                                               "special_tokens_map.json", "training.json"}
    training = read_json(tok / "training.json")
    ids = [f"doc{i}" for i in range(100)]
    n_val = int(is_validation(split_hashes(ids, 0), 0.1).sum())
    assert 0 < n_val < 30
    assert training["train"]["documents"] == 100 - n_val and training["heldout"]["documents"] == n_val
    assert 1.5 < training["heldout"]["bytes_per_token"] < 10
    assert training["special_tokens"] == {"<|endoftext|>": 0, "<pad>": 1, "<mask>": 2, "<cls>": 3, "<sep>": 4,
                                          "<extra_id_0>": 5, "<extra_id_1>": 6, "<extra_id_2>": 7}
    for key in ("part-00000", "part-00001"):  # the input shard itself, hard-linked
        assert os.stat(tmp_path / "02-tokenizer" / f"{key}.arrow").st_ino == os.stat(src / f"{key}.arrow").st_ino
    stats = read_json(tmp_path / "02-tokenizer" / "stats" / "part-00000.json")
    assert stats["in"] == stats["out"] and stats["out"]["records"] == 60 and stats["drops"] == {}
    assert stats["notes"]["tokenizer_train_documents"] == 100 - n_val


def test_validation_documents_are_never_trained_on(tmp_path):
    table = _docs(200)
    val = is_validation(split_hashes(table.column("id").to_pylist(), 0), 0.1)
    texts = [t + (" Zyxwvutsrq" * 20 if v else " Qponmlkjih" * 20) for t, v in zip(
        table.column("text").to_pylist(), val, strict=True)]
    _input(tmp_path, table.set_column(1, "text", pa.array(texts)))
    drive(tmp_path, "tokenizer", {**SMALL, "vocab_size": 600})
    vocab = read_json(tmp_path / "tokenizer" / "tokenizer.json")["model"]["vocab"]
    assert "ĠQponmlkjih" in vocab  # a word of the training documents is learned
    assert not any("Zyx" in v or "wvuts" in v for v in vocab)  # the held-out word is not


def test_sample_bytes_caps_the_training_text(tmp_path):
    _input(tmp_path, _docs(300))
    drive(tmp_path, "tokenizer", {**SMALL, "sample_bytes": 20_000})
    train = read_json(tmp_path / "tokenizer" / "training.json")["train"]
    assert 15_000 < train["bytes"] <= 20_000 and train["documents"] < 250


@pytest.mark.parametrize(("params", "message"), [
    ({"vocab_size": 300}, r"stages\[0\]: vocab_size 300 is too small for 105 special tokens \+ 256 byte tokens; "
                          r"use at least 361"),
    ({"pad_token": "<|endoftext|>"}, r"special token '<\|endoftext\|>' is listed twice"),
])
def test_bad_settings_are_one_line_errors(params, message):
    with pytest.raises(UserError, match=message):
        parse_pipeline({"name": "t", "stages": [{"stage": "tokenizer", **params}]})


def test_no_text_to_train_on_is_a_clear_error(tmp_path):
    _input(tmp_path, pa.table({"id": ["a", "b"], "text": pa.array(["", None], pa.string())}))
    with pytest.raises(UserError, match="holds no text to train on"):
        drive(tmp_path, "tokenizer", SMALL)


def test_input_without_text_is_refused(tmp_path):
    _input(tmp_path, pa.table({"id": ["a"], "html": ["<p>x</p>"]}))
    with pytest.raises(UserError, match="no `text` column; put the tokenizer stage after extraction"):
        drive(tmp_path, "tokenizer", SMALL)


def test_an_empty_shard_without_columns_is_skipped(tmp_path):
    _input(tmp_path, _docs(50), pa.table({}))
    drive(tmp_path, "tokenizer", SMALL)
    assert read_json(tmp_path / "tokenizer" / "training.json")["train"]["documents"] > 40
    assert (tmp_path / "02-tokenizer" / "stats" / "part-00001.json").exists()
