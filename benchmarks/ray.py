"""The Ray executor against the local executor on this machine.

1. The filter chain (WARC read -> extract -> langid -> Gopher quality + repetition -> C4 -> FineWeb) over
   the mini-web sample, with 2 workers on each executor: throughput ratio ray / local (target >= 0.8).
2. Scheduling overhead per task: an empty task per shard on Ray vs on the local process pool.
3. With ``--s3``: the same chain with its input WARCs and run directory on an S3 server on 127.0.0.1
   (moto's server mode, started here), local executor, against the local-disk run: what object storage
   costs (a pessimistic figure: moto is a Python server sharing the same 2 cores).

    python benchmarks/ray.py [--scale 2] [--s3]
"""

from __future__ import annotations

import os
import sys

# This file is named ray.py: its folder, first on sys.path, would shadow the `ray` package.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]

import argparse  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from curation.config import parse_pipeline  # noqa: E402
from curation.executors.local import LocalExecutor  # noqa: E402
from curation.executors.ray import RayExecutor  # noqa: E402
from curation.runner import Runner, RunOptions  # noqa: E402
from curation.sample import generate  # noqa: E402

CHAIN = ["extract", "langid", "gopher_quality", "gopher_repetition", "c4", "fineweb"]


def run_chain(warcs: str, run_dir: Path | str, executor: str, workers: int) -> float:
    raw = {"name": "bench", "stages": [{"stage": "warc_read", "inputs": [warcs]}] + [{"stage": s} for s in CHAIN]}
    if isinstance(run_dir, Path):
        shutil.rmtree(run_dir, ignore_errors=True)
    start = time.perf_counter()
    Runner(parse_pipeline(raw), run_dir).run(RunOptions(workers=workers, progress=False, executor=executor))
    return time.perf_counter() - start


def _noop(x: int) -> int:
    return x


def scheduling_overhead(tasks: int) -> tuple[float, float]:
    """Seconds per empty task: Ray remote calls vs the local process pool (both warm)."""
    local = LocalExecutor(2)
    pool = local._get_pool()
    list(pool.map(_noop, range(8)))
    start = time.perf_counter()
    list(pool.map(_noop, range(tasks)))
    t_local = (time.perf_counter() - start) / tasks
    local.close()
    ex = RayExecutor(None, 2)
    ray = ex._ray
    remote = ray.remote(num_cpus=1)(_noop)
    ray.get([remote.remote(i) for i in range(8)])
    start = time.perf_counter()
    ray.get([remote.remote(i) for i in range(tasks)])
    t_ray = (time.perf_counter() - start) / tasks
    ex.close()
    return t_local, t_ray


def on_s3(sample: Path, t_local: float, workers: int, tmp: Path) -> None:
    """The chain with inputs and run directory on a local S3 server, vs the local-disk run."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1",
                      AWS_ENDPOINT_URL=f"http://{host}:{port}")
    import s3fs

    fs = s3fs.S3FileSystem(skip_instance_cache=True)
    fs.mkdir("bench")
    fs.put(str(sample / "warc") + "/", "bench/warc/", recursive=True)
    try:
        t_s3 = run_chain("s3://bench/warc/*.warc.gz", "s3://bench/run", "local", workers)
        objects = len(fs.find("bench/run"))
        fs.get("bench/run/", str(tmp / "s3-copy") + "/", recursive=True)
        t_disk = run_chain("s3://bench/warc/*.warc.gz", tmp / "disk-s3-inputs", "local", workers)
        same = all((tmp / "disk-s3-inputs" / p.relative_to(tmp / "s3-copy")).read_bytes() == p.read_bytes()
                   for p in (tmp / "s3-copy").rglob("*.arrow"))
    finally:
        server.stop()
    print(f"object storage (moto S3 server on 127.0.0.1, local executor, {workers} workers):")
    print(f"  inputs on S3, run dir on local disk: {t_disk:.1f}s")
    print(f"  inputs and run dir on S3           : {t_s3:.1f}s  ratio S3/local-disk {t_disk / t_s3:.2f}; "
          f"{objects} objects written")
    print(f"  (all local, for reference: {t_local:.1f}s)  byte-identical shards S3 vs disk: {same}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=2.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--s3", action="store_true", help="also run the chain on a local S3 server (needs moto)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-ray-"))
    try:
        generate(tmp / "sample", scale=args.scale)
        warcs = str(tmp / "sample" / "warc" / "*.warc.gz")
        t_local = run_chain(warcs, tmp / "local", "local", args.workers)
        t_ray = run_chain(warcs, tmp / "ray", "ray", args.workers)
        same = all((tmp / "local" / p.relative_to(tmp / "ray")).read_bytes() == p.read_bytes()
                   for p in (tmp / "ray").rglob("*.arrow"))
        print(f"filter chain over the mini-web sample at scale {args.scale}, {args.workers} workers, "
              "start-up included")
        print(f"  local executor: {t_local:.1f}s")
        print(f"  ray executor  : {t_ray:.1f}s  throughput ratio ray/local {t_local / t_ray:.2f} (target >= 0.8)")
        print(f"  byte-identical shards: {same}")
        if args.s3:
            on_s3(tmp / "sample", t_local, args.workers, tmp)
        per_local, per_ray = scheduling_overhead(500)
        print(f"scheduling overhead per task (empty task, warm): local pool {per_local * 1e3:.2f} ms, "
              f"ray {per_ray * 1e3:.2f} ms")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
