"""Per-host queues with politeness: at most ``per_host_concurrency`` requests in flight per host, and
``delay`` seconds between the start of one request and the start of the next, and between the end of
one and the start of the next (with one request at a time, the gap after each response).

Workers ``take()`` the next item of whichever host is ready first (a heap keyed by the time the host
may next be contacted) and ``release()`` it when the request is done. Hosts are Nutch/StormCrawler's
``byHost`` queues: one queue per host name.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Item:
    """One URL of the input (``row``) at one hop of its redirect chain."""

    row: int
    url: str
    hops: tuple[str, ...] = ()  # URLs already requested in this chain, in order
    attempt: int = 0  # retries of this hop so far
    elapsed: float = 0.0  # seconds spent in requests for this row so far
    taken_at: float = 0.0  # when a worker took it, and the host's last start before that
    prev_start: float = float("-inf")


@dataclass
class Host:
    name: str
    delay: float
    queue: deque[Item] = field(default_factory=deque)
    in_flight: int = 0
    last_start: float = float("-inf")
    last_end: float = float("-inf")
    not_before: float = float("-inf")  # Retry-After, robots.txt deferral
    errors: int = 0
    dead: str | None = None  # the error class that retired this host
    queued: bool = False


class Frontier:
    def __init__(self, per_host_concurrency: int, delay: float, clock: Callable[[], float] = time.monotonic):
        self.per_host = per_host_concurrency
        self.delay = delay
        self.clock = clock
        self.hosts: dict[str, Host] = {}
        self._heap: list[tuple[float, int, Host]] = []
        self._seq = itertools.count()
        self._pending = 0
        self._in_flight = 0
        self._wake = asyncio.Event()

    def host(self, name: str) -> Host:
        h = self.hosts.get(name)
        if h is None:
            h = self.hosts[name] = Host(name, self.delay)
        return h

    def add(self, name: str, item: Item, front: bool = False) -> None:
        h = self.host(name)
        if front:
            h.queue.appendleft(item)
        else:
            h.queue.append(item)
        self._pending += 1
        self._push(h)

    def drain(self, host: Host) -> list[Item]:
        """Remove and return every queued item of ``host`` (it was retired)."""
        items = list(host.queue)
        host.queue.clear()
        self._pending -= len(items)
        self._wake.set()
        return items

    def ready_at(self, h: Host) -> float:
        return max(h.last_start + h.delay, h.last_end + h.delay, h.not_before)

    def _push(self, h: Host) -> None:
        if h.queued or not h.queue or h.in_flight >= self.per_host or h.dead:
            return
        h.queued = True
        heapq.heappush(self._heap, (self.ready_at(h), next(self._seq), h))
        self._wake.set()

    async def take(self) -> tuple[Host, Item] | None:
        """The next item whose host may be contacted now; None once every item is done."""
        while True:
            timeout: float | None = None
            if self._heap:
                ready, _, h = self._heap[0]
                now = self.clock()
                if ready <= now:
                    heapq.heappop(self._heap)
                    h.queued = False
                    if not h.queue or h.in_flight >= self.per_host or h.dead:
                        continue
                    if self.ready_at(h) > now:  # the host was used since it was pushed
                        self._push(h)
                        continue
                    item = h.queue.popleft()
                    self._pending -= 1
                    self._in_flight += 1
                    h.in_flight += 1
                    item.taken_at, item.prev_start = now, h.last_start
                    h.last_start = now
                    self._push(h)
                    return h, item
                timeout = ready - now
            elif self._pending == 0 and self._in_flight == 0:
                self._wake.set()  # let the other workers see the end too
                return None
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    def release(self, h: Host, item: Item, *, contacted: bool = True, wait: float = 0.0) -> None:
        """The item taken from ``h`` is finished (or requeued). ``contacted=False``: no request was
        made (a robots.txt refusal), so the host's delay is not spent; ``wait``: do not contact the
        host again for that many seconds (Retry-After, a robots.txt deferral)."""
        now = self.clock()
        h.in_flight -= 1
        self._in_flight -= 1
        if contacted:
            h.last_end = now
        elif h.last_start == item.taken_at:  # no later take: give the unused start back
            h.last_start = item.prev_start
        if wait > 0:
            h.not_before = max(h.not_before, now + wait)
        self._push(h)
        self._wake.set()
