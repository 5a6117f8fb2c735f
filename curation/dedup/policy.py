"""Which member of a duplicate cluster is kept.

Each document gets a ``rank`` (lower is better) computed from its own columns when its signature or
hash is written; a cluster keeps its member with the lowest (rank, id, position). Missing values
rank last, so a document with a known score beats one without.

- ``highest_karma``: highest ``score`` (Reddit karma from harvesting).
- ``longest``: most characters of ``text``.
- ``earliest``: earliest ``first_seen`` (harvesting), else ``date`` (extraction), else ``fetched_at``.
- ``first_id``: smallest document ``id`` (a hash of the URL: arbitrary but stable).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

KeepPolicy = Literal["highest_karma", "longest", "earliest", "first_id"]
DATE_COLUMNS = ("first_seen", "date", "fetched_at")


def _float(arr: pa.Array | pa.ChunkedArray, negate: bool = False) -> np.ndarray:
    values = arr.cast(pa.float64())
    if negate:
        values = pc.negate(values)
    return pc.fill_null(values, np.inf).to_numpy(zero_copy_only=False).astype(np.float64)


def _epoch_seconds(col: pa.ChunkedArray) -> np.ndarray:
    """Seconds since 1970 for timestamp, date, numeric or ISO-8601 string columns; unparsable -> inf."""
    t = col.type
    if pa.types.is_timestamp(t):
        return _float(col.cast(pa.timestamp("s", tz=t.tz)).cast(pa.int64()))
    if pa.types.is_date(t):
        return _float(col.cast(pa.date32()).cast(pa.int32())) * 86400.0
    if pa.types.is_integer(t) or pa.types.is_floating(t):
        return _float(col)
    out = np.full(len(col), np.inf)
    for i, value in enumerate(col.to_pylist()):  # strings: per document, dates are short
        if not value:
            continue
        try:
            parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            continue
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.UTC)
        out[i] = parsed.timestamp()
    return out


def rank(table: pa.Table, policy: KeepPolicy) -> np.ndarray:
    """float64 per record, lower is better; inf when the policy's column is missing or null."""
    names = table.column_names
    n = table.num_rows
    if policy == "highest_karma":
        return _float(table.column("score"), negate=True) if "score" in names else np.full(n, np.inf)
    if policy == "longest":
        if "text" not in names:
            return np.full(n, np.inf)
        return _float(pc.utf8_length(table.column("text")), negate=True)
    if policy == "earliest":
        for name in DATE_COLUMNS:
            if name in names:
                return _epoch_seconds(table.column(name))
        return np.full(n, np.inf)
    return np.zeros(n)


def ids(table: pa.Table) -> pa.Array:
    """The ``id`` column as strings (empty when missing), the tie-break after ``rank``."""
    if "id" not in table.column_names:
        return pa.array([""] * table.num_rows, pa.string())
    return pc.fill_null(table.column("id").cast(pa.string()), "").combine_chunks()
