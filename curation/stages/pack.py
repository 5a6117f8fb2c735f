"""Pack the tokenized corpus into fixed-length training rows: ``RUN/packed/`` (see curation.tokens.manifest).

Phases:
- ``tokenize`` (per input shard): encode each document's text with the corpus encoder, into
  ``_work/tokenize/part-i.arrow`` (id, token ids, count, split hash, drop reason).
- ``pack`` (one task): split documents by id hash into train/validation, pack each split
  (``concat`` or ``best_fit``, see curation.tokens.packing), shuffle rows (curation.tokens.shuffle),
  write ``RUN/packed/`` under a temporary name and rename it into place, manifest included.
- ``count`` (per input shard): the funnel's stats for this stage (documents packed, dropped with
  reason) and its exact token counts (``tokens/part-i.json``, in the funnel's format).

Memory: ``tokenize`` holds one batch; ``pack`` streams the work files batch by batch and holds one
packing window (best_fit), per-bucket write buffers and then one output shard at a time. Nothing
holds the corpus. The one global figure, the smallest split hash (see ``_plan``), is a running min.
"""

from __future__ import annotations

import logging
import math
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field
from tokenizers import Tokenizer

from curation.errors import UserError
from curation.registry import register
from curation.shards import ShardWriter, iter_batches, list_shards, read_json, write_json
from curation.stage import Outcome, Stage, StageConfig
from curation.storage import is_remote, publish_dir, relpath, staging_dir
from curation.tokens.files import (
    TOKENIZER_DIR,
    TRAINING_FILE,
    SpecialIds,
    encode_texts,
    load_corpus_encoder,
    load_tokenizer,
    resolve_tokenizer_file,
    sha256_file,
    special_ids,
)
from curation.tokens.manifest import FORMAT_VERSION, MANIFEST
from curation.tokens.packing import BestFitPacker, ConcatPacker, ids_dtype
from curation.tokens.plan import SPLITS, SplitPlan, plan_splits
from curation.tokens.shuffle import RowShuffler
from curation.tokens.split import document_ids, split_hashes

PACKED_DIR = "packed"
LONG_DOCUMENT_ROWS = 16  # documents over this many rows are listed in the stats notes


class PackConfig(StageConfig):
    seq_len: int = Field(1024,  # GPT-2 (Radford et al. 2019): a context of 1024 tokens
                         ge=2, description="Tokens per row.")
    mode: Literal["concat", "best_fit"] = Field(
        "concat",  # GPT-2 and nanoGPT concatenate documents, separated by <|endoftext|>
        description="`concat`: one stream cut into rows, no padding; `best_fit`: documents are not split "
                    "unless longer than a row, rows are filled by best-fit bin packing, the rest is padding.")
    validation_fraction: float = Field(
        0.01, ge=0, lt=1, description="Share of documents (by id hash) in the validation split; keep equal to "
                                      "the tokenizer stage's. With at least 2 documents, validation gets >= 1.")
    split_seed: int = Field(0, description="Seed of the train/validation split.")
    shuffle_seed: int = Field(0, description="Seed of the row shuffle.")
    rows_per_shard: int = Field(32768, ge=1, description="Rows per output shard (about; shards are shuffle "
                                                         "buckets). 32768 rows of 1024 uint16 ids: 64 MiB.")
    best_fit_window_rows: int = Field(
        4096, ge=1, description="best_fit packs documents in windows of this many rows' worth of tokens: "
                                "larger windows pad less and hold more in memory.")
    max_document_tokens: int | None = Field(
        None,  # GPT-2 kept long documents; a quality filter is the better place to drop them
        ge=1, description="Drop documents with more tokens (`too_long`); null: keep all, splitting long "
                          "ones across rows.")
    tokenizer: str | None = Field(None, description="Tokenizer folder or tokenizer.json; default: the run's "
                                                    "tokenizer/ (trained by the `tokenizer` stage).")


@register
class Pack(Stage):
    name = "pack"
    Config = PackConfig
    summary: ClassVar[str] = "Tokenize and pack documents into fixed-length training rows (RUN/packed/)."

    # -- where things are --------------------------------------------------------------------
    @property
    def packed_dir(self) -> Path:
        return self.ctx.run_dir / PACKED_DIR

    def _work(self, phase: str) -> Path:
        return self.ctx.stage_dir / "_work" / phase

    def _tokenizer_file(self) -> Path:
        where = self.config.tokenizer or self.ctx.run_dir / TOKENIZER_DIR
        return resolve_tokenizer_file(where, f"{self.ctx.label}.tokenizer")

    def _tokenizer_sha(self) -> str:
        """The hash this stage started with (its fingerprint), so a changed tokenizer is caught mid-way."""
        fp = self.ctx.stage_dir / "fingerprint.json"
        if fp.exists():
            return read_json(fp)["inputs"]["tokenizer_sha256"]
        return sha256_file(self._tokenizer_file())

    def _load(self) -> tuple[Path, str]:
        file, sha = self._tokenizer_file(), self._tokenizer_sha()
        actual = sha256_file(file)
        if actual != sha:
            raise UserError(f"{self.ctx.label}: {file} changed since this stage started (sha256 {actual[:12]}..., "
                            f"was {sha[:12]}...); redo packing with `--force {self.ctx.label.split('-', 1)[1]}`")
        return file, sha

    def input_fingerprint(self) -> Any:
        file = self._tokenizer_file()
        return {"tokenizer": str(file), "tokenizer_sha256": sha256_file(file)}

    # -- phases ------------------------------------------------------------------------------
    def phases(self) -> list[str]:
        return ["tokenize", "pack", "count"]

    def task_keys(self, phase: str) -> list[str]:
        return ["packed"] if phase == "pack" else list_shards(self.ctx.input_dir)

    def task_done(self, phase: str, key: str) -> bool:
        done = super().task_done(phase, key)
        if phase == "tokenize":  # work files are removed once the stage is complete
            return done and ((self._work("tokenize") / f"{key}.arrow").exists() or self.task_done("pack", "packed"))
        if phase == "pack":  # a deleted packed/ is packed again
            return done and (self.packed_dir / MANIFEST).is_file()
        return done

    def describe_input(self, key: str) -> str:
        return str(self.ctx.input_dir / f"{key}.arrow") if key != "packed" else str(self._work("tokenize"))

    def run_phase_task(self, phase: str, key: str) -> int:
        return self._tokenize(key) if phase == "tokenize" else self._pack()

    def finalize(self) -> None:
        # the token work files are as large as packed/ itself; the done markers stay (see task_done)
        for path in self._work("tokenize").glob("*.arrow"):
            path.unlink()

    # -- tokenize ----------------------------------------------------------------------------
    def _tokenize(self, key: str) -> int:
        cfg = self.config
        file, sha = self._load()
        encoder = load_corpus_encoder(file, sha)
        dtype = ids_dtype(special_ids(file, load_tokenizer(file, sha)).vocab_size)
        schema = pa.schema([("id", pa.string()), ("tokens", pa.list_(pa.from_numpy_dtype(np.dtype(dtype)))),
                            ("n_tokens", pa.int32()), ("split_hash", pa.uint64()), ("reason", pa.string())])
        writer = ShardWriter(self._work("tokenize") / f"{key}.arrow", schema)
        rows = 0
        try:
            for table in iter_batches(self.ctx.input_dir / f"{key}.arrow", cfg.batch_size):
                writer.write(self._encode(table, encoder, dtype, schema))
                rows += table.num_rows
            writer.commit()
        except BaseException:
            writer.abort()
            raise
        return rows

    def _encode(self, table: pa.Table, encoder: Tokenizer, dtype: str, schema: pa.Schema) -> pa.RecordBatch:
        ids = document_ids(table, self.ctx.label)
        if "text" not in table.column_names:
            raise UserError(f"{self.ctx.label}: the input {self.ctx.input_dir.name} has no `text` column; "
                            "put the pack stage after extraction")
        text = table.column("text")
        has_text = pc.fill_null(pc.greater(pc.binary_length(text), 0), False).to_numpy(zero_copy_only=False)
        where = np.flatnonzero(has_text)
        counts, flat = encode_texts(encoder, text.take(where).to_pylist(), dtype)
        n_tokens = np.zeros(len(ids), dtype=np.int64)
        n_tokens[where] = counts
        offsets = np.concatenate([[0], np.cumsum(n_tokens)]).astype(np.int32)
        reasons = np.where(has_text, None, "empty_text").astype(object)
        if self.config.max_document_tokens is not None:
            reasons[n_tokens > self.config.max_document_tokens] = "too_long"
        return pa.RecordBatch.from_arrays(
            [pa.array(ids, pa.string()), pa.ListArray.from_arrays(pa.array(offsets), pa.array(flat)),
             pa.array(n_tokens.astype(np.int32)), pa.array(split_hashes(ids, self.config.split_seed)),
             pa.array(reasons.tolist(), pa.string())], schema=schema)

    def _work_files(self) -> list[Path]:
        return [self._work("tokenize") / f"{k}.arrow" for k in list_shards(self.ctx.input_dir)]

    # -- pack --------------------------------------------------------------------------------
    def _plan(self) -> SplitPlan:
        cfg = self.config
        plan = plan_splits(self._work_files(), cfg.validation_fraction, LONG_DOCUMENT_ROWS * cfg.seq_len)
        if sum(plan.documents) == 0:
            drops = plan.drops
            raise UserError(f"{self.ctx.label}: nothing to pack: {self.ctx.input_dir.name} has no document with "
                            f"text ({sum(drops.values())} dropped: {drops or 'no input records'}); check the "
                            "funnel with `curate report`")
        long = plan.long_documents
        if long["count"]:
            logging.getLogger(__name__).warning(
                "%s: %d document(s) are longer than %d rows of %d tokens (longest: %s, %d tokens); they are split "
                "across rows. To drop such documents set `max_document_tokens`, or filter them earlier.",
                self.ctx.label, long["count"], LONG_DOCUMENT_ROWS, cfg.seq_len, long["longest"], long["tokens"])
        return plan

    def _pack(self) -> int:
        cfg = self.config
        file, sha = self._load()
        specials = special_ids(file, load_tokenizer(file, sha))
        dtype = ids_dtype(specials.vocab_size)
        plan = self._plan()
        if not is_remote(self.ctx.run_dir):
            for old in self.ctx.run_dir.glob(f".tmp-{PACKED_DIR}-*"):  # left by a killed run
                shutil.rmtree(old)
        with staging_dir(self.packed_dir) as tmp:
            # the shuffle buckets are scratch space: local, beside the folder being built
            buckets = tmp.with_name(tmp.name + "-buckets")
            try:
                packers, shufflers = {}, {}
                for i, split in enumerate(SPLITS):
                    if cfg.mode == "concat":
                        packers[split] = ConcatPacker(cfg.seq_len, specials.eos, specials.pad, dtype)
                    else:
                        packers[split] = BestFitPacker(cfg.seq_len, specials.eos, specials.pad, dtype,
                                                       cfg.best_fit_window_rows)
                    rows = math.ceil(plan.tokens[i] / cfg.seq_len)
                    shufflers[split] = RowShuffler(buckets, tmp, split, i, math.ceil(rows / cfg.rows_per_shard),
                                                   cfg.shuffle_seed, cfg.seq_len, dtype)
                for path in self._work_files():
                    for t in iter_batches(path, cfg.batch_size):
                        t = t.filter(pc.is_null(t.column("reason")))
                        val = pc.less(t.column("split_hash"), pa.scalar(plan.threshold, pa.uint64()))
                        for split, sel in (("train", pc.invert(val)), ("validation", val)):
                            part = t.filter(sel)
                            for rows in packers[split].add(_chunk(part.column("id")), _chunk(part.column("tokens"))):
                                shufflers[split].add(rows)
                splits = {}
                for split in SPLITS:
                    for rows in packers[split].finish():
                        shufflers[split].add(rows)
                    result = shufflers[split].finish()
                    st = packers[split].stats
                    splits[split] = {"rows": st.rows, "tokens": st.tokens, "documents": st.documents,
                                     "padding_tokens": st.padding, "shards": result.shards}
                write_json(tmp / MANIFEST, self._manifest(file, sha, specials, dtype, splits, plan))
                publish_dir(tmp, self.packed_dir)
            finally:
                shutil.rmtree(buckets, ignore_errors=True)
        write_json(self._work("pack") / "summary.json", {"splits": splits, "drops": plan.drops})
        return sum(s["documents"] for s in splits.values())

    def _manifest(self, file: Path, sha: str, specials: SpecialIds, dtype: str, splits: dict, plan: SplitPlan) -> dict:
        cfg = self.config
        training = file.parent / TRAINING_FILE
        bpt = read_json(training)["heldout"].get("bytes_per_token") if training.is_file() else None
        rows = sum(s["rows"] for s in splits.values())
        padding = sum(s["padding_tokens"] for s in splits.values())
        return {
            "format_version": FORMAT_VERSION,
            "tokenizer": {"path": relpath(file, self.packed_dir), "sha256": sha},
            "vocab_size": specials.vocab_size,
            "dtype": dtype,
            "seq_len": cfg.seq_len,
            "mode": cfg.mode,
            "special_tokens": specials.ids,
            "sentinel_ids": specials.sentinel_ids,
            "splits": splits,
            "padding_fraction": round(padding / (rows * cfg.seq_len), 6) if rows else 0.0,
            "bytes_per_token": bpt,
            "eos_after_each_document": True,
            "split": {"by": "blake2b of document id", "validation_fraction": cfg.validation_fraction,
                      "seed": cfg.split_seed},
            "shuffle_seed": cfg.shuffle_seed,
            "dropped_documents": plan.drops,
            "long_documents": plan.long_documents,
            "source": self.ctx.input_dir.name,
        }

    # -- count -------------------------------------------------------------------------------
    def produce(self, key: str) -> Iterator[Outcome]:
        cfg = self.config
        _, sha = self._load()
        work = self._work("tokenize") / f"{key}.arrow"
        kept_tokens, dropped_tokens = 0, {}
        long_docs: list[str] = []
        notes: dict[str, Any] = {}
        if key == self.task_keys("count")[0]:  # the stage-wide figures, once (notes add up over shards)
            s = read_json(self._work("pack") / "summary.json")["splits"]
            notes = {f"{split}_{k}": s[split][k] for split in SPLITS for k in ("rows", "tokens", "padding_tokens")}
        for table, w in zip(iter_batches(self.ctx.input_dir / f"{key}.arrow", cfg.batch_size),
                            iter_batches(work, cfg.batch_size), strict=True):
            reasons, n = w.column("reason").combine_chunks(), w.column("n_tokens").to_numpy().astype(np.int64)
            kept_tokens += int(n[pc.is_null(reasons).to_numpy(zero_copy_only=False)].sum())
            for reason in set(reasons.drop_null().to_pylist()):
                sel = pc.fill_null(pc.equal(reasons, reason), False).to_numpy(zero_copy_only=False)
                dropped_tokens[reason] = dropped_tokens.get(reason, 0) + int(n[sel].sum())
            ids = w.column("id").to_pylist()
            long_docs += [f"{ids[i]}: {n[i]} tokens" for i in np.flatnonzero(n > LONG_DOCUMENT_ROWS * cfg.seq_len)]
            too_long = pc.fill_null(pc.equal(reasons, "too_long"), False)
            signal = pc.if_else(too_long, pa.array(n, pa.float64()), pa.scalar(None, pa.float64()))
            yield Outcome.split(table, reasons, signal, notes=notes)
            notes = {}
        if long_docs:  # a note, not an error: concat and best_fit both split them across rows
            yield Outcome(kept=None, notes={"long_documents": long_docs[:20],
                                            "long_document_count": len(long_docs)})
        write_json(self.ctx.stage_dir / "tokens" / f"{key}.json",
                   {"tokenizer_sha256": sha, "out": kept_tokens, "drops": dropped_tokens})

    def write_outputs(self, key: str, outcomes: Iterator[Outcome], input_desc: str, **kwargs: Any) -> dict[str, Any]:
        # kept documents live on as packed rows; only rejected records and counts are written here
        return super().write_outputs(key, outcomes, input_desc, write_kept=False)


def _chunk(column: pa.ChunkedArray) -> pa.Array:
    if column.num_chunks == 0:
        return pa.array([], column.type)
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()

