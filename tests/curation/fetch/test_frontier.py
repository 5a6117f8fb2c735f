"""Per-host queues: order, concurrency and delays, with a fake clock (no sleeping)."""

from __future__ import annotations

import asyncio
import functools

from curation.fetch.frontier import Frontier, Item


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def _take_now(f: Frontier):
    try:
        return await asyncio.wait_for(f.take(), 0.05)
    except TimeoutError:
        return "waiting"


def run(scenario):
    """Each test is one coroutine: the frontier's wake-up event belongs to one event loop."""
    @functools.wraps(scenario)
    def test():
        asyncio.run(scenario())
    return test


@run
async def test_hosts_take_turns_and_a_busy_host_waits_for_its_delay():
    clock = Clock()
    f = Frontier(per_host_concurrency=1, delay=2.0, clock=clock)
    for i, host in enumerate(["a", "a", "b"]):
        f.add(host, Item(i, f"http://{host}/{i}"))
    a, item0 = await _take_now(f)
    b, item2 = await _take_now(f)
    assert (a.name, item0.row, b.name, item2.row) == ("a", 0, "b", 2)
    assert await _take_now(f) == "waiting"  # a's request is still in flight
    f.release(a, item0)
    assert await _take_now(f) == "waiting"  # ... and then its delay runs
    clock.now = 2.0
    host, item1 = await _take_now(f)
    assert (host.name, item1.row) == ("a", 1)
    f.release(host, item1)
    f.release(b, item2)
    assert await _take_now(f) is None  # everything done


@run
async def test_per_host_concurrency_allows_parallel_requests_spaced_by_the_delay():
    clock = Clock()
    f = Frontier(per_host_concurrency=2, delay=1.0, clock=clock)
    for i in range(3):
        f.add("a", Item(i, f"http://a/{i}"))
    h, first = await _take_now(f)
    assert await _take_now(f) == "waiting"  # start-to-start delay
    clock.now = 1.0
    h, second = await _take_now(f)
    clock.now = 5.0
    assert await _take_now(f) == "waiting"  # two in flight
    f.release(h, first)
    clock.now = 6.0
    assert (await _take_now(f))[1].row == 2


@run
async def test_a_request_not_made_does_not_spend_the_delay_and_wait_defers_the_host():
    clock = Clock()
    f = Frontier(per_host_concurrency=1, delay=10.0, clock=clock)
    for i in range(2):
        f.add("a", Item(i, f"http://a/{i}"))
    h, item = await _take_now(f)
    f.release(h, item, contacted=False)  # e.g. refused by robots.txt
    h, item = await _take_now(f)
    assert item.row == 1
    f.add("a", item, front=True)  # a retry, with Retry-After
    f.release(h, item, wait=30.0)
    clock.now = 29.0
    assert await _take_now(f) == "waiting"
    clock.now = 30.0
    assert (await _take_now(f))[1].row == 1


@run
async def test_drained_host_is_finished():
    f = Frontier(per_host_concurrency=1, delay=0.0)
    for i in range(3):
        f.add("a", Item(i, f"http://a/{i}"))
    h, item = await _take_now(f)
    h.dead = "host_errors"
    assert [i.row for i in f.drain(h)] == [1, 2]
    f.release(h, item)
    assert await _take_now(f) is None
