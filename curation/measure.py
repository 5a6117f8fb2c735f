"""What the funnel counts for a table of records: rows, UTF-8 bytes and words of its text.

Text is the ``text`` column when there is one; pages that are still HTML count the bytes of their
``html`` column and no words; link records count rows only. Words are runs of non-whitespace
characters, counted in Arrow (no per-document Python).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
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


def _count_words_array(arr: pa.Array) -> int:
    """Words = maximal runs of bytes above 0x20 (not whitespace, not ASCII control characters),
    counted in numpy over the UTF-8 buffer: a word starts where a space-or-control byte is followed
    by another byte, or at the start of a string. UTF-8 multi-byte characters are all >= 0x80, so
    they never split a word. About 1.5 GB/s, 20x a regex kernel."""
    if len(arr) == 0:
        return 0
    offset_type = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    offsets = np.frombuffer(arr.buffers()[1], dtype=offset_type)[arr.offset: arr.offset + len(arr) + 1]
    first, last = int(offsets[0]), int(offsets[-1])
    if last == first:
        return 0
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)[first:last]
    space = (data <= 32).view(np.uint8)
    inner = int(np.count_nonzero(space[:-1] > space[1:]))  # space-then-word transitions
    starts = (offsets[:-1] - first)[np.diff(offsets) > 0]  # non-empty strings only
    starts = starts[starts > 0]
    # a string that begins with a word right after a string that ended inside one: no transition seen
    glued = int(np.count_nonzero((space[starts] == 0) & (space[starts - 1] == 0)))
    return inner + glued + (1 if space[0] == 0 else 0)


def count_words(text: pa.ChunkedArray | pa.Array) -> int:
    chunks = text.chunks if isinstance(text, pa.ChunkedArray) else [text]
    return sum(_count_words_array(c) for c in chunks)


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
