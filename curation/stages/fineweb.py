"""FineWeb's extra quality rules (Penedo et al. 2024, "The FineWeb Datasets"; datatrove's
``FineWebQualityFilter`` holds the published defaults), over the non-blank lines of a document.

- too few lines ending in sentence punctuation (< 12%: menus, link lists, tables),
- too many short lines (> 67% of lines have at most 30 characters),
- too many characters in duplicated lines (> 1%: repeated boilerplate),
- list-like text (more than 0.3 newlines per word).

A line "ends in punctuation" when its last characters are a sentence terminal (``. ! ?`` and their
counterparts in other scripts: Unicode's Sentence_Terminal) optionally followed by closing quotes or
brackets (``He said "no."`` ends a sentence; FineWeb's code would not count it). Words are whitespace
tokens, as in the funnel's word counts.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from curation.registry import register
from curation.stage import StageConfig
from curation.text.columns import cap_chars, float_column, per_doc, ratio, text_column, to_numpy
from curation.text.lines import duplicates, split_lines
from curation.text.punctuation import CLOSING_MARKS, SENTENCE_TERMINALS, re2_class
from curation.text.rules import Rule, RuleFilter
from curation.text.words import unsegmented, whitespace_tokens

_PUNCTUATED_LINE = re2_class(SENTENCE_TERMINALS) + re2_class(CLOSING_MARKS) + "*$"


class FineWebConfig(StageConfig):
    min_punctuated_line_fraction: float | None = Field(
        0.12,  # FineWeb: line_punct_thr
        ge=0, le=1,
        description="Lines ending in sentence punctuation; below: `fineweb_too_few_punctuated_lines`.")
    max_short_line_fraction: float | None = Field(
        0.67,  # FineWeb: short_line_thr
        ge=0, le=1, description="Lines of at most `short_line_chars`; above: `fineweb_too_many_short_lines`.")
    short_line_chars: int = Field(30, ge=1, description="A line this long or shorter is short (FineWeb: 30).")
    max_duplicate_line_char_fraction: float | None = Field(
        0.01,  # FineWeb: char_duplicates_ratio
        ge=0, le=1, description="Characters in lines that repeat an earlier line, over all characters "
                                "(newlines excluded); above: `fineweb_duplicate_line_chars`.")
    max_newline_word_ratio: float | None = Field(
        0.3,  # FineWeb: new_line_ratio
        ge=0, description="Newlines per word; above: `fineweb_list_like`.")
    analyse_first_chars: int | None = Field(
        1_000_000, ge=1000, description="Signals describe the first N characters; null: the whole text.")


@register
class FineWeb(RuleFilter):
    name = "fineweb"
    summary = "FineWeb rules: punctuated lines, short lines, duplicated line characters, list-like text."
    Config: ClassVar[type[StageConfig]] = FineWebConfig
    signal_settings: ClassVar[frozenset[str]] = frozenset({"short_line_chars", "analyse_first_chars"})

    def analyse(self, table: pa.Table) -> tuple[dict[str, pa.Array], dict[str, Any]]:
        cfg: FineWebConfig = self.config
        texts, repaired = text_column(table, self.name)
        texts, cut = cap_chars(texts, cfg.analyse_first_chars)
        n = len(texts)
        lines = split_lines(texts)
        n_lines = lines.count().astype(np.float64)
        punctuated = to_numpy(pc.match_substring_regex(lines.values, _PUNCTUATED_LINE)).astype(bool)
        short = lines.lengths() <= cfg.short_line_chars
        _, dup_chars = duplicates(lines)
        tokens, owner = whitespace_tokens(texts)
        words = per_doc(owner, n).astype(np.float64)
        nonspace = per_doc(owner, n, to_numpy(pc.utf8_length(tokens)).astype(np.float64))
        skip = unsegmented(texts, nonspace)  # no words to count lines against
        newlines = to_numpy(pc.count_substring(texts, "\n")).astype(np.float64)
        chars = to_numpy(pc.utf8_length(texts)).astype(np.float64) - newlines
        signals = {
            "fineweb_punctuated_line_fraction": float_column(
                ratio(lines.count_where(punctuated), n_lines)),
            "fineweb_short_line_fraction": float_column(ratio(lines.count_where(short), n_lines)),
            "fineweb_duplicate_line_char_fraction": float_column(ratio(dup_chars, chars)),
            "fineweb_newline_word_ratio": float_column(np.where(skip, np.nan, ratio(newlines, words))),
        }
        notes = {"unsegmented_script": int(skip.sum()), "analysed_prefix_only": cut,
                 "invalid_utf8_repaired": repaired}
        return signals, {k: v for k, v in notes.items() if v}


    def rules(self) -> list[Rule]:
        c: FineWebConfig = self.config
        return [
            Rule("empty_text", "fineweb_punctuated_line_fraction", "null", True),  # no non-blank line
            Rule("fineweb_too_few_punctuated_lines", "fineweb_punctuated_line_fraction", "min",
                 c.min_punctuated_line_fraction),
            Rule("fineweb_too_many_short_lines", "fineweb_short_line_fraction", "max",
                 c.max_short_line_fraction),
            Rule("fineweb_duplicate_line_chars", "fineweb_duplicate_line_char_fraction", "max",
                 c.max_duplicate_line_char_fraction),
            Rule("fineweb_list_like", "fineweb_newline_word_ratio", "max", c.max_newline_word_ratio),
        ]
