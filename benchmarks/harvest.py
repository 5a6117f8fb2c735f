"""Harvest benchmark: the `harvest` stage on a Pushshift-like dump against a plain json.loads loop and
against zstd decompression alone, and its peak memory at 1x and 10x the input.

    .venv/bin/python benchmarks/harvest.py                         # 1M records (~3.3 GB of JSON), then 10x
    .venv/bin/python benchmarks/harvest.py --records 100000        # quick look

1. Input (generated once, cached under --work): ``--records`` submissions from
   ``curation.harvest.synth.reddit_submission`` (the fields and sizes of a 2019 ``RS_*`` line, ~3.3 KB),
   zstd level 3 with a 2 GiB window like the real dumps. The 10x input is ten frames of the same
   file (valid zstd, as multi-frame dumps are): ten times the posts, each URL submitted ten times.
2. Rates, records per second, in one run:
   - zstd alone: ``zstandard`` stream reader, 4 MiB reads, nothing else (the ceiling; target: the
     stage >= 30% of it);
   - json.loads loop: the OpenWebText scripts' approach (OpenWebText2's dump loop: 16 MB reads,
     decode, split, ``json.loads`` each line, keep score >= 3 and not self / NSFW), on the first
     --baseline-records records (target: the stage >= 3x it);
   - the stage: every map and reduce task of ``harvest`` (default config, 16 partitions per 1x) in
     one process, in wall time and in CPU time (the read-ahead thread decompresses on a second core).
3. Peak RSS of the map phase and of the reduce phase, each in a fresh process, at 1x and 10x input
   (partitions scaled with the input, as the README advises): target flat.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _peak_rss_mb() -> float:
    """This process's peak RSS. VmHWM, not ru_maxrss: a child inherits its parent's ru_maxrss."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- input ------------------------------------------------------------------------------------------------
def generate(path: Path, records: int, seed: int = 0) -> None:
    import zstandard

    from curation.harvest.synth import reddit_submission

    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    params = zstandard.ZstdCompressionParameters.from_level(3, window_log=31, enable_ldm=True,
                                                            write_content_size=False)
    tmp = path.with_suffix(".tmp")
    t0 = time.perf_counter()
    with open(tmp, "wb") as f, zstandard.ZstdCompressor(compression_params=params).stream_writer(f) as w:
        buf = []
        for i in range(records):
            buf.append(json.dumps(reddit_submission(rng, i)).encode() + b"\n")
            if len(buf) == 10000:
                w.write(b"".join(buf))
                buf = []
                print(f"\r  generating {i + 1:,}/{records:,} ({time.perf_counter() - t0:.0f} s)", end="",
                      file=sys.stderr, flush=True)
        w.write(b"".join(buf))
    print(file=sys.stderr)
    tmp.rename(path)


def repeat(src: Path, dst: Path, times: int) -> None:
    data = src.read_bytes()
    with open(dst.with_suffix(".tmp"), "wb") as f:
        for _ in range(times):
            f.write(data)
    dst.with_suffix(".tmp").rename(dst)


# -- baselines --------------------------------------------------------------------------------------------
def zstd_alone(path: Path) -> tuple[float, float, int]:
    import zstandard

    t0, c0, n = time.perf_counter(), time.process_time(), 0
    with open(path, "rb") as f, zstandard.ZstdDecompressor(max_window_size=2**31).stream_reader(f) as r:
        while chunk := r.read(4 << 20):
            n += len(chunk)
    return time.perf_counter() - t0, time.process_time() - c0, n


def json_loop(path: Path, limit: int) -> tuple[float, float, int, int]:
    """OpenWebText2's dump loop (pushshift/process_dump_files_sqlite.py): 16 MB reads, decode, split
    lines, ``json.loads`` each, keep the link posts' fields; here with WebText's karma rule added."""
    import zstandard

    t0, c0, n, kept, previous = time.perf_counter(), time.process_time(), 0, [], ""
    with open(path, "rb") as f, zstandard.ZstdDecompressor(max_window_size=2**31).stream_reader(f) as r:
        while n < limit and (chunk := r.read(16_000_000)):
            lines = chunk.decode("utf-8", "replace").split("\n")
            lines[0] = previous + lines[0]
            for line in lines[:-1]:
                post = json.loads(line)
                n += 1
                if post.get("is_self") is None or post["is_self"] or not post.get("url"):
                    continue
                if post["score"] >= 3 and not post.get("over_18"):
                    kept.append((post["id"], post.get("subreddit"), post.get("title"), post["score"],
                                 int(post["created_utc"]), post["url"]))
            previous = lines[-1]
    return time.perf_counter() - t0, time.process_time() - c0, n, len(kept)


# -- the stage, in a child process per phase --------------------------------------------------------------
def stage_child(dump: str, work: str, partitions: int, phase: str) -> None:
    from curation.config import parse_pipeline
    from curation.runner import Runner
    from curation.shards import read_json

    cfg = parse_pipeline({"name": "bench-harvest", "stages": [
        {"stage": "harvest", "inputs": [dump], "partitions": partitions}]})
    stage = Runner(cfg, Path(work)).build(0)
    stage.ctx.stage_dir.mkdir(parents=True, exist_ok=True)
    stage.prepare()
    # pyarrow imports pandas (when installed) the first time it converts a Python list: ~0.5 s per
    # process. Like the imports above it is a start-up cost of the process, not a per-record one (the
    # json.loads loop's imports are not timed either): paid here, before the clock, and reported.
    import pyarrow as pa

    t0 = time.perf_counter()
    pa.array([0])
    warmup = time.perf_counter() - t0
    wall, cpu, main = time.perf_counter(), time.process_time(), time.thread_time()
    for key in stage.task_keys(phase):
        stage.run_task(phase, key)
    out = {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
           "main_thread_cpu": time.thread_time() - main, "rss_mb": _peak_rss_mb(), "warmup": warmup}
    if phase == "reduce":
        stats = [read_json(p) for p in (stage.ctx.stage_dir / "stats").glob("*.json")]
        out["posts"] = sum(s["in"]["records"] for s in stats if s["in"])
        out["links"] = sum(s["out"]["records"] for s in stats if s["out"])
    print(json.dumps(out))


def run_stage(dump: Path, work: Path, partitions: int) -> dict:
    import shutil

    shutil.rmtree(work, ignore_errors=True)
    result = {}
    for phase in ("map", "reduce"):
        proc = subprocess.run([sys.executable, __file__, "--child", str(dump), str(work), str(partitions), phase],
                              capture_output=True, text=True, cwd=ROOT)
        if proc.returncode:
            sys.exit(f"stage child failed:\n{proc.stderr}")
        result[phase] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--rss-scale", type=int, default=10, help="the larger input, in multiples (0: skip)")
    ap.add_argument("--baseline-records", type=int, default=200_000, help="records for the json.loads loop")
    ap.add_argument("--partitions", type=int, default=16, help="partitions at 1x (scaled with the input)")
    ap.add_argument("--work", type=Path, default=ROOT / "runs" / "bench-harvest")
    args = ap.parse_args()

    dump = args.work / f"RS_synth-{args.records}.zst"
    if not dump.exists():
        generate(dump, args.records)
    size = dump.stat().st_size
    print(f"input: {args.records:,} records, {size / 2**20:,.0f} MiB zstd; load average {os.getloadavg()[0]:.1f}")

    z_wall, z_cpu, raw_bytes = zstd_alone(dump)
    print(f"  {raw_bytes / args.records:,.0f} bytes of JSON per record, compression ratio {raw_bytes / size:.1f}")
    j_wall, j_cpu, j_n, j_kept = json_loop(dump, args.baseline_records)
    s = run_stage(dump, args.work / "run-1x", args.partitions)
    posts = s["reduce"]["posts"]
    assert posts == args.records, (posts, args.records)
    st_wall = s["map"]["wall"] + s["reduce"]["wall"]
    st_cpu = s["map"]["cpu"] + s["reduce"]["cpu"]
    rates = {"zstd alone": (args.records / z_wall, args.records / z_cpu),
             "json.loads loop": (j_n / j_wall, j_n / j_cpu),
             "harvest stage": (posts / st_wall, posts / st_cpu),
             "  map phase": (posts / s["map"]["wall"], posts / s["map"]["cpu"]),
             "  reduce phase": (posts / s["reduce"]["wall"], posts / s["reduce"]["cpu"])}
    print(f"\n{'records/s':<26}{'wall':>12}{'CPU time':>12}")
    for name, (w, c) in rates.items():
        print(f"  {name:<24}{w:>12,.0f}{c:>12,.0f}")
    critical = posts / (s["map"]["main_thread_cpu"] + s["reduce"]["main_thread_cpu"])
    print(f"  {'harvest, main thread':<24}{'':>12}{critical:>12,.0f}   (wall rate with a spare core for "
          "decompression)")
    print(f"  (the json.loads loop kept {j_kept:,} of {j_n:,} posts; the stage kept {s['reduce']['links']:,} links"
          f" of {posts:,})")
    stage, js, z = rates["harvest stage"], rates["json.loads loop"], rates["zstd alone"]
    print(f"\n{'ratios':<26}{'wall':>12}{'CPU time':>12}   target")
    print(f"  {'stage / json.loads loop':<24}{stage[0] / js[0]:>11.2f}x{stage[1] / js[1]:>11.2f}x   >= 3x")
    print(f"  {'stage / zstd alone':<24}{stage[0] / z[0]:>12.1%}{stage[1] / z[1]:>12.1%}   >= 30%")
    print(f"  {'main thread / json loop':<24}{'':>12}{critical / js[1]:>11.2f}x")
    print("  (CPU time counts the read-ahead thread too; wall time on a loaded machine counts waiting)")
    print(f"  (not timed: pyarrow's first-use import of pandas, {s['map']['warmup']:.2f} s in the map process, "
          f"{s['reduce']['warmup']:.2f} s in the reduce process)")

    print("\npeak RSS, MiB (target: flat)")
    print(f"  {'input':<8}{'posts':>12}{'partitions':>12}{'map':>8}{'reduce':>8}")
    print(f"  {'1x':<8}{posts:>12,}{args.partitions:>12}{s['map']['rss_mb']:>8.0f}{s['reduce']['rss_mb']:>8.0f}")
    if args.rss_scale > 1:
        big = args.work / f"RS_synth-{args.records}-x{args.rss_scale}.zst"
        if not big.exists():
            repeat(dump, big, args.rss_scale)
        parts = args.partitions * args.rss_scale
        b = run_stage(big, args.work / f"run-{args.rss_scale}x", parts)
        print(f"  {f'{args.rss_scale}x':<8}{b['reduce']['posts']:>12,}{parts:>12}{b['map']['rss_mb']:>8.0f}"
              f"{b['reduce']['rss_mb']:>8.0f}")
        b_posts = b["reduce"]["posts"]
        print(f"  {args.rss_scale}x stage rate: {b_posts / (b['map']['wall'] + b['reduce']['wall']):,.0f} records/s "
              f"(wall), {b['reduce']['links']:,} links")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        stage_child(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    else:
        main()
