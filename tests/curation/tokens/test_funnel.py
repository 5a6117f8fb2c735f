from pathlib import Path

import pyarrow as pa
import pytest
from tokenizers import Tokenizer

import curation.tokens.funnel as funnel
from curation.shards import read_json, write_json, write_table
from curation.stage import REASON, SIGNAL
from curation.tokens.bpe import save_tokenizer_dir, train_bpe
from curation.tokens.files import corpus_encoder
from curation.tokens.specials import SpecialTokens

SPECIALS = SpecialTokens("<|endoftext|>", "<pad>")
TEXTS = [f"Document {i}: the river {'and the meadow ' * (i % 7)}was quiet <|endoftext|> today." for i in range(40)]


def _tokenizer(run: Path, vocab: int) -> None:
    save_tokenizer_dir(train_bpe(iter([TEXTS]), vocab, SPECIALS, 2), SPECIALS, run / "tokenizer")


def _n(texts: list[str], run: Path) -> int:
    enc = _encoder_of((run / "tokenizer" / "tokenizer.json").read_text())
    return sum(len(e) for e in enc.encode_batch(texts, add_special_tokens=False))


def _stage(run: Path, name: str, key: str, kept: pa.Table, rejected: pa.Table | None = None) -> None:
    write_table(run / name / f"{key}.arrow", kept)
    if rejected is not None:
        write_table(run / name / "rejected" / f"{key}.arrow", rejected)
    write_json(run / name / "stats" / f"{key}.json", {"out": {"records": kept.num_rows}})


def _rejected(table: pa.Table, reasons: list[str]) -> pa.Table:
    return table.append_column(REASON, pa.array(reasons)).append_column(SIGNAL, pa.nulls(len(reasons), pa.float64()))


@pytest.fixture
def run(tmp_path: Path) -> Path:
    """Pages (no text) -> extraction -> a filter, over two shards."""
    _tokenizer(tmp_path, 320)
    for s, key in enumerate(("part-00000", "part-00001")):
        texts = TEXTS[s * 20:(s + 1) * 20]
        ids = [f"{s}-{i}" for i in range(20)]
        _stage(tmp_path, "01-fetch", key, pa.table({"id": ids, "html": texts}))
        docs = pa.table({"id": ids[:18], "text": texts[:18]})
        _stage(tmp_path, "02-extract", key, docs, _rejected(pa.table({"id": ids[18:], "html": texts[18:]}),
                                                            ["not_html", "not_html"]))
        _stage(tmp_path, "03-quality", key, docs.slice(0, 10),
               _rejected(docs.slice(10), ["too_short"] * 3 + ["toxic"] * 5))
    return tmp_path


def test_counts_kept_and_rejected_text_per_reason(run):
    funnel.count_run_tokens(run, workers=1)
    assert not (run / "01-fetch" / "tokens").exists()  # pages have no text yet
    for s, key in enumerate(("part-00000", "part-00001")):
        texts = TEXTS[s * 20:(s + 1) * 20]
        ext = read_json(run / "02-extract" / "tokens" / f"{key}.json")
        assert ext["out"] == _n(texts[:18], run) and ext["drops"] == {}  # rejected pages hold html, not text
        q = read_json(run / "03-quality" / "tokens" / f"{key}.json")
        assert q == {"tokenizer_sha256": ext["tokenizer_sha256"], "out": _n(texts[:10], run),
                     "drops": {"too_short": _n(texts[10:13], run), "toxic": _n(texts[13:18], run)}}


def test_filters_reuse_the_previous_stage_counts(run, monkeypatch):
    encoded = []
    real = funnel.load_corpus_encoder

    class Counting:
        def __init__(self, enc):
            self.enc = enc

        def encode_batch_fast(self, texts, **kw):
            encoded.extend(texts)
            return self.enc.encode_batch_fast(texts, **kw)

    monkeypatch.setattr(funnel, "load_corpus_encoder", lambda f, sha: Counting(real(f, sha)))
    funnel.count_run_tokens(run, workers=1)
    assert sorted(encoded) == sorted(TEXTS[:18] + TEXTS[20:38])  # each extracted text once, none again


def test_second_call_counts_nothing_a_new_tokenizer_recounts(run, monkeypatch):
    funnel.count_run_tokens(run, workers=1)
    first = read_json(run / "03-quality" / "tokens" / "part-00000.json")
    monkeypatch.setattr(funnel, "count_shard", lambda *a: pytest.fail("counted again"))
    funnel.count_run_tokens(run, workers=1)
    monkeypatch.undo()
    _tokenizer(run, 290)
    funnel.count_run_tokens(run, workers=1)
    second = read_json(run / "03-quality" / "tokens" / "part-00000.json")
    assert second["tokenizer_sha256"] != first["tokenizer_sha256"] and second["out"] > first["out"]


def test_worker_pool_gives_the_same_files(run, tmp_path):
    funnel.count_run_tokens(run, workers=2)
    pooled = {p: p.read_bytes() for p in sorted(run.glob("*/tokens/*.json"))}
    for p in pooled:
        p.unlink()
    funnel.count_run_tokens(run, workers=1)
    assert pooled == {p: p.read_bytes() for p in sorted(run.glob("*/tokens/*.json"))} and len(pooled) == 4


def _encoder_of(tokenizer_json: str) -> Tokenizer:
    return corpus_encoder(Tokenizer.from_str(tokenizer_json))
