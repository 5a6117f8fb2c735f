"""The per-post rules of harvesting, in funnel order, and the link key of each surviving post.

Each post gets the first reason that applies (null = it survives): what the format decided
(``malformed``, ``removed``, ``not_story``), then ``below_karma`` (per-submission rule only; the summed
rule is applied per URL after the merge), ``nsfw``, ``self_post``, ``subreddit``, ``time_range``,
``url_too_long``, ``invalid_url``, ``blocked_domain``, ``blocked_extension``. The cheap column rules
run in Arrow over the whole batch; URL normalization and the blocklists run in Python, on the posts
still standing only.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curation.harvest.blocklists import Blocklist
from curation.harvest.posts import Parsed
from curation.urls import normalize_url_parts

MAX_EXAMPLES = 5
DROP_REASONS = ("malformed", "removed", "not_story", "below_karma", "nsfw", "self_post", "subreddit", "time_range",
                "url_too_long", "invalid_url", "blocked_domain", "blocked_extension", "duplicate_url")


@dataclass(frozen=True)
class PostRules:
    min_karma: int | None
    summed_karma: bool  # True: the karma rule waits for the per-URL sum
    exclude_nsfw: bool
    exclude_self_posts: bool
    subreddits: frozenset[str] | None  # lowercase allow list
    exclude_subreddits: frozenset[str]
    start: datetime | None
    end: datetime | None
    max_url_length: int | None
    blocklist: Blocklist


@dataclass
class Judged:
    """A batch of posts with their link keys, drop reasons, signals and partition numbers."""

    table: pa.Table  # POST_OUT_SCHEMA
    reasons: pa.Array
    signals: pa.Array
    buckets: list[int]  # partition of each kept row, in row order
    notes: dict[str, Any] = field(default_factory=dict)


def _mark(reason: pa.Array, signal: pa.Array, cond: pa.Array, name: str,
          value: pa.Array | None = None) -> tuple[pa.Array, pa.Array]:
    hit = pc.and_(pc.is_null(reason), pc.fill_null(cond, False))
    if not pc.any(hit).as_py():
        return reason, signal
    reason = pc.if_else(hit, pa.scalar(name, pa.string()), reason)
    if value is not None:
        signal = pc.if_else(hit, value.cast(pa.float64()), signal)
    return reason, signal


def link_key(normalized: str, partitions: int) -> tuple[str, int]:
    """(link id, partition): ``curation.ids.doc_id`` of the normalized URL, and
    ``curation.ids.stable_hash64`` of it modulo ``partitions``, from one BLAKE2b digest."""
    digest = hashlib.blake2b(normalized.encode("utf-8"), digest_size=8).digest()
    return digest.hex(), int.from_bytes(digest, "little") % partitions


def judge(parsed: Parsed, rules: PostRules, partitions: int, cache: dict | None = None) -> Judged:
    """Reasons, signals and link keys of one batch. ``cache`` (one dict per map task) keeps the URL
    verdict of every URL seen, so a URL submitted again is not normalized again."""
    t = parsed.table
    n = t.num_rows
    reason = pa.array(parsed.reasons, pa.string())
    signal = pa.nulls(n, pa.float64())
    if rules.min_karma is not None and not rules.summed_karma:
        score = t.column("score").combine_chunks()
        reason, signal = _mark(reason, signal, pc.less(score, rules.min_karma), "below_karma", score)
    if rules.exclude_nsfw:
        reason, signal = _mark(reason, signal, t.column("over_18").combine_chunks(), "nsfw")
    if rules.exclude_self_posts:
        reason, signal = _mark(reason, signal, t.column("is_self").combine_chunks(), "self_post")
    sub = pc.utf8_lower(t.column("subreddit").combine_chunks())
    if rules.subreddits is not None:
        allowed = pc.is_in(sub, pa.array(sorted(rules.subreddits), pa.string()))
        reason, signal = _mark(reason, signal, pc.invert(allowed), "subreddit")
    if rules.exclude_subreddits:
        denied = pc.is_in(sub, pa.array(sorted(rules.exclude_subreddits), pa.string()))
        reason, signal = _mark(reason, signal, denied, "subreddit")
    if rules.start is not None or rules.end is not None:
        created = t.column("created").combine_chunks()
        outside = pc.is_null(created)
        if rules.start is not None:
            outside = pc.or_kleene(outside, pc.less(created, pa.scalar(rules.start, created.type)))
        if rules.end is not None:
            outside = pc.or_kleene(outside, pc.greater_equal(created, pa.scalar(rules.end, created.type)))
        reason, signal = _mark(reason, signal, outside, "time_range", created.cast(pa.int64()))
    return _judge_urls(t, reason, signal, rules, partitions, cache)


# URL verdicts kept per map task; the cache is emptied when it reaches this many URLs (memory bound).
URL_CACHE_MAX = 1 << 20


def _url_verdict(url: str, rules: PostRules, partitions: int) -> tuple:
    """(reason, signal, normalized URL, link id, partition, note kind, note value) of one URL."""
    max_len = rules.max_url_length
    if max_len is not None and len(url) > max_len:
        return "url_too_long", float(len(url)), None, None, None, None, None
    try:
        nu, host, path = normalize_url_parts(url)
    except ValueError as e:
        return "invalid_url", None, None, None, None, "invalid", f"{url[:200]!r}: {e}"
    bl = rules.blocklist
    entry = bl.blocked_domain(host)
    if entry is not None:
        return "blocked_domain", None, nu, None, None, "domain", entry
    ext = bl.blocked_extension(path)
    if ext is not None:
        return "blocked_extension", None, nu, None, None, "ext", ext
    link_id, bucket = link_key(nu, partitions)
    return None, None, nu, link_id, bucket, None, None


def _judge_urls(t: pa.Table, reason: pa.Array, signal: pa.Array, rules: PostRules,
                partitions: int, cache: dict | None = None) -> Judged:
    n = t.num_rows
    open_ = pc.is_null(reason)  # the posts still standing: only these reach Python
    urls = t.column("url").combine_chunks().filter(open_).to_pylist()
    cache = {} if cache is None else cache
    if len(cache) + len(urls) > URL_CACHE_MAX:
        cache.clear()
    verdicts = []
    append = verdicts.append
    get = cache.get
    for url in urls:
        v = get(url)
        if v is None:
            v = cache[url] = _url_verdict(url, rules, partitions)
        append(v)
    blocked_domains: dict[str, int] = {}
    blocked_exts: dict[str, int] = {}
    invalid: list[str] = []
    buckets: list[int] = []
    for v in verdicts:
        kind = v[5]
        if kind is None:
            if v[0] is None:
                buckets.append(v[4])
        elif kind == "domain":
            blocked_domains[v[6]] = blocked_domains.get(v[6], 0) + 1
        elif kind == "ext":
            blocked_exts[v[6]] = blocked_exts.get(v[6], 0) + 1
        elif len(invalid) < MAX_EXAMPLES:
            invalid.append(v[6])
    if verdicts:
        cols = list(zip(*verdicts, strict=True))
        # row -> its place among the open rows (null for the others): one `take` per column
        mask = open_.to_numpy(zero_copy_only=False)
        where = pa.array(np.cumsum(mask) - 1, pa.int64(), mask=~mask)
        reason = pc.coalesce(reason, pa.array(cols[0], pa.string()).take(where))
        signal = pc.coalesce(signal, pa.array(cols[1], pa.float64()).take(where))
        normalized = pa.array(cols[2], pa.string()).take(where)
        ids = pa.array(cols[3], pa.string()).take(where)
    else:
        normalized = ids = pa.nulls(n, pa.string())
    table = t.append_column("normalized_url", normalized).append_column("id", ids)
    notes: dict[str, Any] = {}
    if blocked_domains:
        notes["blocked_domains"] = blocked_domains
    if blocked_exts:
        notes["blocked_extensions"] = blocked_exts
    if invalid:
        notes["invalid_url_examples"] = invalid
    return Judged(table, reason, signal, buckets, notes)
