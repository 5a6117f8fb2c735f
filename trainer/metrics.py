"""Metrics to metrics.jsonl (one JSON object per line), TensorBoard, and a loss-curve PNG; rank 0 only."""

import json
import math
from pathlib import Path


class MetricsLog:
    def __init__(self, out_dir: Path, tensorboard: bool, enabled: bool = True):
        self.path = out_dir / "metrics.jsonl"
        self.png = out_dir / "loss_curve.png"
        self.enabled = enabled
        self._tb = None
        if enabled and tensorboard:
            from torch.utils.tensorboard import SummaryWriter  # imports tensorboard: only when asked for

            self._tb = SummaryWriter(str(out_dir / "tensorboard"))

    def truncate_after(self, step: int) -> None:
        """On resume, drop records the killed run wrote after its last checkpoint (they will be redone)."""
        if not self.enabled or not self.path.is_file():
            return
        kept = [line for line in self.path.read_text().splitlines() if line and json.loads(line)["step"] <= step]
        self.path.write_text("".join(line + "\n" for line in kept))

    def log(self, step: int, split: str, values: dict[str, float]) -> None:
        if not self.enabled:
            return
        with open(self.path, "a") as f:
            f.write(json.dumps({"step": step, "split": split} | values) + "\n")
        if self._tb is not None:
            for k, v in values.items():
                if isinstance(v, int | float) and math.isfinite(v):
                    self._tb.add_scalar(f"{split}/{k}", v, step)
            self._tb.flush()

    def read(self) -> list[dict]:
        if not self.path.is_file():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines() if line]

    def plot(self) -> None:
        """Train loss (and its moving average) and validation loss against the step."""
        if not self.enabled:
            return
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        records = self.read()
        train = [(r["step"], r["loss"]) for r in records if r["split"] == "train" and math.isfinite(r["loss"])]
        val = [(r["step"], r["loss"]) for r in records if r["split"] == "validation"]
        fig, ax = plt.subplots(figsize=(7, 4))
        if train:
            ax.plot(*zip(*train, strict=True), alpha=0.35, label="train")
            k = max(1, len(train) // 20)
            smooth = [sum(v for _, v in train[max(0, i - k + 1): i + 1]) / len(train[max(0, i - k + 1): i + 1])
                      for i in range(len(train))]
            ax.plot([s for s, _ in train], smooth, label=f"train (mean of {k})")
        if val:
            ax.plot(*zip(*val, strict=True), "o-", label="validation")
        ax.set_xlabel("optimizer step")
        ax.set_ylabel("loss")
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        tmp = self.png.with_suffix(".tmp.png")
        fig.savefig(tmp, dpi=100)
        plt.close(fig)
        tmp.replace(self.png)

    def close(self) -> None:
        if self._tb is not None:
            self._tb.close()
