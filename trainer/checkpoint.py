"""Atomic checkpoints: weights in safetensors, optimizer and RNG state through torch.load(weights_only=True)
(tensors and plain containers only: loading never executes pickled code), the rest as JSON.

    checkpoints/step-00000500/  model.safetensors  optimizer.pt  state.json
A checkpoint is written to a temporary folder and renamed into place, so a folder named step-N is complete.
"""

import json
import os
import re
import shutil
from pathlib import Path

import torch
from safetensors.torch import load_model, save_model
from torch import nn

from trainer.errors import ConfigError

STEP_DIR = re.compile(r"^step-(\d{8})$")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def list_checkpoints(ckpt_root: Path) -> list[Path]:
    """Complete checkpoints, oldest first."""
    if not ckpt_root.is_dir():
        return []
    return sorted(p for p in ckpt_root.iterdir() if p.is_dir() and STEP_DIR.match(p.name))


def latest_checkpoint(ckpt_root: Path) -> Path | None:
    found = list_checkpoints(ckpt_root)
    return found[-1] if found else None


def rng_state() -> dict[str, torch.Tensor | list[torch.Tensor]]:
    state: dict[str, torch.Tensor | list[torch.Tensor]] = {"cpu": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["cpu"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(ckpt_root: Path, step: int, model: nn.Module, optimizer: torch.optim.Optimizer,
                    state: dict, keep: int) -> Path:
    """Write step-N atomically, then delete all but the newest `keep` checkpoints."""
    ckpt_root.mkdir(parents=True, exist_ok=True)
    final = ckpt_root / f"step-{step:08d}"
    tmp = ckpt_root / f".tmp-step-{step:08d}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    save_model(model, str(tmp / "model.safetensors"))  # tied weights are stored once
    torch.save({"optimizer": optimizer.state_dict(), "rng": rng_state()}, tmp / "optimizer.pt")
    (tmp / "state.json").write_text(json.dumps(state | {"step": step}, indent=2))
    for f in tmp.iterdir():
        _fsync(f)
    if final.exists():  # a rerun reaching the same step (after a rollback): replace it
        shutil.rmtree(final)
    os.rename(tmp, final)
    _fsync(ckpt_root)
    for old in list_checkpoints(ckpt_root)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def remove_partial(ckpt_root: Path) -> None:
    """Delete temporary folders left by a process killed while writing."""
    if ckpt_root.is_dir():
        for p in ckpt_root.glob(".tmp-step-*"):
            shutil.rmtree(p, ignore_errors=True)


def read_state(ckpt: Path) -> dict:
    path = ckpt / "state.json"
    if not path.is_file():
        raise ConfigError(f"{ckpt}: not a checkpoint (no state.json): pass a run folder or a "
                          f"checkpoints/step-N folder")
    return json.loads(path.read_text())


def load_weights(ckpt: Path, model: nn.Module) -> None:
    missing, unexpected = load_model(model, str(ckpt / "model.safetensors"), strict=False)
    if missing or unexpected:
        raise ConfigError(f"{ckpt}/model.safetensors does not match the model in its state.json (missing: "
                          f"{sorted(missing)[:3]}, unexpected: {sorted(unexpected)[:3]})")


def load_training_state(ckpt: Path, optimizer: torch.optim.Optimizer, restore_rng: bool = True) -> None:
    blob = torch.load(ckpt / "optimizer.pt", map_location="cpu", weights_only=True)
    optimizer.load_state_dict(blob["optimizer"])
    if restore_rng:
        set_rng_state(blob["rng"])


def resolve_checkpoint(path: str | Path) -> Path:
    """A step-N folder as is; a run folder (or its checkpoints/) -> its newest checkpoint."""
    path = Path(path)
    if (path / "state.json").is_file():
        return path
    for root in (path / "checkpoints", path):
        found = latest_checkpoint(root)
        if found is not None:
            return found
    raise ConfigError(f"{path}: no checkpoint found (expected a run folder with checkpoints/step-N/ or a step-N "
                      f"folder): train first, or check the path")


def load_trained_model(path: str | Path) -> tuple[nn.Module, "RunConfig", Path]:  # noqa: F821
    """(model in eval mode, its run config, the run folder) from a run folder or a step-N folder."""
    from trainer.config import RunConfig
    from trainer.models import build_model

    step_dir = resolve_checkpoint(path)
    cfg = RunConfig.model_validate(read_state(step_dir)["config"])
    model = build_model(cfg.model)
    load_weights(step_dir, model)
    return model.eval(), cfg, step_dir.parent.parent
