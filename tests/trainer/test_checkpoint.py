import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from trainer import checkpoint as ckpt
from trainer.errors import ConfigError
from trainer.loop import Trainer
from trainer.testing import CONFIG_DIR, tiny_config

# The demo GPT at 2 x 64, stepping slowly enough (a few ms per step) for the parent to kill it mid-run.
TRAIN = ["train", str(CONFIG_DIR / "gpt-tiny.yaml"), "--threads", "1", "--sample-tokens", "0",
         "--set", "model.n_layer=2", "--set", "model.n_embd=64", "--set", "train.max_steps=120",
         "--set", "train.checkpoint_every=10", "--set", "train.eval_every=40", "--set", "train.eval_batches=2",
         "--set", "train.tensorboard=false"]


def _pretrain(*args: str) -> list[str]:
    return [sys.executable, "-m", "trainer.cli", *args]


def _env() -> dict:
    return os.environ | {"OMP_NUM_THREADS": "1", "PYTHONPATH": str(Path(__file__).resolve().parents[2])}


def test_killed_run_resumes_to_identical_parameters(packed, tmp_path):
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    subprocess.run(_pretrain(*TRAIN, "--data", str(packed), "--out", str(straight)), env=_env(), check=True,
                   capture_output=True)

    proc = subprocess.Popen(_pretrain(*TRAIN, "--data", str(packed), "--out", str(killed)), env=_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while ckpt.latest_checkpoint(killed / "checkpoints") is None and proc.poll() is None and time.time() < deadline:
        time.sleep(0.005)
    still_running = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert still_running, "the run finished before it could be killed"
    first = ckpt.latest_checkpoint(killed / "checkpoints")
    assert first is not None and first.name != "step-00000120"

    result = subprocess.run(_pretrain(*TRAIN, "--data", str(packed), "--out", str(killed)), env=_env(),
                            check=True, capture_output=True, text=True)
    assert "resumed from" in result.stdout
    a = load_file(straight / "checkpoints" / "step-00000120" / "model.safetensors")
    b = load_file(killed / "checkpoints" / "step-00000120" / "model.safetensors")
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    # The optimizer state matches too, and the metrics log has no duplicate steps from the killed attempt.
    oa = torch.load(straight / "checkpoints" / "step-00000120" / "optimizer.pt", weights_only=True)["optimizer"]
    ob = torch.load(killed / "checkpoints" / "step-00000120" / "optimizer.pt", weights_only=True)["optimizer"]
    assert all(torch.equal(oa["state"][i]["exp_avg_sq"], ob["state"][i]["exp_avg_sq"]) for i in oa["state"])
    steps = [line for line in (killed / "metrics.jsonl").read_text().splitlines() if '"train"' in line]
    assert len(steps) == len(set(steps))


def test_checkpoint_is_atomic_and_pruned(packed, tmp_path, quiet):
    trainer = Trainer(tiny_config("gpt2", keep_checkpoints=2), packed, tmp_path, log=quiet.append)
    root = tmp_path / "checkpoints"
    (root / ".tmp-step-00000009-1").mkdir(parents=True)  # left by a process killed while writing
    for _ in range(3):
        trainer.train_step()
        trainer.save()
    assert [p.name for p in ckpt.list_checkpoints(root)] == ["step-00000002", "step-00000003"]
    assert sorted(p.name for p in (root / "step-00000003").iterdir()) == ["model.safetensors", "optimizer.pt",
                                                                          "state.json"]
    Trainer(tiny_config("gpt2"), packed, tmp_path, log=quiet.append)  # resumes, cleaning the partial folder
    assert not (root / ".tmp-step-00000009-1").exists()


def test_resume_refuses_a_different_config(packed, tmp_path, quiet):
    trainer = Trainer(tiny_config("gpt2"), packed, tmp_path, log=quiet.append)
    trainer.train_step()
    trainer.save()
    other = tiny_config("gpt2")
    other = other.model_copy(update={"optim": other.optim.model_copy(update={"lr": 1e-5})})
    with pytest.raises(ConfigError, match="different config"):
        Trainer(other, packed, tmp_path, log=quiet.append)


def test_resolve_checkpoint_errors(tmp_path):
    with pytest.raises(ConfigError, match="no checkpoint found"):
        ckpt.resolve_checkpoint(tmp_path)
