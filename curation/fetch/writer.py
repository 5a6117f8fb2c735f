"""File writes of the fetch loop, in order, on one background thread.

On a busy or virtual disk a ``write()`` into the page cache can block for tens of milliseconds (ext4
waits on pages under writeback); done on the event loop, every such wait stalls all connections. The
WARC archive and the journal therefore encode on the loop (CPU work: on another thread
its Python parts would fight the loop for the GIL) and hand only their file operations to one
``BackgroundWriter`` thread, which keeps the order (a journal line is written after the records it
vouches for; files flush once per batch, the archive before the journal), so a kill loses at most a tail
of queued writes, which the journal never vouched for. After the first failed write nothing more is
written (a later journal line could otherwise vouch for records that are not on disk). ``InlineWriter``
does the same synchronously (recovery, tests, reading back).
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from typing import Any

MAX_PENDING_BYTES = 64 * 1024 * 1024  # the loop waits when this much is queued (a disk slower than the network)

Batch = list[tuple[Callable[..., Any], tuple[Any, ...]]]


class InlineWriter:
    def submit(self, fn: Callable[..., Any], *args: Any, size: int = 0) -> None:
        fn(*args)

    async def wait_below(self, limit: int = MAX_PENDING_BYTES) -> None:
        return None

    def drain(self) -> None:
        pass

    def close(self) -> None:
        pass


INLINE = InlineWriter()


class BackgroundWriter:
    """Writes submitted on the event loop are batched per loop iteration: one hand-off to the thread per
    batch rather than per write (a hand-off costs about as much CPU as writing a small page). The thread
    is a plain loop over a ``SimpleQueue``: a pool's futures and done-callbacks cost more than the
    hand-off itself."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[tuple[Batch, int] | None] = queue.SimpleQueue()
        self._queued = 0  # bytes handed to the thread (only the loop's thread adds)
        self._written = 0  # bytes the thread is done with (only the writer's thread adds)
        self._error: BaseException | None = None
        self._batch: Batch = []
        self._batch_size = 0
        # run on the writer's thread after each batch, in order (the files flush once per batch; the
        # archive's hook comes before the journal's, so a journal line never reaches the OS before its records)
        self.after_batch: list[Callable[[], None]] = []
        self._thread = threading.Thread(target=self._run, name="fetch-writer", daemon=True)
        self._thread.start()

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
        self._queued += size
        self._queue.put((batch, size))

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            batch, size = item
            if self._error is None:
                try:
                    for fn, args in batch:
                        fn(*args)
                    for fn in self.after_batch:
                        fn()
                except BaseException as e:  # raised on the loop's thread by the next submit/wait/close
                    self._error = e
            self._written += size

    async def wait_below(self, limit: int = MAX_PENDING_BYTES) -> None:
        """Back-pressure: wait while more than ``limit`` bytes are queued."""
        while self._queued - self._written + self._batch_size > limit and self._error is None:
            self._flush()
            await asyncio.sleep(0.01)
        if self._error is not None:
            raise self._error

    def drain(self) -> None:
        """Block until everything submitted so far is written and flushed to the OS (a reader is about
        to read it back); raise the first write error."""
        done = threading.Event()
        self._flush()
        self._queue.put(([(done.set, ())], 0))  # a batch of its own: it runs after the previous flushes
        done.wait()
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        """Wait for every queued write; raise the first write error (disk full, ...)."""
        self._flush()
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error
