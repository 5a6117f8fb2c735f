"""Filter benchmark: the chain langid -> gopher_quality -> gopher_repetition -> c4 -> fineweb against
datatrove's equivalent chain, on the same documents with the same number of worker processes.

    .venv/bin/python benchmarks/filters.py                 # scale 2 of the mini-web sample (about 2,200 docs)
    .venv/bin/python benchmarks/filters.py --scale 1 --no-datatrove

1. Input (untimed, cached under --work): the mini-web sample's WARC files (``curation.sample.generate``),
   read and extracted once by our ``warc_read`` + ``extract`` stages, then cut into --shards shards of
   documents, written as Arrow shards for us and as JSONL files for datatrove. Both sides filter the
   same extracted texts, so the comparison is the filter chain alone.
2. Ours: the five stages run one after the other over a process pool (``LocalExecutor``), each writing
   kept and rejected shards and stats. Datatrove: ``LocalPipelineExecutor`` with ``JsonlReader`` ->
   ``LanguageFilter`` (pointed at the same lid.176.ftz) -> ``GopherQualityFilter`` ->
   ``GopherRepetitionFilter`` -> ``C4QualityFilter`` (given our C4 numbers: 3 sentences, 5 words a
   line) -> ``FineWebQualityFilter`` -> ``JsonlWriter``, every filter with an exclusion writer (we
   write rejected records too), uncompressed. Datatrove runs in its own virtualenv
   (``.venv-datatrove``: ``pip install "datatrove[processing]" spacy``), as a child process.
3. Figures: docs/s of each chain and their ratio (target >= 2x), peak RSS, agreement of the final keep
   decisions (target >= 95%) with the disagreements tabulated by (our reason, datatrove's reason), and
   keep rates per planted page kind (from the sample's ground truth).
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGES = ["langid", "gopher_quality", "gopher_repetition", "c4", "fineweb"]
DT_FILTERS = ["LanguageFilter", "GopherQualityFilter", "GopherRepetitionFilter", "C4QualityFilter",
              "FineWebQualityFilter"]


def _peak_rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # KiB on Linux


# -- input -----------------------------------------------------------------------------------------------
def prepare(work: Path, scale: float, shards: int, workers: int) -> Path:
    """Extracted documents in ``shards`` Arrow shards (docs/01-docs) and JSONL files (docs/jsonl)."""
    import shutil

    from curation.config import parse_pipeline
    from curation.errors import UserError
    from curation.runner import Runner, RunOptions
    from curation.sample import generate
    from curation.shards import list_shards, read_table, write_table

    sample = work / f"sample-{scale:g}"
    if not (sample / "manifest.json").exists():
        generate(sample, scale=scale)
    extracted = work / f"extract-{scale:g}"
    cfg = parse_pipeline({"name": "bench-extract", "stages": [
        {"stage": "warc_read", "inputs": [str(sample / "warc" / "*.warc.gz")]}, {"stage": "extract"}]})
    docs = work / f"docs-{scale:g}-{shards}"
    try:
        Runner(cfg, extracted).run(RunOptions(workers=workers, progress=False))
    except UserError:  # the extract stage's defaults changed since the cached run: extract again
        shutil.rmtree(docs, ignore_errors=True)
        Runner(cfg, extracted).run(RunOptions(workers=workers, progress=False, force="all"))
    if not (docs / "jsonl" / f"part-{shards - 1:05d}.jsonl").exists():
        import pyarrow as pa

        table = pa.concat_tables(read_table(extracted / "02-extract" / f"{k}.arrow")
                                 for k in list_shards(extracted / "02-extract"))
        size = -(-table.num_rows // shards)
        (docs / "jsonl").mkdir(parents=True, exist_ok=True)
        for i in range(shards):
            part = table.slice(i * size, size)
            write_table(docs / "01-docs" / f"part-{i:05d}.arrow", part)
            with open(docs / "jsonl" / f"part-{i:05d}.jsonl", "w", encoding="utf-8") as fh:
                for row in part.select(["id", "text"]).to_pylist():
                    fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return docs


def page_kinds(work: Path, scale: float) -> dict[str, str]:
    with gzip.open(work / f"sample-{scale:g}" / "truth" / "pages.jsonl.gz", "rt", encoding="utf-8") as fh:
        return {row["record_id"]: row["kind"] for row in map(json.loads, fh)}


# -- our chain -------------------------------------------------------------------------------------------
def run_ours(docs: Path, out: Path, workers: int) -> dict:
    import shutil

    from curation.config import parse_pipeline
    from curation.executors.local import LocalExecutor
    from curation.registry import get_stage_class
    from curation.stage import StageContext

    shutil.rmtree(out, ignore_errors=True)
    cfg = parse_pipeline({"name": "bench", "stages": [{"stage": s} for s in STAGES]})
    previous, per_stage = docs / "01-docs", {}
    executor = LocalExecutor(workers)
    start = time.perf_counter()
    try:
        for i, spec in enumerate(cfg.stages):
            label = f"{i + 2:02d}-{spec.label}"
            stage = get_stage_class(spec.type)(spec.config, StageContext(out, out / label, previous, label))
            t0 = time.perf_counter()
            executor.run(stage, "main", stage.task_keys("main"), lambda summary: None)
            per_stage[spec.type] = time.perf_counter() - t0
            previous = out / label
    finally:
        executor.close()
    return {"seconds": time.perf_counter() - start, "per_stage": per_stage, "final": previous}


def our_decisions(out: Path, final: Path) -> tuple[set[str], dict[str, str]]:
    from curation.shards import list_shards, read_table

    kept = {i for k in list_shards(final) for i in read_table(final / f"{k}.arrow", ["id"]).column("id").to_pylist()}
    reasons: dict[str, str] = {}
    for folder in sorted(out.iterdir()):
        for path in sorted((folder / "rejected").glob("part-*.arrow")):
            table = read_table(path, ["id", "drop_reason"])
            for doc, reason in zip(table.column("id").to_pylist(), table.column("drop_reason").to_pylist(),
                                   strict=True):
                reasons[doc] = f"{folder.name.split('-', 1)[1]}:{reason}"
    return kept, reasons


def profile_ours(docs: Path, top: int) -> None:
    """Each stage in this process, one core, batches of 1,000: docs/s per stage and, with ``top``, the
    functions that take the most time (cProfile)."""
    import cProfile
    import pstats

    import pyarrow as pa

    from curation.config import parse_pipeline
    from curation.registry import get_stage_class
    from curation.shards import list_shards, read_table

    table = pa.concat_tables(read_table(docs / "01-docs" / f"{k}.arrow") for k in list_shards(docs / "01-docs"))
    cfg = parse_pipeline({"name": "bench", "stages": [{"stage": s} for s in STAGES]})
    print("\nours, one core in one process (what each stage costs without pool start-up and shard I/O):")
    for spec in cfg.stages:
        stage = get_stage_class(spec.type)(spec.config)
        stage.process(table.slice(0, 10))  # load the model, compile the patterns
        profiler = cProfile.Profile()
        start = time.perf_counter()
        profiler.enable()
        kept = [stage.process(table.slice(lo, 1000)).kept for lo in range(0, table.num_rows, 1000)]
        profiler.disable()
        seconds = time.perf_counter() - start
        print(f"  {spec.type:18s} {table.num_rows:6d} docs  {seconds:6.2f} s  {table.num_rows / seconds:8.0f} docs/s")
        if top:
            pstats.Stats(profiler).sort_stats("tottime").print_stats(top)
        table = pa.concat_tables(kept)


# -- datatrove's chain (runs inside .venv-datatrove) ---------------------------------------------------
def datatrove_side(jsonl: str, out: str, workers: int, tasks: int, lid_path: str) -> None:
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.filters import (
        C4QualityFilter,
        FineWebQualityFilter,
        GopherQualityFilter,
        GopherRepetitionFilter,
        LanguageFilter,
    )
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter
    from datatrove.utils.lid import FT176LID

    class LocalFT176(FT176LID):  # the lid.176.ftz our stage reads; datatrove would download lid.176.bin
        @property
        def model(self):
            if self._model is None:
                from fasttext.FastText import _FastText

                self._model = _FastText(lid_path)
            return self._model

    def excluded(name: str) -> JsonlWriter:
        return JsonlWriter(f"{out}/excluded/{name}", compression=None)

    lid = LanguageFilter(languages=["en"], language_threshold=0.65, exclusion_writer=excluded("LanguageFilter"))
    lid.model = LocalFT176(["en"])
    pipeline = [
        JsonlReader(jsonl, glob_pattern="*.jsonl", compression=None),
        lid,
        GopherQualityFilter(exclusion_writer=excluded("GopherQualityFilter")),
        GopherRepetitionFilter(exclusion_writer=excluded("GopherRepetitionFilter")),
        C4QualityFilter(min_num_sentences=3, min_words_per_line=5, exclusion_writer=excluded("C4QualityFilter")),
        FineWebQualityFilter(exclusion_writer=excluded("FineWebQualityFilter")),
        JsonlWriter(f"{out}/kept", compression=None),
    ]
    executor = LocalPipelineExecutor(pipeline, tasks=tasks, workers=workers, logging_dir=f"{out}/logs")
    start = time.perf_counter()
    executor.run()
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "rss_mb": max(_peak_rss_mb(resource.RUSAGE_SELF),
                                                        _peak_rss_mb(resource.RUSAGE_CHILDREN))}))


def run_datatrove(docs: Path, out: Path, workers: int, tasks: int) -> dict:
    import shutil

    from curation.resources import lid176_path

    shutil.rmtree(out, ignore_errors=True)
    python = ROOT / ".venv-datatrove" / "bin" / "python"
    if not python.exists():
        raise SystemExit(f"{python} not found: python3 -m venv .venv-datatrove && "
                         ".venv-datatrove/bin/pip install 'datatrove[processing]' spacy (or pass --no-datatrove)")
    proc = subprocess.run([str(python), __file__, "--datatrove-side", str(docs / "jsonl"), str(out),
                           str(workers), str(tasks), lid176_path()], capture_output=True, text=True, check=False)
    if proc.returncode:
        raise SystemExit(f"datatrove chain failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def datatrove_decisions(out: Path) -> tuple[set[str], dict[str, str]]:
    kept = {json.loads(line)["id"] for p in (out / "kept").glob("*.jsonl") for line in p.open(encoding="utf-8")}
    reasons = {}
    for name in DT_FILTERS:
        for p in sorted((out / "excluded" / name).glob("*.jsonl")):
            for line in p.open(encoding="utf-8"):
                row = json.loads(line)
                reasons[row["id"]] = f"{name}:{row.get('metadata', {}).get('filter_reason', 'dropped')}"
    return kept, reasons


def datatrove_step_seconds(out: Path) -> dict[str, float]:
    stats = json.loads((out / "logs" / "stats.json").read_text(encoding="utf-8"))
    return {step["name"]: step["time_stats"]["total"] for step in stats if "time_stats" in step}


# -- report ----------------------------------------------------------------------------------------------
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, default=2.0, help="mini-web sample scale (1.0: 1,400 pages)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--shards", type=int, default=8)
    ap.add_argument("--work", type=Path, default=Path("/tmp/curation-bench-filters"))
    ap.add_argument("--no-datatrove", action="store_true")
    ap.add_argument("--profile", type=int, default=0, metavar="N", help="print the N costliest functions per stage")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    docs = prepare(args.work, args.scale, args.shards, args.workers)
    ours = run_ours(docs, args.work / "ours", args.workers)
    ours_rss = max(_peak_rss_mb(resource.RUSAGE_SELF), _peak_rss_mb(resource.RUSAGE_CHILDREN))
    kept, reasons = our_decisions(args.work / "ours", ours["final"])
    n = sum(1 for p in (docs / "jsonl").glob("*.jsonl") for _ in p.open(encoding="utf-8"))
    print(f"\n{n} documents in {args.shards} shards, {args.workers} workers")
    print(f"ours:      {ours['seconds']:7.2f} s  {n / ours['seconds']:8.1f} docs/s  kept {len(kept)}  "
          f"peak RSS {ours_rss:.0f} MB (largest process)")
    print("  per stage (wall s): " + ", ".join(f"{k} {v:.2f}" for k, v in ours["per_stage"].items()))
    kinds = page_kinds(args.work, args.scale)
    record_of = _record_ids(docs)
    if not args.no_datatrove:
        dt = run_datatrove(docs, args.work / "datatrove", args.workers, args.shards)
        dt_kept, dt_reasons = datatrove_decisions(args.work / "datatrove")
        print(f"datatrove: {dt['seconds']:7.2f} s  {n / dt['seconds']:8.1f} docs/s  kept {len(dt_kept)}  "
              f"peak RSS {dt['rss_mb']:.0f} MB (largest process)")
        steps = datatrove_step_seconds(args.work / "datatrove")
        print("  per step (CPU s, summed over tasks): " + ", ".join(f"{k} {v:.2f}" for k, v in steps.items()))
        print(f"speed ratio ours/datatrove: {dt['seconds'] / ours['seconds']:.2f}x  (target >= 2x)")
        same = sum((i in kept) == (i in dt_kept) for i in record_of)
        print(f"agreement of keep decisions: {same}/{n} = {same / n:.2%}  (target >= 95%)")
        pairs = Counter((reasons.get(i, "kept"), dt_reasons.get(i, "kept")) for i in record_of
                        if i not in kept or i not in dt_kept)
        print("documents either chain dropped, by (our stage:reason, datatrove's filter:reason):")
        for (a, b), count in pairs.most_common(15):
            print(f"  {count:5d}  {a:45s} {b}")
        _by_kind("datatrove kept", dt_kept, record_of, kinds)
    _by_kind("ours kept", kept, record_of, kinds)
    profile_ours(docs, args.profile)


def _record_ids(docs: Path) -> dict[str, str]:
    import pyarrow as pa

    from curation.shards import list_shards, read_table

    table = pa.concat_tables(read_table(docs / "01-docs" / f"{k}.arrow", ["id", "warc_record_id"])
                             for k in list_shards(docs / "01-docs"))
    return dict(zip(table.column("id").to_pylist(), table.column("warc_record_id").to_pylist(), strict=True))


def _by_kind(title: str, kept: set[str], record_of: dict[str, str], kinds: dict[str, str]) -> None:
    total, survived = Counter(), Counter()
    for doc, record in record_of.items():
        kind = kinds.get(record, "?")
        total[kind] += 1
        survived[kind] += doc in kept
    print(f"{title}, per planted page kind: " + ", ".join(
        f"{k} {survived[k]}/{total[k]}" for k in sorted(total, key=lambda k: -total[k])))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--datatrove-side":
        jsonl, out, workers, tasks, lid = sys.argv[2:7]
        datatrove_side(jsonl, out, int(workers), int(tasks), lid)
    else:
        main()
