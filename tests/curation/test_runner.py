import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from curation.config import parse_pipeline
from curation.errors import UserError
from curation.report import build_report
from curation.runner import Runner, RunOptions
from curation.testing import article_html, write_warc


def _pipeline(warc_dir: Path, **extract) -> dict:
    return {"name": "t", "stages": [{"stage": "warc_read", "inputs": [str(warc_dir / "*.warc.gz")]},
                                    {"stage": "extract", **extract}]}


def _run(raw: dict, run_dir: Path, **opts) -> Runner:
    runner = Runner(parse_pipeline(raw), run_dir)
    runner.run(RunOptions(progress=False, **opts))
    return runner


def _shard_bytes(run_dir: Path) -> dict[str, bytes]:
    return {str(p.relative_to(run_dir)): p.read_bytes() for p in sorted(run_dir.rglob("*.arrow"))}


def test_same_output_bytes_for_any_worker_count(article_warcs: Path, tmp_path: Path):
    raw = _pipeline(article_warcs)
    _run(raw, tmp_path / "w1", workers=1)
    _run(raw, tmp_path / "w2", workers=2)
    one, two = _shard_bytes(tmp_path / "w1"), _shard_bytes(tmp_path / "w2")
    assert one.keys() == two.keys() and len(one) >= 6
    assert one == two


def test_report_numbers_add_up(article_warcs: Path, tmp_path: Path):
    _run(_pipeline(article_warcs), tmp_path / "r", workers=1)
    report = build_report(tmp_path / "r")
    for s in report["stages"]:
        dropped = sum(m["records"] for m in s["drops"].values())
        assert s["in"]["records"] == s["out"]["records"] + dropped, s["stage"]
        dropped_bytes = sum(m["bytes"] for m in s["drops"].values())
        assert s["in"]["bytes"] == s["out"]["bytes"] + dropped_bytes + s["changed_bytes"], s["stage"]
    read, extract = report["stages"]
    assert read["in"]["records"] == 24 and read["drops"]["http_status"]["records"] == 3
    assert extract["drops"]["not_html"]["records"] == 3  # the PDFs
    assert extract["drops"]["too_short"]["records"] == 3
    assert extract["in"]["records"] == read["out"]["records"]
    assert (tmp_path / "r" / "data_card.md").read_text().startswith("---\n")
    assert (tmp_path / "r" / "funnel.png").stat().st_size > 1000


def test_rerun_skips_finished_shards(article_warcs: Path, tmp_path: Path):
    runner = _run(_pipeline(article_warcs), tmp_path / "r", workers=1)
    stats = runner.run_dir / "02-extract" / "stats" / "part-00001.json"
    before = stats.stat().st_mtime_ns
    (runner.run_dir / "02-extract" / "stats" / "part-00002.json").unlink()  # as if killed on shard 2
    _run(_pipeline(article_warcs), tmp_path / "r", workers=1)
    assert stats.stat().st_mtime_ns == before
    assert (runner.run_dir / "02-extract" / "stats" / "part-00002.json").exists()


def test_changed_config_is_refused_then_forced(article_warcs: Path, tmp_path: Path):
    _run(_pipeline(article_warcs), tmp_path / "r", workers=1)
    changed = _pipeline(article_warcs, min_chars=5)
    with pytest.raises(UserError) as e:
        _run(changed, tmp_path / "r", workers=1)
    msg = str(e.value)
    assert "stage 02-extract was run with a different setup (min_chars: 200 -> 5)" in msg
    assert "--force extract" in msg
    _run(changed, tmp_path / "r", workers=1, force="extract")
    report = build_report(tmp_path / "r")
    assert "too_short" not in report["stages"][1]["drops"]


def test_from_and_until(article_warcs: Path, tmp_path: Path):
    raw = _pipeline(article_warcs)
    with pytest.raises(UserError, match="earlier stage 01-warc_read is not complete"):
        _run(raw, tmp_path / "r", workers=1, from_stage="extract")
    _run(raw, tmp_path / "r", workers=1, until_stage="warc_read")
    assert not (tmp_path / "r" / "02-extract").exists()
    _run(raw, tmp_path / "r", workers=1, from_stage="2")
    assert (tmp_path / "r" / "02-extract" / "stats").exists()
    with pytest.raises(UserError, match="--from nope: no such stage in pipeline 't'; stages: warc_read, extract"):
        _run(raw, tmp_path / "r", from_stage="nope")


def test_missing_input_names_the_pattern(tmp_path: Path):
    with pytest.raises(UserError, match=r"01-warc_read.inputs: no file matches '.*nothing/\*.warc.gz'"):
        _run(_pipeline(tmp_path / "nothing"), tmp_path / "r", workers=1)
    assert not list((tmp_path / "r").rglob("*.arrow"))


def test_resume_after_kill_9_equals_an_uninterrupted_run(tmp_path: Path):
    html = [("Content-Type", "text/html")]
    for f in range(8):
        pages = [(f"http://s{f}.example/{i}", 200, html, article_html(f * 100 + i, 6).encode()) for i in range(40)]
        write_warc(tmp_path / "warc" / f"c{f}.warc.gz", pages)
    raw = _pipeline(tmp_path / "warc")
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text(yaml.safe_dump(raw))
    cmd = [sys.executable, "-m", "curation.cli", "run", str(pipeline), "--workers", "1", "--no-progress"]

    killed = tmp_path / "killed"
    proc = subprocess.Popen([*cmd, "--run-dir", str(killed)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    stats = killed / "02-extract" / "stats"
    deadline = time.time() + 120
    while time.time() < deadline and len(list(stats.glob("*.json"))) < 2:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    n_done = len(list(stats.glob("*.json")))
    assert 2 <= n_done < 8, f"kill landed at the wrong time ({n_done} shards done)"

    subprocess.run([*cmd, "--run-dir", str(killed)], check=True, capture_output=True)
    subprocess.run([*cmd, "--run-dir", str(tmp_path / "straight")], check=True, capture_output=True)
    assert _shard_bytes(killed) == _shard_bytes(tmp_path / "straight")
    assert not list(killed.rglob(".tmp-*"))
