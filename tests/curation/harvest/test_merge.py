from __future__ import annotations

import random
from pathlib import Path

import pyarrow as pa

from curation.harvest.merge import LINK_SCHEMA, merge_posts
from curation.harvest.partition import PartitionWriter, read_bucket
from curation.harvest.posts import POST_OUT_SCHEMA, build_table, epoch_seconds
from curation.ids import doc_id


def post_table(rows: list[tuple]) -> pa.Table:
    """rows: (normalized_url, score, created, subreddit, title, source_file, line_no)"""
    cols = {"url": [r[0] + "?utm_source=x" for r in rows], "score": [r[1] for r in rows],
            "created": epoch_seconds([r[2] for r in rows]), "subreddit": [r[3] for r in rows],
            "title": [r[4] for r in rows]}
    tables = []
    for r, c in zip(rows, range(len(rows)), strict=True):
        t = build_table({k: v[c:c + 1] for k, v in cols.items()}, r[5], [r[6]])
        tables.append(t)
    t = pa.concat_tables(tables)
    return t.append_column("normalized_url", pa.array([r[0] for r in rows])).append_column(
        "id", pa.array([doc_id(r[0]) for r in rows]))


A, B = "https://a.example/x", "https://b.example/y"
ROWS = [(A, 5, 200, "news", "second best", "f1", 1),
        (A, 9, 300, "World", "best", "f1", 2),
        (A, 9, 400, "news", "tie but later", "f1", 3),
        (B, 1, 100, "pics", "low", "f2", 1),
        (B, 1, 50, None, "low too", "f2", 2)]


def test_one_link_per_url_with_the_best_submission() -> None:
    m = merge_posts(post_table(ROWS), min_karma=3, summed=False)
    assert m.links.schema == LINK_SCHEMA
    links = {r["normalized_url"]: r for r in m.links.to_pylist()}
    a = links[A]
    assert (a["title"], a["score"], a["n_submissions"], a["subreddits"], a["id"]) == (
        "best", 9, 3, ["news", "World"], doc_id(A))
    assert int(a["first_seen"].timestamp()) == 200 and a["domain"] == "a.example"
    assert a["url"] == A + "?utm_source=x"
    # per-submission rule: posts reaching the merge already passed; B's max is kept as it is
    assert links[B]["score"] == 1 and links[B]["subreddits"] == ["pics"]
    assert sorted(m.reasons.to_pylist()) == ["duplicate_url"] * 3
    assert m.links.column("id").to_pylist() == sorted(m.links.column("id").to_pylist())


def test_summed_karma_rule() -> None:
    m = merge_posts(post_table(ROWS), min_karma=3, summed=True)
    assert m.links.column("normalized_url").to_pylist() == [A]
    assert m.links.column("score").to_pylist() == [23]
    got = sorted(zip(m.reasons.to_pylist(), m.signals.to_pylist(), strict=True))
    assert got == [("below_karma", 2.0), ("below_karma", 2.0), ("duplicate_url", 5.0), ("duplicate_url", 9.0)]
    assert m.rejected.num_rows + m.links.num_rows == len(ROWS)


def test_result_does_not_depend_on_input_order() -> None:
    rng = random.Random(3)
    rows = [(f"https://s{i % 7}.example/{i % 11}", rng.randint(0, 20), rng.randint(0, 10), f"r{i % 3}", f"t{i}",
             f"f{i % 2}", i) for i in range(200)]
    first = merge_posts(post_table(rows), 3, False)
    rng.shuffle(rows)
    second = merge_posts(post_table(rows), 3, False)
    assert first.links.equals(second.links)
    assert sorted(first.rejected.column("line_no").to_pylist()) == sorted(second.rejected.column("line_no").to_pylist())


def test_partition_round_trip(tmp_path: Path) -> None:
    t = post_table(ROWS).cast(POST_OUT_SCHEMA)
    for i in range(2):
        w = PartitionWriter(tmp_path, i, 3, POST_OUT_SCHEMA)
        w.add(t, [0, 2, 0, 2, 2])
        w.commit()
    assert read_bucket(tmp_path, 2, 1) is None  # empty, but its files exist
    b0 = read_bucket(tmp_path, 2, 0)
    assert b0.column("line_no").to_pylist() == [1, 3, 1, 3]  # file order kept, map order kept
    assert read_bucket(tmp_path, 2, 2).num_rows == 6


def test_subreddits_and_domains_per_link() -> None:
    c, d = "https://www.c.co.uk:8080/z", "http://[2001:db8::1]/w"
    subs = ["news", "News", "", None, "ünï", "Ünï", "news", "a"]
    rows = [(c, 5, i, s, "t", "f1", i) for i, s in enumerate(subs)]
    rows += [(d, 5, 0, "", "t", "f1", 99), (A, 5, 0, None, "t", "f1", 100)]
    links = {r["normalized_url"]: r for r in merge_posts(post_table(rows), 3, False).links.to_pylist()}
    expected = sorted({s for s in subs if s}, key=lambda s: (s.lower(), s))
    assert links[c]["subreddits"] == expected == ["a", "News", "news", "Ünï", "ünï"]
    assert links[d]["subreddits"] == [] and links[A]["subreddits"] == []
    assert (links[c]["domain"], links[d]["domain"], links[A]["domain"]) == ("c.co.uk", "[2001:db8::1]", "a.example")
