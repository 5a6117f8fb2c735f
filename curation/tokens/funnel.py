"""The exact token funnel: every stage's kept and rejected text, counted in the run's own tokens.

``count_run_tokens(run_dir, workers)`` writes, for each finished shard of each stage whose records
have a ``text`` column, ``NN-stage/tokens/part-i.json``::

    {"tokenizer_sha256": "<hash of tokenizer.json>", "out": <tokens of kept text>,
     "drops": {"<reason>": <tokens of rejected text>, ...}}

A file whose hash matches the current tokenizer is not counted again, so a rerun costs nothing and a
retrained tokenizer recounts everything. Documents are encoded as packing encodes them (the corpus
encoder, no special tokens added), so the last stage's figure equals the tokens packed, minus one
end-of-text per document.

Work is split by shard name (``part-00003`` of every stage is one task, run in a process pool): map
stages keep shard *i*'s documents in shard *i*, so walking the stages in order, a task looks each
text up (by a 64-bit xxh3 hash) among the previous stage's kept documents of the same shard and
encodes only the texts it has not seen. Filters and pass-through stages then cost a hash per
document instead of a BPE encoding; memory holds one shard's (hash, count) pairs.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import xxhash
from tokenizers import Tokenizer

from curation.errors import UserError
from curation.shards import iter_batches, read_json, shard_schema, write_json
from curation.stage import REASON
from curation.storage import as_path
from curation.tokens.files import (
    TOKENIZER_DIR,
    TOKENIZER_FILE,
    encode_texts,
    load_corpus_encoder,
    sha256_file,
)

TOKENS_DIR = "tokens"
BATCH = 2000  # documents per encode_batch call


def stage_dirs(run_dir: Path) -> list[Path]:
    return sorted(p for p in run_dir.iterdir() if p.is_dir() and p.name[:2].isdigit() and p.name[2:3] == "-")


def _cached(stage_dir: Path, key: str, sha: str) -> bool:
    path = stage_dir / TOKENS_DIR / f"{key}.json"
    return path.is_file() and read_json(path).get("tokenizer_sha256") == sha


def _has_text(path: Path) -> bool:
    return path.is_file() and "text" in shard_schema(path).names


def _countable(stage_dir: Path, key: str) -> bool:
    """Does this finished shard hold text: kept text, or rejected text beside an empty kept side?"""
    stats = stage_dir / "stats" / f"{key}.json"
    if not stats.is_file():
        return False
    kept = stage_dir / f"{key}.arrow"
    if kept.is_file() or (read_json(stats).get("out") or {}).get("records", 0):
        return _has_text(kept)  # kept records without text (links, pages), or kept elsewhere: not countable
    return _has_text(stage_dir / "rejected" / f"{key}.arrow")


def count_run_tokens(run_dir: Path, workers: int) -> None:
    """Count the tokens of every stage's kept and rejected text, per shard, in parallel; see the module."""
    run_dir = as_path(run_dir)
    file = run_dir / TOKENIZER_DIR / TOKENIZER_FILE
    if not file.is_file():
        raise UserError(f"{file}: no tokenizer in this run; add a `tokenizer` stage to count the funnel in tokens")
    sha = sha256_file(file)
    stages = stage_dirs(run_dir)
    keys = sorted({p.stem for d in stages for p in (d / "stats").glob("part-*.json")})
    todo = [k for k in keys if any(not _cached(d, k, sha) and _countable(d, k) for d in stages)]
    if workers <= 1 or len(todo) <= 1:
        for key in todo:
            count_shard(stages, key, file, sha)
        return
    workers = min(workers, len(todo))
    with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"), initializer=_init_worker,
                             initargs=(max(1, (os.cpu_count() or 1) // workers),)) as pool:
        for _ in pool.map(count_shard, [stages] * len(todo), todo, [file] * len(todo), [sha] * len(todo)):
            pass


def _init_worker(threads: int) -> None:
    # encode_batch is multi-threaded (Rayon); share the cores between the pool's processes
    os.environ.setdefault("RAYON_NUM_THREADS", str(threads))


def count_shard(stages: list[Path], key: str, file: Path, sha: str) -> None:
    """Walk the stages in order for one shard name; write each uncached stage's token counts."""
    encoder = load_corpus_encoder(file, sha)
    seen: dict[int, int] = {}  # text hash -> tokens, for the previous stage's kept documents
    for stage_dir in stages:
        if _cached(stage_dir, key, sha) or not _countable(stage_dir, key):
            seen = {}
            continue
        kept, rejected = stage_dir / f"{key}.arrow", stage_dir / "rejected" / f"{key}.arrow"
        now: dict[int, int] = {}
        out = 0
        if _has_text(kept):
            for table in iter_batches(kept, BATCH):
                hashes, counts = _count(table.column("text"), seen, encoder)
                now.update(zip(hashes.tolist(), counts.tolist(), strict=True))
                out += int(counts.sum())
        drops: dict[str, int] = {}
        if _has_text(rejected) and REASON in shard_schema(rejected).names:
            for table in iter_batches(rejected, BATCH):
                _, counts = _count(table.column("text"), seen, encoder)
                for reason, n in zip(table.column(REASON).to_pylist(), counts.tolist(), strict=True):
                    drops[reason or "unknown"] = drops.get(reason or "unknown", 0) + n
        write_json(stage_dir / TOKENS_DIR / f"{key}.json", {"tokenizer_sha256": sha, "out": out, "drops": drops})
        seen = now


def _count(text: pa.ChunkedArray, seen: dict[int, int], encoder: Tokenizer) -> tuple[np.ndarray, np.ndarray]:
    """(hashes, token counts) of one column of texts; only texts not in ``seen`` are encoded."""
    arr = text.combine_chunks() if text.num_chunks != 1 else text.chunk(0)
    n = len(arr)
    hashes = np.zeros(n, dtype=np.uint64)
    counts = np.zeros(n, dtype=np.int64)
    if n == 0:
        return hashes, counts
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64 if pa.types.is_large_string(arr.type) else np.int32,
                            count=n + 1, offset=arr.offset * (8 if pa.types.is_large_string(arr.type) else 4))
    data = memoryview(arr.buffers()[2]) if arr.buffers()[2] is not None else memoryview(b"")
    valid = arr.is_valid().to_numpy(zero_copy_only=False).tolist()
    offs = offsets.tolist()
    missing = []
    for i in range(n):
        if not valid[i] or offs[i] == offs[i + 1]:
            continue
        h = xxhash.xxh3_64_intdigest(data[offs[i]:offs[i + 1]])
        hashes[i] = h
        c = seen.get(h)
        if c is None:
            missing.append(i)
        else:
            counts[i] = c
    if missing:
        counts[missing] = encode_texts(encoder, arr.take(pa.array(missing)).to_pylist())[0]
    return hashes, counts
