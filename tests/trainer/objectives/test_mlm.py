import numpy as np
import pytest

from trainer.data import Manifest, PackedSplit
from trainer.objectives.mlm import MaskedLM, MLMConfig, RTDConfig


@pytest.fixture(scope="module")
def rows(packed):
    m = Manifest.load(packed)
    return m, PackedSplit(m, "train").rows(np.arange(256))


def test_mask_rates_within_tolerance(rows):
    m, batch_rows = rows
    out = MaskedLM(MLMConfig(), m)(batch_rows, np.random.default_rng(0))
    ids, inputs, labels = batch_rows.input_ids, out["input_ids"].numpy(), out["labels"].numpy()
    special = np.isin(ids, [v for v in m.special_tokens.values() if v is not None])
    selected = labels != -100
    n = (~special).sum()  # 256 x 64 tokens: binomial std of the rate ~0.003
    assert selected.sum() / n == pytest.approx(0.15, abs=0.01)
    assert not (selected & special).any()
    assert (labels[selected] == ids[selected]).all()
    masked = inputs[selected] == m.special("mask")
    unchanged = inputs[selected] == ids[selected]
    assert masked.mean() == pytest.approx(0.8, abs=0.03)
    # 10% random + the random draws that hit the original token: ~10% + 10%/vocab unchanged
    assert unchanged.mean() == pytest.approx(0.1, abs=0.03)
    assert (~masked & ~unchanged).mean() == pytest.approx(0.1, abs=0.03)
    assert (inputs[~selected] == ids[~selected]).all()


def test_masking_is_reproducible_from_the_generator(rows):
    m, batch_rows = rows
    a = MaskedLM(MLMConfig(), m)(batch_rows, np.random.default_rng(7))
    b = MaskedLM(MLMConfig(), m)(batch_rows, np.random.default_rng(7))
    assert (a["input_ids"] == b["input_ids"]).all()


def test_sentence_order_pairs(rows):
    m, batch_rows = rows
    cfg = MLMConfig(sop=True, mask_prob=0.01)
    out = MaskedLM(cfg, m)(batch_rows, np.random.default_rng(0))
    labels = out["sop_labels"].numpy()
    assert 0.35 < labels.mean() < 0.65
    cls, sep, pad = m.special("cls"), m.special("sep"), m.special("pad")
    unmasked = np.where(out["labels"].numpy() != -100, out["labels"].numpy(), out["input_ids"].numpy())
    for i in range(len(labels)):
        row = unmasked[i][unmasked[i] != pad]
        assert row[0] == cls and row[-1] == sep
        cut = np.flatnonzero(row == sep)[0]
        a, b = row[1:cut], row[cut + 1:-1]
        types = out["token_type_ids"][i].numpy()
        assert (types[: cut + 1] == 0).all() and (types[cut + 1: len(row)] == 1).all()
        # In order (0): A B is a contiguous piece of the row; swapped (1): B A is.
        piece = np.concatenate([b, a] if labels[i] else [a, b])
        source = batch_rows.input_ids[i]
        hits = [s for s in range(len(source) - len(piece) + 1) if (source[s:s + len(piece)] == piece).all()]
        assert hits, f"row {i}: pair is not a contiguous piece of the row in the stated order"


def test_rtd_batch_keeps_originals(rows):
    m, batch_rows = rows
    out = MaskedLM(RTDConfig(), m)(batch_rows, np.random.default_rng(0))
    selected = out["labels"] != -100
    assert (out["input_ids"][selected] == m.special("mask")).all()  # ELECTRA masks every selected token
    assert (out["original_ids"].numpy() == batch_rows.input_ids).all()
    assert out["rtd_mask"].all()  # concat rows have no padding


def test_padding_is_never_masked_and_is_attention_masked(packed_padded):
    m = Manifest.load(packed_padded)
    rows = PackedSplit(m, "train").rows(np.arange(64))
    out = MaskedLM(MLMConfig(), m)(rows, np.random.default_rng(0))
    pad = rows.padding()
    assert pad.any() and not (out["labels"].numpy()[pad] != -100).any()
    assert (out["segment_ids"].numpy()[pad] == -1).all()
