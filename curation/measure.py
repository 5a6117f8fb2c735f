"""What the funnel counts for a table of records: rows, UTF-8 bytes and words of its text.

Text is the ``text`` column when there is one; pages that are still HTML count the bytes of their
``html`` column and no words; link records count rows only. Words are runs of non-whitespace
characters, counted in Arrow (no per-document Python).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc


@dataclass
class Measure:
    records: int = 0
    bytes: int = 0
    words: int = 0

    def __add__(self, other: Measure) -> Measure:
        return Measure(self.records + other.records, self.bytes + other.bytes, self.words + other.words)

    def as_dict(self) -> dict[str, int]:
        return {"records": self.records, "bytes": self.bytes, "words": self.words}


def _sum(arr: pa.ChunkedArray | pa.Array) -> int:
    value = pc.sum(arr).as_py()
    return int(value or 0)


def count_words(text: pa.ChunkedArray | pa.Array) -> int:
    if len(text) == 0:
        return 0
    return _sum(pc.count_substring_regex(text, r"\S+"))


def measure(table: pa.Table) -> Measure:
    names = table.column_names
    m = Measure(records=table.num_rows)
    if table.num_rows == 0:
        return m
    if "text" in names:
        text = table.column("text")
        if pa.types.is_large_string(text.type) or pa.types.is_string(text.type):
            m.bytes = _sum(pc.binary_length(text))
            m.words = count_words(text)
    elif "html" in names:
        m.bytes = _sum(pc.binary_length(table.column("html")))
    return m
