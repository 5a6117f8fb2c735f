import numpy as np
import pytest

from trainer.data import Manifest, PackedSplit
from trainer.errors import ConfigError
from trainer.objectives.span import (
    SpanCorruption,
    SpanCorruptionConfig,
    corrupted_lengths,
    random_spans_noise_mask,
)


def test_t5_lengths():
    # T5's compute_input_and_target_lengths for 568 raw tokens gives the 512-token input and 114-token target.
    assert corrupted_lengths(568, 0.15, 3.0) == (512, 114)
    assert corrupted_lengths(64, 0.15, 3.0) == (64 - 10 + 3 + 1, 10 + 3 + 1)


@pytest.mark.parametrize("length", [2, 7, 64, 255, 1000])
def test_noise_mask_counts(length):
    mask = random_spans_noise_mask(length, 0.15, 3.0, np.random.default_rng(length))
    noise = max(1, min(round(length * 0.15), length - 1))
    assert mask.sum() == noise and not mask[0]  # T5 starts with a clean span


def test_span_corruption_batch_is_exact_and_invertible(packed):
    m = Manifest.load(packed)
    rows = PackedSplit(m, "train").rows(np.arange(32))
    obj = SpanCorruption(SpanCorruptionConfig(), m)
    out = obj(rows, np.random.default_rng(0))
    n_in, n_out = corrupted_lengths(m.seq_len, 0.15, 3.0)
    assert out["input_ids"].shape == (32, n_in) and out["labels"].shape == (32, n_out)
    assert not out["input_padding"].any() and (out["labels"] != -100).all()  # full rows: exact lengths, no pad
    sentinels = list(m.sentinel_ids)
    for i in range(32):
        src, tgt = out["input_ids"][i].tolist(), out["labels"][i].tolist()
        assert src[-1] == tgt[-1] == m.special("eos")
        # Put every span back after its sentinel: the original row comes out.
        spans, current = {}, None
        for t in tgt[:-1]:
            if t in sentinels:
                current = t
                spans[t] = []
            else:
                spans[current].append(t)
        rebuilt = [x for t in src[:-1] for x in (spans[t] if t in sentinels else [t])]
        assert rebuilt == rows.input_ids[i].tolist()
        assert out["decoder_input_ids"][i].tolist() == [m.special("pad")] + tgt[:-1]


def test_too_few_sentinels_is_a_config_error(packed):
    import dataclasses

    m = dataclasses.replace(Manifest.load(packed), sentinel_ids=[5])
    with pytest.raises(ConfigError, match="sentinel_ids has 1 ids but span corruption"):
        SpanCorruption(SpanCorruptionConfig(), m)
