"""Train the corpus's own BPE tokenizer on the curated text; the text itself passes through unchanged.

Phases: ``train`` (one task: streams the previous stage's text shards into ``tokenizers``' trainer,
which is multi-threaded in Rust, and writes ``RUN/tokenizer/`` atomically) and ``link`` (per shard:
the input shard is hard-linked into this stage's folder, so the funnel shows the stage and the next
stage reads from it, at no disk cost; a copy where the file system has no hard links).

Documents in the validation split (the same rule and defaults as the ``pack`` stage) are held out
of training; the compression figure (UTF-8 bytes per token) is measured on them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pyarrow.compute as pc
from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError
from tokenizers import Tokenizer

from curation.errors import UserError
from curation.registry import register
from curation.shards import iter_batches, list_shards, open_shard, read_json, shard_schema
from curation.stage import Outcome, Stage, StageConfig
from curation.storage import link_file
from curation.tokens.bpe import min_vocab_size, save_tokenizer_dir, train_bpe
from curation.tokens.files import (
    TOKENIZER_DIR,
    TOKENIZER_FILE,
    TRAINING_FILE,
    corpus_encoder,
    encode_texts,
)
from curation.tokens.specials import SpecialTokens
from curation.tokens.split import (
    document_ids,
    sample_hashes,
    small_corpus_threshold,
    split_hashes,
    validation_threshold,
)


class TokenizerConfig(StageConfig):
    vocab_size: int = Field(
        50257,  # GPT-2 (Radford et al. 2019): 50,257 = 256 bytes + 50,000 merges + <|endoftext|>
        ge=1, description="Tokens in the vocabulary, special tokens and the 256 byte tokens included.")
    min_frequency: int = Field(
        2,  # Hugging Face tokenizers' ByteLevelBPETokenizer default
        ge=1, description="A pair must occur this often to be merged.")
    max_token_length: int | None = Field(
        None,  # GPT-2: no limit
        ge=1, description="Longest token, in characters; null: no limit.")
    sample_bytes: int | None = Field(
        None, ge=1, description="Train on a deterministic sample of about this many UTF-8 bytes of text "
                                "(documents drawn uniformly by id hash); null: all training text.")
    sample_seed: int = Field(0, description="Seed of the document sample (with sample_bytes).")
    eos_token: str = Field("<|endoftext|>",  # GPT-2's document separator
                           min_length=1, description="End of text, written between documents when packing.")
    pad_token: str | None = Field("<pad>", description="Padding; null: none (rows pad with eos).")
    mask_token: str | None = Field("<mask>", description="Masked-LM token (BERT, ELECTRA); null: none.")
    cls_token: str | None = Field("<cls>", description="Classification token (BERT); null: none.")
    sep_token: str | None = Field("<sep>", description="Segment separator (BERT); null: none.")
    sentinels: int = Field(
        100,  # T5 (Raffel et al. 2020): 100 sentinels <extra_id_0> .. <extra_id_99>
        ge=0, description="T5 span-corruption sentinels <extra_id_0> .. <extra_id_{N-1}>.")
    extra_special_tokens: list[str] = Field([], description="More special tokens, after the sentinels.")
    validation_fraction: float = Field(
        0.01, ge=0, lt=1, description="Documents held out of training (keep equal to pack's, so the "
                                      "tokenizer never sees validation text); compression is measured on them.")
    split_seed: int = Field(0, description="Seed of the train/validation split (keep equal to pack's).")
    eval_bytes: int = Field(10_000_000, ge=0,
                            description="Held-out text encoded to measure bytes per token (at most).")

    def specials(self) -> SpecialTokens:
        return SpecialTokens(self.eos_token, self.pad_token, self.mask_token, self.cls_token, self.sep_token,
                             self.sentinels, tuple(self.extra_special_tokens))

    @model_validator(mode="after")
    def _room_for_specials(self) -> TokenizerConfig:
        problem = self.specials().problems()
        if problem:
            raise PydanticCustomError("special_tokens", problem)
        need = min_vocab_size(self.specials())
        if self.vocab_size < need:
            raise PydanticCustomError(
                "vocab_too_small",
                "vocab_size {got} is too small for {n} special tokens + 256 byte tokens; use at least {need} "
                "(or fewer `sentinels`)", {"got": self.vocab_size, "n": need - 256, "need": need})
        return self


@register
class TokenizerStage(Stage):
    name = "tokenizer"
    Config = TokenizerConfig
    summary: ClassVar[str] = "Train a byte-level BPE tokenizer on the text (RUN/tokenizer/); text passes through."

    _split_threshold: np.uint64 | None = None

    @property
    def out_dir(self) -> Path:
        return self.ctx.run_dir / TOKENIZER_DIR

    def phases(self) -> list[str]:
        return ["train", "link"]

    def task_keys(self, phase: str) -> list[str]:
        return ["tokenizer"] if phase == "train" else list_shards(self.ctx.input_dir)

    def task_done(self, phase: str, key: str) -> bool:
        done = super().task_done(phase, key)
        if phase == "train":  # a deleted RUN/tokenizer/ is trained again
            return done and (self.out_dir / TOKENIZER_FILE).is_file()
        return done

    def describe_input(self, key: str) -> str:
        return str(self.ctx.input_dir / f"{key}.arrow") if key != "tokenizer" else str(self.ctx.input_dir)

    # -- train ------------------------------------------------------------------------------
    def _shards(self) -> list[Path]:
        """The input shards that hold documents (an empty shard may have been written without columns)."""
        paths = []
        for key in list_shards(self.ctx.input_dir):
            path = self.ctx.input_dir / f"{key}.arrow"
            if "text" in shard_schema(path).names:
                paths.append(path)
            elif open_shard(path).read_all().num_rows:
                raise UserError(f"{self.ctx.label}: the input {self.ctx.input_dir.name} has no `text` column; put "
                                "the tokenizer stage after extraction (it trains on documents' text)")
        return paths

    def _threshold(self) -> np.uint64:
        """The pack stage's validation rule (same fraction and seed give the same documents)."""
        cfg = self.config
        documents, validation, smallest = 0, 0, None
        plain = validation_threshold(cfg.validation_fraction)
        for path in self._shards():
            for table in iter_batches(path, cfg.batch_size):
                has_text = pc.fill_null(pc.greater(pc.binary_length(table.column("text")), 0), False)
                ids = document_ids(table.filter(has_text), self.ctx.label)
                if ids:
                    h = split_hashes(ids, cfg.split_seed)
                    documents += len(ids)
                    validation += int((h < plain).sum())
                    smallest = int(h.min()) if smallest is None else min(smallest, int(h.min()))
        return small_corpus_threshold(cfg.validation_fraction, documents, validation, smallest)

    def _documents(self, held_out: bool, texts: bool = True,
                   rate: float = 1.0) -> Iterator[tuple[list[str], list[int], list[str]]]:
        """(texts, UTF-8 byte lengths, ids) per batch of training documents, or of held-out ones; with
        ``rate`` < 1, only the documents the byte-budget sample draws (before any text is copied)."""
        cfg = self.config
        if self._split_threshold is None:
            self._split_threshold = self._threshold()
        for path in self._shards():
            for table in iter_batches(path, cfg.batch_size):
                ids = document_ids(table, self.ctx.label)
                val = split_hashes(ids, cfg.split_seed) < self._split_threshold
                text = table.column("text")
                lengths = pc.fill_null(pc.binary_length(text), 0).to_pylist()
                if rate < 1.0:
                    val = val | (sample_hashes(ids, cfg.sample_seed) >= rate)  # not drawn: out of training
                chosen = [i for i, (v, n) in enumerate(zip(val, lengths, strict=True)) if v == held_out and n]
                if chosen:
                    yield (text.take(chosen).to_pylist() if texts else [], [lengths[i] for i in chosen],
                           [ids[i] for i in chosen])

    def _training_batches(self, counts: dict[str, int]) -> Iterator[list[str]]:
        cfg = self.config
        rate = 1.0
        if cfg.sample_bytes is not None:
            total = sum(sum(n) for _, n, _ in self._documents(held_out=False, texts=False))
            rate = min(1.0, cfg.sample_bytes / total) if total else 1.0
        for texts, lengths, _ in self._documents(held_out=False, rate=rate):
            cut = len(texts)
            if cfg.sample_bytes is not None:  # the hash sample is about the budget; this makes it a cap
                room = cfg.sample_bytes - counts["bytes"]
                cut = next((i for i, c in enumerate(_cumsum(lengths)) if c > room), len(lengths))
            counts["documents"] += cut
            counts["bytes"] += sum(lengths[:cut])
            if cut:
                yield texts[:cut]
            if cut < len(texts):
                return

    def _compression(self, tok: Tokenizer) -> dict[str, Any]:
        """UTF-8 bytes per token on held-out documents, encoded as packing encodes them."""
        encoder = corpus_encoder(tok)
        docs = n_bytes = n_tokens = 0
        for texts, lengths, _ in self._documents(held_out=True):
            if n_bytes >= self.config.eval_bytes:
                break
            docs += len(texts)
            n_bytes += sum(lengths)
            n_tokens += int(encode_texts(encoder, texts)[0].sum())
        return {"documents": docs, "bytes": n_bytes, "tokens": n_tokens,
                "bytes_per_token": round(n_bytes / n_tokens, 4) if n_tokens else None}

    def run_phase_task(self, phase: str, key: str) -> int:
        cfg = self.config
        counts = {"documents": 0, "bytes": 0}
        tok = train_bpe(self._training_batches(counts), cfg.vocab_size, cfg.specials(), cfg.min_frequency,
                        cfg.max_token_length)
        if counts["documents"] == 0:
            raise UserError(f"{self.ctx.label}: {self.ctx.input_dir.name} holds no text to train on (no document "
                            "with text outside the validation split); check the funnel with `curate report`")
        specials = cfg.specials()
        training = {
            "vocab_size": tok.get_vocab_size(with_added_tokens=True),
            "vocab_size_requested": cfg.vocab_size,
            "special_tokens": {t: tok.token_to_id(t) for t in specials.ordered()},
            "train": counts,
            "heldout": self._compression(tok),
            "validation_fraction": cfg.validation_fraction,
            "split_seed": cfg.split_seed,
            "sample_bytes": cfg.sample_bytes,
            "input": self.ctx.input_dir.name,
        }
        save_tokenizer_dir(tok, specials, self.out_dir, {TRAINING_FILE: training})
        return counts["documents"]

    # -- link -------------------------------------------------------------------------------
    def produce(self, key: str) -> Iterator[Outcome]:
        dst = self.ctx.stage_dir / f"{key}.arrow"
        link_file(self.ctx.input_dir / f"{key}.arrow", dst)
        notes: dict[str, Any] = {}
        if key == self.task_keys("link")[0]:  # the stage's figures, once (notes add up over shards)
            t = read_json(self.out_dir / TRAINING_FILE)
            notes = {"tokenizer_vocab_size": t["vocab_size"], "tokenizer_train_documents": t["train"]["documents"],
                     "tokenizer_train_bytes": t["train"]["bytes"], "tokenizer_heldout_bytes": t["heldout"]["bytes"],
                     "tokenizer_heldout_tokens": t["heldout"]["tokens"]}
        first = True
        for table in iter_batches(dst, self.config.batch_size):
            yield Outcome(kept=table.select(["text"]), notes=notes if first else {})
            first = False
        if first:
            yield Outcome(kept=None, notes=notes)

    def write_outputs(self, key: str, outcomes: Iterator[Outcome], input_desc: str, **kwargs: Any) -> dict[str, Any]:
        # the kept shard is the hard link made in produce(); only counts are written here
        return super().write_outputs(key, outcomes, input_desc, write_kept=False)


def _cumsum(values: list[int]) -> Iterator[int]:
    total = 0
    for v in values:
        total += v
        yield total
