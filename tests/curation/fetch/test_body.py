"""Bodies are capped after content decoding, whatever the coding."""

from __future__ import annotations

import asyncio
import gzip
import zlib

import brotli
import pytest
import zstandard

from curation.fetch.body import DecodingError, read_body

HTML = b"<html><body>" + b"<p>hello world</p>" * 500 + b"</body></html>"
CODINGS = {
    None: lambda b: b, "gzip": gzip.compress, "deflate": zlib.compress,
    "br": brotli.compress, "zstd": lambda b: zstandard.ZstdCompressor().compress(b),
}


def _read(data: bytes, coding: str | None, cap: int, chunk: int = 1000):
    async def chunks():
        for i in range(0, len(data), chunk):
            yield data[i:i + chunk]
    return asyncio.run(read_body(chunks(), coding, cap))


@pytest.mark.parametrize("coding", list(CODINGS))
def test_every_coding_round_trips(coding):
    body = _read(CODINGS[coding](HTML), coding, 1_000_000)
    assert body.data == HTML and not body.truncated


def test_raw_deflate_without_zlib_header_is_accepted():
    raw = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    assert _read(raw.compress(HTML) + raw.flush(), "deflate", 1_000_000).data == HTML


@pytest.mark.parametrize("coding", ["gzip", "br", "zstd"])
def test_bomb_is_cut_at_the_cap_after_decoding(coding):
    bomb = CODINGS[coding](b" " * 10_000_000)
    body = _read(bomb, coding, 100_000, chunk=65536)
    assert body.truncated and len(body.data) == 100_000


def test_gzip_members_and_trailing_junk():
    data = gzip.compress(HTML[:100]) + gzip.compress(HTML[100:]) + b"\n\n junk"
    assert _read(data, "gzip", 1_000_000, chunk=7).data == HTML


def test_plain_body_over_the_cap_is_truncated():
    body = _read(HTML, None, 1000)
    assert body.truncated and body.data == HTML[:1000]


def test_body_exactly_at_the_cap_is_not_truncated():
    body = _read(gzip.compress(HTML), "gzip", len(HTML))
    assert not body.truncated and body.data == HTML


@pytest.mark.parametrize("coding, data", [("gzip", b"\x1f\x8b\x08\x00garbage-garbage"), ("br", b"\xff" * 50),
                                          ("compress", b"x"), ("gzip, br", b"x")])
def test_corrupt_or_unknown_codings_raise(coding, data):
    with pytest.raises(DecodingError):
        _read(data, coding, 1000)
