"""Streaming readers for dump files: zstd (any window, several frames), xz, bz2, gzip or plain.

The compression is recognised from the file's first bytes, not its name. Reading is by large blocks
(megabytes) cut at the last newline, so a UTF-8 character split across a read boundary is never cut,
and per-line Python is left to the parser. A truncated file (a zstd frame cut short, a gzip stream
without its end) yields every complete line it holds; the error is kept on the reader so the caller
counts it instead of crashing.
"""

from __future__ import annotations

import bz2
import io
import lzma
import queue
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
import zstandard

from curation.storage import open_input

# Pushshift / Arctic Shift dumps are compressed with `zstd --long=31`: a 2 GiB window.
ZSTD_MAX_WINDOW = 2**31
READ_SIZE = 2 << 20  # compressed bytes per read: ~10-20 MB of text per chunk at usual ratios
BLOCK_SIZE = 4 << 20  # decompressed bytes per block of lines
READ_AHEAD = 2  # chunks decompressed ahead of the parser, in a thread
# zstandard's decompressobj releases the GIL around each call into libzstd, one call per `write_size`
# bytes of output, and takes it back in between: with the default 128 KiB it waits for the GIL (up to
# the 5 ms switch interval, while the parser holds it) about a hundred times per chunk, so the
# read-ahead thread stalls behind the parser. One output buffer the size of a whole chunk takes the
# GIL back once per read. (At most 32 MiB: glibc then reuses the freed buffer instead of mapping
# fresh pages for every chunk.)
ZSTD_WRITE_SIZE = 16 << 20

_MAGIC = [
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"BZh", "bz2"),
    (b"\x1f\x8b", "gzip"),
]


class TruncatedInput(EOFError):
    """The compressed stream ended in the middle of a frame."""


def _compression(head: bytes) -> str:
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    return "plain"


def _decompressor(kind: str):
    if kind == "zstd":
        return zstandard.ZstdDecompressor(max_window_size=ZSTD_MAX_WINDOW).decompressobj(write_size=ZSTD_WRITE_SIZE)
    if kind == "gzip":
        return zlib.decompressobj(wbits=31)
    if kind == "bz2":
        return bz2.BZ2Decompressor()
    return lzma.LZMADecompressor()


def decompressed_chunks(raw: BinaryIO, kind: str) -> Iterator[bytes]:
    """Decompress every frame / member / stream of a file in turn, one output chunk per read of
    compressed input; raise ``TruncatedInput`` after the last chunk if the input ends inside one.

    (``zstandard``'s stream reader returns a cut frame's data and then a quiet end of file, and
    ``gzip.open`` throws away what it decoded in the read that hits the cut: neither is used.)
    """
    obj = _decompressor(kind)
    in_frame = False
    while True:
        data = raw.read(READ_SIZE)
        if not data:
            if in_frame:
                raise TruncatedInput(f"the file ends in the middle of a {kind} frame (truncated download?)")
            return
        out = []
        while data:
            out.append(obj.decompress(data))
            in_frame = True
            if obj.eof:  # frame finished: the rest of `data` starts the next one
                data = obj.unused_data
                obj = _decompressor(kind)
                in_frame = False
            else:
                data = b""
        chunk = out[0] if len(out) == 1 else b"".join(out)
        if chunk:
            yield chunk


def read_ahead(chunks: Iterator[bytes], depth: int = READ_AHEAD) -> Iterator[bytes]:
    """Run ``chunks`` in a thread, ``depth`` chunks ahead of the consumer.

    The decompressors release the GIL, so a file decompresses while the previous chunk is parsed;
    memory stays bounded by ``depth`` chunks. An error in the thread is raised here, in order.
    """
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False  # the consumer has gone

    def produce() -> None:
        try:
            for chunk in chunks:
                if not put(chunk):
                    return
            put(done)
        except BaseException as e:  # handed to the consumer, which raises it
            put(e)

    thread = threading.Thread(target=produce, name="decompress", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()
        chunks.close()


def iter_chunks(path: str) -> Iterator[bytes]:
    """The decompressed bytes of ``path`` in large chunks, as the decompressor hands them over."""
    with open_input(path) as raw:  # one open: on object storage each open and first read is a request
        kind = _compression(raw.read(6))
        raw.seek(0)
        if kind == "plain":
            while chunk := raw.read(BLOCK_SIZE):
                yield chunk
        else:
            yield from decompressed_chunks(raw, kind)


class ChunkReader(io.RawIOBase):
    """A file object over ``iter_chunks`` (for readers that want one, such as pyarrow's CSV reader)."""

    def __init__(self, path: str):
        self._chunks = iter_chunks(path)
        self._buf = b""
        self._pos = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            return b"".join([self._buf[self._pos:], *self._chunks])
        while self._pos >= len(self._buf):
            self._buf, self._pos = next(self._chunks, None), 0
            if self._buf is None:
                self._buf = b""
                return b""
        chunk = self._buf[self._pos:self._pos + size]
        self._pos += len(chunk)
        return chunk

    def readinto(self, b) -> int:
        chunk = self.read(len(b))
        b[:len(chunk)] = chunk
        return len(chunk)

    def close(self) -> None:
        self._chunks.close()
        super().close()


def open_dump(path: str) -> BinaryIO:
    """A binary file object yielding the decompressed bytes of ``path``."""
    return io.BufferedReader(ChunkReader(path), buffer_size=1 << 20)


# What a cut or corrupt compressed stream raises, by library.
READ_ERRORS = (EOFError, OSError, lzma.LZMAError, zlib.error, zstandard.ZstdError)


@dataclass
class LineBlock:
    """Complete lines: ``head`` (a line pieced together across two reads, or empty) followed by
    ``buf[start:end]``; every line ends in a newline; the first is line ``first_line`` of the file.

    The bulk is a view into the decompressor's output: it is never copied.
    """

    first_line: int  # 1-based
    buf: bytes
    start: int = 0
    end: int = -1
    head: bytes = b""
    n_lines: int = -1  # counted once: a pass over the bytes costs about a third of decompressing them

    def __post_init__(self) -> None:
        if self.end < 0:
            self.end = len(self.buf)
        if self.n_lines < 0:
            self.n_lines = self.head.count(b"\n") + count_newlines(self.buf, self.start, self.end)

    @property
    def view(self) -> memoryview:
        return memoryview(self.buf)[self.start:self.end]

    @property
    def lines(self) -> list[bytes]:
        """The lines without their newlines (blank lines included, so numbers stay exact)."""
        return (self.head + self.buf[self.start:self.end]).split(b"\n")[:-1]


def count_newlines(buf: bytes, start: int, end: int) -> int:
    """``buf.count(b"\\n", start, end)``, faster on long lines: ``bytes.count`` tests every byte (about
    1 GB/s), ``find`` jumps with memchr, at a fixed cost per line that pays off past ~200 bytes."""
    if end - start < 1 << 16:
        return buf.count(b"\n", start, end)
    sample = buf.count(b"\n", start, start + 8192)
    if sample > 40:  # short lines
        return buf.count(b"\n", start, end)
    n, pos, find = 0, start, buf.find
    while True:
        pos = find(b"\n", pos, end) + 1
        if not pos:
            return n
        n += 1


def _with_newline_counts(chunks: Iterator[bytes]) -> Iterator[tuple[bytes, int]]:
    """Each chunk with its number of newlines, counted in numpy: it releases the GIL, so in the
    read-ahead thread the count runs beside the parser instead of in its way."""
    buf = np.empty(0, dtype=bool)  # reused: a fresh mask per chunk costs page faults
    try:
        for chunk in chunks:
            if len(buf) < len(chunk):
                buf = np.empty(len(chunk), dtype=bool)
            mask = np.equal(np.frombuffer(chunk, np.uint8), 10, out=buf[:len(chunk)])
            yield chunk, int(np.count_nonzero(mask))
    finally:
        chunks.close()


# A "line" longer than this is not NDJSON (e.g. one huge JSON array): it is cut and counted malformed.
MAX_LINE = 64 << 20


@dataclass
class LineReader:
    """Iterate a dump as blocks of lines; after iteration, ``error`` says why reading stopped early."""

    path: str
    error: str | None = None
    bytes_read: int = 0

    def __iter__(self) -> Iterator[LineBlock]:
        with open_input(self.path):  # a file that cannot be opened fails here, not as a "read error"
            pass
        line_no = 1
        tail: list[bytes] = []  # pieces of a line that started in an earlier chunk
        tail_len = 0
        counted = _with_newline_counts(iter_chunks(self.path))
        chunks = read_ahead(counted) if READ_AHEAD else counted
        while True:
            try:
                data, newlines = next(chunks, (b"", 0))
            except READ_ERRORS as e:
                self.error = f"{type(e).__name__}: {e}"
                data = b""
            if not data:
                break
            self.bytes_read += len(data)
            first = data.find(b"\n")
            if first < 0:
                if tail_len < MAX_LINE:
                    tail.append(data)
                tail_len += len(data)
                continue
            head = b""
            if tail:
                head = b"".join([*tail, data[:first + 1]])
                if tail_len > MAX_LINE:
                    head = head[:-1][:1024] + b"\n"  # cut: it fails to decode and is counted malformed
                tail, tail_len = [], 0
            last = data.rfind(b"\n")
            # head (when there is one) holds the chunk's first newline, buf[start:end] all the others
            block = LineBlock(line_no, data, first + 1 if head else 0, last + 1, head, newlines)
            line_no += block.n_lines
            yield block
            if last + 1 < len(data):
                tail, tail_len = [data[last + 1:]], len(data) - last - 1
        if tail:  # a last line without a newline (or the cut end of a truncated file)
            yield LineBlock(line_no, b"".join(tail)[:MAX_LINE] + b"\n")
