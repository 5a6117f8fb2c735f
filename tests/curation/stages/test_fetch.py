"""The fetch stage end to end against a real local server: pages, drops, host groups, resume after kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from curation.config import parse_pipeline
from curation.errors import UserError
from curation.fetch.testserver import TestWeb
from curation.shards import read_json, read_table, write_table
from curation.stage import StageContext
from curation.stages.fetch import Fetch, FetchConfig

HOSTS = [f"{h}.test" for h in "abcde"]
SETTINGS = {"per_host_delay": 0.0, "allowed_networks": ["127.0.0.1/32"], "resolve": {h: ["127.0.0.1"] for h in HOSTS},
            "retry_backoff": 0.05, "total_timeout": 3.0}


@pytest.fixture
def web() -> Iterator[TestWeb]:
    server = TestWeb().start()
    yield server
    server.stop()


def _links(run: Path, shards: list[list[str]]) -> None:
    n = 0
    for i, urls in enumerate(shards):
        ids = [f"link{n + k}" for k in range(len(urls))]
        n += len(urls)
        write_table(run / "01-links" / f"part-{i:05d}.arrow",
                    pa.table({"id": ids, "url": urls, "score": pa.array(range(len(urls)), pa.int64())}))


def _stage(run: Path, **settings) -> Fetch:
    return Fetch(FetchConfig(**{**SETTINGS, **settings}), StageContext(run, run / "02-fetch", run / "01-links", "02-fetch"))


def _run(stage: Fetch) -> None:
    for phase in stage.phases():
        for key in stage.task_keys(phase):
            if not stage.task_done(phase, key):
                stage.run_task(phase, key)


def test_pages_and_drops(web, tmp_path: Path):
    paths = ["/page/1", "/mislabelled", "/png-as-html", "/status/404", "/doc.pdf", "/redirect/1",
             "/to?url=file:///etc/passwd"]
    _links(tmp_path, [[web.url("a.test", p) for p in paths]])
    _run(_stage(tmp_path))
    kept = read_table(tmp_path / "02-fetch" / "part-00000.arrow")
    rejected = read_table(tmp_path / "02-fetch" / "rejected" / "part-00000.arrow")
    assert kept.column("url").to_pylist() == [web.url("a.test", p) for p in ("/page/1", "/mislabelled", "/redirect/1")]
    assert kept.column("score").to_pylist() == [0, 1, 5]  # link columns pass through
    assert kept.column("charset").to_pylist() == ["utf-8", "cp1252", "utf-8"]  # the header lied about /mislabelled
    assert "café “noir”" in kept.column("html")[1].as_py()
    assert kept.column("final_url")[2].as_py().endswith("/page/end") and kept.column("redirects")[2].as_py() == 2
    assert all(f.startswith("02-fetch/warc/part-00000-") for f in kept.column("warc_file").to_pylist())
    assert dict(zip(rejected.column("url").to_pylist(), rejected.column("drop_reason").to_pylist(), strict=True)) == {
        web.url("a.test", "/png-as-html"): "binary", web.url("a.test", "/status/404"): "http_4xx",
        web.url("a.test", "/doc.pdf"): "not_html", web.url("a.test", "/to?url=file:///etc/passwd"): "unsupported_scheme"}
    assert rejected.column("drop_signal").to_pylist() == [200.0, 404.0, 200.0, 302.0]
    assert rejected.column("html").null_count == 4
    assert "file:///etc/passwd" in rejected.column("fetch_detail")[3].as_py()
    stats = read_json(tmp_path / "02-fetch" / "stats" / "part-00000.json")
    assert stats["in"]["records"] == 7 and stats["out"]["records"] == 3
    assert stats["notes"]["requests"] == 9 and stats["notes"]["robots_requests"] == 1


def test_all_urls_of_a_host_are_fetched_by_one_task(web, tmp_path: Path):
    shard0 = [web.url(h, f"/page/{h}0") for h in HOSTS]
    shard1 = [web.url(h, f"/page/{h}1") for h in reversed(HOSTS)]
    _links(tmp_path, [shard0, shard1])
    stage = _stage(tmp_path, partitions=3)
    _run(stage)
    seen: dict[str, str] = {}
    for key in stage.task_keys("fetch"):
        urls = read_table(tmp_path / "02-fetch" / f"{key}.arrow").column("url").to_pylist()
        assert urls == sorted(urls, key=lambda u: (u not in shard0, (shard0 + shard1).index(u)))  # input order
        for u in urls:
            assert seen.setdefault(u.split("/")[2], key) == key
    assert len(seen) == 5 and len(set(seen.values())) > 1
    assert sum(1 for p in web.hits if p == "/robots.txt") == 1 and web.hits["/robots.txt"] == 5  # once per host


def test_drop_truncated_and_a_rerun_is_byte_identical_without_refetching(web, tmp_path: Path):
    _links(tmp_path, [[web.url("a.test", "/endless"), web.url("a.test", "/page/x")]])
    stage = _stage(tmp_path, max_body_bytes=10_000, drop_truncated=True)
    _run(stage)
    out = tmp_path / "02-fetch" / "part-00000.arrow"
    rejected = read_table(tmp_path / "02-fetch" / "rejected" / "part-00000.arrow")
    assert rejected.column("drop_reason").to_pylist() == ["too_large"]
    assert rejected.column("drop_signal").to_pylist() == [10_000.0]
    first = out.read_bytes()
    requests = len(web.arrivals)
    out.unlink()
    (tmp_path / "02-fetch" / "stats" / "part-00000.json").unlink()
    _run(stage)
    assert out.read_bytes() == first and len(web.arrivals) == requests


def test_batches_are_built_while_the_crawl_goes_on_and_pages_over_the_budget_are_read_back(
        web, tmp_path: Path, monkeypatch):
    from curation.fetch import buffer

    urls = [web.url("paced.test", f"/page/{i}") for i in range(6)]
    _links(tmp_path, [urls])
    stage = _stage(tmp_path, batch_size=2, per_host_delay=0.05, resolve={"paced.test": ["127.0.0.1"]})
    built_after: list[int] = []  # requests the server had seen when each batch was built
    pages = stage._pages
    monkeypatch.setattr(stage, "_pages", lambda *a: (built_after.append(len(web.arrivals)), pages(*a))[1])
    monkeypatch.setattr(buffer, "MEMORY_BYTES", 1500)  # room for one page of ~1 KB
    _run(stage)
    assert built_after[0] < len(web.arrivals)  # the first batch did not wait for the last page
    kept = read_table(tmp_path / "02-fetch" / "part-00000.arrow")
    assert kept.column("url").to_pylist() == urls
    assert all(f"page {i}" in kept.column("html")[i].as_py() for i in range(6))
    stats = read_json(tmp_path / "02-fetch" / "stats" / "part-00000.json")
    assert stats["notes"]["pages_read_back"] == 3  # of each batch, the second page did not fit
    assert stats["notes"]["requests"] == 6


def test_a_task_forgets_the_journal_entries_of_written_batches(web, tmp_path: Path, monkeypatch):
    from curation.stages import fetch as fetch_stage

    journals = []

    class Recorded(fetch_stage.Journal):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            journals.append(self)

    monkeypatch.setattr(fetch_stage, "Journal", Recorded)
    _links(tmp_path, [[web.url(h, f"/page/{i}") for i, h in enumerate(HOSTS + HOSTS[:1])]])
    stage = _stage(tmp_path, batch_size=2)
    held: list[int] = []  # journal entries in memory as each batch is built (its own rows taken out)
    pages = stage._pages
    monkeypatch.setattr(stage, "_pages", lambda *a: (held.append(len(journals[0].state.rows)), pages(*a))[1])
    _run(stage)
    assert len(held) == 3 and held[-1] == 0 and journals[0].state.rows == {}
    assert read_table(tmp_path / "02-fetch" / "part-00000.arrow").num_rows == 6


CHILD = """
import sys
from pathlib import Path
sys.path.insert(0, {root!r})
from curation.stage import StageContext
from curation.stages.fetch import Fetch, FetchConfig
run = Path({run!r})
Fetch(FetchConfig.model_validate_json({cfg!r}), StageContext(run, run / "02-fetch", run / "01-links", "02-fetch")).run_task("fetch", "part-00000")
"""


def test_killed_fetch_resumes_without_refetching_or_losing_pages(web, tmp_path: Path):
    urls = [web.url("paced.test", f"/page/{i}") for i in range(12)]
    _links(tmp_path, [urls])
    settings = {"per_host_delay": 0.15, "resolve": {"paced.test": ["127.0.0.1"]}}
    stage = _stage(tmp_path, **settings)
    stage.run_task("partition", "links-part-00000")
    cfg = stage.config.model_dump_json()
    root = str(Path(__file__).resolve().parents[3])
    child = subprocess.Popen([sys.executable, "-c", CHILD.format(root=root, run=str(tmp_path), cfg=cfg)])
    journal = tmp_path / "02-fetch" / "journal" / "part-00000.jsonl"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if journal.exists() and journal.read_text().count('"row"') >= 4:
            break
        time.sleep(0.02)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    before = {json.loads(line)["row"]: json.loads(line) for line in journal.read_text().splitlines()
              if '"row"' in line and line.endswith("}")}
    assert 4 <= len(before) < 12, "the child was killed too late to test a resume"

    _run(stage)
    kept = read_table(tmp_path / "02-fetch" / "part-00000.arrow")
    assert kept.column("url").to_pylist() == urls  # every page, once, in input order
    assert all(web.hits[f"/page/{i}"] == 1 for i in range(12))  # nothing fetched twice
    ids = kept.column("warc_record_id").to_pylist()
    assert all(ids[row] == entry["warc_record_id"] for row, entry in before.items())
    assert all(f"page {i}" in kept.column("html")[i].as_py() for i in range(12))
    stats = read_json(tmp_path / "02-fetch" / "stats" / "part-00000.json")
    assert stats["notes"]["resumed_rows"] == len(before)
    for warc in sorted((tmp_path / "02-fetch" / "warc").glob("*.warc.gz")):
        check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", str(warc)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout


def test_config_errors_name_the_field():
    with pytest.raises(UserError, match=r"stages\[0\]\.allowed_networks"):
        parse_pipeline({"name": "x", "stages": [{"stage": "fetch", "allowed_networks": ["intranet"]}]})
    with pytest.raises(UserError, match=r"stages\[0\]\.per_host_delay: must be >= 0"):
        parse_pipeline({"name": "x", "stages": [{"stage": "fetch", "per_host_delay": -1}]})
    with pytest.raises(UserError, match=r"stages\[0\]\.resolve: .*invalid host name 'a..test'"):
        parse_pipeline({"name": "x", "stages": [{"stage": "fetch", "resolve": {"a..test": ["127.0.0.1"]}}]})


def test_international_names_in_resolve_and_in_links(web, tmp_path: Path):
    _links(tmp_path, [[web.url("B\u00fccher.test", "/page/1"), web.url("xn--bcher-kva.test", "/page/2")]])
    _run(_stage(tmp_path, resolve={"b\u00fccher.test": ["127.0.0.1"]}))
    out = read_table(tmp_path / "02-fetch" / "part-00000.arrow")
    assert out.column("fetch_error").to_pylist() == [None, None]
    assert out.column("final_url").to_pylist()[0] == web.url("xn--bcher-kva.test", "/page/1")
    assert web.requests("xn--bcher-kva.test") == ["/robots.txt", "/page/1", "/page/2"]


def test_fetch_into_a_run_on_object_storage(web, bucket: str, tmp_path: Path, monkeypatch):
    from curation.storage import as_path

    monkeypatch.setenv("CURATION_STAGING_DIR", str(tmp_path / "staging"))
    run = as_path(f"{bucket}/run")
    _links(run, [[web.url("a.test", "/page/1"), web.url("b.test", "/page/2"), web.url("a.test", "/status/404")]])
    _run(_stage(run))
    stage_dir = run / "02-fetch"
    kept = read_table(stage_dir / "part-00000.arrow")
    assert kept.column("url").to_pylist() == [web.url("a.test", "/page/1"), web.url("b.test", "/page/2")]
    assert [p.name for p in (stage_dir / "warc").iterdir()] == ["part-00000-00000.warc.gz"]
    assert (stage_dir / "journal" / "part-00000.jsonl").exists()
    assert not [p for p in (tmp_path / "staging").rglob("*") if p.is_file()]  # local crawl files uploaded, removed
    # as if the task was killed after publishing its crawl but before its stats: another machine (no local
    # files) takes the crawl up from object storage, refetches nothing and writes the same shard
    first, requests = (stage_dir / "part-00000.arrow").read_bytes(), len(web.arrivals)
    (stage_dir / "stats" / "part-00000.json").unlink()
    (stage_dir / "part-00000.arrow").unlink()
    stage = _stage(run)
    _run(stage)
    assert (stage_dir / "part-00000.arrow").read_bytes() == first and len(web.arrivals) == requests
    assert read_json(stage_dir / "stats" / "part-00000.json")["notes"]["pages_read_back"] == 2
    with tmp_path.joinpath("page.warc.gz").open("wb") as f:
        f.write((stage_dir / "warc" / "part-00000-00000.warc.gz").read_bytes())
    check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", str(tmp_path / "page.warc.gz")],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_run_resumes_when_only_how_it_fetches_changed(web, tmp_path: Path):
    import random

    from curation.harvest.synth import reddit_submission, write_dump
    from curation.runner import Runner, RunOptions

    rng = random.Random(0)
    posts = [reddit_submission(rng, i, url=web.url("a.test", f"/page/{i}"), score=10, is_self=False, over_18=False)
             for i in range(4)]
    write_dump(tmp_path / "RS.jsonl.zst", posts)
    fetch = {"stage": "fetch", **SETTINGS, "resolve": {"a.test": ["127.0.0.1"]}}
    raw = {"name": "t", "stages": [{"stage": "harvest", "inputs": [str(tmp_path / "RS.jsonl.zst")], "partitions": 1},
                                   fetch]}
    run = tmp_path / "run"

    def go(**settings) -> None:
        raw["stages"][1] = {**fetch, **settings}
        Runner(parse_pipeline(raw), run).run(RunOptions(progress=False, workers=1))

    go()
    recorded = (run / "02-fetch" / "fingerprint.json").read_bytes()
    served = len(web.arrivals)
    assert served == 5  # robots.txt and four pages
    (run / "02-fetch" / "stats" / "part-00000.json").unlink()  # the task is unfinished again
    go(concurrency=4, progress_seconds=5)
    assert (run / "02-fetch" / "fingerprint.json").read_bytes() == recorded and len(web.arrivals) == served
    with pytest.raises(UserError, match=r"max_redirects: 5 -> 1"):
        go(max_redirects=1)


def test_every_spelling_of_a_host_is_fetched_by_one_task_and_paced_as_one(web, tmp_path: Path):
    links = [web.url(h, f"/page/{i}") for i, h in enumerate(["B\u00fccher.test", "xn--bcher-kva.test",
                                                             "xn--bcher-kva.test.", "BÜCHER.TEST"])]
    _links(tmp_path, [links])
    stage = _stage(tmp_path, partitions=8, per_host_delay=0.2, resolve={"b\u00fccher.test": ["127.0.0.1"]})
    _run(stage)
    outs = [p for p in (tmp_path / "02-fetch").glob("part-*.arrow") if read_table(p).num_rows]
    assert len(outs) == 1 and read_table(outs[0]).column("fetch_error").to_pylist() == [None] * 4
    times = [t for t, h, p in web.arrivals if h.rstrip(".") == "xn--bcher-kva.test"]
    assert len(times) == 5 and min(b - a for a, b in zip(times, times[1:], strict=False)) >= 0.19
