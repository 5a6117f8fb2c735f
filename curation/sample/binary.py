"""Non-HTML response bodies: a small PDF, PNG and GIF images, a JSON API answer."""

from __future__ import annotations

import json
import random
import struct
import zlib


def pdf(title: str, text: str) -> bytes:
    """A one-page PDF 1.4 file with a correct cross-reference table."""
    safe = text.replace("\\", "").replace("(", "").replace(")", "")[:400]
    content = f"BT /F1 12 Tf 72 720 Td ({title[:80]}) Tj 0 -18 Td ({safe}) Tj ET".encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(rng: random.Random, size: int = 32) -> bytes:
    """An RGB gradient, a valid PNG."""
    r0, g0, b0 = (rng.randrange(256) for _ in range(3))
    rows = b"".join(
        b"\x00" + bytes(c for x in range(size) for c in ((r0 + 4 * x) % 256, (g0 + 4 * y) % 256, b0))
        for y in range(size)
    )
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", zlib.compress(rows, 9)) \
        + _png_chunk(b"IEND", b"")


def gif(rng: random.Random) -> bytes:
    """A 1x1 GIF89a of a random colour."""
    colour = bytes(rng.randrange(256) for _ in range(3))
    return (b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + colour + b"\x00\x00\x00"
            b"!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")


def json_body(rng: random.Random, titles: list[str]) -> bytes:
    """A paginated API answer listing posts."""
    items = [{"id": rng.randint(10_000, 99_999), "title": t, "score": rng.randint(0, 500)} for t in titles]
    page = {"status": "ok", "page": rng.randint(1, 9), "per_page": len(items), "results": items}
    return json.dumps(page, ensure_ascii=False, indent=1).encode("utf-8")
