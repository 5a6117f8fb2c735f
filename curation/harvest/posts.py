"""The post table: one row per submission read from a dump, whatever its format.

Every format reader turns its input into batches of this schema, plus a pre-decided drop reason per
row for what the format itself says (a malformed line, an HN item that is not a story). Rows of
malformed lines keep their raw text (``raw``, cut to ``RAW_CHARS``) so a user can see what was wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

RAW_CHARS = 1000
MAX_PROBLEMS = 20  # malformed-line examples kept per file

TIME = pa.timestamp("s", tz="UTC")
POST_FIELDS = [
    ("post_id", pa.string()),  # the submission's id in its source (Reddit base36, HN number)
    ("url", pa.string()),  # as posted
    ("score", pa.int64()),
    ("subreddit", pa.string()),  # or the community / source column of a generic dump
    ("over_18", pa.bool_()),
    ("is_self", pa.bool_()),
    ("created", TIME),
    ("title", pa.string()),
    ("source_file", pa.string()),
    ("line_no", pa.int64()),  # 1-based line (JSON) or row (CSV, Parquet) in source_file
    ("raw", pa.string()),  # the line as read, for malformed lines only
]
POST_SCHEMA = pa.schema(POST_FIELDS)
# Added once a post's URL is normalized (null on posts dropped before that).
LINK_KEY_FIELDS = [("normalized_url", pa.string()), ("id", pa.string())]
POST_OUT_SCHEMA = pa.schema(POST_FIELDS + LINK_KEY_FIELDS)


@dataclass
class Parsed:
    """One batch of posts and what the format already decided about them."""

    table: pa.Table  # POST_SCHEMA
    reasons: list[str | None]  # per row: "malformed", "not_story", "removed", ... or None
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line_no, message), malformed rows
    counts: dict[str, int] = field(default_factory=dict)  # coerced, invalid_utf8, blank_lines


def raw_text(line: bytes) -> str:
    return line[:RAW_CHARS * 4].decode("utf-8", "replace")[:RAW_CHARS]


def epoch_seconds(values: list | pa.Array) -> pa.Array:
    """Unix times (int, float or None) -> timestamp[s, UTC]; fractions of a second are dropped.

    In numpy, then viewed as timestamps: three Arrow kernel calls cost more than the work on a batch."""
    arr = values if isinstance(values, pa.Array) else pa.array(values, type=pa.float64())
    arr = arr.cast(pa.float64())
    secs = np.clip(np.floor(np.nan_to_num(arr.to_numpy(zero_copy_only=False))), -1e11, 1e11).astype(np.int64)
    validity = arr.buffers()[0] if arr.null_count else None
    if validity is not None and arr.offset:
        validity = pc.is_valid(arr).buffers()[1]
    return pa.Array.from_buffers(TIME, len(arr), [validity, pa.py_buffer(secs)], null_count=arr.null_count)


def build_table(columns: dict[str, list | pa.Array], source_file: str, line_nos: list[int] | pa.Array,
                raw: list[str | None] | None = None) -> pa.Table:
    n = len(line_nos)
    arrays = []
    for name, typ in POST_FIELDS:
        if name == "source_file":
            arrays.append(pa.repeat(pa.scalar(source_file, pa.string()), n))
        elif name == "line_no":
            if isinstance(line_nos, range) and line_nos.step == 1:  # from numpy: no Python int per row
                arrays.append(pa.array(np.arange(line_nos.start, line_nos.stop, dtype=np.int64)))
            else:
                arrays.append(pa.array(line_nos, pa.int64()))
        elif name == "raw":
            arrays.append(pa.array(raw, pa.string()) if raw is not None else pa.nulls(n, pa.string()))
        elif name in columns:
            col = columns[name]
            arrays.append(col.cast(typ) if isinstance(col, pa.Array) else pa.array(col, typ))
        else:
            arrays.append(pa.nulls(n, typ))
    return pa.Table.from_arrays(arrays, schema=POST_SCHEMA)
