"""File writes of the fetch loop, in order, on one background thread.

On a busy or virtual disk a ``write()`` into the page cache can block for tens of milliseconds (ext4
waits on pages under writeback); done on the event loop, every such wait stalls all connections. The
WARC archive (encoding, offsets and bytes) and the journal therefore hand their work to one
``BackgroundWriter`` thread: one thread keeps the order (a journal line is serialized and written after
the records it vouches for; files flush once per batch, the archive before the journal), and a kill
loses at most a tail of queued writes, which the journal never vouched for. ``InlineWriter`` does the same synchronously (recovery, tests, reading back).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

MAX_PENDING_BYTES = 64 * 1024 * 1024  # the loop waits when this much is queued (a disk slower than the network)


class InlineWriter:
    def submit(self, fn: Callable[..., Any], *args: Any, size: int = 0) -> None:
        fn(*args)

    async def wait_below(self, limit: int = MAX_PENDING_BYTES) -> None:
        return None

    def close(self) -> None:
        pass


INLINE = InlineWriter()


class BackgroundWriter:
    """Writes submitted on the event loop are batched per loop iteration: one thread hand-off per batch
    rather than per write (a hand-off costs about as much CPU as writing a small page)."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fetch-writer")
        self._lock = threading.Lock()
        self._pending = 0
        self._error: BaseException | None = None
        self._batch: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []
        self._batch_size = 0
        # run on the writer's thread after each batch, in order (the files flush once per batch; the
        # archive's hook comes before the journal's, so a journal line never reaches the OS before its records)
        self.after_batch: list[Callable[[], None]] = []

    def submit(self, fn: Callable[..., Any], *args: Any, size: int = 0) -> None:
        """Run ``fn(*args)`` after everything submitted before; ``size`` counts towards the backlog."""
        if self._error is not None:
            raise self._error
        self._batch.append((fn, args))
        self._batch_size += size
        if len(self._batch) == 1:
            try:
                asyncio.get_running_loop().call_soon(self._flush)
            except RuntimeError:  # not on an event loop: hand it over now
                self._flush()

    def _flush(self) -> None:
        if not self._batch:
            return
        batch, size = self._batch, self._batch_size
        self._batch, self._batch_size = [], 0
        with self._lock:
            self._pending += size
        self._pool.submit(_run, batch, self.after_batch).add_done_callback(lambda fut: self._done(fut, size))

    def _done(self, fut: Future, size: int) -> None:
        with self._lock:
            self._pending -= size
        if fut.exception() is not None and self._error is None:
            self._error = fut.exception()

    async def wait_below(self, limit: int = MAX_PENDING_BYTES) -> None:
        """Back-pressure: wait while more than ``limit`` bytes are queued."""
        while self._pending + self._batch_size > limit and self._error is None:
            self._flush()
            await asyncio.sleep(0.01)
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        """Wait for every queued write; raise the first write error (disk full, ...)."""
        self._flush()
        self._pool.shutdown(wait=True)
        if self._error is not None:
            raise self._error


def _run(batch: list[tuple[Callable[..., Any], tuple[Any, ...]]], after: list[Callable[[], None]]) -> None:
    for fn, args in batch:
        fn(*args)
    for fn in after:
        fn()
