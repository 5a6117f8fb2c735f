import os
import shutil
import subprocess
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file

from trainer.testing import CONFIG_DIR

COMMON = ["train", str(CONFIG_DIR / "gpt-tiny.yaml"), "--threads", "1", "--sample-tokens", "0",
          "--set", "model.n_layer=2", "--set", "model.n_embd=64", "--set", "train.max_steps=8",
          "--set", "train.eval_every=4", "--set", "train.eval_batches=2", "--set", "train.tensorboard=false",
          "--set", "train.micro_batch_size=4"]


def test_two_process_ddp_equals_single_process(packed, tmp_path):
    """Global batch 8 either way: 1 process x 2 accumulated micro-batches vs 2 processes (gloo) x 1."""
    env = os.environ | {"OMP_NUM_THREADS": "1", "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    single, ddp = tmp_path / "single", tmp_path / "ddp"
    subprocess.run([sys.executable, "-m", "trainer.cli", *COMMON, "--set", "train.grad_accum=2",
                    "--data", str(packed), "--out", str(single)], env=env, check=True, capture_output=True)
    result = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2",
                             "-m", "trainer.cli", *COMMON, "--data", str(packed), "--out", str(ddp)],
                            env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "2 process(es)" in result.stdout
    a = load_file(single / "checkpoints" / "step-00000008" / "model.safetensors")
    b = load_file(ddp / "checkpoints" / "step-00000008" / "model.safetensors")
    # Same rows, same masks, same updates; only the order of float additions differs (all-reduce of two
    # gradients vs accumulation of two halves), so parameters agree to float32 rounding: 1e-5 after 8 steps.
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-4, atol=1e-5, msg=k)


def test_two_process_ddp_run_resumes_to_identical_parameters(packed, tmp_path):
    """A DDP run that lost its last checkpoint (as a kill after step 4 would) resumes from step 4 on both
    ranks and ends where the uninterrupted run ended, bit for bit."""
    env = os.environ | {"OMP_NUM_THREADS": "1", "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    out = tmp_path / "ddp"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2", "-m", "trainer.cli",
           *COMMON, "--set", "train.checkpoint_every=4", "--data", str(packed), "--out", str(out)]
    first = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr[-3000:]
    last = out / "checkpoints" / "step-00000008"
    straight = load_file(last / "model.safetensors")
    straight_opt = torch.load(last / "optimizer.pt", weights_only=True)["optimizer"]
    shutil.rmtree(last)  # the run is "killed" after its step-4 checkpoint

    again = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "resumed from" in again.stdout and "step-00000004" in again.stdout
    resumed = load_file(last / "model.safetensors")
    assert straight.keys() == resumed.keys()
    assert all(torch.equal(straight[k], resumed[k]) for k in straight)
    opt = torch.load(last / "optimizer.pt", weights_only=True)["optimizer"]
    assert all(torch.equal(straight_opt["state"][i]["exp_avg"], opt["state"][i]["exp_avg"]) for i in opt["state"])
    steps = [line for line in (out / "metrics.jsonl").read_text().splitlines() if '"train"' in line]
    assert len(steps) == len(set(steps))
