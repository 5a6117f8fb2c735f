"""One training loop for every objective: AdamW, warmup + cosine, clipping, accumulation, bf16 autocast on GPU,
validation, checkpoints with exact resume, and a guard against non-finite steps."""

import functools
import json
import math
import shutil
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import numpy as np
import torch
import yaml
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from trainer import checkpoint as ckpt
from trainer.config import OptimConfig, RunConfig, resolve_for_data
from trainer.data import Manifest, PackedSplit, global_batch_rows
from trainer.distributed import DistInfo, all_reduce_sum, barrier, pick_device
from trainer.errors import ConfigError
from trainer.flops import flops_per_token, peak_flops
from trainer.metrics import MetricsLog
from trainer.models import build_model, count_parameters
from trainer.objectives import Objective, build_objective

EVAL_STREAM = 2**31 - 1  # seeds validation masks apart from any training step
_print_now = functools.partial(print, flush=True)  # progress shows up at once even when stdout is a pipe
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "merges.txt")


class TrainingDiverged(RuntimeError):
    """Non-finite steps persisted and there was no checkpoint to roll back to."""


def metric_keys(cfg: RunConfig) -> tuple[str, ...]:
    """Scalars every forward returns for this model/objective; "loss" is the one optimised."""
    family = cfg.model.family
    if family in ("bert", "albert"):
        return ("loss", "mlm_loss") + (("sop_loss", "sop_accuracy") if cfg.objective.sop else ())
    if family == "electra":
        return ("loss", "generator_loss", "rtd_loss", "rtd_accuracy", "replaced_fraction")
    return ("loss",)


def perplexity_key(cfg: RunConfig) -> str:
    """The language-modelling loss that perplexity is the exponential of."""
    return {"bert": "mlm_loss", "albert": "mlm_loss", "electra": "generator_loss"}.get(cfg.model.family, "loss")


def lr_at(step: int, cfg: OptimConfig, max_steps: int) -> float:
    """Linear warmup to cfg.lr, then cosine decay to lr * min_lr_ratio at decay_steps, then flat."""
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    decay_steps = cfg.decay_steps or max_steps
    min_lr = cfg.lr * cfg.min_lr_ratio
    if decay_steps <= cfg.warmup_steps:
        return cfg.lr
    progress = min(1.0, (step - cfg.warmup_steps) / (decay_steps - cfg.warmup_steps))
    return min_lr + 0.5 * (1.0 + math.cos(math.pi * progress)) * (cfg.lr - min_lr)


def make_optimizer(model: nn.Module, cfg: OptimConfig, device: torch.device) -> torch.optim.AdamW:
    """AdamW; weight decay on matrices and embeddings only (ndim >= 2), not on biases and norm gains."""
    params = [p for p in model.parameters() if p.requires_grad]  # .parameters() yields tied weights once
    groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": cfg.weight_decay},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
    fused = device.type == "cuda"  # one kernel for the whole update on GPU; foreach (also deterministic) on CPU
    return torch.optim.AdamW(groups, lr=cfg.lr, betas=(cfg.beta1, cfg.beta2), eps=cfg.eps, fused=fused)


def autocast_for(device: torch.device, precision: str) -> Callable[[], AbstractContextManager]:
    if precision == "bf16" or (precision == "auto" and device.type == "cuda"):
        return lambda: torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    return nullcontext


@torch.no_grad()
def evaluate(model: nn.Module, rows: PackedSplit, objective: Objective, cfg: RunConfig, dist: DistInfo,
             max_batches: int | None, autocast: Callable[[], AbstractContextManager] = nullcontext) -> dict:
    """Mean metrics over validation micro-batches (the same rows and masks every time); batches are dealt to
    ranks round-robin and the sums all-reduced. Global RNG state is left untouched (exact resume)."""
    keys = metric_keys(cfg)
    b = cfg.train.micro_batch_size
    n_batches = math.ceil(len(rows) / b)
    mine = list(range(dist.rank, n_batches, dist.world_size))[: max_batches or None]
    sums = torch.zeros(len(keys) + 1, dtype=torch.float64, device=dist.device)  # last slot: batch count
    was_training = model.training
    model.eval()
    devices = [dist.device] if dist.device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        for j in mine:
            batch = objective(rows.rows(np.arange(j * b, min((j + 1) * b, len(rows)))),
                              np.random.default_rng([cfg.train.seed, EVAL_STREAM, j]))
            with autocast():
                out = model(**{k: v.to(dist.device) for k, v in batch.items()})
            sums += torch.tensor([float(out[k]) for k in keys] + [1.0], dtype=torch.float64, device=dist.device)
    model.train(was_training)
    all_reduce_sum(sums)
    n = max(float(sums[-1]), 1.0)
    result = {k: float(s) / n for k, s in zip(keys, sums[:-1], strict=True)}
    result["perplexity"] = math.exp(min(result[perplexity_key(cfg)], 50.0))
    result["batches"] = int(sums[-1])
    return result


class Trainer:
    def __init__(self, cfg: RunConfig, data_dir: str | Path, out_dir: str | Path, dist: DistInfo | None = None,
                 log: Callable[[str], None] = _print_now):
        self.dist = dist or DistInfo(0, 1, pick_device(cfg.train.device))
        self.manifest = Manifest.load(data_dir)
        self.cfg = cfg = resolve_for_data(cfg, self.manifest)
        self.out_dir, self.ckpt_root = Path(out_dir), Path(out_dir) / "checkpoints"
        self.log = log if self.dist.is_main else (lambda _: None)
        self.train_rows = PackedSplit(self.manifest, "train")
        self.val_rows = PackedSplit(self.manifest, "validation") if "validation" in self.manifest.splits else None
        self.objective = build_objective(cfg.objective, self.manifest)
        t = cfg.train
        self.device = self.dist.device
        self.autocast = autocast_for(self.device, t.precision)
        if self.device.type == "cuda":
            torch.backends.cuda.matmul.allow_tf32 = True
            torch.backends.cudnn.allow_tf32 = True
        torch.manual_seed(t.seed)  # same initial weights on every rank
        self.model = build_model(cfg.model).to(self.device)
        self.optimizer = make_optimizer(self.model, cfg.optim, self.device)
        self.step = 0
        self.bad_in_a_row = 0
        self.last_val: dict = {}
        if self.dist.is_main:
            self.out_dir.mkdir(parents=True, exist_ok=True)
        barrier()
        self.metrics = MetricsLog(self.out_dir, t.tensorboard, enabled=self.dist.is_main)
        self._resume()
        self.net: nn.Module = self.model
        if self.dist.world_size > 1:
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.net = DistributedDataParallel(self.model, device_ids=ids)
        if t.compile:
            self.net = torch.compile(self.net)
        self.global_batch = t.micro_batch_size * t.grad_accum * self.dist.world_size
        self.flops_per_token = flops_per_token(self.model, self.manifest.seq_len)
        self.peak_flops = peak_flops(self.device, t.peak_flops)

    # ---- state -------------------------------------------------------------------------------------------
    def _resume(self) -> None:
        if self.dist.is_main:
            ckpt.remove_partial(self.ckpt_root)
        barrier()
        latest = ckpt.latest_checkpoint(self.ckpt_root)
        if latest is None:
            return
        state = ckpt.read_state(latest)
        if state.get("fingerprint") != self.cfg.fingerprint():
            raise ConfigError(f"{self.out_dir} holds a run trained with a different config (model, objective, "
                              f"optim, batch or seed): resume with the same config, or pass a new --out")
        ckpt.load_weights(latest, self.model)
        ckpt.load_training_state(latest, self.optimizer)
        self.step = int(state["step"])
        self.last_val = state.get("validation", {})
        self.metrics.truncate_after(self.step)
        self.log(f"resumed from {latest} (step {self.step})")

    def save(self) -> Path | None:
        path = None
        if self.dist.is_main:
            state = {"fingerprint": self.cfg.fingerprint(), "config": self.cfg.model_dump(mode="json"),
                     "tokens_seen": self.step * self.global_batch * self.manifest.seq_len,
                     "tokenizer_sha256": self.manifest.tokenizer_sha256, "validation": self.last_val}
            path = ckpt.save_checkpoint(self.ckpt_root, self.step, self.model, self.optimizer, state,
                                        self.cfg.train.keep_checkpoints)
        barrier()
        return path

    def _prepare_out_dir(self) -> None:
        """The run folder explains itself: resolved config, the data's manifest, and the tokenizer."""
        if not self.dist.is_main:
            return
        (self.out_dir / "config.yaml").write_text(
            yaml.safe_dump(self.cfg.model_dump(mode="json"), sort_keys=False))
        shutil.copy(self.manifest.root / "manifest.json", self.out_dir / "manifest.json")
        tok_out = self.out_dir / "tokenizer"
        tok_out.mkdir(exist_ok=True)
        for name in TOKENIZER_FILES:
            if (self.manifest.tokenizer_dir / name).is_file():
                shutil.copy(self.manifest.tokenizer_dir / name, tok_out / name)

    # ---- one optimizer step ------------------------------------------------------------------------------
    def step_rows(self, step: int) -> np.ndarray:
        """This rank's rows for `step`, (grad_accum, micro_batch_size): the global batch cut into
        world_size x grad_accum micro-batches, rank r taking the r-th group."""
        t = self.cfg.train
        rows = global_batch_rows(len(self.train_rows), t.seed, step, self.global_batch)
        return rows.reshape(self.dist.world_size, t.grad_accum, t.micro_batch_size)[self.dist.rank]

    def forward_backward(self, batch: dict[str, torch.Tensor], sync: bool) -> dict[str, torch.Tensor]:
        ctx = self.net.no_sync() if (not sync and isinstance(self.net, DistributedDataParallel)) else nullcontext()
        with ctx:
            with self.autocast():
                out = self.net(**batch)
            (out["loss"] / self.cfg.train.grad_accum).backward()
        return out

    def train_step(self) -> dict[str, float]:
        t, step = self.cfg.train, self.step
        lr = lr_at(step, self.cfg.optim, t.max_steps)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        keys = metric_keys(self.cfg)
        sums = torch.zeros(len(keys), dtype=torch.float32, device=self.device)
        self.model.train()
        for m, indices in enumerate(self.step_rows(step)):
            rng = np.random.default_rng([t.seed, step, self.dist.rank * t.grad_accum + m])
            batch = self.objective(self.train_rows.rows(indices), rng)
            batch = {k: v.to(self.device, non_blocking=True) for k, v in batch.items()}
            out = self.forward_backward(batch, sync=m == t.grad_accum - 1)
            sums += torch.stack([out[k].detach().float() for k in keys])
        stats = all_reduce_sum(sums) / (t.grad_accum * self.dist.world_size)
        grad_norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.cfg.optim.grad_clip or float("inf"))
        finite = bool(torch.isfinite(stats).all()) and bool(torch.isfinite(grad_norm))
        if finite:
            self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.step += 1
        result = {k: float(v) for k, v in zip(keys, stats, strict=True)}
        result |= {"lr": lr, "grad_norm": float(grad_norm), "skipped": int(not finite)}
        if finite:
            self.bad_in_a_row = 0
        else:
            self._on_bad_step(step, result)
        return result

    def _on_bad_step(self, step: int, result: dict) -> None:
        """Skip the update, record which rows (and documents) the step read; after nan_patience bad steps in a
        row, restore the last checkpoint's weights and optimizer state and carry on after the bad batches."""
        self.bad_in_a_row += 1
        if self.dist.is_main:
            rows = global_batch_rows(len(self.train_rows), self.cfg.train.seed, step, self.global_batch)
            record = {"step": step, "loss": result["loss"], "grad_norm": result["grad_norm"],
                      "row_ids": self.train_rows.rows(rows).row_ids.tolist(),
                      "doc_ids": self.train_rows.doc_ids(rows)}
            with open(self.out_dir / "bad_steps.jsonl", "a") as f:
                f.write(json.dumps(record) + "\n")
            self.log(f"step {step}: non-finite loss/gradient, update skipped "
                     f"({self.bad_in_a_row}/{self.cfg.train.nan_patience}); rows in bad_steps.jsonl")
        if self.bad_in_a_row < self.cfg.train.nan_patience:
            return
        latest = ckpt.latest_checkpoint(self.ckpt_root)
        if latest is None:
            raise TrainingDiverged(f"{self.bad_in_a_row} non-finite steps in a row before the first checkpoint: "
                                   f"lower optim.lr or raise optim.warmup_steps (rows in "
                                   f"{self.out_dir / 'bad_steps.jsonl'})")
        ckpt.load_weights(latest, self.model)
        ckpt.load_training_state(latest, self.optimizer, restore_rng=False)
        self.bad_in_a_row = 0
        self.log(f"rolled back to {latest.name}; continuing at step {self.step} (bad batches skipped)")
        self.metrics.log(self.step, "event", {"rollback_to": int(latest.name.split("-")[1])})

    # ---- the loop ----------------------------------------------------------------------------------------
    def evaluate(self, max_batches: int | None = None) -> dict:
        if self.val_rows is None:
            return {}
        return evaluate(self.model, self.val_rows, self.objective, self.cfg, self.dist,
                        max_batches or self.cfg.train.eval_batches, self.autocast)

    def fit(self) -> dict:
        t = self.cfg.train
        self._prepare_out_dir()
        tokens_per_step = self.global_batch * self.manifest.seq_len
        self.log(f"{self.cfg.model.family}: {count_parameters(self.model) / 1e6:.2f}M parameters | "
                 f"{len(self.train_rows)} train rows x {self.manifest.seq_len} tokens | global batch "
                 f"{self.global_batch} rows ({tokens_per_step} tokens) | {self.dist.world_size} process(es) on "
                 f"{self.device.type} | steps {self.step} -> {t.max_steps}")
        while self.step < t.max_steps:
            t0 = time.perf_counter()
            m = self.train_step()
            if self.device.type == "cuda":
                torch.cuda.synchronize()
            dt = time.perf_counter() - t0
            m["tokens_per_s"] = tokens_per_step / dt
            if self.peak_flops:
                m["mfu"] = self.flops_per_token * m["tokens_per_s"] / (self.peak_flops * self.dist.world_size)
            if self.step % t.log_every == 0 or self.step == 1:
                self.metrics.log(self.step, "train", m)
                mfu = f" | mfu {m['mfu']:.1%}" if "mfu" in m else ""
                self.log(f"step {self.step}/{t.max_steps} | loss {m['loss']:.4f} | lr {m['lr']:.2e} | grad "
                         f"{m['grad_norm']:.2f} | {m['tokens_per_s'] / 1e3:.1f}k tok/s | {dt * 1e3:.0f} ms{mfu}")
            if self.step % t.eval_every == 0 or self.step == t.max_steps:
                self.last_val = self.evaluate()
                if self.last_val:
                    self.metrics.log(self.step, "validation", self.last_val)
                    self.log(f"step {self.step}: validation loss {self.last_val['loss']:.4f} | perplexity "
                             f"{self.last_val['perplexity']:.2f}")
                    if self.dist.is_main:
                        self.metrics.plot()
            if self.step % t.checkpoint_every == 0 or self.step == t.max_steps:
                self.save()
        self.metrics.close()
        return self.last_val
