"""Gopher's repetition rules (Rae et al. 2021, appendix A, table A1): repeated lines, paragraphs and
word n-grams.

Where the published code and the paper differ, this follows the paper: a duplicate n-gram fraction
counts the characters of *every* occurrence of a repeated n-gram (datatrove's code skips the first
occurrence and jumps n words after each repeat), overlapping occurrences counted once, over the
characters of the document's words (see ``curation.text.ngrams``). Line and paragraph fractions
follow Gopher's count (every occurrence after the first is a duplicate), with character fractions
over all characters of the text.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from curation.registry import register
from curation.stage import StageConfig
from curation.text.columns import cap_chars, float_column, ratio, text_column, to_numpy
from curation.text.lines import duplicates, split_lines, split_paragraphs
from curation.text.ngrams import ngram_char_fractions
from curation.text.rules import Rule, RuleFilter
from curation.text.words import split_words, unsegmented

TOP_NGRAMS = (2, 3, 4)
DUPLICATE_NGRAMS = (5, 6, 7, 8, 9, 10)


def _max(default: float, what: str, reason: str) -> Any:
    return Field(default, ge=0, le=1, description=f"Maximum {what}; above: `{reason}`; null: rule off.")


class GopherRepetitionConfig(StageConfig):
    # Gopher table A1 (every default below)
    max_duplicate_line_fraction: float | None = _max(
        0.30, "fraction of lines repeating an earlier line", "gopher_duplicate_lines")
    max_duplicate_paragraph_fraction: float | None = _max(
        0.30, "fraction of paragraphs repeating an earlier one", "gopher_duplicate_paragraphs")
    max_duplicate_line_char_fraction: float | None = _max(
        0.20, "fraction of characters in duplicate lines", "gopher_duplicate_line_chars")
    max_duplicate_paragraph_char_fraction: float | None = _max(
        0.20, "fraction of characters in duplicate paragraphs", "gopher_duplicate_paragraph_chars")
    max_top_2gram_char_fraction: float | None = _max(
        0.20, "fraction of word characters in the most frequent 2-gram", "gopher_repeated_top_2gram")
    max_top_3gram_char_fraction: float | None = _max(
        0.18, "fraction of word characters in the most frequent 3-gram", "gopher_repeated_top_3gram")
    max_top_4gram_char_fraction: float | None = _max(
        0.16, "fraction of word characters in the most frequent 4-gram", "gopher_repeated_top_4gram")
    max_duplicate_5gram_char_fraction: float | None = _max(
        0.15, "fraction of word characters in repeated 5-grams", "gopher_duplicate_5grams")
    max_duplicate_6gram_char_fraction: float | None = _max(
        0.14, "fraction of word characters in repeated 6-grams", "gopher_duplicate_6grams")
    max_duplicate_7gram_char_fraction: float | None = _max(
        0.13, "fraction of word characters in repeated 7-grams", "gopher_duplicate_7grams")
    max_duplicate_8gram_char_fraction: float | None = _max(
        0.12, "fraction of word characters in repeated 8-grams", "gopher_duplicate_8grams")
    max_duplicate_9gram_char_fraction: float | None = _max(
        0.11, "fraction of word characters in repeated 9-grams", "gopher_duplicate_9grams")
    max_duplicate_10gram_char_fraction: float | None = _max(
        0.10, "fraction of word characters in repeated 10-grams", "gopher_duplicate_10grams")
    analyse_first_chars: int | None = Field(
        1_000_000, ge=1000, description="Signals describe the first N characters; null: the whole text.")


@register
class GopherRepetition(RuleFilter):
    name = "gopher_repetition"
    summary = "Gopher repetition rules: duplicate lines, paragraphs and word n-grams."
    Config: ClassVar[type[StageConfig]] = GopherRepetitionConfig
    signal_settings: ClassVar[frozenset[str]] = frozenset({"analyse_first_chars"})

    def analyse(self, table: pa.Table) -> tuple[dict[str, pa.Array], dict[str, Any]]:
        cfg: GopherRepetitionConfig = self.config
        texts, repaired = text_column(table, self.name)
        texts, cut = cap_chars(texts, cfg.analyse_first_chars)
        chars = to_numpy(pc.utf8_length(texts)).astype(np.float64)
        signals: dict[str, pa.Array] = {}
        for kind, parts in (("line", split_lines(texts)), ("paragraph", split_paragraphs(texts))):
            dup_parts, dup_chars = duplicates(parts)
            signals[f"gopher_duplicate_{kind}_fraction"] = float_column(ratio(dup_parts, parts.count()))
            signals[f"gopher_duplicate_{kind}_char_fraction"] = float_column(ratio(dup_chars, chars))
        words = split_words(texts)
        skip = unsegmented(texts, words.nonspace_chars)  # no words to make n-grams of
        top, dup = ngram_char_fractions(words, TOP_NGRAMS, DUPLICATE_NGRAMS)
        for n in TOP_NGRAMS:
            signals[f"gopher_top_{n}gram_char_fraction"] = float_column(np.where(skip, np.nan, top[n]))
        for n in DUPLICATE_NGRAMS:
            signals[f"gopher_duplicate_{n}gram_char_fraction"] = float_column(np.where(skip, np.nan, dup[n]))
        notes = {"unsegmented_script": int(skip.sum()), "analysed_prefix_only": cut,
                 "invalid_utf8_repaired": repaired}
        return signals, {k: v for k, v in notes.items() if v}


    def rules(self) -> list[Rule]:
        c: GopherRepetitionConfig = self.config
        rules = [Rule("empty_text", "gopher_duplicate_line_fraction", "null", True)]  # no non-blank line
        for what in ("line", "paragraph"):
            rules.append(Rule(f"gopher_duplicate_{what}s", f"gopher_duplicate_{what}_fraction", "max",
                              getattr(c, f"max_duplicate_{what}_fraction")))
        for what in ("line", "paragraph"):
            rules.append(Rule(f"gopher_duplicate_{what}_chars", f"gopher_duplicate_{what}_char_fraction",
                              "max", getattr(c, f"max_duplicate_{what}_char_fraction")))
        for n in TOP_NGRAMS:
            rules.append(Rule(f"gopher_repeated_top_{n}gram", f"gopher_top_{n}gram_char_fraction", "max",
                              getattr(c, f"max_top_{n}gram_char_fraction")))
        for n in DUPLICATE_NGRAMS:
            rules.append(Rule(f"gopher_duplicate_{n}grams", f"gopher_duplicate_{n}gram_char_fraction", "max",
                              getattr(c, f"max_duplicate_{n}gram_char_fraction")))
        return rules
