"""Toxicity: score every window (about a paragraph) of a document and drop the document whose worst
window scores above a threshold.

The document's ``toxicity`` is the maximum over its windows: a rant inside a long article is what a
reader would object to, and an average over 40 clean paragraphs would hide it. Windows are long
enough (50 words) that one passing swear word in a paragraph scores lower than abuse does.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from curation.classifier import valid_text
from curation.errors import UserError
from curation.registry import register
from curation.stage import FilterStage, Outcome, StageConfig
from curation.toxicity.scorers import get_scorer, scorer_fingerprint
from curation.toxicity.windows import split_windows

TOXIC = "toxic"


class ToxicityConfig(StageConfig):
    model: str | None = Field(
        None, description="fastText toxicity model (.bin/.ftz); None: the built-in alt-profanity-check scorer.")
    label: str = Field("toxic", min_length=1, description="The model's label that means toxic (with or without "
                                                          "__label__); ignored by the built-in scorer.")
    # Built-in scorer, measured by benchmarks/content_filters.py (10,000 English documents, 2% with a
    # planted two-sentence insult): every insult scores above 0.9 and no clean document does (clean
    # p99 0.40, max 0.64); on the mini-web sample every toxic page scores above 0.9 and the one other
    # page that does is Dutch ("die"), which langid removes first. The document score is a max over
    # windows, so a window's false-positive rate multiplies with length: the threshold sits well above
    # the model's own 0.5 decision boundary.
    max_toxicity: float | None = Field(0.9, ge=0, le=1, description="Drop documents whose worst window scores "
                                                                    "above this; None: score only.")
    # ~ a paragraph. Same benchmark: at 20 and 50 words every planted insult scores above 0.9, at 100
    # words 91% do, at 200 words 17% (diluted by the clean text around it).
    window_words: int = Field(50, ge=5, description="Words per scored window (short lines are joined, long ones cut).")
    # Longer documents are scored on their first max_chars characters (counted in notes as
    # toxicity_truncated); Gopher's quality filter drops documents over 100k words anyway.
    max_chars: int | None = Field(1_000_000, ge=1000, description="Characters of a document that are scored; "
                                                                  "None: all.")


@register
class Toxicity(FilterStage):
    name = "toxicity"
    Config = ToxicityConfig
    summary = "Score toxicity per ~paragraph window (max over windows) and drop documents above a threshold."
    signal_settings: ClassVar[frozenset[str]] = frozenset({"model", "label", "window_words", "max_chars"})

    def input_fingerprint(self) -> Any:
        return scorer_fingerprint(self.config.model)

    def prepare(self) -> None:
        get_scorer(self.config.model, self.config.label, self.ctx.label)  # a missing model fails before any task

    def process(self, table: pa.Table) -> Outcome:
        outcome = super().process(table)
        outcome.notes = {k: v for k, v in self._notes.items() if v}  # what signals() counted
        return outcome

    def signals(self, table: pa.Table) -> dict[str, pa.Array]:
        self._notes: dict[str, int] = {}
        if table.num_rows == 0:
            return {"toxicity": pa.array([], pa.float64())}
        if "text" not in table.column_names:
            raise UserError(f"{self.ctx.label}: input has no `text` column; put `toxicity` after `extract`")
        text, repaired = valid_text(table.column("text"))
        cfg = self.config
        lengths = pc.fill_null(pc.utf8_length(text), 0).to_numpy(zero_copy_only=False)
        truncated = int(np.count_nonzero(lengths > cfg.max_chars)) if cfg.max_chars else 0
        if truncated:
            text = pc.utf8_slice_codeunits(text, 0, cfg.max_chars)
        windows: list[str] = []
        counts = np.zeros(table.num_rows, dtype=np.int64)
        for i, doc in enumerate(text.to_pylist()):
            if doc:
                w = split_windows(doc, cfg.window_words)
                counts[i] = len(w)
                windows.extend(w)
        scores = np.zeros(table.num_rows)
        if windows:
            window_scores = get_scorer(cfg.model, cfg.label, self.ctx.label).score(windows)
            has = counts > 0
            starts = np.concatenate([[0], np.cumsum(counts)[:-1]])[has]
            scores[has] = np.maximum.reduceat(window_scores, starts)
        self._notes.update({"toxicity_no_text": int(np.count_nonzero(counts == 0)),
                            "toxicity_truncated": truncated, "invalid_utf8_repaired": repaired,
                            "toxicity_windows": len(windows)})
        return {"toxicity": pa.array(scores, pa.float64())}

    def reasons(self, table: pa.Table) -> tuple[pa.Array, pa.Array | None]:
        toxicity = table.column("toxicity").combine_chunks()
        if self.config.max_toxicity is None:
            return pa.nulls(table.num_rows, pa.string()), None
        drop = pc.fill_null(pc.greater(toxicity, self.config.max_toxicity), False)
        return pc.if_else(drop, pa.scalar(TOXIC), pa.scalar(None, pa.string())), toxicity
