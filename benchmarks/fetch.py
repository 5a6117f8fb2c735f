"""Fetch throughput with every safety on, against a bare aiohttp loop with none.

Both fetch the same URLs (``pages`` pages of ``--kb`` KB spread over ``hosts`` host names, all mapped to
one local server started in its own process) at the same concurrency:
- baseline: a semaphore and ``session.get(url)`` + ``resp.read()`` (no robots.txt, no pacing, no guard,
  no caps, no WARC, nothing recorded);
- safety, no archive: the fetch loop (``curation.fetch.crawler``) with robots.txt, pacing, the guard
  and the caps, but records kept nowhere: what politeness and safety cost by themselves;
- fetch stage: the real ``fetch`` stage (partition + fetch phases): robots.txt per host, per-host
  queues with a delay, the SSRF guard (allowing only 127.0.0.1/32), resolve-once DNS, capped bodies,
  WARC request+response records with digests, the journal, and the page shard (charset decoding,
  Arrow). ``--workers`` host groups (``partitions``) run as that many tasks in a pool of worker
  processes, as the local executor runs them, each with ``--concurrency / --workers`` requests in
  flight, so that both sides have the same number in flight. Target: pages/s >= 0.7 x the baseline.

Each side runs ``--repeat`` times in a fresh process, alternating; medians are reported, with the
peak RSS of each process (for the stage: the largest of its processes). Worker processes are started
and their imports done before the clock starts, as the baseline's are.

The server shares the machine's cores with the client, so the CPU both spend per page bounds the
throughput: the benchmark also reads the server's CPU time (Linux ``/proc``) and prints each side's
ceiling, ``cores / (client + server CPU per page)``, and the ratio of the two ceilings: the best ratio
the stage could reach on this machine at its present CPU cost, whatever the scheduling.

    python benchmarks/fetch.py [--scale small|default] [--concurrency 32] [--kb 30] [--repeat 3] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
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


def _warm(_: int) -> int:
    import curation.fetch.crawler  # noqa: F401  (imported lazily by the stage: not part of the timing)
    import curation.stages.fetch  # noqa: F401

    time.sleep(0.3)  # long enough for the pool to start every worker
    return os.getpid()


def _fetch_task(stage, key: str) -> dict[str, float]:
    """One fetch task in a pool worker, with the CPU it used (all its threads) and the worker's peak RSS."""
    cpu0 = _usage()["cpu"]
    stage.run_task("fetch", key)
    u = _usage()
    return {"cpu": u["cpu"] - cpu0, "rss_mb": u["rss_mb"]}


def _stage(port: int, urls: list[str], names: list[str], concurrency: int, delay: float, workers: int,
           out: mp.Queue) -> None:
    from concurrent.futures import ProcessPoolExecutor

    import curation.fetch.crawler  # noqa: F401  (imported lazily by the stage: not part of the timing)
    from curation.shards import read_json, write_table
    from curation.stage import StageContext
    from curation.stages.fetch import Fetch, FetchConfig

    run = Path(tempfile.mkdtemp(prefix="bench-fetch-"))
    pool = ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) if workers > 1 else None
    try:
        if pool is not None:  # spawn and import in every worker before the clock starts (as for the baseline)
            list(pool.map(_warm, range(workers)))
        write_table(run / "01-links" / "part-00000.arrow", pa.table({"id": [str(i) for i in range(len(urls))],
                                                                     "url": urls}))
        # `workers` host groups, one task each, in parallel: the concurrency is split so that as many
        # requests are in flight in all as in the baseline
        cfg = FetchConfig(concurrency=max(1, concurrency // workers), partitions=workers, per_host_delay=delay,
                          allowed_networks=["127.0.0.1/32"], resolve={n: ["127.0.0.1"] for n in names})
        stage = Fetch(cfg, StageContext(run, run / "02-fetch", run / "01-links", "02-fetch"))
        cpu0 = _usage()["cpu"]
        start = time.perf_counter()
        for key in stage.task_keys("partition"):
            stage.run_task("partition", key)
        keys = stage.task_keys("fetch")
        if pool is None:
            tasks = [_fetch_task(stage, key) for key in keys]
        else:
            tasks = list(pool.map(_fetch_task, [stage] * len(keys), keys))
        seconds = time.perf_counter() - start
        driver = _usage()["cpu"] - cpu0 - (sum(t["cpu"] for t in tasks) if pool is None else 0)
        stats = [read_json(run / "02-fetch" / "stats" / f"{key}.json") for key in keys]
        warc = sum(p.stat().st_size for p in (run / "02-fetch" / "warc").glob("*.warc.gz"))
        out.put({"seconds": seconds, "kept": sum(s["out"]["records"] for s in stats),
                 "crawl_seconds": max(s["notes"]["fetch_seconds"] for s in stats),
                 "robots": sum(s["notes"].get("robots_requests", 0) for s in stats), "warc_mb": warc / 1e6,
                 "cpu_work": driver + sum(t["cpu"] for t in tasks),
                 "rss_mb": max([_usage()["rss_mb"]] + [t["rss_mb"] for t in tasks])})
    finally:
        if pool is not None:
            pool.shutdown()
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


def _process_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) a process has used so far; None where /proc is not there."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def _in_process(server_pid: int, target, *args) -> dict:
    """Run ``target`` in a fresh process; adds the server's CPU seconds meanwhile as ``server_cpu``."""
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=target, args=(*args, q))
    before = _process_cpu(server_pid)
    p.start()
    result = q.get()
    p.join()
    after = _process_cpu(server_pid)
    result["server_cpu"] = None if before is None or after is None else after - before
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
    ap.add_argument("--workers", type=int, default=2,
                    help="fetch stage: host groups (tasks), run in as many worker processes; --concurrency is "
                         "split between them")
    args = ap.parse_args()
    pages, hosts = SCALES[args.scale]
    server, port = _start_server()
    try:
        urls, names = _urls(port, pages, hosts, max(1, args.kb * 1024 // 160))
        base, safety, ours = [], [], []
        for _ in range(args.repeat):
            base.append(_in_process(server.pid, _baseline, port, urls, names, args.concurrency))
            safety.append(_in_process(server.pid, _safety_only, port, urls, names, args.concurrency, args.delay))
            ours.append(_in_process(server.pid, _stage, port, urls, names, args.concurrency, args.delay, args.workers))
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
    server = [statistics.median(r["server_cpu"] for r in runs) / pages * 1e3
              if all(r["server_cpu"] is not None for r in runs) else None for runs in (base, safety, ours)]
    if None not in server:  # what the cores allow: both sides are CPU-bound on a small machine
        cores = os.cpu_count() or 1
        print(f"  server CPU/page: bare loop {server[0]:.2f} ms, safety {server[1]:.2f} ms, stage {server[2]:.2f} ms "
              "(robots.txt requests included)")
        ceilings = [cores / (c + sv) * 1e3 for c, sv in zip((bc, sc, oc), server, strict=True)]
        print(f"  CPU-bound ceiling on {cores} cores, cores / (client + server CPU per page): bare loop "
              f"{ceilings[0]:.0f}, safety {ceilings[1]:.0f}, stage {ceilings[2]:.0f} pages/s; ratio of ceilings "
              f"(stage / bare loop) {ceilings[2] / ceilings[0]:.2f}")


if __name__ == "__main__":
    main()
