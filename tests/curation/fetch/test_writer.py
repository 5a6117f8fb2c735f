import asyncio
import threading

import pytest

from curation.fetch.writer import BackgroundWriter


def test_writes_run_in_order_off_the_calling_thread():
    out, threads = [], set()
    w = BackgroundWriter()
    for i in range(200):
        w.submit(lambda i=i: (out.append(i), threads.add(threading.get_ident())), size=10)
    w.close()
    assert out == list(range(200)) and threading.get_ident() not in threads


def test_a_failed_write_is_raised_not_lost():
    w = BackgroundWriter()

    def disk_full():
        raise OSError(28, "No space left on device")
    w.submit(disk_full)
    with pytest.raises(OSError, match="No space left"):
        w.close()


def test_backlog_makes_the_loop_wait():
    w = BackgroundWriter()
    gate = threading.Event()
    w.submit(gate.wait, size=1000)

    async def go():
        waiter = asyncio.ensure_future(w.wait_below(500))
        await asyncio.sleep(0.05)
        assert not waiter.done()  # 1000 bytes queued behind a slow disk
        gate.set()
        await asyncio.wait_for(waiter, 2)
    asyncio.run(go())
    w.close()
