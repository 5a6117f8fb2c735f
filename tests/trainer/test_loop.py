import json

import numpy as np
import pytest
import torch

from trainer.config import OptimConfig
from trainer.data import global_batch_rows
from trainer.loop import Trainer, TrainingDiverged, lr_at
from trainer.testing import tiny_config

FAMILIES = ["gpt2", "bert", "albert", "electra", "t5"]


def test_warmup_then_cosine():
    cfg = OptimConfig(lr=1.0, warmup_steps=10, min_lr_ratio=0.1)
    assert lr_at(0, cfg, 110) == pytest.approx(0.1)
    assert lr_at(9, cfg, 110) == pytest.approx(1.0)
    assert lr_at(60, cfg, 110) == pytest.approx(0.55)  # half-way through the cosine
    assert lr_at(110, cfg, 110) == lr_at(500, cfg, 110) == pytest.approx(0.1)


@pytest.mark.parametrize("family", FAMILIES)
def test_loss_decreases(family, packed, tmp_path, quiet):
    trainer = Trainer(tiny_config(family, max_steps=40), packed, tmp_path, log=quiet.append)
    losses = [trainer.train_step()["loss"] for _ in range(40)]
    assert np.isfinite(losses).all()
    assert np.mean(losses[-5:]) < 0.85 * np.mean(losses[:5]), losses


def test_fit_writes_metrics_plot_and_checkpoints(packed, tmp_path, quiet):
    cfg = tiny_config("gpt2", max_steps=6, eval_every=3, checkpoint_every=3, log_every=1, tensorboard=True,
                      keep_checkpoints=1)
    val = Trainer(cfg, packed, tmp_path, log=quiet.append).fit()
    assert val["perplexity"] == pytest.approx(np.exp(val["loss"]))
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records if r["split"] == "validation"] == [3, 6]
    assert {"loss", "lr", "grad_norm", "tokens_per_s"} <= set(records[0])
    assert (tmp_path / "loss_curve.png").stat().st_size > 1000
    assert any((tmp_path / "tensorboard").iterdir())
    assert [p.name for p in (tmp_path / "checkpoints").iterdir()] == ["step-00000006"]
    assert (tmp_path / "tokenizer" / "tokenizer.json").is_file() and (tmp_path / "config.yaml").is_file()


def _params(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def _poison_loss(trainer, bad_steps):
    """Make the loss of the given steps NaN (as a corrupt batch or an overflow would)."""
    original = trainer.forward_backward

    def forward_backward(batch, sync):
        if trainer.step in bad_steps:
            batch = dict(batch)
            out = trainer.net(**batch)
            out["loss"] = out["loss"] * float("nan")
            out["loss"].backward()
            return out
        return original(batch, sync)

    trainer.forward_backward = forward_backward


def test_nan_step_is_skipped_and_traced(packed, tmp_path, quiet):
    trainer = Trainer(tiny_config("gpt2", nan_patience=3), packed, tmp_path, log=quiet.append)
    _poison_loss(trainer, {2})
    trainer.train_step()
    trainer.train_step()
    before = _params(trainer.model)
    result = trainer.train_step()  # step 2: poisoned
    assert result["skipped"] == 1
    assert all(torch.equal(before[k], v) for k, v in trainer.model.state_dict().items())
    assert trainer.train_step()["skipped"] == 0 and trainer.bad_in_a_row == 0
    record = json.loads((tmp_path / "bad_steps.jsonl").read_text())
    expected = trainer.train_rows.rows(global_batch_rows(len(trainer.train_rows), 1337, 2, 8)).row_ids
    assert record["step"] == 2 and record["row_ids"] == expected.tolist()
    assert all(d.startswith("doc-") for docs in record["doc_ids"] for d in docs)


def test_rollback_after_patience_bad_steps(packed, tmp_path, quiet):
    trainer = Trainer(tiny_config("gpt2", nan_patience=3), packed, tmp_path, log=quiet.append)
    for _ in range(4):
        trainer.train_step()
    trainer.save()
    saved = _params(trainer.model)
    with torch.no_grad():  # weights blown up after the checkpoint: every following step is non-finite
        trainer.model.blocks[0].mlp.fc.weight.fill_(float("inf"))
    assert [trainer.train_step()["skipped"] for _ in range(3)] == [1, 1, 1]
    assert all(torch.equal(saved[k], v) for k, v in trainer.model.state_dict().items())  # rolled back
    assert trainer.step == 7  # ...and carried on after the bad batches
    assert trainer.train_step()["skipped"] == 0
    assert any("rolled back to step-00000004" in line for line in quiet)
    assert len((tmp_path / "bad_steps.jsonl").read_text().splitlines()) == 3


def test_diverging_without_checkpoint_stops(packed, tmp_path, quiet):
    trainer = Trainer(tiny_config("gpt2", nan_patience=2), packed, tmp_path, log=quiet.append)
    _poison_loss(trainer, {0, 1})
    trainer.train_step()
    with pytest.raises(TrainingDiverged, match="lower optim.lr"):
        trainer.train_step()


def test_padded_rows_train(packed_padded, tmp_path, quiet):
    for family in ("gpt2", "bert", "t5"):
        trainer = Trainer(tiny_config(family), packed_padded, tmp_path / family, log=quiet.append)
        assert np.isfinite([trainer.train_step()["loss"] for _ in range(3)]).all()
