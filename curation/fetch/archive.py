"""WARC/1.1 archival of every exchange: a ``response`` record and its ``request`` record, each its own
gzip member (so a reader can seek to a record's offset), with SHA-1 block and payload digests.

Records are serialized here directly (the format is a few header lines; warcio's record builder
costs more CPU per page than fetching it); tests check every file with ``warcio check``. Encoding runs
on the event loop's thread: on the writer thread its Python parts fought the loop for the GIL (4.1
thread switches per page, 1.2 now): on the loop the whole task takes 18% less CPU per page.

Bodies are stored *decoded* (as Common Crawl does): the original ``Content-Encoding``,
``Transfer-Encoding`` and ``Content-Length`` headers are kept as ``X-Crawler-*`` and ``Content-Length``
states the stored length, so re-extraction never has to decompress an untrusted stream again. A body
cut at the size cap carries ``WARC-Truncated: length``; a body that was not read (content type not on
the allow-list) carries ``WARC-Truncated: unspecified``.

Files rotate at ``max_bytes``: ``<stage>/warc/<shard>-<n>.warc.gz``; a resumed task starts a new file.
"""

from __future__ import annotations

import base64
import hashlib
import io
import math
import os
import re
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from curation.fetch.client import Exchange
from curation.fetch.writer import INLINE
from curation.storage import as_path, is_remote, is_url, open_input

try:  # ISA-L's deflate (optional package `isal`): 4x less CPU than zlib's fastest level, smaller output
    from isal import isal_zlib as _deflate

    GZIP_LEVEL = 1  # 0.7% larger than level 2, and ~10% less CPU
except ImportError:  # pragma: no cover - depends on the environment
    _deflate = zlib
    # zlib level 1: ~3x less CPU than the default 6 for files ~10% larger. At crawl speed compressing
    # the archive is the fetcher's largest CPU cost.
    GZIP_LEVEL = 1

_RENAMED = {"content-encoding", "transfer-encoding", "content-length"}


_SECOND: list[tuple[int | None, str]] = [(None, "")]  # (whole second, its text): strftime costs ~10 us


def warc_date(ts: float) -> str:
    """``%Y-%m-%dT%H:%M:%S.%fZ`` in UTC, exactly as ``datetime.fromtimestamp(ts, UTC).strftime`` writes it
    (same rounding of the microseconds), with the seconds' text cached: it runs a few times per page."""
    frac, whole = math.modf(ts)
    us = round(frac * 1e6)
    if us >= 1_000_000:
        whole, us = whole + 1, us - 1_000_000
    elif us < 0:
        whole, us = whole - 1, us + 1_000_000
    sec = int(whole)
    cached_sec, text = _SECOND[0]
    if cached_sec != sec:
        text = datetime.fromtimestamp(sec, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        _SECOND[0] = (sec, text)
    return f"{text}.{us:06d}Z"


_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_B32_PAIRS = [a + b for a in _B32 for b in _B32]  # 10 bits -> 2 characters
_SHIFTS = range(150, -1, -10)


def _b32(digest: bytes) -> str:
    """RFC 4648 base32 of a 20-byte digest, 10 bits at a time: 2 us (5 bits at a time: 8 us,
    ``base64.b32encode``: 3 us)."""
    n = int.from_bytes(digest, "big")
    return "".join([_B32_PAIRS[(n >> s) & 1023] for s in _SHIFTS])


def _digest(data: bytes) -> str:
    d = hashlib.sha1(data).digest()
    return "sha1:" + (_b32(d) if len(d) == 20 else base64.b32encode(d).decode("ascii"))


def _record_id() -> str:
    """``<urn:uuid:...>`` of a random (version 4) UUID, as ``uuid.uuid4()`` makes it, in half the time."""
    h = bytearray(os.urandom(16))
    h[6] = h[6] & 0x0F | 0x40
    h[8] = h[8] & 0x3F | 0x80
    x = h.hex()
    return f"<urn:uuid:{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}>"


def _gzip(data: bytes) -> bytes:
    """One gzip member (one-shot: a compressobj per record costs more than the small records themselves)."""
    return _deflate.compress(data, GZIP_LEVEL, 16 + _deflate.MAX_WBITS)


def _record(headers: list[tuple[str, str]], block: bytes) -> bytes:
    """One gzipped WARC record: version line, named fields, block, two CRLFs."""
    lines = ["WARC/1.1", *(f"{k}: {v}" for k, v in headers), f"Content-Length: {len(block)}", "", ""]
    return _gzip("\r\n".join(lines).encode("utf-8") + block + b"\r\n\r\n")


@dataclass
class RecordRef:
    """Where an exchange's records are (known as soon as they are encoded, before they are written)."""

    file: str = ""  # relative to the run directory
    offset: int = 0  # of the response record's gzip member
    record_id: str = ""
    end: int = 0  # file size after this exchange's records


class WarcArchive:
    """Appends records to ``<folder>/<prefix>-<n>.warc.gz``. ``write`` encodes on the caller's thread
    (the offsets are then known at once) and hands the bytes to ``writer`` (see ``curation.fetch.writer``),
    whose thread opens, writes and rotates the files in submission order."""

    def __init__(self, folder: Path, prefix: str, run_dir: Path, *, max_bytes: int, info: dict[str, str]):
        self.folder = folder
        self.prefix = prefix
        self.run_dir = run_dir
        self.max_bytes = max_bytes
        self.info = info
        self.writer = INLINE
        self.flush_each = True  # off while a BackgroundWriter calls io_flush() after each batch
        self._f: io.BufferedWriter | None = None  # used by the writer's thread only
        self._name: str | None = None
        self._size = 0
        self._seq: int | None = None
        self.records = 0

    def files(self) -> list[Path]:
        pattern = re.compile(rf"{re.escape(self.prefix)}-(\d+)\.warc\.gz$")
        return sorted(p for p in self.folder.glob(f"{self.prefix}-*.warc.gz") if pattern.match(p.name))

    def relative(self, path: Path) -> str:
        return path.relative_to(self.run_dir).as_posix()

    def recover(self, ends: dict[str, int]) -> int:
        """Cut each existing file back to the last offset the journal vouches for (a killed task may
        have left records nobody references, or half a record); returns the bytes removed."""
        removed = 0
        for path in self.files():
            keep = ends.get(self.relative(path), 0)
            size = path.stat().st_size
            if keep == 0:
                path.unlink()
                removed += size
            elif size > keep:
                with open(path, "r+b") as f:
                    f.truncate(keep)
                removed += size - keep
        return removed

    def _open_next(self) -> None:
        if self._seq is None:
            existing = self.files()
            self._seq = int(existing[-1].name[len(self.prefix) + 1:].split(".")[0]) + 1 if existing else 0
        else:
            self._seq += 1
        path = self.folder / f"{self.prefix}-{self._seq:05d}.warc.gz"
        fields = "".join(f"{k}: {v}\r\n" for k, v in self.info.items() if v).encode("utf-8")
        warcinfo = _record([("WARC-Type", "warcinfo"), ("WARC-Record-ID", _record_id()),
                            ("WARC-Date", warc_date(datetime.now(UTC).timestamp())),
                            ("WARC-Filename", path.name), ("WARC-Block-Digest", _digest(fields)),
                            ("Content-Type", "application/warc-fields")], fields)
        self._name, self._size = self.relative(path), len(warcinfo)
        self.writer.submit(self._io_open, path)
        self.writer.submit(self._io_write, warcinfo, size=len(warcinfo))

    def _io_open(self, path: Path) -> None:
        self._io_close()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._f = open(path, "ab")  # noqa: SIM115 (kept open across exchanges; closed in _io_close())

    def _io_write(self, data: bytes) -> None:
        self._f.write(data)
        if self.flush_each:
            self._f.flush()

    def io_flush(self) -> None:
        """On the writer's thread, after a batch (``flush_each`` off): hand buffered records to the OS."""
        if self._f is not None:
            self._f.flush()

    def _io_close(self) -> None:
        if self._f is not None:
            self._f.flush()
            os.fsync(self._f.fileno())
            self._f.close()
            self._f = None

    def encode(self, ex: Exchange, target: str) -> tuple[bytes, str]:
        """The gzipped response and request records of ``ex`` and the response's record id."""
        record_id = _record_id()
        date = warc_date(ex.date)
        head = [f"HTTP/{ex.http_version} {ex.status} {ex.reason}".rstrip()]
        head += [f"X-Crawler-{k}: {v}" if k.lower() in _RENAMED else f"{k}: {v}" for k, v in ex.headers]
        head.append(f"Content-Length: {len(ex.body)}\r\n\r\n")
        block = "\r\n".join(head).encode("latin-1", errors="replace") + ex.body
        fields = [("WARC-Type", "response"), ("WARC-Record-ID", record_id), ("WARC-Date", date),
                  ("WARC-Target-URI", ex.url)]
        if ex.peer:
            fields.append(("WARC-IP-Address", ex.peer))
        if ex.truncated:
            fields.append(("WARC-Truncated", "length"))
        elif ex.body_skipped:
            fields.append(("WARC-Truncated", "unspecified"))
        # Two digests, two passes: the block is the HTTP head + the body, the payload the body alone
        # (WARC 1.1, 5.8-5.9), so neither can be derived from the other.
        fields += [("WARC-Payload-Digest", _digest(ex.body)), ("WARC-Block-Digest", _digest(block)),
                   ("Content-Type", "application/http; msgtype=response")]
        request = f"GET {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in ex.request_headers) + "\r\n"
        req_block = request.encode("utf-8")
        req_fields = [("WARC-Type", "request"), ("WARC-Record-ID", _record_id()),
                      ("WARC-Date", date), ("WARC-Target-URI", ex.url), ("WARC-Concurrent-To", record_id),
                      ("WARC-Block-Digest", _digest(req_block)), ("Content-Type", "application/http; msgtype=request")]
        return _record(fields, block) + _record(req_fields, req_block), record_id

    def append(self, data: bytes, record_id: str) -> RecordRef:
        """Queue encoded records (rotating first if the file is full); returns where they go."""
        if self._name is None or self._size >= self.max_bytes:
            self._open_next()
        ref = RecordRef(self._name, self._size, record_id, self._size + len(data))
        self._size = ref.end
        self.writer.submit(self._io_write, data, size=len(data))
        self.records += 2
        return ref

    def write(self, ex: Exchange, target: str) -> RecordRef:
        """Encode ``ex`` and queue its records; returns where they go."""
        return self.append(*self.encode(ex, target))

    def close(self) -> None:
        self.writer.submit(self._io_close)
        self._name = None


class WarcReader:
    """Reads back the response records this module wrote, by (file, offset); keeps the last file open."""

    def __init__(self, run_dir: Path):
        self.run_dir = run_dir
        self._path: str | None = None
        self._fd: _LocalReader | _RangeReader | None = None

    def read(self, file: str, offset: int, end: int | None = None) -> tuple[list[tuple[str, str]], bytes]:
        """(HTTP headers, body) of the response record at ``offset``. ``end`` (where the exchange's records
        end, from the journal) lets one ``pread`` fetch exactly the record's bytes; without it the file is
        read in 64 KiB pieces until the response's gzip member ends."""
        if file != self._path:
            self.close()
            target = as_path(file) if is_url(file) else self.run_dir / file
            # object storage: ranged reads through fsspec
            self._fd = _RangeReader(open_input(target, 1 << 20)) if is_remote(target) else _LocalReader(target)
            self._path = file
        step = end - offset if end is not None and end > offset else 65536
        d = _deflate.decompressobj(16 + _deflate.MAX_WBITS)
        parts: list[bytes] = []
        pos = offset
        while not d.eof:
            chunk = self._fd.pread(step, pos)
            if not chunk:
                raise EOFError(f"{file}: record at offset {offset} ends early")
            parts.append(d.decompress(chunk))
            pos += len(chunk)
            step = 65536
        data = parts[0] if len(parts) == 1 else b"".join(parts)
        head_end = data.find(b"\r\n\r\n")
        warc_head = data[:head_end] if head_end >= 0 else data
        length = int(re.search(rb"\r\nContent-Length: *(\d+)", warc_head).group(1))
        start = head_end + 4 if head_end >= 0 else len(data)
        stop = min(start + length, len(data))
        http_end = data.find(b"\r\n\r\n", start, stop)  # slices, not partitions: the body is copied once
        http_head, body = (data[start:stop], b"") if http_end < 0 else (data[start:http_end], data[http_end + 4:stop])
        lines = http_head.decode("latin-1").split("\r\n")[1:]
        return [tuple(line.split(": ", 1)) for line in lines if ": " in line], body

    def close(self) -> None:
        if self._fd is not None:
            self._fd.close()
            self._fd = None
            self._path = None


class _LocalReader:
    """``pread`` of a local file: no seek, no buffering (a record is read in one call)."""

    def __init__(self, path: Path):
        self._fd = os.open(path, os.O_RDONLY)

    def pread(self, n: int, pos: int) -> bytes:
        return os.pread(self._fd, n, pos)

    def close(self) -> None:
        os.close(self._fd)


class _RangeReader:
    """``pread`` over a seekable file object (a remote WARC file)."""

    def __init__(self, f):
        self._f = f

    def pread(self, n: int, pos: int) -> bytes:
        self._f.seek(pos)
        return self._f.read(n)

    def close(self) -> None:
        self._f.close()
