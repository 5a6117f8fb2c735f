"""Stable document ids: the same key gives the same id on every machine and in every run."""

from __future__ import annotations

import hashlib


def doc_id(key: str) -> str:
    """16 hex digits of BLAKE2b over ``key`` (a normalized URL or a WARC-Record-ID).

    64 bits: among n documents the expected number of colliding pairs is n^2 / 2^65 (0.03 for n = 10^9).
    """
    return hashlib.blake2b(key.encode("utf-8"), digest_size=8).hexdigest()


def stable_hash64(data: bytes | str) -> int:
    """Unsigned 64-bit hash, stable across processes (Python's ``hash`` is salted per process)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")
