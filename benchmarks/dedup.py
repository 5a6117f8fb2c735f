"""Dedup benchmark: MinHash signature throughput, precision/recall on planted near-duplicates, and
wall time and peak RSS of the whole minhash_dedup stage at two corpus sizes.

    .venv/bin/python benchmarks/dedup.py                      # 100k and 1M documents (several minutes)
    .venv/bin/python benchmarks/dedup.py --docs 10000 100000  # quicker

1. Signatures/s: ``curation.dedup`` (text -> signatures, batched numpy) against datasketch's
   per-document ``MinHash.update_batch`` loop (tokenizing each text in Python the same way) with the
   same shingle hash (signatures checked identical), with datasketch's default SHA-1, and with xxh32
   of the shingle bytes, the last also with tokenizing given for free (the most demanding baseline).
2. Precision/recall, pair level, on generated documents with planted copies at known true Jaccard
   (positive: J >= 0.85): copies among unrelated documents, then the same plus hard negatives planted
   at J 0.3-0.6; with the default settings and with ``jaccard_check``. Also the measured candidate
   rate per similarity bucket against the S-curve 1 - (1 - s^r)^b.
3. Scale: the full stage (all phases, one worker, in a child process) on generated shards of 10k
   documents; wall time, microseconds per document and the child's peak RSS.
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from curation.dedup.minhash import MinHasher, band_keys, candidate_probability  # noqa: E402
from curation.dedup.shingles import doc_shingles, shingle_hash32, text_shingles  # noqa: E402
from curation.dedup.synthetic import make_corpus, vocabulary  # noqa: E402
from curation.dedup.text import words  # noqa: E402
from curation.shards import list_shards, read_table, write_table  # noqa: E402

BANDS, ROWS, NGRAM = 14, 8, 5
SHARD_DOCS = 10_000


def _signatures(text: pa.ChunkedArray, hasher: MinHasher, batch: int = 1000) -> np.ndarray:
    out = []
    for lo in range(0, len(text), batch):
        h, offsets = text_shingles(text.slice(lo, batch), NGRAM)
        out.append(hasher.signatures((h >> np.uint64(32)).astype(np.uint32), offsets))
    return np.concatenate(out)


def _python_tokenizer():
    """What a per-document loop would do: the same normalization as ``curation.dedup.text.words``
    (NFKC, lower case, Unicode punctuation and symbols to spaces, split on whitespace) in Python."""
    import unicodedata

    table = {cp: " " for cp in range(sys.maxunicode + 1) if unicodedata.category(chr(cp))[0] in "PS"}
    return lambda text: unicodedata.normalize("NFKC", text).lower().translate(table).split() if text else []


def throughput(n_docs: int, n_baseline: int) -> None:
    import xxhash
    from datasketch import MinHash

    print(f"\n== 1. signatures/s ({BANDS * ROWS} permutations, word {NGRAM}-grams, 100-400 words a document)")
    text = make_corpus(n_docs, copies=0.0, min_words=100, max_words=400, seed=11).table.column("text")
    hasher = MinHasher(BANDS * ROWS, 1)
    _signatures(text.slice(0, 1000), hasher)  # warm up
    t = time.perf_counter()
    ours = _signatures(text, hasher)
    ours_rate = n_docs / (time.perf_counter() - t)

    texts = text.slice(0, n_baseline).to_pylist()
    flat, offsets = words(text.slice(0, n_baseline))
    pre = [flat.slice(offsets[d], offsets[d + 1] - offsets[d]).to_pylist() for d in range(n_baseline)]
    tokenize = _python_tokenizer()
    assert [tokenize(t) for t in texts] == pre, "the Python tokenizer must match curation.dedup.text.words"
    perm = MinHash(num_perm=BANDS * ROWS, seed=1).permutations

    def baseline(hashfunc, tokenized: bool) -> tuple[float, list[np.ndarray]]:
        t = time.perf_counter()
        sigs = []
        for i in range(n_baseline):
            m = MinHash(num_perm=BANDS * ROWS, seed=1, hashfunc=hashfunc, permutations=perm, scheme="affine32")
            m.update_batch(doc_shingles(pre[i] if tokenized else tokenize(texts[i]), NGRAM))
            sigs.append(m.hashvalues)
        return n_baseline / (time.perf_counter() - t), sigs

    print(f"  curation.dedup (batched numpy, from text)  {ours_rate:9,.0f} docs/s  ({n_docs:,} docs)")
    print("  datasketch MinHash.update_batch, one document at a time (shared permutations):")
    rows = [("same hashfunc as ours, from text", shingle_hash32, False),
            ("default sha1_hash32, from text", None, False),
            ("xxh32 of shingle bytes, from text", xxhash.xxh32_intdigest, False),
            ("xxh32 of shingle bytes, pre-tokenized", xxhash.xxh32_intdigest, True)]
    for label, hashfunc, tokenized in rows:
        rate, sigs = baseline(hashfunc, tokenized)
        note = ""
        if hashfunc is shingle_hash32:
            same = all(np.array_equal(a, b) for a, b in zip(ours[:n_baseline], sigs, strict=True))
            note = f"  signatures identical on {n_baseline:,} docs: {same}; target >= 3x"
        print(f"    {label:38s} {rate:9,.0f} docs/s -> ours {ours_rate / rate:5.1f}x{note}")


def _run_stage(work: Path, params: dict, workers: int = 1) -> dict:
    from curation.config import parse_pipeline
    from curation.executors.local import LocalExecutor
    from curation.registry import get_stage_class
    from curation.stage import StageContext

    spec = parse_pipeline({"name": "bench", "stages": [{"stage": "minhash_dedup", **params}]}).stages[0]
    ctx = StageContext(work, work / "02-dedup", work / "01-input", "02-dedup")
    stage = get_stage_class(spec.type)(spec.config, ctx)
    executor = LocalExecutor(workers)
    times = {}
    try:
        t0 = time.perf_counter()
        stage.prepare()
        for phase in stage.phases():
            t = time.perf_counter()
            executor.run(stage, phase, stage.task_keys(phase), lambda summary: None)
            times[phase] = round(time.perf_counter() - t, 2)
        stage.finalize()
        times["total"] = round(time.perf_counter() - t0, 2)
    finally:
        executor.close()
    return times


def _duplicate_groups(stage_dir: Path) -> list[list[int]]:
    """Per cluster, the corpus rows of its kept member and the members dropped as its duplicates
    (a member kept because it failed ``jaccard_check`` is not a predicted duplicate)."""
    groups: dict[str, list[int]] = {}
    kept = [read_table(stage_dir / f"{k}.arrow", ["row", "id", "dup_cluster"]) for k in list_shards(stage_dir)]
    rejected = [read_table(p, ["row", "id", "dup_cluster"]) for p in sorted((stage_dir / "rejected").glob("*.arrow"))]
    for tables, is_kept in ((kept, True), (rejected, False)):
        for t in tables:
            for row, doc, cluster in zip(*(t.column(c).to_pylist() for c in ("row", "id", "dup_cluster")), strict=True):
                if cluster is not None and (not is_kept or doc == cluster):
                    groups.setdefault(cluster, []).append(row)
    return list(groups.values())


def _evaluate(c, work: Path, params: dict) -> tuple[float, float, int]:
    n_docs = c.table.num_rows
    table = c.table.append_column("row", pa.array(np.arange(n_docs)))
    shutil.rmtree(work, ignore_errors=True)
    for i in range(4):
        write_table(work / "01-input" / f"part-{i:05d}.arrow", table.slice(i * n_docs // 4, n_docs // 4))
    _run_stage(work, params)
    planted = {(min(s, t), max(s, t)): j for s, t, j in zip(
        c.pairs.column("source").to_pylist(), c.pairs.column("copy").to_pylist(),
        c.pairs.column("jaccard").to_pylist(), strict=True)}
    positives = {p for p, j in planted.items() if j >= 0.85}
    gray = {p for p, j in planted.items() if 0.6 < j < 0.85}  # neither side: left out of both figures
    predicted = {pair for rows in _duplicate_groups(work / "02-dedup")
                 for pair in itertools.combinations(sorted(rows), 2)} - gray
    tp = len(predicted & positives)
    return (tp / len(predicted) if predicted else 1.0), tp / len(positives), len(predicted)


def precision_recall(n_docs: int, tmp: Path) -> None:
    print(f"\n== 2. precision / recall on planted near-duplicates ({n_docs:,} documents of 200-400 words, "
          "pair level; positive: true J >= 0.85)")
    corpora = {
        "planted copies J 0.88-1.0 among unrelated documents":
            (0.1, (0.88, 0.92, 0.96, 1.0)),
        "same plus hard negatives planted at J 0.3, 0.45, 0.6":
            (0.2, (0.3, 0.45, 0.6, 0.88, 0.92, 0.96, 1.0)),
    }
    for title, (copies, targets) in corpora.items():
        c = make_corpus(n_docs, copies=copies, targets=targets, min_words=200, max_words=400, seed=12)
        true = c.pairs.column("jaccard").to_numpy()
        print(f"  {title}: {int((true >= 0.85).sum()):,} positive pairs, {int((true <= 0.6).sum()):,} negative, "
              f"{int(((true > 0.6) & (true < 0.85)).sum())} in between (left out)")
        for params in ({}, {"jaccard_check": 0.8}):
            precision, recall, n_pred = _evaluate(c, tmp / "pr", params)
            label = "default (no check, FineWeb)" if not params else f"jaccard_check={params['jaccard_check']}"
            print(f"    {label:30s} precision {precision:.4f}  recall {recall:.4f}  "
                  f"({n_pred:,} predicted pairs; targets >= 0.95)")

    print("\n  candidate rate by true Jaccard (band keys of planted pairs) against the S-curve:")
    c = make_corpus(30_000, copies=0.5, targets=tuple(np.round(np.arange(0.5, 1.0, 0.05), 2)), seed=13)
    sig = _signatures(c.table.column("text"), MinHasher(BANDS * ROWS, 1))
    keys = band_keys(sig, BANDS, ROWS)
    s, t = c.pairs.column("source").to_numpy(), c.pairs.column("copy").to_numpy()
    found = (keys[s] == keys[t]).any(axis=1)
    true = c.pairs.column("jaccard").to_numpy()
    print("    true J      pairs   measured   S-curve")
    for lo in np.arange(0.45, 1.0, 0.05):
        sel = (true >= lo) & (true < lo + 0.05)
        if sel.sum() < 50:
            continue
        expected = np.mean([candidate_probability(j, BANDS, ROWS) for j in true[sel]])
        print(f"    {lo:.2f}-{lo + 0.05:.2f}  {sel.sum():7d}   {found[sel].mean():8.4f}  {expected:8.4f}")


def _peak_rss_mb() -> float:
    """This process's peak RSS. ru_maxrss survives exec on Linux (a child forked from this big
    benchmark process would report the parent's peak), so read VmHWM, which starts afresh at exec."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux, bytes on macOS


def _child(work: str, workers: int) -> None:
    times = _run_stage(Path(work), {}, workers)
    print(json.dumps({"times": times, "peak_rss_mb": round(_peak_rss_mb(), 1)}))


def scale(sizes: list[int], tmp: Path, workers: int) -> None:
    print(f"\n== 3. scale: the whole minhash_dedup stage, {workers} worker(s), shards of {SHARD_DOCS:,} documents, "
          "50-250 words, 10% planted copies")
    vocab = vocabulary()
    rows = []
    for n in sizes:
        work = tmp / f"scale-{n}"
        shutil.rmtree(work, ignore_errors=True)
        n_words = 0
        for i in range(-(-n // SHARD_DOCS)):
            size = min(SHARD_DOCS, n - i * SHARD_DOCS)
            t = make_corpus(size, copies=0.1, targets=(0.8, 0.9, 1.0), min_words=50, max_words=250,
                            seed=1000 + i, vocab=vocab).table
            n_words += int(pc.sum(pc.count_substring(t.column("text"), " ")).as_py()) + size
            write_table(work / "01-input" / f"part-{i:05d}.arrow", t)
        proc = subprocess.run([sys.executable, __file__, "--child", str(work), "--workers", str(workers)],
                              capture_output=True, text=True, check=True)
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        rows.append((n, n_words, result))
        shutil.rmtree(work, ignore_errors=True)
        total = result["times"]["total"]
        print(f"  {n:>9,} docs {n_words / 1e6:7.1f}M words  wall {total:8.1f} s  {1e6 * total / n:7.1f} us/doc  "
              f"peak RSS {result['peak_rss_mb']:8.1f} MB   phases {result['times']}")
    if len(rows) >= 2:
        (n0, _, r0), (n1, _, r1) = rows[0], rows[-1]
        ratio = (r1["times"]["total"] / n1) / (r0["times"]["total"] / n0)
        print(f"  time per document at {n1:,} vs {n0:,}: {ratio:.2f}x (1.00 = linear); "
              f"peak RSS at {n1:,}: {rows[-1][2]['peak_rss_mb']:.0f} MB (target < 3000 MB)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, nargs="+", default=[100_000, 1_000_000], help="corpus sizes for the scale run")
    ap.add_argument("--throughput-docs", type=int, default=20_000)
    ap.add_argument("--baseline-docs", type=int, default=2_000)
    ap.add_argument("--pr-docs", type=int, default=20_000)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--tmp", type=Path, default=None, help="scratch folder (default: a temporary one)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(args.child, args.workers)
        return
    tmp = args.tmp or Path(tempfile.mkdtemp(prefix="dedup-bench-"))
    try:
        throughput(args.throughput_docs, args.baseline_docs)
        precision_recall(args.pr_docs, tmp)
        scale(args.docs, tmp, args.workers)
    finally:
        if args.tmp is None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
