"""The Ray executor on a local Ray instance: same bytes as the local executor, and resume after a kill."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from curation.config import parse_pipeline
from curation.runner import Runner, RunOptions
from curation.testing import article_html, write_warc

pytest.importorskip("ray")


def _pipeline(warc_dir: Path) -> dict:
    return {"name": "t", "stages": [{"stage": "warc_read", "inputs": [str(warc_dir / "*.warc.gz")]},
                                    {"stage": "extract"}, {"stage": "exact_dedup"}]}


def _shard_bytes(run_dir: Path) -> dict[str, bytes]:
    return {str(p.relative_to(run_dir)): p.read_bytes() for p in sorted(run_dir.rglob("*.arrow"))
            if "_work" not in p.parts}


def test_ray_output_is_byte_identical_to_local(article_warcs: Path, tmp_path: Path):
    raw = _pipeline(article_warcs)
    Runner(parse_pipeline(raw), tmp_path / "local").run(RunOptions(workers=1, progress=False))
    Runner(parse_pipeline(raw), tmp_path / "ray").run(RunOptions(workers=2, progress=False, executor="ray"))
    local, ray_out = _shard_bytes(tmp_path / "local"), _shard_bytes(tmp_path / "ray")
    assert len(local) >= 9 and local == ray_out


def test_killed_ray_run_resumes(tmp_path: Path):
    html = [("Content-Type", "text/html")]
    for f in range(6):
        pages = [(f"http://s{f}.example/{i}", 200, html, article_html(f * 100 + i, 6).encode()) for i in range(40)]
        write_warc(tmp_path / "warc" / f"c{f}.warc.gz", pages)
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text(yaml.safe_dump(_pipeline(tmp_path / "warc")))
    cmd = [sys.executable, "-m", "curation.cli", "run", str(pipeline), "--workers", "1", "--no-progress"]
    killed = tmp_path / "killed"
    proc = subprocess.Popen([*cmd, "--executor", "ray", "--run-dir", str(killed)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    stats = killed / "02-extract" / "stats"
    deadline = time.time() + 120
    while time.time() < deadline and len(list(stats.glob("*.json"))) < 1:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert len(list(stats.glob("*.json"))) < 6, "the run finished before it could be killed"
    subprocess.run([*cmd, "--executor", "ray", "--run-dir", str(killed)], check=True, capture_output=True)
    subprocess.run([*cmd, "--run-dir", str(tmp_path / "local")], check=True, capture_output=True)
    assert _shard_bytes(killed) == _shard_bytes(tmp_path / "local")


def test_ray_on_object_storage(article_warcs: Path, bucket: str, tmp_path: Path):
    """Workers that share no disk: inputs and the run directory on S3 (moto on 127.0.0.1)."""
    import s3fs

    fs = s3fs.S3FileSystem(skip_instance_cache=True)
    fs.put(str(article_warcs) + "/", f"{bucket[5:]}/warc/", recursive=True)
    raw = _pipeline(article_warcs)
    raw["stages"][0]["inputs"] = [f"{bucket}/warc/*.warc.gz"]
    Runner(parse_pipeline(raw), f"{bucket}/ray").run(RunOptions(workers=2, progress=False, executor="ray"))
    Runner(parse_pipeline(raw), tmp_path / "local").run(RunOptions(workers=1, progress=False))
    fs.get(f"{bucket[5:]}/ray/", str(tmp_path / "ray") + "/", recursive=True)
    local, ray_out = _shard_bytes(tmp_path / "local"), _shard_bytes(tmp_path / "ray")
    assert len(local) >= 9 and local == ray_out


@pytest.mark.slow
def test_demo_pipeline_on_ray_and_object_storage_matches_local(bucket: str, tmp_path: Path):
    """pipelines/demo.yaml end to end (harvest to packed rows) on Ray workers over S3, against the
    local executor on a local folder: the same data files, byte for byte."""
    import s3fs

    from curation.sample import generate

    generate(tmp_path / "mini-web", scale=0.1)
    fs = s3fs.S3FileSystem(skip_instance_cache=True)
    fs.put(str(tmp_path / "mini-web") + "/", f"{bucket[5:]}/mini-web/", recursive=True)
    raw = yaml.safe_load(Path("pipelines/demo.yaml").read_text())
    raw["stages"][0]["inputs"] = [f"{bucket}/mini-web/reddit/RS_*.zst"]
    raw["stages"][1]["warcs"] = [f"{bucket}/mini-web/warc/*.warc.gz"]
    Runner(parse_pipeline(raw), f"{bucket}/ray").run(RunOptions(workers=2, progress=False, executor="ray"))
    Runner(parse_pipeline(raw), tmp_path / "local").run(RunOptions(workers=1, progress=False))
    fs.get(f"{bucket[5:]}/ray/", str(tmp_path / "ray") + "/", recursive=True)

    def data(root: Path) -> dict[str, bytes]:
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
                if p.is_file() and (p.suffix in (".arrow", ".npy") or p.parent.name in ("tokenizer", "packed", "tokens"))}

    local, ray_out = data(tmp_path / "local"), data(tmp_path / "ray")
    assert "packed/manifest.json" in local and len(local) > 100
    assert sorted(ray_out) == sorted(local) and [k for k in local if local[k] != ray_out[k]] == []
