"""The offline demo: generate the mini-web sample, run pipelines/demo.yaml, train a tiny model."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from curation.errors import UserError

DEMO_DATA = Path("data/mini-web")
DEMO_PIPELINE = Path("pipelines/demo.yaml")
DEMO_TRAIN_CONFIG = Path("trainer/configs/gpt-tiny.yaml")


def _ensure_sample(scale: float) -> None:
    import json

    from curation.sample import generate

    manifest = DEMO_DATA / "manifest.json"
    if manifest.exists():
        meta = json.loads(manifest.read_text(encoding="utf-8"))
        if meta.get("scale") == scale:
            return
        shutil.rmtree(DEMO_DATA)
    print(f"generating the mini-web sample (scale {scale}) into {DEMO_DATA}/ ...", file=sys.stderr)
    generate(DEMO_DATA, scale=scale)


def run_demo(run_dir: str, workers: int | None, scale: float, progress: bool, train: bool = True) -> None:
    from curation.config import load_pipeline
    from curation.report import build_report, format_report
    from curation.runner import Runner, RunOptions

    if not DEMO_PIPELINE.exists():
        raise UserError(f"{DEMO_PIPELINE}: not found; run `curate demo` from the repository root")
    _ensure_sample(scale)
    cfg = load_pipeline(DEMO_PIPELINE)
    runner = Runner(cfg, run_dir, DEMO_PIPELINE)
    runner.run(RunOptions(workers=workers, progress=progress))
    print(format_report(build_report(runner.run_dir)))
    print(f"\ndata card: {runner.run_dir / 'data_card.md'}")
    packed = runner.run_dir / "packed"
    if not train:
        return
    if not (packed / "manifest.json").exists():
        print("no packed/ shards in this pipeline yet: skipping training", file=sys.stderr)
        return
    out = runner.run_dir / "model"
    cmd = [sys.executable, "-m", "trainer.cli", "train", str(DEMO_TRAIN_CONFIG), "--data", str(packed),
           "--out", str(out)]
    print("$ " + " ".join(cmd[2:]), file=sys.stderr)
    subprocess.run(cmd, check=True)
    subprocess.run([sys.executable, "-m", "trainer.cli", "sample", str(out), "--prompt", "The", "--max-new-tokens",
                    "60"], check=True)
