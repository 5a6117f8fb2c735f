"""Monthly submission dumps, written the way Pushshift's are: NDJSON in one zstd frame with a long window.

The frame is streamed, so its header carries no content size and announces a 2**28-byte window; a reader
needs ``ZstdDecompressor(max_window_size=2**31)``, as for the real dumps.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

import zstandard

WINDOW_LOG = 28  # above zstd's default decoder limit of 2**27
LEVEL = 6


class MonthlyDumps:
    """Writes lines to RS_YYYY-MM.zst by month; months arrive in order, so one file is open at a time."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.params = zstandard.ZstdCompressionParameters.from_level(LEVEL, window_log=WINDOW_LOG)
        self.month: str | None = None
        self.file = None
        self.writer = None
        self.lines: dict[str, int] = {}

    def write(self, month: str, line: str) -> tuple[str, int]:
        """Append one line; returns (file name, 1-based line number)."""
        if month != self.month:
            self.close()
            self.month = month
            self.file = open(self.folder / f"RS_{month}.zst", "wb")  # noqa: SIM115 - closed in close()
            self.writer = zstandard.ZstdCompressor(compression_params=self.params).stream_writer(self.file)
            self.lines[month] = 0
        self.writer.write(line.encode("utf-8") + b"\n")
        self.lines[month] += 1
        return f"RS_{month}.zst", self.lines[month]

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()  # ends the frame and closes the file
        self.writer = self.file = None

    def __enter__(self) -> MonthlyDumps:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
