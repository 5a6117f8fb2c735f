"""Links joined to pages in existing WARC files by normalized URL: matches, misses, order, determinism."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)
import pytest

from curation.config import parse_pipeline
from curation.errors import UserError
from curation.shards import read_json, read_table, write_table
from curation.stage import StageContext
from curation.stages.warc_join import WarcJoin, WarcJoinConfig

HTML = [("Content-Type", "text/html; charset=utf-8")]


def _page(n: int) -> bytes:
    return f"<html><body><p>page number {n}</p></body></html>".encode()


@pytest.fixture
def archives(make_warc, tmp_path: Path) -> Path:
    make_warc(tmp_path / "cc" / "a.warc.gz", [
        ("http://site.example/one", 200, HTML, _page(1)),
        ("http://site.example/gone", 404, HTML, b"<html>not found</html>"),
        ("http://site.example/later", 503, HTML, b"<html>busy</html>"),  # a failed capture ...
        ("http://other.example/doc", 200, [("Content-Type", "application/pdf")], b"%PDF-1.4 binary"),
    ])
    make_warc(tmp_path / "cc" / "b.warc.gz", [
        ("http://site.example/later", 200, HTML, _page(2)),  # ... and a good one in a later file
        ("http://site.example/one", 200, HTML, _page(99)),  # a second capture: the first one wins
        ("https://third.example/", 200, [("Content-Type", "text/html; charset=koi8-r")],
         "<p>Привет</p>".encode("koi8-r")),
        ("http://site.example/moved", 301, [("Location", "https://site.example/new")], b""),
        ("http://site.example/lost", 302, [("Location", "/nowhere")], b""),
    ])
    make_warc(tmp_path / "cc" / "c.warc.gz", [("https://site.example/new", 200, HTML, _page(3))])
    return tmp_path / "cc"


LINKS = [
    ["http://SITE.example/one?utm_source=reddit", "http://site.example/missing", "https://third.example"],
    ["http://site.example/gone", "http://site.example/later/", "http://other.example/doc", "not a url",
     "http://site.example/moved", "http://site.example/lost"],
]


def _stage(run: Path, archives: Path, links=LINKS, **settings) -> WarcJoin:
    for i, urls in enumerate(links):
        write_table(run / "01-links" / f"part-{i:05d}.arrow",
                    pa.table({"id": [f"l{i}{k}" for k in range(len(urls))], "url": urls,
                              "score": pa.array([10 * i + k for k in range(len(urls))], pa.int64())}))
    cfg = WarcJoinConfig(warcs=[str(archives / "*.warc.gz")], **settings)
    return WarcJoin(cfg, StageContext(run, run / "02-warc_join", run / "01-links", "02-warc_join"))


def _run(stage: WarcJoin, reverse: bool = False) -> None:
    stage.prepare()
    for phase in stage.phases():
        keys = stage.task_keys(phase)
        for key in reversed(keys) if reverse else keys:
            stage.run_task(phase, key)


def _outputs(run: Path, stage: WarcJoin) -> tuple[pa.Table, pa.Table]:
    keys = stage.task_keys("join")
    d = run / "02-warc_join"
    kept = pa.concat_tables([read_table(d / f"{k}.arrow") for k in keys])
    rejected = pa.concat_tables([read_table(d / "rejected" / f"{k}.arrow") for k in keys
                                 if (d / "rejected" / f"{k}.arrow").exists()])
    return kept, rejected


def test_links_find_their_pages_by_normalized_url(archives, tmp_path: Path):
    stage = _stage(tmp_path, archives, partitions=1)
    _run(stage)
    kept, rejected = _outputs(tmp_path, stage)
    assert kept.column("url").to_pylist() == [LINKS[0][0], LINKS[0][2], LINKS[1][1], LINKS[1][4]]  # link order
    assert kept.column("score").to_pylist() == [0, 2, 11, 14]
    html = kept.column("html").to_pylist()
    assert "page number 1<" in html[0]  # the first capture of /one, not the later one
    assert "Привет" in html[1] and kept.column("charset")[1].as_py() == "koi8-r"
    assert "page number 2" in html[2]  # the 200 capture wins over the earlier 503
    assert kept.column("warc_file").to_pylist()[2].endswith("b.warc.gz")
    # the 301 capture is followed to its target's capture, which sits in another file
    assert "page number 3" in html[3] and kept.column("final_url")[3].as_py() == "https://site.example/new"
    assert kept.column("redirects").to_pylist() == [0, 0, 0, 1]
    reasons = dict(zip(rejected.column("url").to_pylist(), rejected.column("drop_reason").to_pylist(), strict=True))
    assert reasons == {"http://site.example/missing": "not_in_warc", "http://site.example/gone": "http_status",
                       "http://other.example/doc": "binary", "not a url": "invalid_url",
                       "http://site.example/lost": "http_status"}  # its target is not in the archive
    stats = read_json(tmp_path / "02-warc_join" / "stats" / "part-00000.json")
    assert stats["in"]["records"] == 9 and stats["out"]["records"] == 4 and stats["notes"]["warc_records"] == 10


def test_redirect_captures_are_kept_as_such_without_follow(archives, tmp_path: Path):
    stage = _stage(tmp_path, archives, follow_redirects=False)
    assert stage.phases() == ["links", "warcs", "join"]
    _run(stage)
    kept, rejected = _outputs(tmp_path, stage)
    moved = rejected.filter(pa.compute.equal(rejected.column("url"), "http://site.example/moved"))
    assert moved.column("drop_reason").to_pylist() == ["http_status"] and moved.column("drop_signal").to_pylist() == [301.0]


def test_output_is_the_same_whatever_the_task_order(archives, tmp_path: Path):
    a, b = _stage(tmp_path / "a", archives), _stage(tmp_path / "b", archives)
    _run(a)
    _run(b, reverse=True)
    for key in a.task_keys("join"):
        assert (tmp_path / "a" / "02-warc_join" / f"{key}.arrow").read_bytes() == \
            (tmp_path / "b" / "02-warc_join" / f"{key}.arrow").read_bytes()
    kept, rejected = _outputs(tmp_path / "a", a)
    assert kept.num_rows + rejected.num_rows == 9


def test_a_truncated_warc_is_counted_not_fatal(make_warc, tmp_path: Path):
    make_warc(tmp_path / "cc" / "t.warc.gz", [(f"http://a.example/{i}", 200, HTML, _page(i) * 20) for i in range(4)],
              truncate_last=True)
    (tmp_path / "cc" / "junk.warc.gz").write_bytes(b"not an archive at all\n" * 20)
    stage = _stage(tmp_path / "r", tmp_path / "cc", links=[[f"http://a.example/{i}" for i in range(4)]])
    _run(stage)
    kept, rejected = _outputs(tmp_path / "r", stage)
    assert kept.num_rows == 3 and rejected.column("drop_reason").to_pylist() == ["not_in_warc"]
    notes = read_json(tmp_path / "r" / "02-warc_join" / "stats" / "part-00000.json")["notes"]
    assert notes["warc_truncated_or_corrupt"] == 2


def test_missing_warcs_are_a_user_error(tmp_path: Path):
    stage = _stage(tmp_path, tmp_path / "nowhere")
    with pytest.raises(UserError, match=r"warcs: no file matches"):
        stage.prepare()
    with pytest.raises(UserError, match=r"stages\[0\]\.warcs"):
        parse_pipeline({"name": "x", "stages": [{"stage": "warc_join"}]})
