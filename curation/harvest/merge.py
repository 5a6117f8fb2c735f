"""One link per normalized URL: merge every submission of it found in one partition.

The representative submission (whose ``url``, ``title`` and ``source_file`` the link keeps) is the one
with the highest score, then the earliest, then the first in file order: a total order, so the result
does not depend on how the input was split. The link's ``score`` is the highest submission score
(per-submission karma rule, WebText) or the sum over its submissions (summed rule, OpenWebText2);
``n_submissions``, ``subreddits`` (distinct, sorted case-insensitively) and ``first_seen`` cover all of them. The other
submissions are rejected as ``duplicate_url``, or, under the summed rule, all of a URL's submissions
as ``below_karma`` when the sum falls short.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curation.harvest.posts import TIME
from curation.urls import registered_domain

LINK_SCHEMA = pa.schema([
    ("id", pa.string()),  # curation.ids.doc_id(normalized_url)
    ("url", pa.string()),
    ("normalized_url", pa.string()),
    ("domain", pa.string()),  # registered domain (public suffix + 1 label)
    ("score", pa.int64()),
    ("n_submissions", pa.int64()),
    ("subreddits", pa.list_(pa.string())),
    ("first_seen", TIME),
    ("title", pa.string()),
    ("source_file", pa.string()),
])


@dataclass
class Merged:
    links: pa.Table  # LINK_SCHEMA, sorted by id
    rejected: pa.Table  # posts
    reasons: pa.Array
    signals: pa.Array


def _domains(normalized: pa.Array) -> pa.Array:
    """The registered domain of each normalized URL, worked out once per distinct host (and port)."""
    netloc = pc.list_element(pc.split_pattern(normalized, "/", max_splits=3), 2)  # "https:", "", netloc, path
    enc = pc.dictionary_encode(netloc)
    # dictionary entries come in order of first appearance: the first row of each is its example URL
    _, first = np.unique(enc.indices.to_numpy(), return_index=True)
    domains = [registered_domain(normalized[i].as_py()) for i in first.tolist()]
    return pa.array(domains, pa.string()).take(enc.indices)


def _subreddit_lists(subs: pa.Array, group_of_row: np.ndarray, groups: int) -> pa.Array:
    """Each group's distinct non-empty subreddits, sorted case-insensitively (then as written), as one
    list array: the names are sorted once in Python, the rows in numpy."""
    enc = pc.dictionary_encode(subs)
    names = enc.dictionary.to_pylist()
    by_name = sorted(range(len(names)), key=lambda i: (names[i].lower(), names[i]))
    rank = np.empty(len(names), np.int64)
    rank[by_name] = np.arange(len(names))
    index = pc.fill_null(enc.indices, -1).to_numpy()
    listed = index >= 0
    if "" in names:
        listed &= index != names.index("")
    g, r = group_of_row[listed], rank[index[listed]]
    o = np.lexsort((r, g))  # by group, then by name
    g, r = g[o], r[o]
    distinct = np.ones(len(g), dtype=bool)
    distinct[1:] = (g[1:] != g[:-1]) | (r[1:] != r[:-1])
    g, r = g[distinct], r[distinct]
    offsets = np.zeros(groups + 1, np.int32)
    np.cumsum(np.bincount(g, minlength=groups), out=offsets[1:])
    values = pa.array([names[i] for i in by_name], pa.string()).take(pa.array(r))
    return pa.ListArray.from_arrays(pa.array(offsets), values)


def merge_posts(posts: pa.Table, min_karma: int | None, summed: bool) -> Merged:
    """Merge one partition. Only the key columns are sorted; the full rows are taken once, for the
    links and the rejected posts, so the partition is copied about once (it may be memory-mapped)."""
    keys = [("normalized_url", "ascending"), ("score", "descending"), ("created", "ascending"),
            ("source_file", "ascending"), ("line_no", "ascending")]
    order = pc.sort_indices(posts.select([k for k, _ in keys]), sort_keys=[(k, o, "at_end") for k, o in keys])
    n = posts.num_rows

    def sorted_column(name: str) -> pa.Array:
        return posts.column(name).take(order).combine_chunks()

    nu = sorted_column("normalized_url")
    first = np.ones(n, dtype=bool)
    if n > 1:
        first[1:] = pc.not_equal(nu.slice(1), nu.slice(0, n - 1)).to_numpy(zero_copy_only=False)
    del nu
    starts = np.flatnonzero(first)
    sizes = np.diff(np.append(starts, n))
    score_col = sorted_column("score")
    has_score = score_col.null_count < n
    scores = pc.fill_null(score_col, 0).to_numpy()
    link_score = np.add.reduceat(scores, starts) if summed else np.maximum.reduceat(scores, starts)
    never = np.iinfo(np.int64).max
    created = pc.fill_null(sorted_column("created").cast(pa.int64()), never).to_numpy()
    first_seen = np.minimum.reduceat(created, starts)

    group_of_row = np.repeat(np.arange(len(starts)), sizes)
    subreddits = _subreddit_lists(sorted_column("subreddit"), group_of_row, len(starts))

    keep_group = np.ones(len(starts), dtype=bool)
    if summed and min_karma is not None and has_score:
        keep_group = link_score >= min_karma

    order_np = order.to_numpy()
    reps = posts.take(pa.array(order_np[starts]))
    links = pa.table({
        "id": reps.column("id"),
        "url": reps.column("url"),
        "normalized_url": reps.column("normalized_url"),
        "domain": _domains(reps.column("normalized_url").combine_chunks()),
        "score": pa.array(link_score, pa.int64(), mask=None if has_score else np.ones(len(starts), bool)),
        "n_submissions": pa.array(sizes, pa.int64()),
        "subreddits": subreddits,
        "first_seen": pa.array(first_seen, pa.int64(), mask=first_seen == never).cast(TIME),
        "title": reps.column("title"),
        "source_file": reps.column("source_file"),
    }, schema=LINK_SCHEMA)
    links = links.filter(pa.array(keep_group))
    links = links.take(pc.sort_indices(links, sort_keys=[("id", "ascending")]))

    row_kept_group = keep_group[group_of_row]
    drop = ~(first & row_kept_group)  # in sorted order: every row but the kept representatives
    reasons = np.where(row_kept_group[drop], "duplicate_url", "below_karma")
    signals = np.where(row_kept_group, scores.astype(np.float64), link_score[group_of_row].astype(np.float64))
    rejected = posts.take(pa.array(order_np[drop]))
    return Merged(links, rejected, pa.array(reasons.tolist(), pa.string()), pa.array(signals[drop], pa.float64()))
