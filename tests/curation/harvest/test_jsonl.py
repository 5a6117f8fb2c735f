"""NDJSON decoding details the format tests do not reach: decoding a block in slices."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from curation.harvest import jsonl
from curation.harvest.formats import ColumnMap, FileReport, read_posts
from curation.harvest.readers import LineBlock
from curation.harvest.synth import write_dump


@pytest.mark.parametrize("size", [1, 30, 64, 1 << 20])
def test_slices_cut_after_newlines_and_cover_the_block(monkeypatch: pytest.MonkeyPatch, size: int) -> None:
    lines = [msgspec.json.encode({"id": f"p{i}", "title": "x" * (i * 7 % 23)}) for i in range(40)]
    block = LineBlock(1, b"head\n" + b"\n".join(lines) + b"\n", start=5)  # the bulk starts after "head"
    monkeypatch.setattr(jsonl, "DECODE_SLICE", size)
    items = jsonl._decode_lines(msgspec.json.Decoder(jsonl.RedditSubmission), block)
    assert [p.id for p in items] == [f"p{i}" for i in range(40)]


@pytest.mark.parametrize("bad", [False, True])
@pytest.mark.parametrize("size", [1, 50, 333])
def test_sliced_decoding_reads_the_same_posts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: int,
                                              bad: bool) -> None:
    lines: list = [{"id": f"p{i}", "url": f"https://example.com/{i}", "score": i, "title": "t" * (i % 17)}
                   for i in range(30)]
    if bad:
        lines[7:7] = [b"", b'{"id": "broken", "url": "https://exa', {"id": "s", "url": "https://e.com/", "score": "12"}]
    path = write_dump(tmp_path / "RS_x.zst", lines)

    def read() -> tuple[list, list, dict]:
        report = FileReport("pushshift")
        parsed = list(read_posts(str(path), "pushshift", ColumnMap(), "src", report))
        return ([r for p in parsed for r in p.table.to_pylist()], [r for p in parsed for r in p.reasons],
                report.as_note())

    whole = read()
    monkeypatch.setattr(jsonl, "DECODE_SLICE", size)
    assert read() == whole
    assert len(whole[0]) == len(lines) - bad  # the blank line is no post
