"""Captures in existing WARC files, for ``warc_join``: pointers to response records (no bodies), the
choice of one capture per URL, and reading one record back by offset.

A pointer is (key, file, offset, status, url, record id, date, redirect location). One capture per
key: a kept status first, then the first in file order, so the choice does not depend on how the
work was split.
"""

from __future__ import annotations

from urllib.parse import urljoin

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from warcio.archiveiterator import ArchiveIterator

from curation.storage import open_input
from curation.urls import normalize_url

KEY, SEQ = "_key", "_seq"
POINTER_SCHEMA = pa.schema([
    (KEY, pa.string()), ("file", pa.int32()), ("offset", pa.int64()), ("status", pa.int32()),
    ("url", pa.string()), ("record_id", pa.string()), ("date", pa.string()), ("location", pa.string()),
])
REDIRECTS = frozenset({301, 302, 303, 307, 308})


def url_key(url: str | None) -> str | None:
    """The join key (the normalized URL), or None for a URL that cannot be normalized."""
    try:
        return normalize_url(url) if url else None
    except ValueError:
        return None


def redirect_key(url: str, location: str | None) -> str | None:
    """The key of a redirect's target (``Location`` resolved against the capture's URL)."""
    if not location:
        return None
    try:
        return url_key(urljoin(url, location.strip()))
    except ValueError:
        return None


def best_captures(pointers: pa.Table | None, keep_status: list[int]) -> pa.Table:
    """One pointer per key: a kept status first, then the first in file order."""
    if pointers is None or pointers.num_rows == 0:
        return POINTER_SCHEMA.empty_table()
    rank = pc.if_else(pc.is_in(pointers.column("status"), pa.array(keep_status, pa.int32())), 0, 1)
    ordered = pointers.append_column("_rank", rank).sort_by(
        [(KEY, "ascending"), ("_rank", "ascending"), ("file", "ascending"), ("offset", "ascending")])
    keys = ordered.column(KEY).combine_chunks()
    first = np.ones(len(keys), dtype=bool)
    if len(keys) > 1:
        first[1:] = pc.not_equal(keys.slice(1), keys.slice(0, len(keys) - 1)).to_numpy(zero_copy_only=False)
    return ordered.filter(pa.array(first)).drop_columns(["_rank"])


def _read_capped(stream, cap: int) -> tuple[bytes, bool]:
    parts, n = [], 0
    while n <= cap and (chunk := stream.read(min(65536, cap + 1 - n))):
        parts.append(chunk)
        n += len(chunk)
    body = b"".join(parts)
    return body[:cap], len(body) > cap


class CaptureReader:
    """Reads one response at a known offset (per-record gzip or uncompressed WARC/ARC): (content
    type, body after content decoding cut at the cap, truncated)."""

    def __init__(self, max_body_bytes: int):
        self.cap = max_body_bytes
        self._path: str | None = None
        self._fh = None

    def read(self, path: str, offset: int) -> tuple[str | None, bytes, bool]:
        if path != self._path:
            self.close()
            self._fh, self._path = open_input(path, 1 << 20), path
        self._fh.seek(offset)
        record = next(iter(ArchiveIterator(self._fh, arc2warc=True, ensure_http_headers=False)))
        if record.rec_type == "resource":
            body, over = _read_capped(record.raw_stream, self.cap)
            ctype = record.rec_headers.get_header("Content-Type")
        else:
            body, over = _read_capped(record.content_stream(), self.cap)
            ctype = record.http_headers.get_header("Content-Type") if record.http_headers else None
        return ctype, body, over or bool(record.rec_headers.get_header("WARC-Truncated"))

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh, self._path = None, None
