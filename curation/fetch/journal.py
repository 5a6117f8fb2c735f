"""A shard task's resume state: an append-only journal of finished URLs.

One JSON line per finished URL (its outcome and WARC record), written after the records it points to
(one writer thread keeps that order, see ``curation.fetch.writer``). A restarted task reads it back,
refetches nothing that is in it, and builds its page shard from it and the WARC records, exactly as an
uninterrupted task does, so both write the same shard. Lines that only carry ``warc_file`` and
``warc_end`` vouch for records that belong to no row (robots.txt, redirect hops, retried attempts).
A line cut short by a kill is dropped when the journal is opened again.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from curation.fetch.writer import INLINE

if TYPE_CHECKING:
    from curation.fetch.archive import RecordRef


@dataclass
class JournalState:
    rows: dict[int, dict[str, Any]] = field(default_factory=dict)  # finished rows by row number
    warc_ends: dict[str, int] = field(default_factory=dict)  # last vouched-for end offset per WARC file


class Journal:
    def __init__(self, path: Path):
        self.path = path
        self.writer = INLINE  # see curation.fetch.writer
        self.flush_each = True  # off while a BackgroundWriter calls io_flush() after each batch
        self._f: io.BufferedWriter | None = None
        self._lines: list[bytes] = []  # lines held until io_flush() (never written before the batch's records)

    def load(self) -> JournalState:
        state = JournalState()
        if not self.path.exists():
            return state
        data = self.path.read_bytes()
        complete = data[: data.rfind(b"\n") + 1]
        if len(complete) != len(data):  # a kill in the middle of a line: cut it off before appending
            with open(self.path, "r+b") as f:
                f.truncate(len(complete))
        # one parse for the whole journal (a JSON line never holds a raw newline): ~3x less CPU than per line
        entries = json.loads(b"[" + complete.rstrip(b"\n").replace(b"\n", b",") + b"]") if complete else []
        for entry in entries:
            if entry.get("warc_end") is not None:
                f = entry["warc_file"]
                state.warc_ends[f] = max(state.warc_ends.get(f, 0), entry["warc_end"])
            if "row" in entry:
                state.rows[entry["row"]] = entry
        return state

    def append(self, entry: dict[str, Any], ref: RecordRef | None = None, *, offset: bool = True) -> None:
        """Queue ``entry``; with ``ref``, its WARC fields are added on the writer's thread, once the records
        are written (``offset=False``: only ``warc_file`` and ``warc_end``, for records of no row)."""
        self.writer.submit(self._io_entry, entry, ref, offset, size=256)

    def _io_entry(self, entry: dict[str, Any], ref: RecordRef | None, offset: bool) -> None:
        if ref is not None:
            if offset:
                entry.update(warc_file=ref.file, warc_offset=ref.offset, warc_record_id=ref.record_id,
                             warc_end=ref.end)
            else:
                entry.update(warc_file=ref.file, warc_end=ref.end)
        self._io_write((json.dumps(entry, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8"))

    def _io_write(self, line: bytes) -> None:
        self._lines.append(line)
        if self.flush_each:
            self.io_flush()

    def io_flush(self) -> None:
        """Write the held lines in one call; runs after the archive's flush (see ``BackgroundWriter``)."""
        if not self._lines:
            return
        if self._f is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._f = open(self.path, "ab")  # noqa: SIM115 (closed in _io_close())
        data = b"".join(self._lines)
        self._lines = []
        self._f.write(data)
        self._f.flush()

    def close(self) -> None:
        self.writer.submit(self._io_close)

    def _io_close(self) -> None:
        self.io_flush()
        if self._f is not None:
            self._f.flush()
            os.fsync(self._f.fileno())
            self._f.close()
            self._f = None
