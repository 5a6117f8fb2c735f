"""Decode a response body once: BOM, HTTP header charset, <meta> charset, then detection.

- A body that is valid UTF-8 and not pure ASCII is UTF-8 whatever its label says: legacy-encoded text
  is valid UTF-8 by chance almost never, while ``ISO-8859-1`` headers on UTF-8 pages are common (old
  server defaults).
- A declared charset is trusted only if the body decodes with it strictly: servers that say utf-8 and
  send windows-1252 are common, so a failing declaration falls through to the next source.
- An incomplete character at the very end (a body cut at the size cap) is not a decoding failure.
- Labels map as browsers map them (WHATWG Encoding): ``iso-8859-1`` and ``ascii`` mean windows-1252,
  ``gb2312`` means gb18030, a ``utf-16`` label without a BOM is ignored.
- Bodies that are not text at all (NUL bytes, or the magic numbers of PDF, images, archives) are
  reported as binary.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer

_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_:.+-]+)""", re.I)
_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x1f\x8b", b"\x28\xb5\x2f\xfd",
                 b"BZh", b"\xfd7zXZ", b"RIFF", b"OggS", b"ID3", b"\x00\x00\x01\x00", b"wOFF", b"wOF2")
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# WHATWG: labels that browsers treat as windows-1252, because servers mislabel it as latin-1.
_ALIASES = {"iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "us-ascii": "cp1252",
            "ascii": "cp1252", "gb2312": "gb18030", "gbk": "gb18030", "x-sjis": "shift_jis",
            "shift-jis": "shift_jis", "sjis": "shift_jis", "x-gbk": "gb18030"}
_UTF16_32 = {"utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"}
DETECT_BYTES = 65536  # charset detection looks at the first 64 KiB

_MINOR_LATIN = {"cp1250", "cp1257", "cp1258", "iso8859-2", "iso8859-4", "iso8859-13", "iso8859-15", "iso8859-16",
                "cp437", "cp850", "cp852", "cp858", "cp1125", "mac-latin2", "mac-roman", "mac-iceland",
                "mac-turkish", "cp1254", "iso8859-9", "iso8859-3", "latin-1"}


def header_charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    m = re.search(r"charset\s*=\s*[\"']?([^\s;\"']+)", content_type, re.I)
    return m.group(1) if m else None


def _normalize(label: str) -> str | None:
    label = label.strip().lower()
    label = _ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def is_binary(body: bytes) -> bool:
    head = body[:1024]
    if head.startswith(_BINARY_MAGIC):
        return True
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    return b"\x00" in head


def _strict(body: bytes, name: str) -> str | None:
    """Decode without replacement, except that an incomplete last character is dropped."""
    try:
        return body.decode(name)
    except LookupError:
        return None
    except UnicodeDecodeError as e:
        if e.start < len(body) - 4:  # an error inside the body, not a character cut at its end
            return None
    try:
        return codecs.getincrementaldecoder(name)(errors="strict").decode(body, final=False)
    except UnicodeDecodeError:
        return None


def decode_body(body: bytes, content_type: str | None = None) -> tuple[str | None, str | None]:
    """Return ``(text, charset)``; ``(None, None)`` for a binary body."""
    if not body:
        return "", "utf-8"
    if is_binary(body):
        return None, None
    for bom, name in _BOMS:
        if body.startswith(bom):
            text = _strict(body, name)
            if text is not None:
                return text, name
            break
    if not body.isascii():
        text = _strict(body, "utf-8")
        if text is not None:
            return text, "utf-8"
    candidates: list[str] = []
    declared = header_charset(content_type)
    if declared:
        candidates.append(declared)
    m = _META.search(body[:8192])
    if m:
        candidates.append(m.group(1).decode("ascii", "replace"))
    for label in candidates:
        name = _normalize(label)
        if name is None or name in _UTF16_32:  # a BOM-less utf-16 label on an 8-bit page is a lie
            continue
        text = _strict(body, name)
        if text is not None:
            return text, name
    if body.isascii():
        return body.decode("ascii"), "utf-8"
    best = charset_normalizer.from_bytes(body[:DETECT_BYTES]).best()
    name = _normalize(best.encoding) if best is not None else None
    if name is None or name in _MINOR_LATIN:
        # Detectors confuse windows-1252 with other Latin code pages on short text; 1252 is by far
        # the most common on the web (WHATWG), so it wins whenever it decodes cleanly. The cost: a
        # Central European page without any declaration may get a few wrong accented letters.
        text = _strict(body, "cp1252")
        if text is not None:
            return text, "cp1252"
        name = name or "cp1252"
    return body.decode(name, errors="replace"), name
