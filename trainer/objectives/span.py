"""T5 span corruption: noise spans of the row are replaced by sentinels in the input and spelled out, each after
its sentinel, in the target. Lengths follow T5's formulas, so for a row of L tokens the input has exactly
L - noise + spans + 1 tokens and the target noise + spans + 1: nothing is truncated."""

from functools import lru_cache
from typing import Literal

import numpy as np
import torch
from pydantic import Field

from trainer.data import Manifest, RowBatch
from trainer.errors import ConfigError
from trainer.section import Section


class SpanCorruptionConfig(Section):
    name: Literal["span_corruption"] = "span_corruption"
    noise_density: float = Field(0.15, gt=0, lt=1)
    """Fraction of tokens corrupted (T5: 0.15)."""
    mean_span_length: float = Field(3.0, ge=1)
    """Mean length of a corrupted span (T5: 3)."""


def noise_counts(length: int, density: float, mean_span: float) -> tuple[int, int]:
    """(noise tokens, noise spans) for a sequence of `length` tokens, rounded as T5 does; at least one of each
    and at least one clean token."""
    num_noise = min(max(int(round(length * density)), 1), length - 1)
    num_spans = max(min(int(round(num_noise / mean_span)), length - num_noise), 1)
    return num_noise, num_spans


def corrupted_lengths(length: int, density: float, mean_span: float) -> tuple[int, int]:
    """(input length, target length) of a corrupted `length`-token sequence, eos included."""
    num_noise, num_spans = noise_counts(length, density, mean_span)
    return length - num_noise + num_spans + 1, num_noise + num_spans + 1


@lru_cache(maxsize=8)
def batch_lengths(seq_len: int, density: float, mean_span: float) -> tuple[int, int, int]:
    """(input, target, sentinel) sizes that fit every row length 2..seq_len (padded rows are shorter)."""
    lengths = [corrupted_lengths(n, density, mean_span) for n in range(2, seq_len + 1)]
    spans = max(noise_counts(n, density, mean_span)[1] for n in range(2, seq_len + 1))
    return max(i for i, _ in lengths), max(t for _, t in lengths), spans


def _segment_lengths(n_items: int, n_segments: int, rng: np.random.Generator) -> np.ndarray:
    """Split n_items into n_segments non-empty runs uniformly at random: (n_segments,) lengths."""
    cuts = np.sort(rng.choice(np.arange(1, n_items), size=n_segments - 1, replace=False))
    return np.diff(np.concatenate([[0], cuts, [n_items]]))


def random_spans_noise_mask(length: int, density: float, mean_span: float, rng: np.random.Generator) -> np.ndarray:
    """(length,) bool: alternating clean / noise spans, starting with a clean one, as in T5."""
    num_noise, num_spans = noise_counts(length, density, mean_span)
    noise = _segment_lengths(num_noise, num_spans, rng)
    clean = _segment_lengths(length - num_noise, num_spans, rng)
    spans = np.stack([clean, noise], axis=1).reshape(-1)  # clean_0, noise_0, clean_1, noise_1, ...
    return np.repeat(np.tile([False, True], num_spans), spans)


def collapse_spans(tokens: np.ndarray, mask: np.ndarray, sentinels: np.ndarray) -> np.ndarray:
    """Replace each run of True in `mask` by one sentinel (the i-th run gets sentinels[i]); keep the rest."""
    first = mask & ~np.concatenate([[False], mask[:-1]])
    run = np.cumsum(first) - 1
    out = np.where(first, sentinels[np.maximum(run, 0)], tokens)
    return out[~mask | first]


class SpanCorruption:
    def __init__(self, cfg: SpanCorruptionConfig, manifest: Manifest):
        self.cfg = cfg
        self.eos_id, self.pad_id = manifest.special("eos"), manifest.special("pad")
        self.sentinels = np.asarray(manifest.sentinel_ids, dtype=np.int64)
        self.input_len, self.target_len, spans = batch_lengths(manifest.seq_len, cfg.noise_density,
                                                               cfg.mean_span_length)
        if len(self.sentinels) < spans:
            raise ConfigError(f"{manifest.root / 'manifest.json'}: sentinel_ids has {len(self.sentinels)} ids but "
                              f"span corruption of {manifest.seq_len}-token rows needs {spans}: train the "
                              f"tokenizer with more <extra_id_N> tokens or lower objective.noise_density")

    def __call__(self, rows: RowBatch, rng: np.random.Generator) -> dict[str, torch.Tensor]:
        b = rows.input_ids.shape[0]
        inputs = np.full((b, self.input_len), self.pad_id, dtype=np.int64)
        labels = np.full((b, self.target_len), -100, dtype=np.int64)
        decoder_inputs = np.full((b, self.target_len), self.pad_id, dtype=np.int64)
        for i in range(b):
            tokens = rows.input_ids[i, : max(int(rows.n_tokens[i]), 2)]
            noise = random_spans_noise_mask(len(tokens), self.cfg.noise_density, self.cfg.mean_span_length, rng)
            src = np.append(collapse_spans(tokens, noise, self.sentinels), self.eos_id)
            tgt = np.append(collapse_spans(tokens, ~noise, self.sentinels), self.eos_id)
            inputs[i, : len(src)] = src
            labels[i, : len(tgt)] = tgt
            decoder_inputs[i, 1: len(tgt)] = tgt[:-1]  # shifted right; T5 starts decoding from the pad id
        return {"input_ids": torch.from_numpy(inputs), "labels": torch.from_numpy(labels),
                "decoder_input_ids": torch.from_numpy(decoder_inputs),
                "input_padding": torch.from_numpy(inputs == self.pad_id)}
