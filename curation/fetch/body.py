"""Read a response body under a size cap that holds *after* content decoding.

aiohttp's own decompression is switched off (``auto_decompress=False``): a 1 KB gzip or zstd bomb
expands to gigabytes, so every decoder here is asked for at most the bytes still allowed, and
reading stops as soon as the decoded body or the bytes on the wire pass ``max_bytes``.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import brotli
import zstandard

CHUNK = 64 * 1024
ZSTD_MAX_WINDOW = 8 * 1024 * 1024  # RFC 9659: HTTP zstd decoders need not accept windows above 8 MB


class DecodingError(Exception):
    """The body is not valid for its Content-Encoding, or the encoding is unknown."""


class _Identity:
    def feed(self, data: bytes, limit: int) -> bytes:
        return data

    def flush(self, limit: int) -> bytes:
        return b""


class _Zlib:
    """gzip (possibly several members) or deflate; servers send raw deflate under ``deflate`` too.
    Bytes after a complete gzip member that are not another member are ignored, as browsers do."""

    def __init__(self, gzip: bool):
        self._gzip = gzip
        self._d = zlib.decompressobj(16 + zlib.MAX_WBITS if gzip else zlib.MAX_WBITS)
        self._started = False  # some output or a complete member seen: no more format guessing
        self._members = 0
        self._done = False

    def feed(self, data: bytes, limit: int) -> bytes:
        if self._done or not data:
            return b""
        try:
            out = self._d.decompress(data, limit)
        except zlib.error as e:
            if self._members:  # trailing junk after a complete member
                self._done = True
                return b""
            if self._gzip or self._started:
                raise DecodingError(f"corrupt {'gzip' if self._gzip else 'deflate'} body: {e}") from e
            self._d = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, without the zlib header
            self._started = True
            return self.feed(data, limit)
        self._started = True
        if self._d.eof:
            rest = self._d.unused_data
            self._members += 1
            if not self._gzip:
                self._done = True
                return out
            self._d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            if rest and len(out) < limit:
                out += self.feed(rest, limit - len(out))
        return out

    def flush(self, limit: int) -> bytes:
        return b"" if self._done else self._d.flush()[:limit]


class _Brotli:
    def __init__(self) -> None:
        self._d = brotli.Decompressor()

    def feed(self, data: bytes, limit: int) -> bytes:
        try:
            out = self._d.process(data, output_buffer_limit=max(limit, 1))
            while len(out) < limit and not self._d.can_accept_more_data():
                out += self._d.process(b"", output_buffer_limit=limit - len(out))
        except brotli.error as e:
            raise DecodingError(f"corrupt br body: {e}") from e
        return out

    def flush(self, limit: int) -> bytes:
        return b""


class _Full(Exception):
    pass


class _Sink:
    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0
        self.limit = 0

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.size += len(data)
        if self.size >= self.limit:
            raise _Full
        return len(data)


class _Zstd:
    """zstandard writes into a sink in ``CHUNK`` pieces; the sink stops it once the limit is reached."""

    def __init__(self) -> None:
        self._sink = _Sink()
        dctx = zstandard.ZstdDecompressor(max_window_size=ZSTD_MAX_WINDOW)
        self._w = dctx.stream_writer(self._sink, write_size=CHUNK, write_return_read=True)

    def feed(self, data: bytes, limit: int) -> bytes:
        sink = self._sink
        sink.parts, sink.size, sink.limit = [], 0, limit
        try:
            self._w.write(data)
        except _Full:
            pass
        except zstandard.ZstdError as e:
            raise DecodingError(f"corrupt zstd body: {e}") from e
        return b"".join(sink.parts)

    def flush(self, limit: int) -> bytes:
        return b""


def make_decoder(content_encoding: str | None):
    """A decoder for a ``Content-Encoding`` header value (``gzip``, ``br``, ``gzip, br`` ...)."""
    names = [e.strip().lower() for e in (content_encoding or "").split(",") if e.strip()]
    names = [n for n in names if n != "identity"]
    if not names:
        return _Identity()
    if len(names) > 1:
        raise DecodingError(f"stacked content encodings are not supported: {content_encoding}")
    name = names[0]
    if name in ("gzip", "x-gzip"):
        return _Zlib(gzip=True)
    if name == "deflate":
        return _Zlib(gzip=False)
    if name == "br":
        return _Brotli()
    if name == "zstd":
        return _Zstd()
    raise DecodingError(f"unknown content encoding {name!r}")


@dataclass
class Body:
    data: bytes  # decoded, at most max_bytes
    wire_bytes: int  # bytes read from the connection (before content decoding)
    truncated: bool


async def read_body(chunks: AsyncIterator[bytes], content_encoding: str | None, max_bytes: int) -> Body:
    """Decode ``chunks`` until the end, or until the decoded body or the wire bytes exceed ``max_bytes``."""
    decoder = make_decoder(content_encoding)
    parts: list[bytes] = []  # joined once at the end (a bytearray and its slice copied the body twice)
    size = 0
    wire = 0
    truncated = False
    async for chunk in chunks:
        wire += len(chunk)
        part = decoder.feed(chunk, max_bytes + 1 - size)
        parts.append(part)
        size += len(part)
        if size > max_bytes or wire > max_bytes:
            truncated = True
            break
    else:
        part = decoder.flush(max_bytes + 1 - size)
        parts.append(part)
        size += len(part)
        truncated = size > max_bytes
    data = parts[0] if len(parts) == 1 else b"".join(parts)
    if len(data) > max_bytes:
        data = data[:max_bytes]
    return Body(bytes(data), wire, truncated)
