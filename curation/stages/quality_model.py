"""Model-based quality: score documents with a fastText classifier and keep them by a minimum score,
by the top fraction of the corpus, or by GPT-3's Pareto sampling.

Keeping a top fraction needs a threshold over the whole corpus, so that mode runs in three phases:
``score`` (each shard's scores to ``_work/score/part-i.npy``, float32, aligned with the records),
``threshold`` (one task: an exact quantile over those files, 64K counters in memory, never the text)
and ``apply`` (the kept and rejected shards, with the stored scores). The other modes are one map
phase. The ``quality_score`` column is float32, so the threshold and the stored column agree exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from curation.classifier import FastTextScorer, model_fingerprint, preprocess, valid_text
from curation.errors import UserError
from curation.ids import stable_hash64
from curation.measure import Measure
from curation.registry import register
from curation.resources import cached
from curation.shards import atomic_path, iter_batches, list_shards, read_json, write_json
from curation.stage import FilterStage, Outcome, StageConfig, StageContext, merge_notes

LOW_QUALITY = "low_quality"
_MODES = ("min_score", "keep_top_fraction", "pareto_alpha")


class QualityModelConfig(StageConfig):
    model: str = Field(..., min_length=1, description="fastText classifier (.bin/.ftz), e.g. trained by "
                                                      "`curate train-classifier`.")
    label: str = Field("hq", min_length=1, description="The label whose probability is the quality score "
                                                       "(with or without __label__).")
    column: str = Field("quality_score", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
                        description="Name of the score column (two quality stages need two names).")
    min_score: float | None = Field(None, ge=0, le=1, description="Keep documents scoring at least this.")
    keep_top_fraction: float | None = Field(None, gt=0, le=1, description="Keep this fraction of documents, "
                                                                          "the best-scoring ones (ties kept).")
    # GPT-3 (Brown et al. 2020, appendix A): keep a document if np.random.pareto(9) > 1 - score, which
    # keeps mostly high scores and some low ones; here the draw is seeded by the document id.
    pareto_alpha: float | None = Field(None, gt=0, description="GPT-3 style: keep if a Pareto(alpha) draw, "
                                                               "seeded by the document id, > 1 - score.")
    seed: int = Field(0, description="Seed of the Pareto draws.")
    # DCLM-style classifiers read documents whole; a bound keeps a 50 MB line from stalling a worker.
    max_chars: int | None = Field(100_000, ge=100, description="Characters of a document given to the model.")

    @model_validator(mode="after")
    def _one_mode(self) -> QualityModelConfig:
        chosen = [m for m in _MODES if getattr(self, m) is not None]
        if len(chosen) > 1:
            raise PydanticCustomError("modes", "set one of min_score, keep_top_fraction, pareto_alpha "
                                               "(got {chosen}); the others must be null", {"chosen": chosen})
        return self


def pareto_keep(ids: list[str], scores: np.ndarray, alpha: float, seed: int) -> np.ndarray:
    """GPT-3's ``np.random.pareto(alpha) > 1 - score``, with a uniform draw per document from a stable
    hash of (seed, id): numpy's Pareto is the Lomax law, ``U ** (-1 / alpha) - 1`` for U in (0, 1]."""
    u = np.array([(stable_hash64(f"{seed}\0{i}") >> 11) + 1 for i in ids], dtype=np.float64) / 2.0 ** 53
    return u ** (-1.0 / alpha) - 1.0 > 1.0 - scores


def _sortable(scores: np.ndarray) -> np.ndarray:
    """float32 -> uint32 whose order is the floats' order (sign bit flipped, negatives inverted)."""
    bits = np.ascontiguousarray(scores, dtype=np.float32).view(np.uint32)
    return np.where(bits >> 31, ~bits, bits | np.uint32(0x80000000)).astype(np.uint32)


def top_fraction_threshold(chunks: Callable[[], Iterator[np.ndarray]], fraction: float) -> float:
    """The score of the k-th best document, k = ceil(fraction * n): exact, in two passes over the
    scores with 65,536 counters each (high 16 bits, then low 16 bits of the sortable key)."""
    high = np.zeros(1 << 16, dtype=np.int64)
    for c in chunks():
        high += np.bincount(_sortable(c) >> 16, minlength=1 << 16)
    n = int(high.sum())
    k = int(np.ceil(fraction * n - 1e-9))
    if k <= 0:
        return float("inf")
    above = np.cumsum(high[::-1])[::-1]  # above[b]: documents whose key's high bits are >= b
    b = int(np.nonzero(above >= k)[0][-1])
    rank = k - (int(above[b + 1]) if b + 1 < len(above) else 0)  # rank within bin b, from the top
    low = np.zeros(1 << 16, dtype=np.int64)
    for c in chunks():
        key = _sortable(c)
        low += np.bincount(key[(key >> 16) == b] & 0xFFFF, minlength=1 << 16)
    low_above = np.cumsum(low[::-1])[::-1]
    lo = int(np.nonzero(low_above >= rank)[0][-1])
    key = np.uint32((b << 16) | lo)
    bits = np.where(key >> 31, key & np.uint32(0x7FFFFFFF), ~key).astype(np.uint32)
    return float(bits.view(np.float32))


@register
class QualityModel(FilterStage):
    name = "quality_model"
    Config = QualityModelConfig
    summary = "Score documents with a fastText quality classifier; keep by min score, top fraction or Pareto."
    signal_settings: ClassVar[frozenset[str]] = frozenset({"model", "label", "column", "max_chars"})

    def __init__(self, config: QualityModelConfig, ctx: StageContext | None = None):
        super().__init__(config, ctx)
        self._threshold: float | None = None

    # -- phases -------------------------------------------------------------------------------------
    def phases(self) -> list[str]:
        return ["score", "threshold", "apply"] if self.config.keep_top_fraction is not None else ["main"]

    def task_keys(self, phase: str) -> list[str]:
        return ["all"] if phase == "threshold" else list_shards(self.ctx.input_dir)

    def input_fingerprint(self) -> Any:
        return model_fingerprint(self.config.model)

    def prepare(self) -> None:
        self._scorer()  # a missing model or label fails before any task

    def run_phase_task(self, phase: str, key: str) -> int:
        work = self.ctx.stage_dir / "_work"
        if phase == "score":
            parts, notes = [], {}
            for table in iter_batches(self.ctx.input_dir / f"{key}.arrow", self.config.batch_size):
                scores, batch_notes = self._scores(table)
                parts.append(scores)
                merge_notes(notes, batch_notes)
            scores = np.concatenate(parts) if parts else np.zeros(0, np.float32)
            with atomic_path(work / "score" / f"{key}.npy") as tmp, open(tmp, "wb") as fh:
                np.save(fh, scores)
            write_json(work / "score" / f"{key}.notes.json", notes)  # the apply phase reports them
            return len(scores)
        files = [work / "score" / f"{k}.npy" for k in self.task_keys("score")]
        self.fit(lambda: (pa.table({self.config.column: np.load(f)}) for f in files))
        write_json(work / "threshold" / "threshold.json",
                   {"keep_top_fraction": self.config.keep_top_fraction, "threshold": self._threshold})
        return sum(len(np.load(f, mmap_mode="r")) for f in files)

    def produce(self, key: str) -> Iterator[Outcome]:
        if self.config.keep_top_fraction is None:
            yield from super().produce(key)
            return
        work = self.ctx.stage_dir / "_work" / "score"
        scores = np.load(work / f"{key}.npy")
        notes = read_json(work / f"{key}.notes.json")
        offset = 0
        for table in iter_batches(self.ctx.input_dir / f"{key}.arrow", self.config.batch_size):
            part = scores[offset: offset + table.num_rows]
            offset += table.num_rows
            oc = self._decide(self._with_column(table, pa.array(part, pa.float32())), notes)
            notes = {}
            oc.input = Measure(records=table.num_rows)  # a filter: what went in is kept + rejected
            yield oc
        if offset != len(scores):
            raise RuntimeError(f"{key}: {len(scores)} stored scores for {offset} records; redo the stage with --force")

    # -- score first --------------------------------------------------------------------------------
    def _scorer(self) -> FastTextScorer:
        # once per worker process: building one checks the file (a request per batch on object storage)
        cfg = self.config
        return cached(("fasttext-scorer", cfg.model, cfg.label, self.ctx.label),
                      lambda: FastTextScorer(cfg.model, cfg.label, self.ctx.label))

    def _scores(self, table: pa.Table) -> tuple[np.ndarray, dict[str, int]]:
        """float32 scores and what was counted on the way (documents without a word, repaired UTF-8)."""
        if table.num_rows == 0:
            return np.zeros(0, np.float32), {}
        if "text" not in table.column_names:
            raise UserError(f"{self.ctx.label}: input has no `text` column; put `quality_model` after `extract`")
        text, repaired = valid_text(table.column("text"))
        lines = preprocess(text, self.config.max_chars)
        notes = {"quality_no_words": sum(not line for line in lines), "invalid_utf8_repaired": repaired}
        return self._scorer().score(lines), {k: v for k, v in notes.items() if v}

    def _with_column(self, table: pa.Table, column: pa.Array) -> pa.Table:
        name = self.config.column
        if name in table.column_names:
            return table.set_column(table.column_names.index(name), name, column)
        return table.append_column(name, column)

    def signals(self, table: pa.Table) -> dict[str, pa.Array]:
        return {self.config.column: pa.array(self._scores(table)[0], pa.float32())}

    def process(self, table: pa.Table) -> Outcome:
        scores, notes = self._scores(table)
        return self._decide(self._with_column(table, pa.array(scores, pa.float32())), notes)

    def _decide(self, table: pa.Table, notes: dict[str, int]) -> Outcome:
        reasons, signal = self.reasons(table)
        return Outcome.split(table, reasons, signal, notes=notes)

    # -- drop later ---------------------------------------------------------------------------------
    def fit(self, tables: Callable[[], Iterator[pa.Table]]) -> None:
        if self.config.keep_top_fraction is None:
            return
        col = self.config.column
        self._threshold = top_fraction_threshold(
            lambda: (t.column(col).to_numpy().astype(np.float32) for t in tables()), self.config.keep_top_fraction)

    def threshold(self) -> float | None:
        """The minimum kept score: ``min_score``, or the fitted top-fraction threshold."""
        cfg = self.config
        if cfg.keep_top_fraction is None:
            return cfg.min_score
        if self._threshold is None:
            path = self.ctx.stage_dir / "_work" / "threshold" / "threshold.json"
            if not path.exists():
                raise RuntimeError(f"{path} is missing: the threshold phase has not run")
            self._threshold = read_json(path)["threshold"]
        return self._threshold

    def reasons(self, table: pa.Table) -> tuple[pa.Array, pa.Array | None]:
        cfg = self.config
        score = pc.cast(table.column(cfg.column).combine_chunks(), pa.float64())
        if cfg.pareto_alpha is not None:
            ids = table.column("id").to_pylist() if "id" in table.column_names else \
                [str(stable_hash64(t or "")) for t in table.column("text").to_pylist()]
            keep = pa.array(pareto_keep(ids, score.to_numpy(zero_copy_only=False), cfg.pareto_alpha, cfg.seed))
        else:
            threshold = self.threshold()
            if threshold is None:
                return pa.nulls(table.num_rows, pa.string()), None
            keep = pc.greater_equal(score, threshold)
        drop = pc.invert(pc.fill_null(keep, True))
        return pc.if_else(drop, pa.scalar(LOW_QUALITY), pa.scalar(None, pa.string())), score
