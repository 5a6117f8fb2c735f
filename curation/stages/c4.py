"""C4's cleaning (Raffel et al. 2020, section 2.2; TFDS ``c4_utils.clean_page``): line rules that
rewrite ``text``, then document rules.

Lines (split on newlines, stripped) are removed when they hold a word longer than
``max_word_length``, do not end in a terminal mark (or end in ``...``), have fewer than
``min_words_per_line`` words, mention "javascript", or hold a policy phrase ("terms of use", "uses
cookies", ...); Wikipedia citation marks (``[1]``, ``[edit]``, ``[citation needed]``) are cut out
first. Kept records carry the cleaned text; rejected records keep the text as it came in, so you can
see what was dropped. Documents are dropped for "lorem ipsum" or a ``{`` on a line that survived the
line rules, for a word of the bad-words list (optional), or for too few sentences in what is left.

The paper and the published code disagree on two numbers; this follows the code, because it built the
released C4: lines need 5 words (the paper says 3) and pages 3 sentences (the paper says 5). The
terminal marks are the code's ``. ? ! "`` plus the typographic ``”`` (the paper: "or end quotation
mark"). These are English rules: run them after language ID keeps English.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from curation.registry import register
from curation.stage import FilterStage, Outcome, StageConfig
from curation.text import bad_words
from curation.text.columns import flatten, int_column, per_doc, text_column, to_numpy, with_columns
from curation.text.lines import split_lines
from curation.text.rules import Rule, first_failing
from curation.text.sentences import count_sentences

_CITATION = r"\[\d*\]|\[edit\]|\[citation needed\]"
_TERMINAL = "[.?!\"”]$"
_POLICY = "terms of use|privacy policy|cookie policy|uses cookies|use of cookies|use cookies"


class C4Config(StageConfig):
    min_words_per_line: int | None = Field(
        5, ge=0, description="Lines with fewer words are removed (C4 code; the paper says 3); null: off.")
    min_sentences: int | None = Field(
        3, ge=0, description="Fewer sentences left: `c4_too_few_sentences` (C4 code; the paper says 5).")
    max_word_length: int | None = Field(
        1000, ge=1, description="Lines with a longer word are removed (C4 code); null: off.")
    require_terminal_punctuation: bool = Field(
        True, description="Remove lines that do not end in . ? ! \" ” or that end in `...` (C4).")
    remove_citations: bool = Field(True, description="Cut [1], [edit], [citation needed] out of lines (C4).")
    remove_javascript_lines: bool = Field(True, description="Remove lines mentioning javascript (C4).")
    remove_policy_lines: bool = Field(
        True, description="Remove lines with 'terms of use', 'privacy policy', 'uses cookies', ... (C4).")
    drop_lorem_ipsum: bool = Field(
        True, description="Drop documents with 'lorem ipsum': `c4_lorem_ipsum` (C4).")
    drop_curly_bracket: bool = Field(
        True, description="Drop documents with a `{` (code): `c4_curly_bracket` (C4).")
    bad_words: bool = Field(
        False,  # C4 applies it; off here: it also removes medical, LGBTQ and dialect text (Dodge et al. 2021)
        description="Drop documents with a word of the bad-words list: `c4_bad_words`.")
    bad_words_file: str | None = Field(
        None, description="Word list for `bad_words`, one word or phrase per line; default: the bundled "
                          "curation/text/lists/bad_words_en.txt.")


@register
class C4(FilterStage):
    name = "c4"
    summary = "C4 cleaning: remove unpunctuated, short, javascript, policy lines; drop code, lorem ipsum."
    Config: ClassVar[type[StageConfig]] = C4Config
    modifies_text: ClassVar[bool] = True  # line cleaning: the funnel counts the bytes it removed
    signal_settings: ClassVar[frozenset[str]] = frozenset({
        "min_words_per_line", "max_word_length", "require_terminal_punctuation", "remove_citations",
        "remove_javascript_lines", "remove_policy_lines", "bad_words", "bad_words_file"})

    def analyse(self, table: pa.Table) -> tuple[dict[str, pa.Array], pa.Array, dict[str, Any]]:
        """Signals, the cleaned text and notes (lines removed per rule)."""
        texts, repaired = text_column(table, self.name)
        n = len(texts)
        lines = split_lines(texts)
        parents = lines.parents
        values = lines.values
        if self.config.remove_citations:
            values = pc.utf8_rtrim_whitespace(pc.replace_substring_regex(values, _CITATION, ""))
        removal, lorem, curly = self._line_rules(values)
        keep = np.ones(len(values), bool)
        notes: dict[str, Any] = {"invalid_utf8_repaired": repaired}
        for note, fails in removal:
            notes[note] = int((keep & fails).sum())  # a removed line counts once, for its first rule
            keep &= ~fails
        kept, kept_parents = values.filter(pa.array(keep)), parents[keep]
        kept_per_doc = per_doc(kept_parents, n)
        all_per_doc = per_doc(parents, n)
        sentences = per_doc(kept_parents, n, count_sentences(kept).astype(np.float64)).astype(np.int64)
        signals = {
            "c4_lines_kept": int_column(kept_per_doc),
            "c4_lines_removed": int_column(all_per_doc - kept_per_doc),
            "c4_sentences": int_column(sentences, null=all_per_doc == 0),  # null: not one non-blank line
            "c4_lorem_ipsum": pa.array(per_doc(parents[lorem], n) > 0, pa.bool_()),
            "c4_curly_bracket": pa.array(per_doc(parents[curly], n) > 0, pa.bool_()),
            "c4_bad_words": self._bad_words(kept, kept_parents, n),
        }
        offsets = pa.array(np.concatenate(([0], np.cumsum(kept_per_doc))).astype(np.int64))
        per_record = pa.LargeListArray.from_arrays(offsets, kept.cast(pa.large_string()))
        cleaned = pc.binary_join(per_record, pa.scalar("\n", pa.large_string())).cast(texts.type)
        return signals, cleaned, {k: v for k, v in notes.items() if v}

    def _line_rules(self, lines: pa.Array) -> tuple[list[tuple[str, np.ndarray]], np.ndarray, np.ndarray]:
        """(note, line is removed) per line rule in C4's order, and the lines that trip the lorem ipsum
        and curly bracket document rules (checked by C4 only on lines that passed the first rules)."""
        cfg: C4Config = self.config

        def mask(values: pa.Array) -> np.ndarray:
            return to_numpy(values).astype(bool)

        tokens = pc.utf8_split_whitespace(lines)
        removal: list[tuple[str, np.ndarray]] = []
        if cfg.max_word_length is not None:
            values, owner = flatten(tokens)
            too_long = mask(pc.greater(pc.utf8_length(values), cfg.max_word_length))
            has_long_word = np.bincount(owner[too_long], minlength=len(lines)) > 0
            removal.append(("lines_with_too_long_word", has_long_word))
        if cfg.require_terminal_punctuation:
            ends = mask(pc.match_substring_regex(lines, _TERMINAL)) & ~mask(pc.ends_with(lines, "..."))
            removal.append(("lines_without_terminal_punctuation", ~ends))
        if cfg.min_words_per_line is not None:
            n_words = to_numpy(pc.list_value_length(tokens))
            removal.append(("lines_with_too_few_words", n_words < cfg.min_words_per_line))
        survivors = np.ones(len(lines), bool)
        for _, fails in removal:
            survivors &= ~fails
        lower = pc.utf8_lower(lines)
        javascript = mask(pc.match_substring(lower, "javascript"))
        lorem = survivors & mask(pc.match_substring(lower, "lorem ipsum"))
        curly = survivors & mask(pc.match_substring(lines, "{"))
        if cfg.remove_javascript_lines:
            removal.append(("lines_mentioning_javascript", javascript))
            curly &= ~javascript  # C4 removes a javascript line before it looks for a bracket in it
        if cfg.remove_policy_lines:
            removal.append(("lines_with_policy_notice", mask(pc.match_substring_regex(lower, _POLICY))))
        return removal, lorem, curly

    def _bad_words(self, kept: pa.Array, parents: np.ndarray, n: int) -> pa.Array:
        cfg: C4Config = self.config
        if not cfg.bad_words:
            return pa.nulls(n, pa.int64())
        if not len(kept):
            return int_column(np.zeros(n, np.int64))
        regex = bad_words.pattern(bad_words.load_words(cfg.bad_words_file))
        hits = pc.count_substring_regex(pc.utf8_lower(kept), regex)
        return int_column(per_doc(parents, n, to_numpy(hits).astype(np.float64)))

    def signals(self, table: pa.Table) -> dict[str, pa.Array]:
        return self.analyse(table)[0]

    def rules(self) -> list[Rule]:
        c: C4Config = self.config
        return [
            Rule("empty_text", "c4_sentences", "null", True),
            Rule("c4_lorem_ipsum", "c4_lorem_ipsum", "true", c.drop_lorem_ipsum),
            Rule("c4_curly_bracket", "c4_curly_bracket", "true", c.drop_curly_bracket),
            Rule("c4_bad_words", "c4_bad_words", "max", 0 if c.bad_words else None),
            Rule("c4_too_few_sentences", "c4_sentences", "min", c.min_sentences),
        ]

    def reasons(self, table: pa.Table) -> tuple[pa.Array, pa.Array | None]:
        return first_failing(table, self.rules())

    def process(self, table: pa.Table) -> Outcome:
        signals, cleaned, notes = self.analyse(table)
        table = with_columns(table, signals)
        reasons, signal = self.reasons(table)
        # kept records get the cleaned text; rejected ones keep the text as it came in
        original = table.column("text").combine_chunks()
        text = pc.if_else(pc.is_null(reasons), cleaned, original) if len(original) else original
        table = table.set_column(table.column_names.index("text"), "text", text)
        return Outcome.split(table, reasons, signal, notes=notes)
