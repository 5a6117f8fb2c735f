"""Decoded pages of a fetch task, held from the moment a row is finished until the batch of the page
shard that holds it can be built.

The crawl finishes rows roughly in input order (a host's URLs are spread through the input and fetched
one delay apart), so the stage builds each batch of ``batch_size`` rows as soon as all of its rows are
finished, while the crawl goes on: a page is decoded once, from the body still in memory, and dropped
once its batch is written. Reading the WARC records back instead would decompress every record again
(about as much CPU as compressing it), and holding every page until the end would keep the whole shard
in memory. Past ``memory_bytes`` of held pages (a host whose URLs span the input holds back its batches)
new pages are not kept: the stage reads them back from their records, as it does for rows finished by
an earlier, killed run of the task.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from curation.charset import decode_body

MEMORY_BYTES = 256 * 1024 * 1024  # per fetch task


def _utf8(text: str) -> bytes | str:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: let Arrow report it as it would for the str
        return text


def decode_page(body: bytes, content_type: str | None) -> tuple[bytes | str | None, str | None]:
    """``(html, charset)`` of a body as the page shard stores it: html as UTF-8 bytes (Arrow builds a
    string column from bytes ~10x faster than from str); ``(None, None)`` for a binary body."""
    html, charset = decode_body(body, content_type)
    if html is None:
        return None, None
    if charset == "utf-8" and body.isascii():  # the text's UTF-8 is the body itself: no second copy
        return body, charset
    return _utf8(html), charset


class PageBuffer:
    def __init__(self, rows: int, batch_size: int, finished: Iterable[int] = (), memory_bytes: int | None = None):
        self.batch_size = batch_size
        self.memory_bytes = MEMORY_BYTES if memory_bytes is None else memory_bytes
        self.left = [min(batch_size, rows - start) for start in range(0, rows, batch_size)]  # unfinished rows
        for row in finished:
            self.left[row // batch_size] -= 1
        self.pages: dict[int, tuple[bytes | str | None, str | None]] = {}
        self.held = 0
        self.not_held = [0] * len(self.left)  # per batch: pages over the memory budget, to be read back
        self.batch_done = asyncio.Event()  # set when a batch's last row is finished

    def finish(self, row: int, body: bytes | None = None, content_type: str | None = None) -> None:
        """``row`` has its outcome; ``body``: its page (a kept candidate), decoded and held if it fits."""
        b = row // self.batch_size
        if body is not None:
            if self.held + len(body) <= self.memory_bytes:
                html, charset = decode_page(body, content_type)
                self.pages[row] = (html, charset)
                self.held += len(html) if html is not None else 0
            else:
                self.not_held[b] += 1
        self.left[b] -= 1
        if self.left[b] == 0:
            self.batch_done.set()

    def complete(self, batch: int) -> bool:
        return self.left[batch] == 0

    def take(self, row: int) -> tuple[bytes | str | None, str | None] | None:
        """The decoded page of ``row`` (None if it was not held), forgotten from now on."""
        page = self.pages.pop(row, None)
        if page is not None and page[0] is not None:
            self.held -= len(page[0])
        return page
