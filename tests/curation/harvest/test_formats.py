"""Dump formats -> post tables: Pushshift, HN, generic JSONL / CSV / Parquet, and bad input."""

from __future__ import annotations

import gzip
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curation.errors import UserError
from curation.harvest.formats import ColumnMap, FileReport, detect, read_posts
from curation.harvest.posts import POST_SCHEMA
from curation.harvest.synth import write_dump


def sub(i: int, **kw) -> dict:
    base = {"id": f"p{i}", "url": f"https://example.com/{i}", "score": 5, "subreddit": "news",
            "over_18": False, "is_self": False, "created_utc": 1546300800 + i, "title": f"t{i}"}
    base.update(kw)
    return base


def read(path: Path, fmt: str = "auto", columns: ColumnMap | None = None) -> tuple[list[dict], list, FileReport]:
    report = FileReport(fmt)
    rows, reasons = [], []
    for parsed in read_posts(str(path), fmt, columns or ColumnMap(), "src", report):
        assert parsed.table.schema == POST_SCHEMA
        rows += parsed.table.to_pylist()
        reasons += parsed.reasons
    return rows, reasons, report


def test_pushshift_fields(tmp_path: Path) -> None:
    path = write_dump(tmp_path / "RS_x.zst", [sub(1, title="Caf\u00e9 \U0001f600", over_18=True)])
    rows, reasons, report = read(path)
    assert report.format == "pushshift" and reasons == [None]
    r = rows[0]
    assert (r["post_id"], r["url"], r["score"], r["subreddit"], r["over_18"], r["is_self"], r["title"],
            r["line_no"], r["source_file"], r["raw"]) == (
        "p1", "https://example.com/1", 5, "news", True, False, "Caf\u00e9 \U0001f600", 1, "src", None)
    assert int(r["created"].timestamp()) == 1546300801


def test_bad_lines_are_counted_with_line_numbers(tmp_path: Path) -> None:
    lines = [sub(1), b'{"id": "broken", "url": "https://exa', sub(2, score="12"), sub(3, created_utc="1546300803"),
             {"id": "nourl", "score": 4}, sub(5, score="lots"), b"", b"[1, 2]", sub(8, title=None),
             b'{"id": "p9", "url": "https://example.com/9", "score": 3, "title": "bad \xff byte"}']
    path = write_dump(tmp_path / "RS_bad.zst", lines)
    rows, reasons, report = read(path, "pushshift")
    assert [r["line_no"] for r in rows] == [1, 2, 3, 4, 5, 6, 8, 9, 10]  # the blank line 7 is not a post
    assert reasons == [None, "malformed", None, None, "malformed", "malformed", "malformed", None, None]
    assert rows[2]["score"] == 12 and int(rows[3]["created"].timestamp()) == 1546300803
    assert rows[8]["title"] == "bad \ufffd byte"
    assert rows[1]["raw"].startswith('{"id": "broken"') and rows[0]["raw"] is None
    assert report.malformed == 4 and report.lines == 9
    assert report.counts == {"coerced": 2, "invalid_utf8": 1, "blank_lines": 1}
    assert report.first_malformed[0].startswith("line 2: ")
    assert "line 5: missing field `url`" in report.first_malformed
    assert any(m.startswith("line 6:") and "$.score" in m for m in report.first_malformed)


def test_hn_items(tmp_path: Path) -> None:
    items = [{"id": 1, "type": "story", "by": "pg", "time": 1160418111, "url": "https://a.example/x", "score": 57,
              "title": "Y"},
             {"id": 2, "type": "story", "by": "x", "time": 1160418112, "score": 9, "title": "Ask HN: ?",
              "text": "..."},
             {"id": 3, "type": "comment", "by": "y", "time": 1160418113, "text": "hi"},
             {"id": 4, "type": "story", "time": 1160418114, "url": "https://b.example/", "score": 3, "dead": True},
             {"id": 5, "deleted": True, "time": 1160418115}]
    path = write_dump(tmp_path / "hn.jsonl.gz", items, "gzip")
    rows, reasons, report = read(path)
    assert report.format == "hn"
    assert reasons == [None, None, "not_story", "removed", "removed"]
    assert rows[0]["post_id"] == "1" and rows[0]["score"] == 57 and rows[0]["is_self"] is False
    assert rows[1]["is_self"] is True and rows[1]["url"] is None


def test_generic_jsonl_with_column_mapping(tmp_path: Path) -> None:
    recs = [{"link": "https://a.example/1", "points": 10, "community": "lobsters", "when": "2020-05-01T12:00:00Z",
             "headline": "H"},
            {"link": "https://a.example/2", "points": 1, "when": 1588334400.5},
            {"link": "https://a.example/3", "points": 2, "when": "yesterday"}]
    path = write_dump(tmp_path / "links.jsonl", recs, "plain")
    cols = ColumnMap(url="link", score="points", source="community", time="when", title="headline")
    rows, reasons, report = read(path, "jsonl", cols)
    assert reasons == [None, None, "malformed"]
    assert rows[0]["subreddit"] == "lobsters" and rows[0]["title"] == "H"
    assert int(rows[0]["created"].timestamp()) == 1588334400
    assert int(rows[1]["created"].timestamp()) == 1588334400
    assert "neither Unix seconds nor ISO 8601" in report.first_malformed[0]


def test_csv_with_mapping_and_bad_rows(tmp_path: Path) -> None:
    text = ("link,points,sub,ts,nsfw\n"
            "https://a.example/1,10,news,1588334400,false\n"
            "https://a.example/2,x7,news,1588334400,0\n"
            "https://a.example/3,4,news\n"
            "\"https://a.example/4\",\"5\",pics,2020-05-01,YES\n")
    path = tmp_path / "links.csv.gz"
    path.write_bytes(gzip.compress(text.encode()))
    cols = ColumnMap(url="link", score="points", source="sub", time="ts", title=None, nsfw="nsfw")
    rows, reasons, report = read(path, "auto", cols)
    assert report.format == "csv"
    got = sorted(zip([r["url"] for r in rows], reasons, [r["score"] for r in rows], [r["over_18"] for r in rows],
                     strict=True), key=lambda x: x[0] or "~")
    assert got[0] == ("https://a.example/1", None, 10, False)
    assert got[1][1] == "malformed"  # score "x7"
    assert got[2] == ("https://a.example/4", None, 5, True)
    assert got[3][1] == "malformed" and got[3][0] is None  # wrong number of fields
    assert report.malformed == 2 and report.lines == 4


def test_parquet(tmp_path: Path) -> None:
    path = tmp_path / "links.parquet"
    pq.write_table(pa.table({"u": ["https://a.example/1", None], "s": pa.array([3, 4], pa.int32()),
                             "t": pa.array([1588334400, 1588334401], pa.timestamp("ms"))}), path)
    cols = ColumnMap(url="u", score="s", time="t", title=None)
    rows, reasons, report = read(path, "auto", cols)
    assert report.format == "parquet" and reasons == [None, "malformed"]
    assert rows[0]["score"] == 3 and rows[1]["line_no"] == 2


def test_missing_column_is_a_user_error(tmp_path: Path) -> None:
    path = tmp_path / "links.csv"
    path.write_text("address,votes\nhttps://a.example/,3\n")
    with pytest.raises(UserError, match="no column 'url' \\(columns.url\\); its columns are address, votes"):
        read(path, "csv")


def test_detect(tmp_path: Path) -> None:
    assert detect(str(write_dump(tmp_path / "a.zst", [sub(1)]))) == "pushshift"
    assert detect(str(write_dump(tmp_path / "b.xz", [{"id": 1, "type": "story", "by": "x"}], "xz"))) == "hn"
    assert detect(str(write_dump(tmp_path / "c", [{"link": "x"}], "plain"))) == "jsonl"
    (tmp_path / "d.csv").write_text("url,score\n")
    assert detect(str(tmp_path / "d.csv")) == "csv"


def test_empty_dump(tmp_path: Path) -> None:
    rows, reasons, report = read(write_dump(tmp_path / "RS_empty.zst", []))
    assert rows == [] and report.lines == 0 and report.read_error is None
