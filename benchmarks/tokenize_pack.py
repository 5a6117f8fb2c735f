"""Tokenizer and packing benchmark: BPE training overhead, tokenize+pack throughput, memory as input grows.

    .venv/bin/python benchmarks/tokenize_pack.py                 # 16 MB of text (a few minutes on 2 cores)
    .venv/bin/python benchmarks/tokenize_pack.py --mb 8          # quicker

1. BPE training: the ``tokenizer`` stage's train task (read Arrow shards, hold out validation
   documents, train, measure compression, save) against bare ``tokenizers`` ``train_from_iterator``
   over the same training texts already in a Python list, same settings. Target: overhead <= 10%.
2. Tokenize + pack: the ``pack`` stage, all phases (tokenize to work files, split, pack, shuffle,
   write shards and manifest, funnel stats and token counts), in this process and on a warm process
   pool of one worker per core (how ``curate run`` runs it), against a bare loop of
   ``Tokenizer.encode_batch`` over the same texts in memory (the ceiling). Target: >= 0.8x. Wall
   times are the best of ``--rounds``; tokens per CPU-second (all threads of this process) are
   shown too, as they suffer less from other load on a shared machine.
   ``encode_batch_fast`` (what the stage uses: no offsets) is shown beside it for reference.
3. Memory: the pack stage in a child process at 1x and 4x the input; peak RSS should stay flat.

Text is generated: Zipf-distributed pseudo-words in sentences, numbers and punctuation, documents of
50..1500 words, deterministic. Figures are printed; ratios compare runs in the same process.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tokenizers import Tokenizer  # noqa: E402

from curation.executors.local import LocalExecutor  # noqa: E402
from curation.runner import run_phases
from curation.shards import iter_batches, list_shards, read_json, write_table  # noqa: E402
from curation.stage import Stage  # noqa: E402
from curation.testing import make_stage
from curation.tokens.bpe import train_bpe  # noqa: E402
from curation.tokens.split import small_corpus_threshold, split_hashes, validation_threshold  # noqa: E402

DOCS_PER_SHARD = 500


def make_corpus(folder: Path, mb: float, seed: int = 0) -> int:
    """Shards of generated documents in ``folder`` totalling about ``mb`` MB; returns the byte count."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("etaoinshrdlcumwfgypbvkjxqz"))
    freq = 1 / np.arange(1, 27) ** 0.9
    lexicon = ["".join(rng.choice(letters, size=int(rng.integers(1, 11)), p=freq / freq.sum()))
               for _ in range(30_000)]
    zipf = 1 / np.arange(1, len(lexicon) + 1) ** 1.1
    zipf /= zipf.sum()
    total, shard, n = 0, 0, 0
    while total < mb * 1e6:
        texts = []
        while len(texts) < DOCS_PER_SHARD and total < mb * 1e6:
            words = [lexicon[i] for i in rng.choice(len(lexicon), size=int(rng.integers(50, 1500)), p=zipf)]
            for j in range(0, len(words), 12):  # sentences: a capital, a number now and then, a period
                words[j] = words[j].capitalize()
                if rng.random() < 0.1:
                    words[j] += f" {int(rng.integers(0, 10_000))},"
                words[min(j + 11, len(words) - 1)] += "."
            texts.append(" ".join(words))
            total += len(texts[-1].encode())
        write_table(folder / f"part-{shard:05d}.arrow",
                    pa.table({"id": [f"doc{n + i}" for i in range(len(texts))], "text": texts}))
        n += len(texts)
        shard += 1
    return total


def build(run: Path, stage_type: str, params: dict, label: str, prev: str) -> Stage:
    return make_stage(stage_type, run, run / prev, label, **params)


def drive(stage: Stage, executor: LocalExecutor | None = None) -> None:
    """All phases of a stage: in this process, or on a (warm) process pool as ``curate run`` does."""
    run_phases(stage, executor)


def texts_of(folder: Path, validation: float | None = None) -> list[str]:
    """All texts (or the training ones, with the stage's split rule) as a Python list."""
    tables = [t for k in list_shards(folder) for t in iter_batches(folder / f"{k}.arrow", 1 << 30)]
    ids = [i for t in tables for i in t.column("id").to_pylist()]
    texts = [x for t in tables for x in t.column("text").to_pylist()]
    if validation is None:
        return texts
    h = split_hashes(ids, 0)
    threshold = small_corpus_threshold(validation, len(h), int((h < validation_threshold(validation)).sum()),
                                       int(h.min()))
    return [x for x, v in zip(texts, h < threshold, strict=True) if not v]


def _timed(fn) -> tuple[float, float]:
    """(wall, CPU) seconds of ``fn()``; CPU counts every thread of this process (Rayon's included)."""
    r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    fn()
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    return time.perf_counter() - t0, r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime


def bench_training(run: Path, vocab: int, rounds: int = 3) -> None:
    params = {"vocab_size": vocab, "sentinels": 100}
    texts = texts_of(run / "01-input", validation=0.01)
    stage = build(run, "tokenizer", params, "02-tokenizer", "01-input")
    specials = stage.config.specials()
    trained = []
    wall: dict[str, list[float]] = {"bare": [], "stage": []}
    cpu: dict[str, list[float]] = {"bare": [], "stage": []}
    runs = {"bare": lambda: trained.append(train_bpe(iter([texts[i:i + 1000] for i in range(0, len(texts), 1000)]),
                                                     vocab, specials, 2)),
            "stage": lambda: (setattr(stage, "_split_threshold", None), stage.run_task("train", "tokenizer"))}
    for _ in range(rounds):  # interleaved, best of each: this machine is shared and noisy
        for name, fn in runs.items():
            w, c = _timed(fn)
            wall[name].append(w)
            cpu[name].append(c)
    trained_file = Tokenizer.from_file(str(run / "tokenizer" / "tokenizer.json"))
    assert trained_file.to_str() == trained[-1].to_str(), "the stage must train the very same tokenizer"
    for key in stage.task_keys("link"):
        stage.run_task("link", key)
    t = read_json(run / "tokenizer" / "training.json")
    w = {k: min(v) for k, v in wall.items()}
    c = {k: min(v) for k, v in cpu.items()}
    print(f"[train] {t['train']['bytes'] / 1e6:.1f} MB, {t['train']['documents']} documents, vocab {vocab}, "
          f"held-out {t['heldout']['bytes_per_token']} bytes/token\n"
          f"  wall (best of {rounds}): bare tokenizers {w['bare']:.2f} s, tokenizer stage {w['stage']:.2f} s -> overhead "
          f"{w['stage'] / w['bare'] - 1:+.1%} (target <= +10%)\n"
          f"  CPU: bare {c['bare']:.2f} s, stage {c['stage']:.2f} s -> overhead {c['stage'] / c['bare'] - 1:+.1%}")


def bench_pack(run: Path, seq_len: int, mode: str, rounds: int = 3) -> None:
    texts = texts_of(run / "02-tokenizer")
    tok = Tokenizer.from_file(str(run / "tokenizer" / "tokenizer.json"))
    batches = [texts[i:i + 1000] for i in range(0, len(texts), 1000)]
    n_tokens = sum(len(e) for b in batches for e in tok.encode_batch(b, add_special_tokens=False))

    pool = LocalExecutor(os.cpu_count() or 1)

    def pack(executor: LocalExecutor | None) -> None:
        shutil.rmtree(run / "03-pack", ignore_errors=True)
        drive(build(run, "pack", {"seq_len": seq_len, "mode": mode}, "03-pack", "02-tokenizer"), executor)

    runs = {
        "encode_batch": lambda: [tok.encode_batch(b, add_special_tokens=False) for b in batches],
        "encode_batch_fast": lambda: [tok.encode_batch_fast(b, add_special_tokens=False) for b in batches],
        "pack": lambda: pack(None),
        "pack_pool": lambda: pack(pool),
    }
    wall: dict[str, list[float]] = {k: [] for k in runs}
    cpu: dict[str, list[float]] = {k: [] for k in runs}
    try:
        for _ in range(rounds):  # interleaved, best of each: this machine is shared and noisy
            for name, fn in runs.items():
                w, c = _timed(fn)
                wall[name].append(w)
                cpu[name].append(c)
    finally:
        pool.close()
    m = read_json(run / "packed" / "manifest.json")
    packed = sum(s["tokens"] - s["documents"] for s in m["splits"].values())
    assert packed == n_tokens, (packed, n_tokens)  # every token of every document, once
    rate = {k: n_tokens / min(v) for k, v in wall.items()}
    per_cpu = {k: n_tokens / min(v) for k, v in cpu.items() if k != "pack_pool"}  # the pool's CPU is not ours
    print(f"[pack] {n_tokens / 1e6:.2f} M tokens, seq_len {seq_len}, {mode}, padding {m['padding_fraction']:.4%}\n"
          f"  tokens/s (wall, best of {rounds}): bare encode_batch {rate['encode_batch'] / 1e3:,.0f} k, "
          f"encode_batch_fast {rate['encode_batch_fast'] / 1e3:,.0f} k, pack stage {rate['pack'] / 1e3:,.0f} k "
          f"-> {rate['pack'] / rate['encode_batch']:.2f}x encode_batch (target >= 0.8x), "
          f"{rate['pack'] / rate['encode_batch_fast']:.2f}x encode_batch_fast\n"
          f"  on a warm pool of {pool.workers} worker processes (as `curate run`): {rate['pack_pool'] / 1e3:,.0f} k "
          f"-> {rate['pack_pool'] / rate['encode_batch']:.2f}x encode_batch\n"
          f"  tokens per CPU-second: encode_batch {per_cpu['encode_batch'] / 1e3:,.0f} k, encode_batch_fast "
          f"{per_cpu['encode_batch_fast'] / 1e3:,.0f} k, pack stage {per_cpu['pack'] / 1e3:,.0f} k "
          f"-> {per_cpu['pack'] / per_cpu['encode_batch']:.2f}x encode_batch")


def peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM: unlike ru_maxrss it does not inherit the parent's peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_pack(run: Path, seq_len: int, mode: str) -> None:
    """Run the pack stage alone and print its wall time and this process's peak RSS as JSON."""
    t0 = time.perf_counter()
    drive(build(run, "pack", {"seq_len": seq_len, "mode": mode, "rows_per_shard": 4096}, "03-pack",
                "02-tokenizer"))
    m = read_json(run / "packed" / "manifest.json")
    print(json.dumps({"seconds": time.perf_counter() - t0, "rss_mb": peak_rss_mb(),
                      "tokens": sum(s["tokens"] for s in m["splits"].values())}))


def bench_memory(base: Path, mb: float, seq_len: int) -> None:
    figures = {}
    for factor in (1, 4):
        run = base / f"mem{factor}"
        make_corpus(run / "02-tokenizer", mb * factor, seed=factor)
        shutil.copytree(base / "run" / "tokenizer", run / "tokenizer")
        for mode in ("concat", "best_fit"):
            shutil.rmtree(run / "03-pack", ignore_errors=True)
            out = subprocess.run([sys.executable, __file__, "--child-pack", str(run), "--seq-len", str(seq_len),
                                  "--mode", mode], check=True, capture_output=True, text=True).stdout
            figures[(factor, mode)] = json.loads(out.strip().splitlines()[-1])
    for mode in ("concat", "best_fit"):
        a, b = figures[(1, mode)], figures[(4, mode)]
        print(f"[memory] pack {mode}: {a['tokens'] / 1e6:.1f} M tokens -> peak RSS {a['rss_mb']:.0f} MB; "
              f"{b['tokens'] / 1e6:.1f} M tokens -> {b['rss_mb']:.0f} MB (x{b['rss_mb'] / a['rss_mb']:.2f} RSS "
              f"for x{b['tokens'] / a['tokens']:.1f} input)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=float, default=16, help="MB of generated text (memory test: a quarter, then 4x)")
    ap.add_argument("--vocab", type=int, default=8192)
    ap.add_argument("--seq-len", type=int, default=256)
    ap.add_argument("--mode", default="concat", choices=["concat", "best_fit"])
    ap.add_argument("--rounds", type=int, default=3, help="interleaved repetitions; the best of each is kept")
    ap.add_argument("--skip-memory", action="store_true", help="leave out the 1x/4x peak RSS runs")
    ap.add_argument("--child-pack", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_pack:
        child_pack(args.child_pack, args.seq_len, args.mode)
        return
    base = Path(tempfile.mkdtemp(prefix="bench-tokpack-"))
    try:
        run = base / "run"
        n = make_corpus(run / "01-input", args.mb)
        print(f"corpus: {n / 1e6:.1f} MB of generated text in {len(list_shards(run / '01-input'))} shards")
        bench_training(run, args.vocab, args.rounds)
        bench_pack(run, args.seq_len, args.mode, args.rounds)
        if not args.skip_memory:
            bench_memory(base, args.mb / 4, args.seq_len)
        print(f"peak RSS of this process: {peak_rss_mb():.0f} MB")
    finally:
        shutil.rmtree(base)


if __name__ == "__main__":
    main()
