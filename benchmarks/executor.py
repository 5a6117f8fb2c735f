"""Executor overhead and scaling.

1. A pass-through map stage over N small records (default 1M, 16 shards), through the real stage
   contract (batching, funnel counting, kept/rejected writers, stats) and the local executor, vs a bare
   pyarrow loop that reads and rewrites the same shards. Target: ratio >= 0.5.
2. A CPU-bound map stage with 2 workers vs 1. Target: speed-up >= 1.7x.
3. Peak RSS of the driver and of the largest worker.

    python benchmarks/executor.py [--records 1000000] [--shards 16]
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import shutil
import tempfile
import time
from pathlib import Path

import pyarrow as pa

from curation.executors.local import LocalExecutor
from curation.shards import write_table
from curation.stage import MapStage, Outcome, StageConfig, StageContext


class PassThrough(MapStage):
    name = "bench_passthrough"

    def process(self, table: pa.Table) -> Outcome:
        return Outcome(table)


class Burn(MapStage):
    """CPU-bound: 200 rounds of SHA-256 per record (pure Python loop, holds the GIL)."""

    name = "bench_burn"

    def process(self, table: pa.Table) -> Outcome:
        digests = []
        for text in table.column("text").to_pylist():
            h = text.encode()
            for _ in range(200):
                h = hashlib.sha256(h).digest()
            digests.append(h.hex()[:8])
        return Outcome(table.append_column("digest", pa.array(digests)))


def make_input(folder: Path, records: int, shards: int) -> None:
    per = records // shards
    for s in range(shards):
        ids = [f"{s}-{i}" for i in range(per)]
        text = [f"record {i} of shard {s}: a few words of text" for i in range(per)]
        write_table(folder / f"part-{s:05d}.arrow", pa.table({"id": ids, "text": text}))


def run_stage(cls: type[MapStage], inp: Path, out: Path, workers: int, batch_size: int = 10_000,
              ) -> tuple[float, float]:
    """(cold, warm) seconds: the first pass includes worker start-up and first imports, a one-off
    per run; the second is the steady state that scales with corpus size."""
    ex = LocalExecutor(workers)
    times = []
    for _ in range(2):
        shutil.rmtree(out, ignore_errors=True)
        stage = cls(StageConfig(batch_size=batch_size), StageContext(out.parent, out, inp, out.name))
        start = time.perf_counter()
        ex.run(stage, "main", stage.task_keys("main"), lambda s: None)
        times.append(time.perf_counter() - start)
    ex.close()
    return times[0], times[1]


def bare_loop(inp: Path, out: Path) -> float:
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for f in sorted(inp.glob("part-*.arrow")):
        reader = pa.ipc.open_stream(pa.memory_map(str(f)))
        with pa.OSFile(str(out / f.name), "wb") as sink, pa.ipc.new_stream(sink, reader.schema) as w:
            for batch in reader:
                w.write_batch(batch)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--shards", type=int, default=16)
    ap.add_argument("--burn-records", type=int, default=40_000)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-exec-"))
    try:
        make_input(tmp / "in", args.records, args.shards)
        bare_loop(tmp / "in", tmp / "bare0")  # warm the page cache for both sides
        t_bare = bare_loop(tmp / "in", tmp / "bare")
        c_one, t_one = run_stage(PassThrough, tmp / "in", tmp / "pass1", 1)
        c_two, t_two = run_stage(PassThrough, tmp / "in", tmp / "pass2", 2)
        n = args.records
        print(f"pass-through, {n:,} records in {args.shards} shards (warm; cold first pass in brackets)")
        print(f"  bare pyarrow read+write loop : {n / t_bare:12,.0f} rec/s  ({t_bare:.3f}s)")
        print(f"  stage contract, 1 worker     : {n / t_one:12,.0f} rec/s  ({t_one:.3f}s; cold {c_one:.3f}s)  "
              f"ratio {t_bare / t_one:.2f} (target >= 0.5)")
        print(f"  stage contract, 2 workers    : {n / t_two:12,.0f} rec/s  ({t_two:.3f}s; cold {c_two:.3f}s)  "
              f"ratio {t_bare / t_two:.2f}")

        make_input(tmp / "burn_in", args.burn_records, 16)
        _, b1 = run_stage(Burn, tmp / "burn_in", tmp / "burn1", 1, batch_size=1000)
        _, b2 = run_stage(Burn, tmp / "burn_in", tmp / "burn2", 2, batch_size=1000)
        print(f"CPU-bound stage, {args.burn_records:,} records in 16 shards")
        print(f"  1 worker : {b1:.2f}s\n  2 workers: {b2:.2f}s  speed-up {b1 / b2:.2f}x (target >= 1.7x)")
        driver = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"peak RSS: driver {driver:.0f} MiB, largest worker {child:.0f} MiB")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
