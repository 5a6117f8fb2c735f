"""fastText document classifiers: one preprocessing for training and scoring, a scorer for filter
stages, and training from labelled JSONL or GPT-3 style (a reference corpus against raw crawl).

GPT-3 (Brown et al. 2020, appendix A) trained a classifier with WebText, Wikipedia and books as
positives and unfiltered Common Crawl as negatives, then kept crawl documents by its score. Training
here is deterministic: the held-out split and the order of the training lines come from stable hashes
of the text, and fastText trains on one thread by default (several threads race on the weights).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import glob
import json
import os
import tempfile
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curation.errors import UserError
from curation.ids import stable_hash64
from curation.resources import load_fasttext
from curation.shards import atomic_path, iter_batches, write_json
from curation.storage import cached_local_file, file_size, is_file, sha256_file

LABEL_PREFIX = "__label__"
#: bump when ``preprocess`` changes: a model must be scored with the preprocessing it was trained with
PREPROCESSING = "lower+punct-split+space-fold/v1"
# Punctuation and symbols become tokens of their own ("end." -> "end ."), so "word," and "word" share
# a vector; this also splits "_", so no token of a document can start with fastText's "__label__".
_PUNCT = r"([^\pL\pN\pM\s\pZ])"
# fastText splits words on ASCII whitespace and NUL only; fold every Unicode space, line separator and
# C0/C1 control character (U+0085 is a line break to Python), so a document is one line.
_SPACES = r"[\s\pZ\x{0}-\x{1f}\x{7f}-\x{9f}]+"
_BUCKETS = 64  # training lines are shuffled bucket by bucket: memory holds 1/64 of the training set


def label_name(label: str) -> str:
    return label[len(LABEL_PREFIX):] if label.startswith(LABEL_PREFIX) else label


def full_label(label: str) -> str:
    return LABEL_PREFIX + label_name(label)


def valid_text(column: pa.ChunkedArray | pa.Array) -> tuple[pa.Array, int]:
    """The column as a valid UTF-8 string array, and how many values had to be repaired.

    Arrow strings should be valid UTF-8, but a writer that cast bytes without checking can store lone
    surrogates or truncated sequences; those values are decoded with U+FFFD replacements."""
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        raise TypeError(f"expected a string column, got {arr.type}")
    try:
        arr.validate(full=True)
        return arr, 0
    except pa.ArrowInvalid:
        pass
    raw = arr.cast(pa.large_binary() if pa.types.is_large_string(arr.type) else pa.binary())
    fixed, repaired = [], 0
    for value in raw.to_pylist():
        if value is None:
            fixed.append(None)
            continue
        text = value.decode("utf-8", errors="replace")
        repaired += text.encode("utf-8") != value
        fixed.append(text)
    return pa.array(fixed, type=arr.type), repaired


def preprocess(texts: pa.Array | pa.ChunkedArray | Sequence[str | None], max_chars: int | None = None) -> list[str]:
    """Lowercase, punctuation split off words, all whitespace folded to single spaces (one line per text).

    Runs in Arrow (RE2), not per-document Python. Null becomes "". ``max_chars`` bounds the work on a
    pathological document (a 50 MB line); classifiers see the first ``max_chars`` characters."""
    arr = texts if isinstance(texts, pa.Array | pa.ChunkedArray) else pa.array(list(texts), pa.large_string())
    if len(arr) == 0:
        return []
    arr = pc.fill_null(arr, "")
    if max_chars is not None:
        arr = pc.utf8_slice_codeunits(arr, 0, max_chars)
    arr = pc.utf8_lower(arr)
    arr = pc.replace_substring_regex(arr, _PUNCT, r" \1 ")
    arr = pc.replace_substring_regex(arr, _SPACES, " ")
    return pc.utf8_trim_whitespace(arr).to_pylist()


def model_fingerprint(path: str) -> dict[str, Any]:
    """Path, size and SHA-256 of a model file: a stage's fingerprint changes when the model does."""
    if not is_file(path):
        return {"path": path, "missing": True}
    return {"path": path, "bytes": file_size(path), "sha256": sha256_file(path)}


class FastTextScorer:
    """Probability of one label of a fastText model for preprocessed lines (loaded once per worker)."""

    def __init__(self, path: str, label: str, where: str):
        if not is_file(path):
            raise UserError(f"{where}.model: no such file {path!r} (train one with `curate train-classifier`; "
                            "paths are relative to the directory you run `curate` from)")
        try:
            self.model = load_fasttext(cached_local_file(path))
        except ValueError as e:
            raise UserError(f"{where}.model: {path!r} is not a fastText model ({e})") from None
        self.label = full_label(label)
        labels = self.model.get_labels()
        if self.label not in labels:
            raise UserError(f"{where}.label: model {path!r} has no label {label!r}; its labels: "
                            f"{', '.join(label_name(x) for x in labels)}")

    def score(self, lines: list[str]) -> np.ndarray:
        """float32 probability of the label per line; 0.0 for an empty line (no word to judge)."""
        out = np.zeros(len(lines), dtype=np.float32)
        todo = [i for i, line in enumerate(lines) if line]
        if not todo:
            return out
        labels, probs = self.model.predict([lines[i] for i in todo], k=-1)
        for i, labs, ps in zip(todo, labels, probs, strict=True):
            for lab, p in zip(labs, ps, strict=True):
                if lab == self.label:
                    out[i] = min(float(p), 1.0)  # fastText's softmax can round to 1.00001
                    break
        return out


# -- training ----------------------------------------------------------------------------------------

@dataclass
class TrainReport:
    model_path: str
    labels: dict[str, dict[str, int]]  # label -> {"train": n, "valid": n}
    metrics: dict[str, dict[str, float]]  # label -> precision / recall / f1 on the held-out split
    accuracy: float | None
    skipped: dict[str, int] = field(default_factory=dict)

    def format(self) -> str:
        lines = [f"model: {self.model_path}"]
        for lab, n in self.labels.items():
            m = self.metrics.get(lab)
            scores = (f"precision {m['precision']:.3f}  recall {m['recall']:.3f}  f1 {m['f1']:.3f}"
                      if m else "no held-out example")
            lines.append(f"  {lab:>12}: {n['train']:>8,} train {n['valid']:>7,} held out   {scores}")
        if self.accuracy is not None:
            lines.append(f"  held-out accuracy: {self.accuracy:.3f}")
        if any(self.skipped.values()):
            lines.append("  skipped: " + ", ".join(f"{k} {v:,}" for k, v in self.skipped.items() if v))
        return "\n".join(lines)


def _expand_shards(paths: Sequence[str], flag: str) -> list[str]:
    """Arrow shards named directly, by glob, or as a stage folder (its ``part-*.arrow``)."""
    files: list[str] = []
    for p in paths:
        p = os.path.expanduser(p)
        matches = sorted(glob.glob(os.path.join(p, "part-*.arrow"))) if os.path.isdir(p) else sorted(glob.glob(p))
        matches = [m for m in matches if os.path.isfile(m)]
        if not matches:
            raise UserError(f"{flag} {p}: no Arrow shard found (give shard files, a glob, or a stage folder "
                            "such as runs/NAME/05-dedup)")
        files.extend(m for m in matches if m not in files)
    return files


def _shard_texts(files: list[str], label: str, skipped: dict[str, int]) -> Iterator[tuple[str | None, str]]:
    for f in files:
        for batch in iter_batches(f, 1000):
            if "text" not in batch.column_names:
                raise UserError(f"{f}: shard has no `text` column (use documents: a stage after `extract`)")
            text, repaired = valid_text(batch.column("text"))
            skipped["invalid_utf8_repaired"] = skipped.get("invalid_utf8_repaired", 0) + repaired
            for t in text.to_pylist():
                yield t, label


def _jsonl_texts(files: list[str], skipped: dict[str, int]) -> Iterator[tuple[str | None, str]]:
    for f in files:
        try:
            fh = open(f, encoding="utf-8", errors="replace")  # noqa: SIM115 - closed below
        except OSError as e:
            raise UserError(f"--jsonl {f}: cannot read it ({e.strerror})") from None
        with fh:
            for line in fh:
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                    text, label = row["text"], row["label"]
                except (json.JSONDecodeError, KeyError, TypeError):
                    skipped["malformed_lines"] = skipped.get("malformed_lines", 0) + 1
                    continue
                label = label_name(str(label)).strip()
                if not isinstance(text, str) or not label or any(c.isspace() for c in label):
                    skipped["malformed_lines"] = skipped.get("malformed_lines", 0) + 1
                    continue
                try:
                    text.encode("utf-8")
                except UnicodeEncodeError:  # a lone surrogate from a "\ud800" escape
                    text = text.encode("utf-8", errors="replace").decode("utf-8")
                    skipped["invalid_utf8_repaired"] = skipped.get("invalid_utf8_repaired", 0) + 1
                yield text, label


def _examples(source: Callable[[], Iterator[tuple[str | None, str]]], max_chars: int | None,
              skipped: dict[str, int]) -> Iterator[tuple[str, str]]:
    """(label, preprocessed line) in batches of 1000, empty documents counted and left out."""
    def flush(buf: list[tuple[str | None, str]]) -> Iterator[tuple[str, str]]:
        for line, (_, label) in zip(preprocess([t for t, _ in buf], max_chars), buf, strict=True):
            if line:
                yield label, line
            else:
                skipped["empty_text"] = skipped.get("empty_text", 0) + 1

    buf: list[tuple[str | None, str]] = []
    for item in source():
        buf.append(item)
        if len(buf) == 1000:
            yield from flush(buf)
            buf = []
    yield from flush(buf)


def _train_lines(tmp: Path, examples: Callable[[], Iterator[tuple[str, str]]], valid_fraction: float,
                 max_per_class: int | None, seed: int) -> tuple[Path, Path, dict[str, dict[str, int]]]:
    """Write train.txt (deterministically shuffled) and valid.txt; the split is a hash of the text,
    so duplicates of one text land on the same side and do not inflate held-out scores."""
    cutoff: dict[str, int] = {}
    if max_per_class is not None:  # keep the max_per_class examples of each label with the smallest hashes
        hashes: dict[str, array] = {}  # 8 bytes per example
        for label, line in examples():
            hashes.setdefault(label, array("Q")).append(stable_hash64(f"{seed}\0sample\0{line}"))
        for label, hs in hashes.items():
            if len(hs) > max_per_class:
                cutoff[label] = int(np.partition(np.frombuffer(hs, dtype=np.uint64), max_per_class - 1)[max_per_class - 1])
    counts: dict[str, dict[str, int]] = {}
    buckets = [open(tmp / f"bucket-{i:02d}.txt", "w", encoding="utf-8") for i in range(_BUCKETS)]  # noqa: SIM115
    valid_path = tmp / "valid.txt"
    with open(valid_path, "w", encoding="utf-8") as valid:
        try:
            for label, line in examples():
                if label in cutoff and stable_hash64(f"{seed}\0sample\0{line}") > cutoff[label]:
                    continue
                h = stable_hash64(f"{seed}\0split\0{line}")
                n = counts.setdefault(label, {"train": 0, "valid": 0})
                row = f"{LABEL_PREFIX}{label} {line}\n"
                if (h % 1_000_000) < valid_fraction * 1_000_000:
                    valid.write(row)
                    n["valid"] += 1
                else:
                    buckets[h % _BUCKETS].write(row)
                    n["train"] += 1
        finally:
            for b in buckets:
                b.close()
    train_path = tmp / "train.txt"
    with open(train_path, "w", encoding="utf-8") as train:
        for i in range(_BUCKETS):
            bucket = tmp / f"bucket-{i:02d}.txt"
            rows = [r + "\n" for r in bucket.read_text(encoding="utf-8").split("\n") if r]
            rows.sort(key=lambda r: stable_hash64(f"{seed}\0order\0{r}"))
            train.writelines(rows)
            bucket.unlink()
    return train_path, valid_path, dict(sorted(counts.items()))


@contextlib.contextmanager
def _zeroed_allocations() -> Iterator[None]:
    """Make glibc's malloc return zero-filled memory for the duration (``M_PERTURB``).

    fastText 0.9.3 initialises its input matrix in 10 blocks, one per training thread
    (``DenseMatrix::uniform``), into an ``intgemm::AlignedVector`` that is not zeroed: with fewer than
    10 threads most rows keep whatever the heap held, so training fails with "Encountered NaN" or gives
    a different model each run. With zeroed memory those rows start at zero (the output matrix does
    too, by design): training works and is deterministic on one thread. Elsewhere than glibc this
    does nothing."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.gnu_get_libc_version  # noqa: B018 - raises AttributeError on a libc that is not glibc
    except (OSError, AttributeError):
        yield
        return
    m_perturb = -6  # malloc.h: allocated bytes are set to the complement of the value's low byte
    libc.mallopt(m_perturb, 0xFF)
    try:
        yield
    finally:
        libc.mallopt(m_perturb, 0)


def _evaluate(model: Any, valid_path: Path, labels: list[str]) -> tuple[dict[str, dict[str, float]], float | None]:
    gold, lines = [], []
    with open(valid_path, encoding="utf-8", newline="\n") as fh:
        for row in fh:
            label, _, text = row.rstrip("\n").partition(" ")
            gold.append(label_name(label))
            lines.append(text)
    if not lines:
        return {}, None
    predicted = [label_name(p[0]) if p else "" for p in model.predict(lines, k=1)[0]]
    metrics: dict[str, dict[str, float]] = {}
    for lab in labels:
        tp = sum(g == lab and p == lab for g, p in zip(gold, predicted, strict=True))
        n_pred, n_gold = predicted.count(lab), gold.count(lab)
        if not n_gold:
            continue
        precision = tp / n_pred if n_pred else 0.0
        recall = tp / n_gold
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        metrics[lab] = {"precision": precision, "recall": recall, "f1": f1}
    accuracy = sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold)
    return metrics, accuracy


def train_classifier(
    output: str | os.PathLike,
    *,
    jsonl: Sequence[str] = (),
    positive: Sequence[str] = (),
    negative: Sequence[str] = (),
    positive_label: str = "hq",
    negative_label: str = "lq",
    valid_fraction: float = 0.1,
    max_per_class: int | None = None,
    max_chars: int | None = 100_000,
    epoch: int = 5,
    lr: float = 0.1,
    dim: int = 64,
    word_ngrams: int = 2,
    min_count: int = 2,
    bucket: int = 200_000,
    threads: int = 1,
    seed: int = 0,
    quantize: bool = False,
) -> TrainReport:
    """Train a fastText classifier and write it to ``output`` (plus ``output.json``, its card).

    Either ``jsonl`` files of ``{"text": ..., "label": ...}`` lines, or ``positive`` and ``negative``
    Arrow shards (files, globs or stage folders) labelled ``positive_label`` / ``negative_label``.
    Defaults: fastText's supervised ones (lr 0.1, 5 epochs) with word bigrams (Joulin et al. 2017), 64
    dimensions and 200k hash buckets, so a model stays ~50 MB instead of fastText's 2M x 100 (800 MB).
    """
    if bool(jsonl) == bool(positive or negative):
        raise UserError("train-classifier: give either --jsonl FILE... or both --positive and --negative shards")
    if not jsonl and not (positive and negative):
        raise UserError("train-classifier: GPT-3 style training needs both --positive and --negative shards")
    if not 0 <= valid_fraction < 1:
        raise UserError(f"--valid-fraction: must be in [0, 1), got {valid_fraction}")
    if max_per_class is not None and max_per_class < 1:
        raise UserError(f"--max-per-class: must be >= 1, got {max_per_class}")
    for flag, value, low in (("--epoch", epoch, 1), ("--dim", dim, 1), ("--word-ngrams", word_ngrams, 1),
                             ("--min-count", min_count, 1), ("--bucket", bucket, 1), ("--threads", threads, 1)):
        if value < low:  # fastText dies of SIGFPE on bucket 0 with word n-grams: check before it does
            raise UserError(f"{flag}: must be >= {low}, got {value}")
    if not lr > 0:
        raise UserError(f"--lr: must be > 0, got {lr}")
    for name, value in (("--positive-label", positive_label), ("--negative-label", negative_label)):
        if not label_name(value) or any(c.isspace() for c in value):
            raise UserError(f"{name}: {value!r} is not a usable label (non-empty, no spaces)")
    skipped: dict[str, int] = {}

    def source() -> Iterator[tuple[str | None, str]]:
        if jsonl:
            missing = [f for f in jsonl if not os.path.isfile(f)]
            if missing:
                raise UserError(f"--jsonl {missing[0]}: no such file")
            yield from _jsonl_texts(list(jsonl), skipped)
        else:
            yield from _shard_texts(_expand_shards(positive, "--positive"), label_name(positive_label), skipped)
            yield from _shard_texts(_expand_shards(negative, "--negative"), label_name(negative_label), skipped)

    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".train-", dir=output.parent) as tmp_dir:
        tmp = Path(tmp_dir)

        def examples() -> Iterator[tuple[str, str]]:
            skipped.clear()  # the data is read twice with max_per_class: count the last pass only
            return _examples(source, max_chars, skipped)

        train_path, valid_path, counts = _train_lines(tmp, examples, valid_fraction, max_per_class, seed)
        if len(counts) < 2:
            raise UserError(f"train-classifier: need examples of at least two labels, got {sorted(counts) or 'none'}")
        if not all(n["train"] for n in counts.values()):
            raise UserError(f"train-classifier: every label needs training examples; got {counts}")
        import fasttext

        with _zeroed_allocations():
            try:
                model = fasttext.train_supervised(
                    input=str(train_path), epoch=epoch, lr=lr, dim=dim, wordNgrams=word_ngrams, minCount=min_count,
                    bucket=bucket, thread=threads, seed=seed, loss="softmax", verbose=0)
            except RuntimeError as e:  # fastText's only training error here: "Encountered NaN." (divergence)
                raise UserError(f"train-classifier: training diverged ({e}); lower --lr (now {lr})") from None
            if quantize:
                model.quantize(input=str(train_path), retrain=False)
        metrics, accuracy = _evaluate(model, valid_path, list(counts))
        with atomic_path(output) as tmp_model:
            model.save_model(str(tmp_model))
    report = TrainReport(str(output), counts, metrics, accuracy, skipped)
    write_json(str(output) + ".json", {
        "model": output.name,
        "labels": counts,
        "held_out": {"metrics": metrics, "accuracy": accuracy, "fraction": valid_fraction},
        "skipped": skipped,
        "preprocessing": PREPROCESSING,
        "max_chars": max_chars,
        "sources": {"jsonl": list(jsonl)} if jsonl else {
            "positive": list(positive), "negative": list(negative),
            "positive_label": label_name(positive_label), "negative_label": label_name(negative_label)},
        "params": {"epoch": epoch, "lr": lr, "dim": dim, "word_ngrams": word_ngrams, "min_count": min_count,
                   "bucket": bucket, "threads": threads, "seed": seed, "quantize": quantize,
                   "max_per_class": max_per_class},
    })
    return report
