"""Read HTTP responses out of WARC (and old ARC) files, robustly.

Every ``response`` record is yielded whatever its WARC or HTTP headers claim (content sniffing is the
extractor's job, not the reader's), so no page is lost because a server mislabelled it. A truncated
or corrupt record is a counted error instead of a crash: records before it are kept, and in a file
with a gzip member per record (Common Crawl's layout) reading goes on at the next record's member.
warcio itself stops quietly, as if at the end of the file, where a gzip member or a record's headers
are cut, and raises assorted errors on damaged headers; ``iter_responses`` checks for both.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from curation.storage import open_input

try:
    import brotli

    _BODY_ERRORS: tuple[type[BaseException], ...] = (zlib.error, brotli.error, ValueError)
except ImportError:  # brotli is a declared dependency; this only guards a broken install
    _BODY_ERRORS = (zlib.error, ValueError)


@dataclass
class WarcResponse:
    url: str
    status: int | None
    content_type: str | None
    body: bytes
    truncated: bool  # body longer than the cap (or marked truncated by the crawler)
    record_id: str
    date: str | None
    offset: int
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class WarcReadErrors:
    """What the reader skipped, for the funnel's notes."""

    counts: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)

    def add(self, kind: str, example: str) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if len(self.examples) < 5:
            self.examples.append(f"{kind}: {example}")


def _read_capped(stream: io.BufferedIOBase, cap: int) -> tuple[bytes, bool]:
    """Read at most ``cap`` bytes. In chunks: warcio's readers return b"" for one huge read(n)."""
    parts: list[bytes] = []
    n = 0
    while n <= cap:
        chunk = stream.read(min(65536, cap + 1 - n))
        if not chunk:
            break
        parts.append(chunk)
        n += len(chunk)
    body = b"".join(parts)
    if len(body) > cap:
        return body[:cap], True
    return body, False


def _starts_a_record(data: bytes) -> bool:
    """Whether ``data`` (plain, or the start of a gzip member) begins a WARC or ARC record."""
    if data[:2] == b"\x1f\x8b":
        try:
            data = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data, 64)
        except zlib.error:
            return False
    return data.lstrip(b"\r\n").startswith((b"WARC/", b"filedesc://"))


def _looks_like_archive(fh: io.BufferedIOBase) -> bool:
    """True if the file starts like a WARC or ARC record (plain, or per-record/whole-file gzip)."""
    head = fh.read(4096)
    fh.seek(0)
    return _starts_a_record(head)


class _Records(ArchiveIterator):
    """warcio's iterator, noting whether the file ended inside a gzip member: warcio then stops as if the
    file were complete, and the records of that member and the ones the cut removed vanish unnoticed."""

    cut_member = False
    stopped_at = 0  # where reading stopped: in a plain file, bytes after it are a record warcio could not parse

    def close(self) -> None:
        d = getattr(self.reader, "decompressor", None)  # warcio's DecompressingBufferedReader
        if d is not None and not getattr(d, "eof", True):
            self.cut_member = True
        self.stopped_at = self.offset
        super().close()


def _unread_tail(fh: io.BufferedIOBase, offset: int) -> bool:
    """Whether anything but blank lines follows ``offset`` (where the iterator stopped) in the file."""
    try:
        fh.seek(offset)
        while chunk := fh.read(65536):
            if chunk.strip(b"\r\n\t \x00"):
                return True
    except (OSError, ValueError):
        return False
    return False


def _drain(stream: io.BufferedIOBase) -> None:
    while stream.read(65536):
        pass


def _next_member(fh: io.BufferedIOBase, pos: int) -> int | None:
    """Offset of the first gzip member at or after ``pos`` that starts a WARC or ARC record, or None."""
    carry = b""
    fh.seek(pos)
    while True:
        chunk = fh.read(1 << 20)
        if not chunk:
            return None
        data = carry + chunk
        base = pos - len(carry)
        i = data.find(b"\x1f\x8b\x08")
        while i >= 0:
            fh.seek(base + i)
            if _starts_a_record(fh.read(4096)):
                return base + i
            i = data.find(b"\x1f\x8b\x08", i + 1)
        carry = data[-2:]
        pos += len(chunk)
        fh.seek(pos)


def iter_responses(path: str, max_body_bytes: int, errors: WarcReadErrors) -> Iterator[WarcResponse]:
    """Yield the HTTP responses of one WARC/ARC file (gzip per record, whole-file gzip or plain). Past a
    damaged record of a gzip-per-record file, reading goes on at the next record's gzip member."""
    try:
        fh = open_input(path)
    except OSError as e:
        errors.add("unreadable_file", f"{path}: {e}")
        return
    try:
        if not _looks_like_archive(fh):
            errors.add("truncated_or_corrupt", f"{path}: not a WARC or ARC file")
            return
        gzipped = fh.read(2) == b"\x1f\x8b"
        start: int | None = 0
        while start is not None:
            damaged = yield from _responses_from(fh, start, path, max_body_bytes, errors)
            start = _next_member(fh, max(damaged, start) + 1) if damaged is not None and gzipped else None
            if start is not None:
                errors.counts["resumed_after_damage"] = errors.counts.get("resumed_after_damage", 0) + 1
    finally:
        fh.close()


def _responses_from(fh: io.BufferedIOBase, start: int, path: str, max_body_bytes: int,
                    errors: WarcReadErrors) -> Generator[WarcResponse, None, int | None]:
    """The responses from offset ``start`` on; returns where a damaged record begins (None at the end)."""
    fh.seek(start)
    it = _Records(fh, arc2warc=True, ensure_http_headers=False)
    while True:
        try:
            record = next(it)
        except StopIteration:
            if it.cut_member:
                errors.add("truncated_or_corrupt", f"{path}: the file ends inside a gzip member (cut short)")
                return it.stopped_at
            if _unread_tail(fh, it.stopped_at):
                errors.add("truncated_or_corrupt", f"{path} @ {it.stopped_at}: a record cut short or unparsable")
                return it.stopped_at
            return None
        except Exception as e:  # noqa: BLE001 (warcio parsing an untrusted file: AttributeError on a
            # record without WARC-Target-URI, ValueError, EOFError, ...): this record is unreadable
            first = (str(e).splitlines() or [""])[0][:120]
            errors.add("truncated_or_corrupt", f"{path} @ {it.offset}: {type(e).__name__}: {first}")
            return it.offset
        rtype = record.rec_type
        if not (record.rec_headers.get_header("Content-Length") or "").strip().isdigit():
            # mandatory in every record: without it, the headers were cut (or the record is not one)
            errors.add("truncated_or_corrupt", f"{path} @ {it.offset}: a record without a Content-Length")
            return it.offset
        if rtype not in ("response", "resource"):
            errors.counts[f"skipped_{rtype}"] = errors.counts.get(f"skipped_{rtype}", 0) + 1
            try:
                _drain(record.raw_stream)  # a record the file ends inside is an error here too
            except Exception as e:  # noqa: BLE001 (as above)
                errors.add("truncated_or_corrupt", f"{path} @ {it.offset}: {type(e).__name__}: {str(e)[:120]}")
                return it.offset
            if getattr(record.raw_stream, "limit", 0) > 0:
                errors.add("truncated_or_corrupt", f"{path}: {rtype} record at {it.offset} ends early")
                return it.offset
            continue
        url = (record.rec_headers.get_header("WARC-Target-URI") or "").strip()
        if url.startswith("<") and url.endswith(">"):  # the WARC/1.0 grammar, as some writers read it
            url = url[1:-1]
        http = record.http_headers
        status = None
        ctype = None
        headers: dict[str, str] = {}
        if http is not None and rtype == "response":
            try:
                status = int(http.get_statuscode())
            except (TypeError, ValueError):
                status = None
            ctype = http.get_header("Content-Type")
            headers = {k.lower(): v for k, v in http.headers}
        elif rtype == "resource":
            ctype = record.rec_headers.get_header("Content-Type")
            status = 200
        try:
            stream = record.content_stream() if rtype == "response" else record.raw_stream
            body, over_cap = _read_capped(stream, max_body_bytes)
        except _BODY_ERRORS as e:
            # A body whose Content-Encoding does not decode: skip the page, keep reading.
            errors.add("undecodable_body", f"{url}: {type(e).__name__}: {str(e)[:80]}")
            continue
        except (OSError, EOFError, ArchiveLoadFailed) as e:
            errors.add("truncated_or_corrupt", f"{path} @ {it.offset}: {str(e)[:120]}")
            return it.offset
        if not over_cap and getattr(record.raw_stream, "limit", 0) > 0:
            # The file ended inside this record (warcio returns what it got, silently).
            errors.add("truncated_or_corrupt", f"{path}: record {url} ends early")
            return it.offset
        # Only after the body is read: warcio's get_record_offset() reads the record to its end, and
        # checks that only blank lines follow it (else it counts an error: the Content-Length was short).
        warcio_errors = getattr(it, "err_count", 0)
        offset = it.get_record_offset()
        truncated = over_cap or bool(record.rec_headers.get_header("WARC-Truncated"))
        if getattr(it, "err_count", 0) > warcio_errors:
            errors.add("length_mismatch", f"{path}: record {url} is followed by more than its Content-Length")
            truncated = True
        yield WarcResponse(url, status, ctype, body, truncated,
                           record.rec_headers.get_header("WARC-Record-ID") or f"{path}#{offset}",
                           record.rec_headers.get_header("WARC-Date"), offset, headers)
