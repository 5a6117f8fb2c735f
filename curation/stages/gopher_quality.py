"""Gopher's quality rules (Rae et al. 2021, "Scaling Language Models", appendix A, MassiveWeb).

Every threshold is a setting with the paper's value (null switches the rule off) and every rule its
own drop reason, named for what is wrong. Words are whitespace tokens with punctuation stripped off
their ends (see ``curation.text.words``). For text mostly in scripts written without spaces (Chinese,
Japanese, Thai, ...) the word-based signals are null and their rules do not apply (counted in the
notes as ``unsegmented_script``); the line rules still do.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from curation.registry import register
from curation.stage import StageConfig
from curation.text.columns import (
    cap_chars,
    float_column,
    int_column,
    ratio,
    text_column,
    to_numpy,
)
from curation.text.lines import split_lines
from curation.text.punctuation import BULLETS, re2_class
from curation.text.rules import Rule, RuleFilter
from curation.text.words import GOPHER_STOP_WORDS, has_letter, split_words, unsegmented

_BULLET_LINE = "^" + re2_class(BULLETS)
_ELLIPSIS_LINE = r"(?:\.\.\.|…)$"


class GopherQualityConfig(StageConfig):
    # Gopher: "any doc that does not contain between 50 and 100,000 words"
    min_words: int | None = Field(50, ge=0, description="Fewer words: `gopher_too_few_words`.")
    max_words: int | None = Field(100_000, ge=1, description="More words: `gopher_too_many_words`.")
    # Gopher: "whose mean word length is outside the range of 3 to 10 characters"
    min_mean_word_length: float | None = Field(3, ge=0, description="Shorter mean: `gopher_words_too_short`.")
    max_mean_word_length: float | None = Field(10, ge=0, description="Longer mean: `gopher_words_too_long`.")
    # Gopher: "a symbol-to-word ratio greater than 0.1 for either the hash symbol or the ellipsis"
    max_hash_ratio: float | None = Field(
        0.1, ge=0, description="`#` per word; above: `gopher_too_many_hashes`.")
    max_ellipsis_ratio: float | None = Field(
        0.1, ge=0, description="Ellipses (`...`, `…`) per word; above: `gopher_too_many_ellipses`.")
    # Gopher: "more than 90% of lines starting with a bullet point, or more than 30% ending with an ellipsis"
    max_bullet_line_fraction: float | None = Field(
        0.9, ge=0, le=1,
        description="Lines starting with a bullet (• - * ...); above: `gopher_too_many_bullet_lines`.")
    max_ellipsis_line_fraction: float | None = Field(
        0.3, ge=0, le=1,
        description="Lines ending with an ellipsis; above: `gopher_too_many_ellipsis_lines`.")
    # Gopher: "80% of words in a document contain at least one alphabetic character"
    min_alpha_word_fraction: float | None = Field(
        0.8, ge=0, le=1, description="Whitespace tokens with a letter (a token of symbols only counts "
                                     "against); below: `gopher_too_few_alpha_words`.")
    # Gopher: "at least two of the following English words: the, be, to, of, and, that, have, with"
    min_stop_words: int | None = Field(
        2, ge=0, description="Distinct stop words present; fewer: `gopher_too_few_stop_words`.")
    stop_words: list[str] = Field(list(GOPHER_STOP_WORDS), description="The stop words (case-insensitive).")
    analyse_first_chars: int | None = Field(
        1_000_000, ge=1000, description="Signals describe the first N characters (beyond Gopher's 100,000 "
                                        "words for English); null: the whole text.")


@register
class GopherQuality(RuleFilter):
    name = "gopher_quality"
    summary = "Gopher quality rules: word count and length, symbols, bullets, alphabetic and stop words."
    Config: ClassVar[type[StageConfig]] = GopherQualityConfig
    signal_settings: ClassVar[frozenset[str]] = frozenset({"stop_words", "analyse_first_chars"})

    def analyse(self, table: pa.Table) -> tuple[dict[str, pa.Array], dict[str, Any]]:
        cfg: GopherQualityConfig = self.config
        texts, repaired = text_column(table, self.name)
        texts, cut = cap_chars(texts, cfg.analyse_first_chars)
        words = split_words(texts)
        skip = unsegmented(texts, words.nonspace_chars)  # word rules do not apply
        n_words = words.count().astype(np.float64)
        hashes = to_numpy(pc.count_substring(texts, "#"))
        ellipses = to_numpy(pc.count_substring(texts, "...")) + to_numpy(pc.count_substring(texts, "…"))
        lines = split_lines(texts)
        n_lines = lines.count().astype(np.float64)
        bullet = to_numpy(pc.match_substring_regex(lines.values, _BULLET_LINE)).astype(bool)
        ending = to_numpy(pc.match_substring_regex(lines.values, _ELLIPSIS_LINE)).astype(bool)

        def words_only(values: np.ndarray) -> np.ndarray:
            return np.where(skip, np.nan, values)

        signals = {
            "gopher_word_count": int_column(n_words, null=skip),
            "gopher_mean_word_length": float_column(words_only(ratio(words.chars(), n_words))),
            "gopher_hash_ratio": float_column(words_only(ratio(hashes, n_words))),
            "gopher_ellipsis_ratio": float_column(words_only(ratio(ellipses, n_words))),
            "gopher_bullet_line_fraction": float_column(ratio(lines.count_where(bullet), n_lines)),
            "gopher_ellipsis_line_fraction": float_column(ratio(lines.count_where(ending), n_lines)),
            # over all tokens: a token of symbols only (| - ★) is a "word" without a letter here, as it
            # is for Gopher's rule; stripping punctuation off a token never removes a letter
            "gopher_alpha_word_fraction": float_column(words_only(ratio(
                words.count_where(has_letter(words.words)), words.tokens.astype(np.float64)))),
            "gopher_stop_words": int_column(words.distinct_in(cfg.stop_words), null=skip),
        }
        notes = {"unsegmented_script": int(skip.sum()), "analysed_prefix_only": cut,
                 "invalid_utf8_repaired": repaired}
        return signals, {k: v for k, v in notes.items() if v}


    def rules(self) -> list[Rule]:
        c: GopherQualityConfig = self.config
        return [
            Rule("gopher_too_few_words", "gopher_word_count", "min", c.min_words),
            Rule("gopher_too_many_words", "gopher_word_count", "max", c.max_words),
            Rule("gopher_words_too_short", "gopher_mean_word_length", "min", c.min_mean_word_length),
            Rule("gopher_words_too_long", "gopher_mean_word_length", "max", c.max_mean_word_length),
            Rule("gopher_too_many_hashes", "gopher_hash_ratio", "max", c.max_hash_ratio),
            Rule("gopher_too_many_ellipses", "gopher_ellipsis_ratio", "max", c.max_ellipsis_ratio),
            Rule("gopher_too_many_bullet_lines", "gopher_bullet_line_fraction", "max",
                 c.max_bullet_line_fraction),
            Rule("gopher_too_many_ellipsis_lines", "gopher_ellipsis_line_fraction", "max",
                 c.max_ellipsis_line_fraction),
            Rule("gopher_too_few_alpha_words", "gopher_alpha_word_fraction", "min",
                 c.min_alpha_word_fraction),
            Rule("gopher_too_few_stop_words", "gopher_stop_words", "min", c.min_stop_words),
        ]
