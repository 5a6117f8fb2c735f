"""The stage contract, exercised through the example stage of the README."""

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from pydantic import Field

from curation.registry import register
from curation.shards import read_json, read_table, write_table
from curation.stage import FilterStage, MapStage, Outcome, StageConfig, StageContext, merge_notes


class MinWordsConfig(StageConfig):
    min_words: int | None = Field(50, ge=0, description="Gopher: at least 50 words; null switches it off")


@register
class MinWords(FilterStage):
    name = "test_min_words"
    summary = "Drop documents with too few words."
    Config = MinWordsConfig

    def signals(self, table):
        return {"n_words": pc.list_value_length(pc.utf8_split_whitespace(table["text"]))}

    def reasons(self, table):
        too_few = pc.less(table["n_words"], self.config.min_words)
        return pc.if_else(too_few, "too_few_words", None), table["n_words"]


def _ctx(tmp_path: Path) -> StageContext:
    write_table(tmp_path / "in" / "part-00000.arrow",
                pa.table({"id": ["a", "b", "c"], "text": ["one two three", "one", "x y z w"]}))
    return StageContext(tmp_path, tmp_path / "out", tmp_path / "in", "02-test")


def test_filter_stage_keeps_signals_on_kept_and_rejected(tmp_path: Path):
    stage = MinWords(MinWordsConfig(min_words=3), _ctx(tmp_path))
    stage.run_task("main", "part-00000")
    kept = read_table(tmp_path / "out" / "part-00000.arrow")
    rejected = read_table(tmp_path / "out" / "rejected" / "part-00000.arrow")
    assert kept.column("id").to_pylist() == ["a", "c"] and kept.column("n_words").to_pylist() == [3, 4]
    assert rejected.to_pylist() == [{"id": "b", "text": "one", "n_words": 1, "drop_reason": "too_few_words",
                                     "drop_signal": 1.0}]
    stats = read_json(tmp_path / "out" / "stats" / "part-00000.json")
    assert stats["in"] == {"records": 3, "bytes": 23, "words": 8}
    assert stats["out"] == {"records": 2, "bytes": 20, "words": 7}
    assert stats["drops"] == {"too_few_words": {"records": 1, "bytes": 3, "words": 1}}


class Loses(MapStage):
    name = "test_loses"

    def process(self, table):
        return Outcome(table.slice(1))


def test_a_stage_that_loses_records_fails_loudly(tmp_path: Path):
    from curation.errors import ShardError

    with pytest.raises(ShardError, match="stage lost records: 3 in, 2 kept, 0 rejected"):
        Loses(StageConfig(), _ctx(tmp_path)).run_task("main", "part-00000")
    assert not (tmp_path / "out" / "part-00000.arrow").exists()
    assert not (tmp_path / "out" / "stats" / "part-00000.json").exists()
    assert (tmp_path / "out" / "errors" / "main-part-00000.txt").exists()


def test_merge_notes():
    notes = merge_notes({}, {"n": 1, "lines": [1, 2], "by": {"x": 1}})
    merge_notes(notes, {"n": 2, "lines": [3], "by": {"x": 1, "y": 5}})
    assert notes == {"n": 3, "lines": [1, 2, 3], "by": {"x": 2, "y": 5}}
