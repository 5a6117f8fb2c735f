"""Which reader a dump needs, and the column mapping of generic dumps.

``auto`` decides per file: Parquet by its magic bytes; otherwise the first line of the decompressed
text: a JSON object with ``subreddit`` or ``permalink`` is a Pushshift / Arctic Shift dump, one with
``type`` and ``by`` or ``time`` an HN dump, any other JSON object generic JSONL, anything else CSV.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

from curation.harvest import jsonl, tabular
from curation.harvest.posts import Parsed
from curation.harvest.readers import READ_ERRORS, LineReader, open_dump
from curation.storage import open_input

FORMATS = ("auto", "pushshift", "hn", "jsonl", "csv", "parquet")


class ColumnMap(BaseModel):
    """Where a generic dump (JSONL, CSV, Parquet) keeps each field of a post."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field("url", description="Column with the submitted URL (required).")
    score: str | None = Field("score", description="Karma / points / votes; null: the dump has none "
                                                   "(then set min_karma: null).")
    source: str | None = Field(None, description="Community the link was posted to (kept as `subreddits`).")
    time: str | None = Field(None, description="Submission time: Unix seconds or ISO 8601.")
    title: str | None = Field("title", description="Submission title.")
    id: str | None = Field(None, description="Submission id in its source.")
    nsfw: str | None = Field(None, description="Boolean column marking NSFW submissions.")
    self_post: str | None = Field(None, description="Boolean column marking text posts without an outbound link.")


def detect(path: str) -> str:
    with open_input(path, 1 << 16) as f:  # a small first read (the default reads ahead 16 MiB)
        if f.read(4) == b"PAR1":
            return "parquet"
    first = b""
    try:
        with open_dump(path) as f:
            head = f.read(1 << 16)
    except READ_ERRORS:
        head = b""
    for line in head.split(b"\n")[:-1] or [head]:
        if line.strip():
            first = line.strip()
            break
    if not first.startswith(b"{"):
        return "csv" if first else "pushshift"  # an empty dump: any line format reads it as empty
    try:
        keys = set(json.loads(first))
    except ValueError:
        return "pushshift" if b'"subreddit"' in first else "jsonl"
    if "subreddit" in keys or "permalink" in keys:
        return "pushshift"
    if "type" in keys and ("by" in keys or "time" in keys):
        return "hn"
    return "jsonl"


@dataclass
class FileReport:
    """What reading one file found; goes into the stage's notes under the file's path."""

    format: str
    lines: int = 0  # posts (rows) read, blank lines excluded
    malformed: int = 0
    first_malformed: list[str] = field(default_factory=list)  # "line 12: message"
    read_error: str | None = None  # e.g. a truncated zstd frame
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, parsed: Parsed) -> None:
        self.lines += parsed.table.num_rows
        self.malformed += parsed.reasons.count("malformed")
        room = 5 - len(self.first_malformed)
        self.first_malformed += [f"line {n}: {m}" for n, m in parsed.problems[:max(room, 0)]]
        for k, v in parsed.counts.items():
            self.counts[k] = self.counts.get(k, 0) + v

    def as_note(self) -> dict:
        note = {"format": self.format, "posts": self.lines, "malformed": self.malformed,
                "first_malformed": self.first_malformed, **{k: v for k, v in self.counts.items() if v}}
        if self.read_error:
            note["read_error"] = self.read_error
        return note


def read_posts(path: str, fmt: str, columns: ColumnMap, source_file: str,
               report: FileReport | None = None) -> Iterator[Parsed]:
    """Yield post batches of one file; fills ``report`` (format, counts, read error) as it goes."""
    if fmt == "auto":
        fmt = detect(path)
    report = report if report is not None else FileReport(fmt)
    report.format = fmt
    cols = columns.model_dump()
    if fmt == "parquet":
        batches = tabular.read_parquet(path, cols, source_file)
    elif fmt == "csv":
        batches = tabular.read_csv(path, cols, source_file)
    else:
        decoder = {"pushshift": jsonl.PUSHSHIFT, "hn": jsonl.HN}.get(fmt) or jsonl.generic_format(cols)
        batches = _lines(path, decoder, source_file, report)
    for parsed in batches:
        report.add(parsed)
        yield parsed


def _lines(path: str, decoder: jsonl.JsonLinesFormat, source_file: str, report: FileReport) -> Iterator[Parsed]:
    reader = LineReader(path)
    for block in reader:
        yield decoder.parse(block, source_file)
    report.read_error = reader.error
