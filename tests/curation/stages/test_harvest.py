"""The harvest stage end to end: dumps in, link shards + rejected posts + funnel out."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from curation.config import parse_pipeline
from curation.errors import ShardError, UserError
from curation.harvest.merge import LINK_SCHEMA
from curation.harvest.synth import compress, encode_lines, reddit_submission, write_dump
from curation.runner import Runner, RunOptions
from curation.shards import read_json, read_table


def sub(i: int, **kw) -> dict:
    base = {"id": f"p{i}", "url": f"https://site{i}.example/story-{i}", "score": 10, "subreddit": "news",
            "over_18": False, "is_self": False, "created_utc": 1546300800 + i, "title": f"title {i}"}
    base.update(kw)
    return base


def run(tmp_path: Path, workers: int = 1, run_name: str = "run", **stage: object) -> Path:
    cfg = parse_pipeline({"name": "h", "stages": [{"stage": "harvest", **stage}]})
    Runner(cfg, tmp_path / run_name).run(RunOptions(workers=workers, progress=False))
    return tmp_path / run_name / "01-harvest"


def funnel(stage_dir: Path) -> tuple[int, int, dict[str, int], list[dict]]:
    posts_in, links_out, drops, stats = 0, 0, {}, []
    for f in sorted((stage_dir / "stats").glob("*.json")):
        st = read_json(f)
        stats.append(st)
        posts_in += st["in"]["records"] if st["in"] else 0
        links_out += st["out"]["records"] if st["out"] else 0
        for reason, m in st["drops"].items():
            drops[reason] = drops.get(reason, 0) + m["records"]
    return posts_in, links_out, drops, stats


def links(stage_dir: Path) -> list[dict]:
    out = []
    for p in sorted(stage_dir.glob("part-*.arrow")):
        t = read_table(p)
        assert t.schema == LINK_SCHEMA
        out += t.to_pylist()
    return out


def test_funnel_has_every_reason_and_adds_up(tmp_path: Path) -> None:
    rs = [sub(1, url="https://www.nytimes.com/a?utm_source=reddit", score=50),
          sub(2, url="https://WWW.NYTIMES.COM:443/a#x", score=7, subreddit="World", created_utc=1546300000),
          sub(3, score=2), sub(4, over_18=True), sub(5, is_self=True), sub(6, subreddit="spam"),
          sub(7, created_utc=1262304000), sub(8, url="https://x.example/" + "a" * 3000), sub(9, url="mailto:a@b.c"),
          sub(10, url="https://en.wikipedia.org/wiki/Karma"), sub(11, url="https://i.imgur.com/abc.png"),
          sub(12, url="https://site12.example/photo.JPEG"), b'{"id": "cut', sub(14, score="12"), sub(15)]
    hn = [{"id": 1, "type": "story", "by": "a", "time": 1546300900, "url": "https://www.nytimes.com/a", "score": 3,
           "title": "HN"},
          {"id": 2, "type": "comment", "by": "b", "time": 1546300901, "text": "c"}]
    write_dump(tmp_path / "dumps" / "RS_2019-01.zst", rs, long_window=True)
    write_dump(tmp_path / "dumps" / "hn.jsonl.bz2", hn, "bz2")
    d = run(tmp_path, inputs=[str(tmp_path / "dumps" / "*")], exclude_subreddits=["Spam"], start="2018-01-01",
            max_malformed_fraction=0.1, partitions=4)
    posts_in, links_out, drops, stats = funnel(d)
    assert drops == {"malformed": 1, "below_karma": 1, "nsfw": 1, "self_post": 1, "subreddit": 1,
                     "time_range": 1, "url_too_long": 1, "invalid_url": 1, "blocked_domain": 2,
                     "blocked_extension": 1, "not_story": 1, "duplicate_url": 2}
    assert posts_in == len(rs) + len(hn) == links_out + sum(drops.values())
    got = {r["normalized_url"]: r for r in links(d)}
    assert set(got) == {"https://www.nytimes.com/a", "https://site14.example/story-14",
                        "https://site15.example/story-15"}
    ny = got["https://www.nytimes.com/a"]
    assert (ny["score"], ny["n_submissions"], ny["subreddits"], ny["domain"]) == (50, 3, ["news", "World"],
                                                                                  "nytimes.com")
    assert ny["url"] == "https://www.nytimes.com/a?utm_source=reddit" and ny["source_file"].endswith("RS_2019-01.zst")
    assert int(ny["first_seen"].timestamp()) == 1546300000
    notes = {}
    for st in stats:
        for k, v in st["notes"].items():
            notes.setdefault(k, []).append(v)
    assert notes["blocked_domains"] == [{"wikipedia.org": 1, "imgur.com": 1}]
    files = {k: v for n in notes["files"] for k, v in n.items()}
    rs_note = next(v for k, v in files.items() if k.endswith("RS_2019-01.zst"))
    assert rs_note["malformed"] == 1 and rs_note["first_malformed"][0].startswith("line 13:")
    assert rs_note["coerced"] == 1 and rs_note["format"] == "pushshift"
    assert next(v for k, v in files.items() if k.endswith(".bz2"))["format"] == "hn"
    # rejected posts keep their fields, reason and signal
    rej = read_table(next((d / "rejected").glob("map-part-*.arrow"))).to_pylist()
    low = next(r for r in rej if r["drop_reason"] == "below_karma")
    assert low["post_id"] == "p3" and low["drop_signal"] == 2.0 and low["url"] == "https://site3.example/story-3"
    report = read_json(tmp_path / "run" / "report.json")
    assert report["stages"][0]["in"]["records"] == posts_in


def test_summed_karma_rule(tmp_path: Path) -> None:
    rs = [sub(1, url="https://a.example/x", score=1), sub(2, url="https://a.example/x/", score=2),
          sub(3, url="https://b.example/y", score=2)]
    write_dump(tmp_path / "RS.zst", rs)
    d = run(tmp_path, inputs=[str(tmp_path / "RS.zst")], karma_rule="summed", partitions=2)
    assert [(r["normalized_url"], r["score"], r["n_submissions"]) for r in links(d)] == [("https://a.example/x", 3, 2)]
    posts_in, links_out, drops, _ = funnel(d)
    assert drops == {"duplicate_url": 1, "below_karma": 1} and posts_in == 3 == links_out + 2
    d2 = run(tmp_path, run_name="per-post", inputs=[str(tmp_path / "RS.zst")], partitions=2)
    assert links(d2) == [] and funnel(d2)[2] == {"below_karma": 3}


def run_tasks_reversed(tmp_path: Path, **stage: object) -> Path:
    """Every task of every phase in reverse order, as a pool of workers may finish them."""
    runner = Runner(parse_pipeline({"name": "h", "stages": [{"stage": "harvest", **stage}]}), tmp_path / "rev")
    st = runner.build(0)
    st.ctx.stage_dir.mkdir(parents=True)
    st.prepare()
    for phase in st.phases():
        for key in reversed(st.task_keys(phase)):
            st.run_task(phase, key)
    return st.ctx.stage_dir


def assert_same_shards(a: Path, b: Path) -> None:
    files = sorted(p.relative_to(a) for p in a.rglob("*.arrow") if "_work" not in p.parts)
    assert len(files) == 3 + 3 + 3  # links, rejected posts per map and per partition
    assert files == sorted(p.relative_to(b) for p in b.rglob("*.arrow") if "_work" not in p.parts)
    for rel in files:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    assert len(links(a)) > 10


def three_dumps(tmp_path: Path) -> list[str]:
    rng = random.Random(7)
    for f in range(3):
        recs = [reddit_submission(rng, f * 1000 + i, url=f"https://s{rng.randint(0, 30)}.example/{rng.randint(0, 40)}",
                                  score=rng.randint(0, 9)) for i in range(150)]
        write_dump(tmp_path / f"RS_{f}.zst", recs)
    return [str(tmp_path / "RS_*.zst")]


def test_same_bytes_whatever_the_task_order(tmp_path: Path) -> None:
    inputs = three_dumps(tmp_path)
    assert_same_shards(run(tmp_path, 1, "w1", inputs=inputs, partitions=3),
                       run_tasks_reversed(tmp_path, inputs=inputs, partitions=3))


@pytest.mark.slow
def test_same_bytes_for_any_worker_count(tmp_path: Path) -> None:
    inputs = three_dumps(tmp_path)
    assert_same_shards(run(tmp_path, 1, "w1", inputs=inputs, partitions=3),
                       run(tmp_path, 2, "w2", inputs=inputs, partitions=3))


def test_too_many_malformed_lines_fail_the_shard_naming_the_file(tmp_path: Path) -> None:
    write_dump(tmp_path / "RS_bad.zst", [sub(1), b"not json", b"{]", sub(4)])
    with pytest.raises(ShardError, match=r"RS_bad.zst: 2 of 4 lines are malformed \(50.00%\), above "
                                         r"max_malformed_fraction=0.01 \(first: line 2: "):
        run(tmp_path, inputs=[str(tmp_path / "RS_bad.zst")])


def test_truncated_dump_is_counted_not_fatal(tmp_path: Path) -> None:
    rng = random.Random(1)
    data = compress(encode_lines(reddit_submission(rng, i) for i in range(400)))
    (tmp_path / "RS_cut.zst").write_bytes(data[: len(data) // 2])
    d = run(tmp_path, inputs=[str(tmp_path / "RS_cut.zst")], max_malformed_fraction=0.05)
    st = read_json(d / "stats" / "map-part-00000.json")
    note = next(iter(st["notes"]["files"].values()))
    assert "TruncatedInput" in note["read_error"]
    assert 0 < st["in"]["records"] < 400


def test_empty_dump_gives_empty_valid_shards(tmp_path: Path) -> None:
    write_dump(tmp_path / "RS_empty.zst", [])
    d = run(tmp_path, inputs=[str(tmp_path / "RS_empty.zst")], partitions=2)
    assert [read_table(p).schema == LINK_SCHEMA for p in sorted(d.glob("part-*.arrow"))] == [True, True]
    assert funnel(d)[:3] == (0, 0, {})


def test_rerun_resumes_without_redoing(tmp_path: Path) -> None:
    write_dump(tmp_path / "RS.zst", [sub(1), sub(2)])
    d = run(tmp_path, inputs=[str(tmp_path / "RS.zst")], partitions=2)
    before = {p: p.stat().st_mtime_ns for p in d.rglob("*.arrow")}
    run(tmp_path, inputs=[str(tmp_path / "RS.zst")], partitions=2)
    assert {p: p.stat().st_mtime_ns for p in d.rglob("*.arrow")} == before


@pytest.mark.parametrize(("stage", "message"), [
    ({"start": "2019-02-01", "end": "2019-01-01"}, "start .* must come before end"),
    ({"columns": {"url": "link", "score": None}}, "set min_karma: null"),
    ({"karma_rule": "average"}, "karma_rule"),
    ({"partitions": 0}, r"partitions: must be >= 1"),
])
def test_config_mistakes(tmp_path: Path, stage: dict, message: str) -> None:
    with pytest.raises(UserError, match=message):
        parse_pipeline({"name": "h", "stages": [{"stage": "harvest", "inputs": ["x"], **stage}]})


def test_unreadable_dump_fails_its_shard(tmp_path: Path) -> None:
    (tmp_path / "RS_garbage.zst").write_bytes(b"\x28\xb5\x2f\xfd" + bytes(range(256)) * 4)
    with pytest.raises(ShardError, match=r"RS_garbage.zst: no post could be read \(ZstdError"):
        run(tmp_path, inputs=[str(tmp_path / "RS_garbage.zst")])
