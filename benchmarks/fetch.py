"""Fetch throughput with every safety on, against a bare aiohttp loop with none.

Both fetch the same URLs (``pages`` pages of ``--kb`` KB spread over ``hosts`` host names, all mapped to
one local server started in its own process) at the same concurrency:
- baseline: a semaphore and ``session.get(url)`` + ``resp.read()`` (no robots.txt, no pacing, no guard,
  no caps, no WARC, nothing recorded);
- safety, no archive: the fetch loop (``curation.fetch.crawler``) with robots.txt, pacing, the guard
  and the caps, but records kept nowhere: what politeness and safety cost by themselves;
- fetch stage: the real ``fetch`` stage (partition + fetch phases, one worker): robots.txt per host,
  per-host queues with a delay, the SSRF guard (allowing only 127.0.0.1/32), resolve-once DNS, capped
  bodies, WARC request+response records with digests, the journal, and the page shard (charset
  decoding, Arrow). Target: pages/s >= 0.7 x the baseline.

Each side runs ``--repeat`` times in a fresh process, alternating; medians are reported, with the
peak RSS of each process.

    python benchmarks/fetch.py [--scale small|default] [--concurrency 32] [--kb 30] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import pyarrow as pa

SCALES = {"small": (2000, 400), "default": (10000, 2000)}  # pages, hosts


def _urls(port: int, pages: int, hosts: int, paragraphs: int) -> tuple[list[str], list[str]]:
    names = [f"h{i}.bench" for i in range(hosts)]
    return [f"http://{names[i % hosts]}:{port}/page/{i}?p={paragraphs}" for i in range(pages)], names


def _usage() -> dict[str, float]:
    u = resource.getrusage(resource.RUSAGE_SELF)
    return {"rss_mb": u.ru_maxrss / 1024, "cpu": u.ru_utime + u.ru_stime, "sys": u.ru_stime,
            "ctx_switches": u.ru_nvcsw + u.ru_nivcsw}


def _baseline(port: int, urls: list[str], names: list[str], concurrency: int, out: mp.Queue) -> None:
    from curation.fetch.ssrf import StaticResolver

    async def run() -> int:
        sem = asyncio.Semaphore(concurrency)
        resolver = StaticResolver({n: ["127.0.0.1"] for n in names})
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(resolver=resolver, limit=concurrency)) as s:
            async def one(url: str) -> int:
                async with sem, s.get(url) as resp:
                    return len(await resp.read())
            sizes = await asyncio.gather(*(one(u) for u in urls))
        return sum(sizes)

    start = time.perf_counter()
    cpu0 = _usage()["cpu"]
    total = asyncio.run(run())
    out.put({"seconds": time.perf_counter() - start, "bytes": total, **_usage(), "cpu_work": _usage()["cpu"] - cpu0})


def _stage(port: int, urls: list[str], names: list[str], concurrency: int, delay: float, out: mp.Queue,
           **settings) -> None:
    import curation.fetch.crawler  # noqa: F401  (imported lazily by the stage: not part of the timing)
    from curation.shards import read_json, write_table
    from curation.stage import StageContext
    from curation.stages.fetch import Fetch, FetchConfig

    run = Path(tempfile.mkdtemp(prefix="bench-fetch-"))
    try:
        write_table(run / "01-links" / "part-00000.arrow", pa.table({"id": [str(i) for i in range(len(urls))],
                                                                     "url": urls}))
        cfg = FetchConfig(concurrency=concurrency, per_host_delay=delay, allowed_networks=["127.0.0.1/32"],
                          resolve={n: ["127.0.0.1"] for n in names}, **settings)
        stage = Fetch(cfg, StageContext(run, run / "02-fetch", run / "01-links", "02-fetch"))
        cpu0 = _usage()["cpu"]
        start = time.perf_counter()
        for phase in stage.phases():
            for key in stage.task_keys(phase):
                stage.run_task(phase, key)
        seconds = time.perf_counter() - start
        stats = read_json(run / "02-fetch" / "stats" / "part-00000.json")
        warc = sum(p.stat().st_size for p in (run / "02-fetch" / "warc").glob("*.warc.gz"))
        out.put({"seconds": seconds, "kept": stats["out"]["records"], "crawl_seconds": stats["notes"]["fetch_seconds"],
                 "robots": stats["notes"].get("robots_requests", 0), "warc_mb": warc / 1e6, **_usage(),
                 "cpu_work": _usage()["cpu"] - cpu0})
    finally:
        shutil.rmtree(run, ignore_errors=True)


class _NullArchive:
    """Keeps no records: isolates what politeness and safety cost from what archiving costs."""

    def write(self, ex, target):
        from curation.fetch.archive import RecordRef

        return RecordRef("null", 0, "<urn:uuid:0>", 0)

    def io_flush(self) -> None:
        pass

    def close(self) -> None:
        pass


class _NullJournal:
    def append(self, entry, ref=None, *, offset=True) -> None:
        pass

    def io_flush(self) -> None:
        pass

    def close(self) -> None:
        pass


def _safety_only(port: int, urls: list[str], names: list[str], concurrency: int, delay: float, out: mp.Queue) -> None:
    from curation.fetch.crawler import Crawler
    from curation.stages.fetch import FetchConfig

    cfg = FetchConfig(concurrency=concurrency, per_host_delay=delay, allowed_networks=["127.0.0.1/32"],
                      resolve={n: ["127.0.0.1"] for n in names})
    cpu0 = _usage()["cpu"]
    start = time.perf_counter()
    asyncio.run(Crawler(cfg, _NullArchive(), _NullJournal()).run(list(enumerate(urls))))
    out.put({"seconds": time.perf_counter() - start, **_usage(), "cpu_work": _usage()["cpu"] - cpu0})


def _in_process(target, *args) -> dict:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=target, args=(*args, q))
    p.start()
    result = q.get()
    p.join()
    return result


def _start_server() -> tuple[subprocess.Popen, int]:
    server = subprocess.Popen([sys.executable, "-m", "curation.fetch.testserver"], stdout=subprocess.PIPE, text=True)
    port = int(server.stdout.readline())
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass
    return server, port


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", choices=SCALES, default="default")
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--kb", type=int, default=30, help="page size (HTTP Archive: median HTML ~30 KB)")
    ap.add_argument("--delay", type=float, default=0.1, help="per-host delay of the fetch stage (seconds)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    pages, hosts = SCALES[args.scale]
    server, port = _start_server()
    try:
        urls, names = _urls(port, pages, hosts, max(1, args.kb * 1024 // 160))
        base, safety, ours = [], [], []
        for _ in range(args.repeat):
            base.append(_in_process(_baseline, port, urls, names, args.concurrency))
            safety.append(_in_process(_safety_only, port, urls, names, args.concurrency, args.delay))
            ours.append(_in_process(_stage, port, urls, names, args.concurrency, args.delay))
    finally:
        server.terminate()
        server.wait()
    b = statistics.median(r["seconds"] for r in base)
    sf = statistics.median(r["seconds"] for r in safety)
    o = statistics.median(r["seconds"] for r in ours)
    crawl = statistics.median(r["crawl_seconds"] for r in ours)
    print(f"{pages} pages of ~{args.kb} KB on {hosts} hosts, concurrency {args.concurrency}, "
          f"per-host delay {args.delay} s, median of {args.repeat}")
    bc = statistics.median(r["cpu_work"] for r in base) / pages * 1e3
    sc = statistics.median(r["cpu_work"] for r in safety) / pages * 1e3
    oc = statistics.median(r["cpu_work"] for r in ours) / pages * 1e3
    print(f"  bare aiohttp loop : {pages / b:8.0f} pages/s  ({b:.2f} s, {bc:.2f} ms CPU/page, "
          f"peak RSS {max(r['rss_mb'] for r in base):.0f} MB)")
    print(f"  safety, no archive: {pages / sf:8.0f} pages/s  ({sf:.2f} s, {sc:.2f} ms CPU/page): robots.txt, pacing, "
          "guard, caps, no WARC/journal/shard")
    print(f"  fetch stage       : {pages / o:8.0f} pages/s  ({o:.2f} s, of which crawl {crawl:.2f} s; {oc:.2f} ms CPU/page, "
          f"peak RSS {max(r['rss_mb'] for r in ours):.0f} MB)")
    print(f"  kept pages {ours[0]['kept']}, robots.txt requests {ours[0]['robots']}, WARC {ours[0]['warc_mb']:.1f} MB")
    print(f"  ratio (safety, no archive / bare loop): {b / sf:.2f}")
    print(f"  ratio (fetch stage / bare loop):        {b / o:.2f}  (target >= 0.7)")


if __name__ == "__main__":
    main()
