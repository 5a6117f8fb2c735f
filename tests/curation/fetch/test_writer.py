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


def test_nothing_is_written_after_a_failed_write():
    out = []
    w = BackgroundWriter()

    def disk_full():
        raise OSError(28, "No space left on device")
    w.submit(disk_full)
    w._flush()
    w._queue.put(([(out.append, ("journal line",))], 0))  # queued before the failure was seen
    with pytest.raises(OSError, match="No space left"):
        w.close()
    assert out == []  # a journal line must not vouch for records that were never written


def test_drain_returns_once_everything_submitted_is_written_and_flushed():
    out, flushed = [], []
    w = BackgroundWriter()
    w.after_batch = [lambda: flushed.append(len(out))]
    gate = threading.Event()
    w.submit(gate.wait)
    w.submit(out.append, 1)
    threading.Timer(0.05, gate.set).start()
    w.drain()
    assert out == [1] and flushed and flushed[-1] == 1
    w.close()
