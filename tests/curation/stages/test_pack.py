import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from tokenizers import Tokenizer

from curation.config import parse_pipeline
from curation.errors import UserError
from curation.registry import get_stage_class
from curation.runner import Runner, RunOptions
from curation.shards import open_shard, read_json, write_table
from curation.stage import Stage, StageContext
from curation.testing import make_stage, run_stage
from curation.tokens.files import corpus_encoder
from curation.tokens.manifest import read_manifest

WORDS = ["garden", "river", "morning", "window", "kettle", "bicycle", "mountain", "letter", "candle", "harbor", "village", "orchard"]
TOKENIZER = {"vocab_size": 420, "sentinels": 3}


def _docs(n: int, offset: int = 0, long_every: int = 0) -> pa.Table:
    texts = []
    for i in range(offset, offset + n):
        words = 5 + (i * 7) % 60 + (400 if long_every and i % long_every == 0 else 0)
        texts.append(" ".join(WORDS[(i + k * k) % len(WORDS)] for k in range(words)) + f" — №{i} ✓")
    return pa.table({"id": [f"doc{i}" for i in range(offset, offset + n)], "text": texts})


def _drive(run: Path, stage_type: str, params: dict, label: str, prev: str) -> Stage:
    """Every phase of one stage, in order, as the runner drives it (fingerprint included)."""
    return run_stage(make_stage(stage_type, run, run / prev, label, **params))


def _pack(run: Path, *tables: pa.Table, train: bool = True, **params) -> dict:
    """Input shards -> tokenizer stage (``train``: else a pass-through copy) -> pack stage."""
    for i, t in enumerate(tables):
        write_table(run / "01-input" / f"part-{i:05d}.arrow", t)
        if not train:
            write_table(run / "02-tokenizer" / f"part-{i:05d}.arrow", t)
    if train:
        _drive(run, "tokenizer", TOKENIZER, "02-tokenizer", "01-input")
    _drive(run, "pack", {"seq_len": 32, **params}, "03-pack", "02-tokenizer")
    return read_manifest(run / "packed")


def _rows(run: Path, split: str) -> pa.Table:
    m = read_json(run / "packed" / "manifest.json")
    return pa.concat_tables([open_shard(run / "packed" / s).read_all() for s in m["splits"][split]["shards"]])


def _encode(run: Path, texts: list[str]) -> list[list[int]]:
    enc = _encoder_of((run / "tokenizer" / "tokenizer.json").read_text())
    return [e.ids for e in enc.encode_batch(texts, add_special_tokens=False)]


def _documents_from_rows(table: pa.Table, eos: int) -> dict[str, list[int]]:
    """Rebuild each document from the rows, in row_id order, cutting at end-of-text."""
    docs: dict[str, list[int]] = {}
    for row in sorted(table.to_pylist(), key=lambda r: r["row_id"]):
        toks = row["input_ids"][:row["n_tokens"]]
        cuts = [0] + [i + 1 for i, t in enumerate(toks) if t == eos and i + 1 < len(toks)] + [len(toks)]
        assert len(cuts) - 1 == len(row["doc_ids"])
        for j, doc in enumerate(row["doc_ids"]):
            assert (cuts[j] in row["doc_starts"]) == (doc not in docs)  # doc_starts mark first tokens only
            docs.setdefault(doc, []).extend(toks[cuts[j]:cuts[j + 1]])
    return docs


@pytest.mark.parametrize("mode", ["concat", "best_fit"])
def test_every_document_token_lands_once_with_eos_after_it(tmp_path, mode):
    tables = [_docs(70), _docs(50, 70, long_every=9)]
    m = _pack(tmp_path, *tables, mode=mode, best_fit_window_rows=16)
    eos, pad = m["special_tokens"]["eos"], m["special_tokens"]["pad"]
    assert (eos, pad, m["sentinel_ids"], m["dtype"], m["mode"]) == (0, 1, [5, 6, 7], "uint16", mode)
    texts = {i: t for tb in tables for i, t in zip(tb.column("id").to_pylist(), tb.column("text").to_pylist(),
                                                   strict=True)}
    rebuilt: dict[str, list[int]] = {}
    for split in ("train", "validation"):
        rows = _rows(tmp_path, split)
        docs = _documents_from_rows(rows, eos)
        assert m["splits"][split]["documents"] == len(docs) and m["splits"][split]["rows"] == rows.num_rows
        n = rows.column("n_tokens").to_numpy()
        assert m["splits"][split]["tokens"] == n.sum()
        assert m["splits"][split]["padding_tokens"] == rows.num_rows * 32 - n.sum()
        if mode == "concat":
            assert (n[np.argsort(rows.column("row_id").to_numpy())][:-1] == 32).all()  # only the last row pads
        else:  # not split unless longer than a row
            for doc, toks in docs.items():
                pieces = sum(doc in ids for ids in rows.column("doc_ids").to_pylist())
                assert pieces == 1 or len(toks) > 32, doc
        assert not set(docs) & set(rebuilt)
        rebuilt |= docs
    ids = sorted(rebuilt)
    assert [rebuilt[i] for i in ids] == [t + [eos] for t in _encode(tmp_path, [texts[i] for i in ids])]
    assert len(ids) == 120


def test_the_split_follows_document_ids_not_shard_layout(tmp_path):
    one = _pack(tmp_path / "a", _docs(120), validation_fraction=0.1)
    two = _pack(tmp_path / "b", _docs(40), _docs(80, 40), validation_fraction=0.1)
    val = [set(sum(_rows(tmp_path / r, "validation").column("doc_ids").to_pylist(), [])) for r in "ab"]
    assert val[0] == val[1] and 5 <= one["splits"]["validation"]["documents"] <= 25
    assert one["splits"]["validation"]["documents"] == two["splits"]["validation"]["documents"] == len(val[0])


def test_a_tiny_corpus_still_gets_one_validation_document(tmp_path):
    m = _pack(tmp_path, _docs(3), validation_fraction=0.001)
    assert (m["splits"]["train"]["documents"], m["splits"]["validation"]["documents"]) == (2, 1)


def test_output_is_deterministic_and_a_deleted_packed_folder_is_rebuilt(tmp_path):
    _pack(tmp_path / "a", _docs(90), mode="best_fit", rows_per_shard=20)
    _pack(tmp_path / "b", _docs(90), mode="best_fit", rows_per_shard=20)

    def files(run: Path) -> dict[str, bytes]:
        return {str(p.relative_to(run)): p.read_bytes() for p in sorted((run / "packed").rglob("*")) if p.is_file()}

    a = files(tmp_path / "a")
    assert len(a) > 3 and a == files(tmp_path / "b")  # several shards, byte-identical
    assert not list((tmp_path / "a" / "03-pack" / "_work" / "tokenize").glob("*.arrow"))  # work files removed
    shutil.rmtree(tmp_path / "a" / "packed")
    _drive(tmp_path / "a", "pack", {"seq_len": 32, "mode": "best_fit", "rows_per_shard": 20}, "03-pack",
           "02-tokenizer")
    assert files(tmp_path / "a") == a


def test_trainer_datasets_and_torch_read_the_shards(tmp_path):
    import datasets
    import torch

    from trainer.data import Manifest, PackedSplit

    m = _pack(tmp_path, _docs(100), validation_fraction=0.05)
    split = PackedSplit(Manifest.load(tmp_path / "packed"), "train")
    assert len(split) == m["splits"]["train"]["rows"]
    batch = split.rows(np.arange(4))
    assert batch.input_ids.shape == (4, 32)
    shard = tmp_path / "packed" / m["splits"]["train"]["shards"][0]
    ds = datasets.Dataset.from_file(str(shard)).with_format("torch", columns=["input_ids", "n_tokens"])
    loader = torch.utils.data.DataLoader(ds, batch_size=8)
    first = next(iter(loader))
    assert first["input_ids"].shape == (8, 32) and first["n_tokens"].shape == (8,)
    assert torch.equal(first["input_ids"][0].long(), torch.as_tensor(ds[0]["input_ids"]).long())


def test_vocabulary_over_65536_switches_rows_to_uint32(tmp_path):
    from tokenizers import Tokenizer, models, pre_tokenizers

    vocab = {"<|endoftext|>": 0, "<pad>": 1, "[UNK]": 2} | {f"w{i}": i + 3 for i in range(70_000)}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    (tmp_path / "big").mkdir()
    tok.save(str(tmp_path / "big" / "tokenizer.json"))
    (tmp_path / "big" / "tokenizer_config.json").write_text(json.dumps({"eos_token": "<|endoftext|>",
                                                                         "pad_token": "<pad>"}))
    m = _pack(tmp_path, pa.table({"id": ["a", "b"], "text": ["w69999 w1 w2", "w5 w66000"]}), train=False,
              tokenizer=str(tmp_path / "big"))  # no tokenizer stage: `tokenizer:` names one
    assert (m["dtype"], m["vocab_size"]) == ("uint32", 70_003)
    rows = pa.concat_tables([_rows(tmp_path, "train"), _rows(tmp_path, "validation")])
    assert rows.schema.field("input_ids").type == pa.list_(pa.uint32(), 32)
    assert 70_002 in rows.column("input_ids").combine_chunks().flatten().to_pylist()


def test_long_and_empty_documents(tmp_path):
    table = pa.table({"id": ["a", "b", "c", "d"], "text": pa.array(
        ["river " * 2000, "", None, "short text here"], pa.string())})
    _pack(tmp_path, table, _docs(20, 100), pa.table({}), max_document_tokens=1000)  # + an empty shard
    rejected = open_shard(tmp_path / "03-pack" / "rejected" / "part-00000.arrow").read_all()
    assert rejected.column("drop_reason").to_pylist() == ["too_long", "empty_text", "empty_text"]
    assert rejected.column("drop_signal").to_pylist()[0] > 1000
    tokens = read_json(tmp_path / "03-pack" / "tokens" / "part-00000.json")
    assert tokens["drops"] == {"too_long": int(rejected.column("drop_signal")[0].as_py()), "empty_text": 0}
    stats = read_json(tmp_path / "03-pack" / "stats" / "part-00000.json")
    assert stats["out"]["records"] == 1 and stats["drops"]["empty_text"]["records"] == 2
    assert read_json(tmp_path / "packed" / "manifest.json")["dropped_documents"] == {"too_long": 1,
                                                                                    "empty_text": 2}


def test_a_document_longer_than_many_rows_is_packed_and_reported(tmp_path, caplog):
    m = _pack(tmp_path, pa.table({"id": ["a", "b"], "text": ["river " * 2000, "garden path"]}), mode="best_fit")
    notes = read_json(tmp_path / "03-pack" / "stats" / "part-00000.json")["notes"]
    assert notes["long_document_count"] == 1 and notes["long_documents"][0].startswith("a: ")
    assert m["long_documents"]["count"] == 1 and m["long_documents"]["longest"] == "a"
    assert "1 document(s) are longer than 16 rows of 32 tokens (longest: a," in caplog.text
    assert "set `max_document_tokens`" in caplog.text


def test_nothing_to_pack_is_a_clear_error(tmp_path):
    _drive_tokenizer_on(tmp_path, _docs(20))
    empty = pa.table({"id": ["a", "b"], "text": pa.array(["", None], pa.string())})
    with pytest.raises(UserError, match=r"nothing to pack: 02-tokenizer has no document with text \(2 dropped"):
        _pack(tmp_path, empty, train=False)


def _drive_tokenizer_on(run: Path, table: pa.Table) -> None:
    write_table(run / "00-train" / "part-00000.arrow", table)
    _drive(run, "tokenizer", TOKENIZER, "00-tokenizer", "00-train")


def test_a_tokenizer_changed_mid_stage_is_refused(tmp_path):
    _pack(tmp_path, _docs(30))
    stage = get_stage_class("pack")(parse_pipeline({"name": "t", "stages": [{"stage": "pack", "seq_len": 32}]})
                                    .stages[0].config, StageContext(tmp_path, tmp_path / "03-pack",
                                                                    tmp_path / "02-tokenizer", "03-pack"))
    with open(tmp_path / "tokenizer" / "tokenizer.json", "a") as f:
        f.write(" ")
    with pytest.raises(UserError, match=r"changed since this stage started .*`--force pack`"):
        stage.run_task("tokenize", "part-00000")


def test_runner_end_to_end_from_warc(article_warcs: Path, tmp_path: Path):
    raw = {"name": "t", "stages": [
        {"stage": "warc_read", "inputs": [str(article_warcs / "*.warc.gz")]},
        {"stage": "extract"},
        {"stage": "tokenizer", **TOKENIZER},
        {"stage": "pack", "seq_len": 64, "mode": "best_fit"}]}
    Runner(parse_pipeline(raw), tmp_path / "r").run(RunOptions(progress=False, workers=1))
    m = read_manifest(tmp_path / "r" / "packed")
    docs = sum(s["documents"] for s in m["splits"].values())
    extracted = sum(read_json(p)["out"]["records"] for p in (tmp_path / "r" / "02-extract" / "stats").glob("*.json"))
    assert docs == extracted > 0 and m["tokenizer"]["path"] == "../tokenizer/tokenizer.json"
    assert 2 < m["bytes_per_token"] < 8  # measured on the validation document(s), never trained on


@pytest.mark.slow
def test_same_packed_bytes_for_any_worker_count(article_warcs: Path, tmp_path: Path):
    raw = {"name": "t", "stages": [
        {"stage": "warc_read", "inputs": [str(article_warcs / "*.warc.gz")]},
        {"stage": "extract"},
        {"stage": "tokenizer", **TOKENIZER},
        {"stage": "pack", "seq_len": 16, "rows_per_shard": 50}]}
    out = []
    for workers in (1, 2):
        run = tmp_path / f"w{workers}"
        Runner(parse_pipeline(raw), run).run(RunOptions(progress=False, workers=workers))
        out.append({str(p.relative_to(run)): p.read_bytes() for d in ("packed", "tokenizer", "04-pack/tokens")
                    for p in sorted((run / d).rglob("*")) if p.is_file()})
    assert out[0] == out[1] and sum(k.startswith("packed/train/") for k in out[0]) > 2


def _encoder_of(tokenizer_json: str) -> Tokenizer:
    return corpus_encoder(Tokenizer.from_str(tokenizer_json))
