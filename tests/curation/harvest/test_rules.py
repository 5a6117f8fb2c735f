from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa

from curation.harvest.blocklists import Blocklist
from curation.harvest.posts import Parsed, build_table, epoch_seconds
from curation.harvest.rules import PostRules, judge, link_key
from curation.ids import doc_id, stable_hash64

BLOCK = Blocklist(frozenset({"wikipedia.org", "imgur.com"}), frozenset({"jpg", "pdf"}))


def rules(**kw) -> PostRules:
    base = dict(min_karma=3, summed_karma=False, exclude_nsfw=True, exclude_self_posts=True, subreddits=None,
                exclude_subreddits=frozenset(), start=None, end=None, max_url_length=100, blocklist=BLOCK)
    base.update(kw)
    return PostRules(**base)


def posts(rows: list[dict], pre: list[str | None] | None = None) -> Parsed:
    cols = {k: [r.get(k) for r in rows] for k in ("url", "score", "subreddit", "over_18", "is_self", "title")}
    cols["created"] = epoch_seconds([r.get("created", 1546300800) for r in rows])
    table = build_table(cols, "f", list(range(1, len(rows) + 1)))
    return Parsed(table, pre or [None] * len(rows))


def ok(**kw) -> dict:
    return {"url": "https://example.com/a", "score": 5, "subreddit": "news", "over_18": False, "is_self": False,
            **kw}


def reasons_of(parsed: Parsed, r: PostRules) -> list[str | None]:
    return judge(parsed, r, 4).reasons.to_pylist()


def test_every_reason_in_funnel_order() -> None:
    rows = [ok(), ok(url=None), ok(score=2), ok(over_18=True), ok(is_self=True), ok(subreddit="Pics"),
            ok(created=1), ok(url="https://example.com/" + "x" * 100), ok(url="ftp://example.com/"),
            ok(url="https://en.wikipedia.org/wiki/A"), ok(url="https://example.com/cat.JPG?x=1"),
            ok(score=1, over_18=True, is_self=True)]
    pre = [None, "malformed"] + [None] * 10
    r = rules(exclude_subreddits=frozenset({"pics"}), start=datetime(2018, 1, 1, tzinfo=UTC))
    judged = judge(posts(rows, pre), r, 4)
    assert judged.reasons.to_pylist() == [
        None, "malformed", "below_karma", "nsfw", "self_post", "subreddit", "time_range", "url_too_long",
        "invalid_url", "blocked_domain", "blocked_extension", "below_karma"]
    signals = judged.signals.to_pylist()
    assert signals[2] == 2.0 and signals[7] == 120.0 and signals[6] == 1.0
    assert judged.notes["blocked_domains"] == {"wikipedia.org": 1}
    assert judged.notes["blocked_extensions"] == {"jpg": 1}
    assert "ftp" in judged.notes["invalid_url_examples"][0]


def test_switches_turn_rules_off() -> None:
    rows = [ok(score=0), ok(over_18=True), ok(is_self=True), ok(url="https://example.com/" + "y" * 200)]
    r = rules(min_karma=None, exclude_nsfw=False, exclude_self_posts=False, max_url_length=None)
    assert reasons_of(posts(rows), r) == [None] * 4
    # summed karma: the per-post rule waits for the merge
    assert reasons_of(posts([ok(score=0)]), rules(summed_karma=True)) == [None]


def test_subreddit_allow_list_and_time_range() -> None:
    rows = [ok(subreddit="News"), ok(subreddit="pics"), ok(subreddit=None),
            ok(created=int(datetime(2019, 2, 1, tzinfo=UTC).timestamp())), ok(created=None)]
    r = rules(subreddits=frozenset({"news"}))
    assert reasons_of(posts(rows), r) == [None, "subreddit", "subreddit", None, None]
    r = rules(start=datetime(2019, 1, 1, tzinfo=UTC), end=datetime(2019, 2, 1, tzinfo=UTC))
    assert reasons_of(posts(rows), r) == [None, None, None, "time_range", "time_range"]


def test_survivors_get_link_key_and_partition() -> None:
    judged = judge(posts([ok(url="https://Example.com/a/?utm_source=x"), ok(score=0)]), rules(), 7)
    nu = "https://example.com/a"
    assert judged.table.column("normalized_url").to_pylist() == [nu, None]
    assert judged.table.column("id").to_pylist() == [doc_id(nu), None]
    assert judged.buckets == [stable_hash64(nu) % 7]
    assert link_key(nu, 7) == (doc_id(nu), stable_hash64(nu) % 7)


def test_empty_batch() -> None:
    judged = judge(posts([]), rules(), 4)
    assert judged.table.num_rows == 0 and judged.buckets == []
    assert judged.table.schema.field("id").type == pa.string()


def test_link_keys_of_a_mixed_batch() -> None:
    # kept, repeated, blocked and dropped posts interleaved: ids and partitions line up with their rows
    urls = ["https://example.com/a", "https://en.wikipedia.org/wiki/A", "https://example.com/b?utm_source=x",
            "https://example.com/a", "https://example.com/" + "x" * 120, "https://EXAMPLE.com/c/", "ftp://x/"]
    rows = [ok(url=u) for u in urls] + [ok(score=0), ok(url="https://example.com/d")]
    cache: dict = {}
    judged = judge(posts(rows), rules(), 5, cache)
    expected = ["https://example.com/a", "https://en.wikipedia.org/wiki/A", "https://example.com/b",
                "https://example.com/a", None, "https://example.com/c", None, None, "https://example.com/d"]
    assert judged.table.column("normalized_url").to_pylist() == expected
    kept = [nu for nu, r in zip(expected, judged.reasons.to_pylist(), strict=True) if r is None]
    assert kept == [e for i, e in enumerate(expected) if i not in (1, 4, 6, 7)]
    assert judged.table.column("id").to_pylist() == [doc_id(nu) if nu in kept else None for nu in expected]
    assert judged.buckets == [stable_hash64(nu) % 5 for nu in kept]
    assert judged.signals.to_pylist() == [None] * 4 + [float(len(urls[4]))] + [None] * 2 + [0.0, None]
    assert judged.notes == {"blocked_domains": {"wikipedia.org": 1},
                            "invalid_url_examples": ["'ftp://x/': not an http(s) URL (scheme 'ftp')"]}
    again = judge(posts(rows), rules(), 5, cache)  # every verdict from the cache now
    assert again.table.equals(judged.table) and again.buckets == judged.buckets


def test_reasons_a_format_adds_pass_through() -> None:
    judged = judge(posts([ok(), ok(), ok()], [None, "unreadable", "malformed"]), rules(), 4)
    assert judged.reasons.to_pylist() == [None, "unreadable", "malformed"]
