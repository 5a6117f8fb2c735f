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
from typing import Any

from curation.fetch.writer import INLINE


@dataclass
class JournalState:
    rows: dict[int, dict[str, Any]] = field(default_factory=dict)  # finished rows by row number
    warc_ends: dict[str, int] = field(default_factory=dict)  # last vouched-for end offset per WARC file


class Journal:
    def __init__(self, path: Path):
        self.path = path
        self.writer = INLINE  # see curation.fetch.writer
        self._f: io.BufferedWriter | None = None

    def load(self) -> JournalState:
        state = JournalState()
        if not self.path.exists():
            return state
        data = self.path.read_bytes()
        complete = data[: data.rfind(b"\n") + 1]
        if len(complete) != len(data):  # a kill in the middle of a line: cut it off before appending
            with open(self.path, "r+b") as f:
                f.truncate(len(complete))
        for line in complete.splitlines():
            entry = json.loads(line)
            if entry.get("warc_end") is not None:
                f = entry["warc_file"]
                state.warc_ends[f] = max(state.warc_ends.get(f, 0), entry["warc_end"])
            if "row" in entry:
                state.rows[entry["row"]] = entry
        return state

    def append(self, entry: dict[str, Any]) -> None:
        line = (json.dumps(entry, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
        self.writer.submit(self._io_write, line, size=len(line))

    def _io_write(self, line: bytes) -> None:
        if self._f is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._f = open(self.path, "ab")  # noqa: SIM115 (closed in _io_close())
        self._f.write(line)
        self._f.flush()

    def close(self) -> None:
        self.writer.submit(self._io_close)

    def _io_close(self) -> None:
        if self._f is not None:
            self._f.flush()
            os.fsync(self._f.fileno())
            self._f.close()
            self._f = None
