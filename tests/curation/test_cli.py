import subprocess
import sys
from pathlib import Path

import yaml

from curation.cli import main


def _curate(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "curation.cli", *args], capture_output=True, text=True, cwd=cwd)


def test_user_errors_are_one_line_without_traceback(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: t\nstages:\n  - stage: nosuch\n")
    for args in (["run", str(tmp_path / "missing.yaml")], ["run", str(bad)], ["report", str(tmp_path)],
                 ["inspect", str(tmp_path / "nope"), "extract"]):
        r = _curate(*args)
        assert r.returncode == 2, args
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), (args, r.stderr)
        assert "Traceback" not in r.stderr


def test_run_report_and_inspect(article_warcs: Path, tmp_path: Path, capsys):
    p = tmp_path / "p.yaml"
    p.write_text(yaml.safe_dump({"name": "t", "stages": [
        {"stage": "warc_read", "inputs": [str(article_warcs / "*.warc.gz")]}, {"stage": "extract"}]}))
    run = tmp_path / "run"
    assert main(["run", str(p), "--run-dir", str(run), "--workers", "1", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "02-extract" in out and "kept" in out
    assert main(["report", str(run), "--json"]) == 0
    assert '"stages"' in capsys.readouterr().out
    assert main(["inspect", str(run), "extract", "--reason", "too_short", "-n", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("02-extract: 2 of 3 rejected (too_short) records") and "drop_reason: too_short" in out
    assert main(["inspect", str(run), "2", "--reason", "nope"]) == 0
    assert "reasons present: not_html, too_short" in capsys.readouterr().out


def test_stages_lists_registered_stages(capsys):
    assert main(["stages"]) == 0
    out = capsys.readouterr().out
    assert "warc_read" in out and "extract" in out


def test_stages_are_found_by_name_folder_number_or_unique_part(tmp_path: Path):
    import pytest

    from curation.errors import UserError
    from curation.inspect import find_stage

    for name in ("01-extract", "02-exact_dedup", "03-minhash_dedup"):
        (tmp_path / name).mkdir()
    assert find_stage(tmp_path, "extract").name == "01-extract"
    assert find_stage(tmp_path, "2").name == "02-exact_dedup"
    assert find_stage(tmp_path, "minhash").name == "03-minhash_dedup"
    assert find_stage(tmp_path, "dedup", pick_last=True).name == "03-minhash_dedup"
    with pytest.raises(UserError, match="stage 'dedup' is ambiguous: 02-exact_dedup, 03-minhash_dedup"):
        find_stage(tmp_path, "dedup")
