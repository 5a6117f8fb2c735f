"""The per-post rules of harvesting, in funnel order, and the link key of each surviving post.

Each post gets the first reason that applies (null = it survives): what the format decided
(``malformed``, ``removed``, ``not_story``), then ``below_karma`` (per-submission rule only; the summed
rule is applied per URL after the merge), ``nsfw``, ``self_post``, ``subreddit``, ``time_range``,
``url_too_long``, ``invalid_url``, ``blocked_domain``, ``blocked_extension``. The column rules run over
the whole batch (Arrow comparisons, numpy masks); the URL rules run in Python on the posts still
standing only, where one RE2 pass over the batch first picks out the URLs already in canonical form
(most links), which then skip normalization.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curation.harvest.blocklists import Blocklist
from curation.harvest.posts import Parsed
from curation.urls import canonical_parts, canonical_urls, normalize_url_parts

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


# A reason's code: 1 + its place in DROP_REASONS (0: none yet); reasons a format adds are appended.
_CODES = {name: i + 1 for i, name in enumerate(DROP_REASONS)}


def _mask(cond: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A boolean column as a numpy mask, null counted as false."""
    if isinstance(cond, pa.ChunkedArray):
        cond = cond.combine_chunks()
    if cond.null_count:
        cond = pc.fill_null(cond, False)
    return cond.to_numpy(zero_copy_only=False)


class _Funnel:
    """Each row's first drop reason (as a code) and its signal, in numpy: a rule costs a few vector
    operations where Arrow kernels cost tens of microseconds a call, whatever the batch size."""

    def __init__(self, pre: list[str | None]):
        n = len(pre)
        self.names = list(DROP_REASONS)
        self.code = np.zeros(n, np.int16)
        self.signal = np.zeros(n, np.float64)
        self.has_signal = np.zeros(n, np.bool_)
        if pre.count(None) != n:  # reasons the format decided (usually none)
            codes = dict(_CODES)
            for i, r in enumerate(pre):
                if r is not None:
                    if r not in codes:
                        self.names.append(r)
                        codes[r] = len(self.names)
                    self.code[i] = codes[r]

    def mark(self, cond: pa.Array | pa.ChunkedArray, name: str, value: pa.Array | None = None) -> None:
        """Give ``name`` (and ``value`` as the signal) to the rows still open where ``cond`` holds."""
        hit = _mask(cond) & (self.code == 0)
        if not hit.any():
            return
        self.code[hit] = _CODES[name]
        if value is not None:
            value = value.cast(pa.float64())
            if value.null_count:
                self.has_signal[hit] = _mask(pc.is_valid(value))[hit]
                value = pc.fill_null(value, 0.0)
            else:
                self.has_signal[hit] = True
            self.signal[hit] = value.to_numpy(zero_copy_only=False)[hit]

    def reasons(self) -> pa.Array:
        indices = pa.array(self.code.astype(np.int64) - 1, pa.int64(), mask=self.code == 0)
        return pa.array(self.names, pa.string()).take(indices)

    def signals(self) -> pa.Array:
        return pa.array(self.signal, pa.float64(), mask=~self.has_signal)


# Copying a fresh hash object costs less than building one from keyword arguments (digest_size).
_BLAKE2B_8 = hashlib.blake2b(digest_size=8)


def _digest(normalized: str) -> bytes:
    h = _BLAKE2B_8.copy()
    h.update(normalized.encode("utf-8"))
    return h.digest()


def link_key(normalized: str, partitions: int) -> tuple[str, int]:
    """(link id, partition): ``curation.ids.doc_id`` of the normalized URL, and
    ``curation.ids.stable_hash64`` of it modulo ``partitions``, from one BLAKE2b digest."""
    digest = _digest(normalized)
    return digest.hex(), int.from_bytes(digest, "little") % partitions


def _link_keys(digests: list[bytes | None], present: np.ndarray,
               partitions: int) -> tuple[pa.Array, list[int]]:
    """``link_key`` of a batch from its digests (None where ``present`` is false): the ids as one string
    array (null for None) and the partitions of the others, converted all at once instead of one by one."""
    joined = b"".join(filter(None, digests))
    buckets = (np.frombuffer(joined, "<u8") % np.uint64(partitions)).tolist()
    offsets = np.zeros(len(digests) + 1, np.int32)
    offsets[1:] = np.cumsum(present, dtype=np.int32) * 16  # 16 hex digits per id
    validity = np.packbits(present, bitorder="little")
    ids = pa.Array.from_buffers(pa.string(), len(digests), [pa.py_buffer(validity), pa.py_buffer(offsets),
                                                            pa.py_buffer(joined.hex().encode("ascii"))],
                                null_count=len(digests) - len(buckets))
    return ids, buckets


def judge(parsed: Parsed, rules: PostRules, partitions: int, cache: dict | None = None) -> Judged:
    """Reasons, signals and link keys of one batch. ``cache`` (one dict per map task) keeps the URL
    verdict of every URL seen, so a URL submitted again is not normalized again."""
    t = parsed.table
    funnel = _Funnel(parsed.reasons)
    if rules.min_karma is not None and not rules.summed_karma:
        score = t.column("score").combine_chunks()
        funnel.mark(pc.less(score, rules.min_karma), "below_karma", score)
    if rules.exclude_nsfw:
        funnel.mark(t.column("over_18"), "nsfw")
    if rules.exclude_self_posts:
        funnel.mark(t.column("is_self"), "self_post")
    if rules.subreddits is not None or rules.exclude_subreddits:
        sub = pc.utf8_lower(t.column("subreddit").combine_chunks())
        if rules.subreddits is not None:
            allowed = pc.is_in(sub, pa.array(sorted(rules.subreddits), pa.string()))
            funnel.mark(pc.invert(allowed), "subreddit")
        if rules.exclude_subreddits:
            funnel.mark(pc.is_in(sub, pa.array(sorted(rules.exclude_subreddits), pa.string())), "subreddit")
    if rules.start is not None or rules.end is not None:
        created = t.column("created").combine_chunks()
        outside = pc.is_null(created)
        if rules.start is not None:
            outside = pc.or_kleene(outside, pc.less(created, pa.scalar(rules.start, created.type)))
        if rules.end is not None:
            outside = pc.or_kleene(outside, pc.greater_equal(created, pa.scalar(rules.end, created.type)))
        funnel.mark(outside, "time_range", created.cast(pa.int64()))
    return _judge_urls(t, funnel, rules, partitions, cache)


# URL verdicts kept per map task; the cache is emptied when it reaches this many URLs (memory bound).
URL_CACHE_MAX = 1 << 20

_TOO_LONG, _INVALID = _CODES["url_too_long"], _CODES["invalid_url"]
_BLOCKED_DOMAIN, _BLOCKED_EXTENSION = _CODES["blocked_domain"], _CODES["blocked_extension"]


def _url_verdict(url: str, rules: PostRules, canonical: bool = False) -> tuple:
    """(reason code, signal, normalized URL, BLAKE2b digest of it, note) of one URL: code 0 keeps it
    and only a kept URL has a digest; the note is the blocking entry or the invalid URL example.
    ``canonical``: ``curation.urls.canonical_urls`` listed the URL, so it needs no normalizing."""
    max_len = rules.max_url_length
    if max_len is not None and len(url) > max_len:
        return _TOO_LONG, float(len(url)), None, None, None
    if canonical:
        nu = url
        host, path = canonical_parts(url)
    else:
        try:
            nu, host, path = normalize_url_parts(url)
        except ValueError as e:
            return _INVALID, None, None, None, f"{url[:200]!r}: {e}"
    bl = rules.blocklist
    entry = bl.blocked_domain(host)
    if entry is not None:
        return _BLOCKED_DOMAIN, None, nu, None, entry
    ext = bl.blocked_extension(path)
    if ext is not None:
        return _BLOCKED_EXTENSION, None, nu, None, ext
    return 0, None, nu, _digest(nu), None


def _judge_urls(t: pa.Table, funnel: _Funnel, rules: PostRules, partitions: int,
                cache: dict | None = None) -> Judged:
    n = t.num_rows
    open_ = funnel.code == 0  # the posts still standing: only these reach Python
    urls = t.column("url").combine_chunks().filter(pa.array(open_))
    canonical = canonical_urls(urls).tolist()  # most links: one RE2 pass instead of normalizing each
    urls = urls.to_pylist()
    cache = {} if cache is None else cache
    if len(cache) + len(urls) > URL_CACHE_MAX:
        cache.clear()
    verdicts = []
    append = verdicts.append
    get = cache.get
    for url, c in zip(urls, canonical, strict=True):
        v = get(url)
        if v is None:
            v = cache[url] = _url_verdict(url, rules, c)
        append(v)
    blocked_domains: dict[str, int] = {}
    blocked_exts: dict[str, int] = {}
    invalid: list[str] = []
    too_long: list[int] = []  # places among the open rows
    for i, v in enumerate(verdicts):
        code = v[0]
        if not code:
            continue
        if code == _BLOCKED_DOMAIN:
            blocked_domains[v[4]] = blocked_domains.get(v[4], 0) + 1
        elif code == _BLOCKED_EXTENSION:
            blocked_exts[v[4]] = blocked_exts.get(v[4], 0) + 1
        elif code == _TOO_LONG:
            too_long.append(i)
        elif len(invalid) < MAX_EXAMPLES:
            invalid.append(v[4])
    buckets: list[int] = []
    if verdicts:
        # one column at a time (zip(*verdicts) makes an iterator per verdict for the collector to count)
        normalized, digests = list(map(itemgetter(2), verdicts)), list(map(itemgetter(3), verdicts))
        rows = np.flatnonzero(open_)
        funnel.code[rows] = list(map(itemgetter(0), verdicts))
        if too_long:
            funnel.signal[rows[too_long]] = [verdicts[i][1] for i in too_long]
            funnel.has_signal[rows[too_long]] = True
        # row -> its place among the open rows (null for the others): one `take` per column
        where = pa.array(np.cumsum(open_) - 1, pa.int64(), mask=~open_)
        normalized = pa.array(normalized, pa.string()).take(where)
        ids, buckets = _link_keys(digests, funnel.code[rows] == 0, partitions)  # kept = has a digest
        ids = ids.take(where)
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
    return Judged(table, funnel.reasons(), funnel.signals(), buckets, notes)
