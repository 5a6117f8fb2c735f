"""The run config: YAML -> typed, validated sections. Errors name the key path (`optim.lr: ...`)."""

import hashlib
import json
import math
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, ValidationError, model_validator

from trainer.data import Manifest
from trainer.errors import ConfigError
from trainer.models import ModelConfig
from trainer.objectives import FAMILY_OBJECTIVE, ObjectiveConfig
from trainer.section import Section


class OptimConfig(Section):
    lr: float = Field(6e-4, gt=0)
    """Peak learning rate, reached after warmup (GPT-2 small: 6e-4)."""
    min_lr_ratio: float = Field(0.1, ge=0, le=1)
    """Cosine decay ends at lr * min_lr_ratio (Chinchilla: 10x below peak)."""
    warmup_steps: int = Field(100, ge=0)
    """Linear warmup from 0 to lr over this many optimizer steps."""
    decay_steps: int | None = Field(None, gt=0)
    """Steps of cosine decay after which lr stays at the minimum; None: train.max_steps."""
    weight_decay: float = Field(0.1, ge=0)
    """AdamW decay on weight matrices and embeddings (ndim >= 2); biases and norm gains are not decayed."""
    beta1: float = Field(0.9, ge=0, lt=1)
    beta2: float = Field(0.95, ge=0, lt=1)
    eps: float = Field(1e-8, gt=0)
    grad_clip: float | None = Field(1.0, gt=0)
    """Clip the global gradient norm to this; None: no clipping (the norm is still logged)."""


class TrainConfig(Section):
    max_steps: int = Field(1000, gt=0)
    """Optimizer steps to train for."""
    micro_batch_size: int = Field(8, gt=0)
    """Rows per forward pass on one process."""
    grad_accum: int = Field(1, gt=0)
    """Micro-batches accumulated per optimizer step; global batch = micro_batch_size * grad_accum * world size."""
    seed: int = 1337
    """Seeds initialisation, data order and the objectives' masking."""
    eval_every: int = Field(100, gt=0)
    eval_batches: int = Field(20, gt=0)
    """Validation micro-batches per evaluation and process (fixed masks, so evaluations are comparable)."""
    checkpoint_every: int = Field(500, gt=0)
    keep_checkpoints: int = Field(2, gt=0)
    """Older checkpoints are deleted once a newer one is complete."""
    log_every: int = Field(10, gt=0)
    precision: Literal["auto", "fp32", "bf16"] = "auto"
    """auto: bf16 autocast on CUDA (weights and optimizer stay fp32), fp32 on CPU."""
    compile: bool = False
    """torch.compile the model (faster on GPU after a compile pause; breaks bitwise exact resume guarantees)."""
    nan_patience: int = Field(3, gt=0)
    """A non-finite loss or gradient skips the step; after this many bad steps in a row, roll back to the last
    checkpoint and carry on past the offending batches."""
    tensorboard: bool = True
    """Write TensorBoard events next to metrics.jsonl."""
    device: Literal["auto", "cpu", "cuda"] = "auto"
    peak_flops: float | None = Field(None, gt=0)
    """Accelerator peak FLOP/s for MFU; None: looked up for known GPUs (H100/A100 bf16 dense), MFU off on CPU."""


class RunConfig(Section):
    model: ModelConfig
    objective: ObjectiveConfig
    optim: OptimConfig = OptimConfig()
    train: TrainConfig = TrainConfig()

    @model_validator(mode="after")
    def _objective_fits_model(self) -> "RunConfig":
        family, name = self.model.family, self.objective.name
        if FAMILY_OBJECTIVE[family] != name:
            raise ValueError(f"objective.name {name!r} does not train a {family} model; use "
                             f"{FAMILY_OBJECTIVE[family]!r}")
        if getattr(self.objective, "sop", False) and not getattr(self.model, "sop_head", False):
            raise ValueError("objective.sop needs model.sop_head: true")
        return self

    def fingerprint(self) -> str:
        """Hash of what must not change when a run resumes (everything but lengths and logging cadence)."""
        data = self.model_dump(mode="json")
        for key in ("max_steps", "eval_every", "eval_batches", "checkpoint_every", "keep_checkpoints", "log_every",
                    "tensorboard", "device", "compile", "peak_flops"):
            data["train"].pop(key)
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


_UNION_TAGS = set(FAMILY_OBJECTIVE) | set(FAMILY_OBJECTIVE.values())


def _format_errors(source: str, err: ValidationError) -> str:
    parts = []
    for e in err.errors():
        # Discriminated unions put the tag in the path (model.gpt2.n_layer): drop it.
        loc = ".".join(str(x) for x in e["loc"] if x not in _UNION_TAGS)
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown key (a typo?)"
        elif "input" in e and not isinstance(e["input"], dict | list) and e["type"] != "missing":
            msg += f" (got {e['input']!r})"
        parts.append(f"{loc}: {msg}" if loc else msg)
    return f"{source}: " + "; ".join(parts)


def parse_config(data: dict, source: str = "config") -> RunConfig:
    try:
        return RunConfig.model_validate(data)
    except ValidationError as e:
        raise ConfigError(_format_errors(source, e)) from None


def load_config(path: str | Path, overrides: list[str] | None = None) -> RunConfig:
    """Read a YAML config, apply `key.path=value` overrides (values parsed as YAML), validate."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found (bundled ones are in trainer/configs/)")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML ({e})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with model/objective/optim/train sections")
    for item in overrides or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"--set {item!r}: expected key.path=value, e.g. train.max_steps=200")
        node = data
        *parents, leaf = key.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = yaml.safe_load(value)
    return parse_config(data, str(path))


def resolve_for_data(cfg: RunConfig, manifest: Manifest) -> RunConfig:
    """Fill model.vocab_size from the manifest and check the data fits the model."""
    model = cfg.model
    where = manifest.root / "manifest.json"
    if model.vocab_size is None:
        multiple = model.pad_vocab_multiple
        model = model.model_copy(update={"vocab_size": math.ceil(manifest.vocab_size / multiple) * multiple})
    elif manifest.vocab_size > model.vocab_size:
        raise ConfigError(f"{where}: vocab_size {manifest.vocab_size} is larger than model.vocab_size "
                          f"{model.vocab_size}: raise model.vocab_size or set it to null (= from the manifest)")
    context = getattr(model, "n_positions", None) or getattr(model, "max_positions", None)
    if context is not None and manifest.seq_len > context:
        field = "n_positions" if model.family == "gpt2" else "max_positions"
        raise ConfigError(f"{where}: seq_len {manifest.seq_len} is larger than the model's context "
                          f"(model.{field} = {context}): raise model.{field} or re-pack with a shorter seq_len")
    return cfg.model_copy(update={"model": model})
