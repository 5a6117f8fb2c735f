"""Run directories and inputs on object storage: an S3-compatible server (moto) on 127.0.0.1."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pytest
import s3fs
import yaml

from curation.config import parse_pipeline
from curation.errors import UserError
from curation.report import build_report
from curation.runner import Runner, RunOptions
from curation.sample import generate
from curation.shards import (
    atomic_path,
    iter_batches,
    list_shards,
    read_json,
    read_table,
    write_json,
    write_table,
)
from curation.stage import expand_inputs
from curation.storage import as_path, glob_files, is_remote, local_copy, publish_dir, staging_dir
from curation.testing import article_html, make_stage, write_warc


def _fs() -> s3fs.S3FileSystem:
    return s3fs.S3FileSystem(skip_instance_cache=True)


def test_local_locations_stay_plain_paths(tmp_path: Path):
    assert type(as_path(str(tmp_path))) is type(tmp_path)
    assert as_path(f"file://{tmp_path}") == tmp_path
    assert not is_remote(tmp_path) and not is_remote(str(tmp_path))


def test_a_file_appears_only_once_complete(bucket: str):
    dest = as_path(f"{bucket}/run/stats/part-00000.json")
    with atomic_path(dest) as tmp:
        tmp.write_text("{}")
        assert not dest.exists()  # written locally, not yet published
    assert dest.read_text() == "{}"
    assert not tmp.exists()

    failed = as_path(f"{bucket}/run/stats/part-00001.json")
    with pytest.raises(RuntimeError), atomic_path(failed) as tmp:
        tmp.write_text("{half")
        raise RuntimeError("killed")
    assert not failed.exists() and not tmp.exists()


def test_shards_and_json_round_trip(bucket: str):
    stage = as_path(f"{bucket}/run/01-x")
    table = pa.table({"id": list(range(2500)), "text": [f"doc {i}" for i in range(2500)]})
    write_table(stage / "part-00001.arrow", table)
    write_table(stage / "part-00000.arrow", table.slice(0, 10))
    write_json(stage / "stats" / "part-00000.json", {"a": [1, 2]})
    assert list_shards(stage) == ["part-00000", "part-00001"]
    assert read_table(stage / "part-00001.arrow").equals(table)
    assert [t.num_rows for t in iter_batches(stage / "part-00001.arrow", 1000)] == [1000, 1000, 500]
    assert read_json(stage / "stats" / "part-00000.json") == {"a": [1, 2]}


def test_input_globs_on_object_storage(bucket: str):
    fs = _fs()
    for name in ("b.zst", "a.zst", "notes.txt", "sub/c.zst"):
        fs.pipe(f"{bucket[5:]}/dumps/{name}", b"x")
    assert glob_files(f"{bucket}/dumps/*.zst") == [f"{bucket}/dumps/a.zst", f"{bucket}/dumps/b.zst"]
    assert glob_files(f"{bucket}/dumps/**/*.zst")[-1] == f"{bucket}/dumps/sub/c.zst"
    assert glob_files(f"{bucket}/dumps/a.zst") == [f"{bucket}/dumps/a.zst"]
    with pytest.raises(UserError, match=r"01-harvest.inputs: no file matches 's3://.*/dumps/\*.gz'"):
        expand_inputs([f"{bucket}/dumps/*.gz"], "01-harvest.inputs")
    with local_copy(as_path(f"{bucket}/dumps/a.zst")) as local:
        assert local.read_bytes() == b"x"
    assert not local.exists()


def test_publish_dir_replaces_the_whole_folder(bucket: str):
    dest = as_path(f"{bucket}/run/tokenizer")
    for files in ({"old.json": "1", "tokenizer.json": "old"}, {"tokenizer.json": "new"}):
        with staging_dir(dest) as tmp:
            for name, text in files.items():
                (tmp / name).write_text(text)
            publish_dir(tmp, dest)
    assert sorted(p.name for p in dest.iterdir()) == ["tokenizer.json"]
    assert (dest / "tokenizer.json").read_text() == "new"


def test_unfinished_tasks_from_one_listing(bucket: str):
    run = as_path(f"{bucket}/run")
    for key in ("part-00000", "part-00001", "part-00003"):
        write_table(run / "01-in" / f"{key}.arrow", pa.table({"text": ["a b c"]}))
    stage = make_stage("exact_dedup", run, run / "01-in", "02-exact_dedup")
    write_json(run / "02-exact_dedup" / "_work" / "hash" / "part-00001.done", {})
    write_json(run / "02-exact_dedup" / "stats" / "part-00003.json", {})
    keys = stage.task_keys("hash")
    assert stage.unfinished("hash", keys) == ["part-00000", "part-00003"]
    assert stage.unfinished(stage.phases()[-1], keys) == ["part-00000", "part-00001"]
    assert [stage.task_done("hash", k) for k in keys] == [False, True, False]


@pytest.fixture(scope="module")
def mini_web(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("mini-web")
    generate(data, scale=0.1)
    return data


def _pipeline(data: str) -> dict:
    """Every kind of stage: a source, a multi-phase join, a map, both dedups, tokenizer and packing."""
    return {"name": "s3", "stages": [
        {"stage": "harvest", "inputs": [f"{data}/reddit/RS_*.zst"], "partitions": 3, "max_malformed_fraction": 0.05},
        {"stage": "warc_join", "warcs": [f"{data}/warc/*.warc.gz"]},
        {"stage": "extract"},
        {"stage": "exact_dedup"},
        {"stage": "minhash_dedup"},
        {"stage": "tokenizer", "vocab_size": 600},
        {"stage": "pack", "seq_len": 64},
    ]}


def _outputs(root: Path) -> dict[str, bytes]:
    """Every data file of a run (shards, work files, tokenizer, packed rows, token counts) by relative path."""
    skip = ("stats", "errors", "timing.json", "report.json", "data_card.md", "funnel.png", "fingerprint.json")
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_file() and not rel.endswith(".done") and not any(s in rel.split("/") or rel.endswith(s) for s in skip):
            out[rel] = p.read_bytes()
    return out


def _download(url: str, dest: Path) -> Path:
    _fs().get(url[5:] + "/", str(dest) + "/", recursive=True)
    return dest


def test_pipeline_on_object_storage_matches_a_local_run(mini_web: Path, bucket: str, tmp_path: Path):
    _fs().put(str(mini_web) + "/", f"{bucket[5:]}/mini-web/", recursive=True)
    raw = _pipeline(f"{bucket}/mini-web")
    remote = f"{bucket}/runs/demo"
    Runner(parse_pipeline(raw), remote).run(RunOptions(workers=2, progress=False))
    Runner(parse_pipeline(raw), tmp_path / "local").run(RunOptions(workers=1, progress=False))

    local, on_s3 = _outputs(tmp_path / "local"), _outputs(_download(remote, tmp_path / "downloaded"))
    assert "packed/manifest.json" in local and "tokenizer/tokenizer.json" in local
    assert any(k.startswith("07-pack/tokens/") for k in local)  # the token funnel was counted
    assert sorted(on_s3) == sorted(local)
    assert [k for k in local if local[k] != on_s3[k]] == []
    assert not _fs().glob(f"{bucket[5:]}/**/.tmp-*")

    report = build_report(remote)
    assert report["stages"][-1]["out"]["records"] > 0
    local_report = build_report(tmp_path / "local")
    assert [(s["in"], s["out"], s["drops"]) for s in report["stages"]] == [
        (s["in"], s["out"], s["drops"]) for s in local_report["stages"]]
    # a second run finds every stage complete and writes nothing new
    before = {p: info["LastModified"] for p, info in _fs().find(remote[5:], detail=True).items()
              if "/stats/" in p}
    Runner(parse_pipeline(raw), remote).run(RunOptions(workers=2, progress=False))
    after = {p: info["LastModified"] for p, info in _fs().find(remote[5:], detail=True).items() if "/stats/" in p}
    assert after == before


def test_killed_run_on_object_storage_resumes(bucket: str, tmp_path: Path):
    html = [("Content-Type", "text/html")]
    for f in range(8):
        pages = [(f"http://s{f}.example/{i}", 200, html, article_html(f * 100 + i, 6).encode()) for i in range(40)]
        write_warc(tmp_path / "warc" / f"c{f}.warc.gz", pages)
    _fs().put(str(tmp_path / "warc") + "/", f"{bucket[5:]}/warc/", recursive=True)
    raw = {"name": "t", "stages": [{"stage": "warc_read", "inputs": [f"{bucket}/warc/*.warc.gz"]},
                                   {"stage": "extract"}]}
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text(yaml.safe_dump(raw))
    cmd = [sys.executable, "-m", "curation.cli", "run", str(pipeline), "--workers", "1", "--no-progress"]
    killed = f"{bucket}/killed"
    proc = subprocess.Popen([*cmd, "--run-dir", killed], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True, env=os.environ.copy())
    stats = f"{killed[5:]}/02-extract/stats/"
    deadline = time.time() + 120
    while time.time() < deadline and len(_fs().glob(stats + "*.json")) < 2 and proc.poll() is None:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    n_done = len(_fs().glob(stats + "*.json"))
    assert 2 <= n_done < 8, f"kill landed at the wrong time ({n_done} shards done)"

    subprocess.run([*cmd, "--run-dir", killed], check=True, capture_output=True)
    subprocess.run([*cmd, "--run-dir", str(tmp_path / "straight")], check=True, capture_output=True)
    resumed = _download(killed, tmp_path / "resumed")
    shards = {p.relative_to(resumed).as_posix(): p.read_bytes() for p in sorted(resumed.rglob("*.arrow"))}
    straight = tmp_path / "straight"
    assert shards == {p.relative_to(straight).as_posix(): p.read_bytes() for p in sorted(straight.rglob("*.arrow"))}
    assert len(shards) >= 16


def test_cli_reports_a_run_on_object_storage(bucket: str, tmp_path: Path, article_warcs: Path):
    _fs().put(str(article_warcs) + "/", f"{bucket[5:]}/warc/", recursive=True)
    raw = {"name": "t", "stages": [{"stage": "warc_read", "inputs": [f"{bucket}/warc/*.warc.gz"]},
                                   {"stage": "extract"}]}
    Runner(parse_pipeline(raw), f"{bucket}/r").run(RunOptions(workers=1, progress=False))
    out = subprocess.run([sys.executable, "-m", "curation.cli", "report", f"{bucket}/r"], capture_output=True,
                         text=True, check=True).stdout
    assert "02-extract" in out
    out = subprocess.run([sys.executable, "-m", "curation.cli", "inspect", f"{bucket}/r", "extract", "-n", "1"],
                         capture_output=True, text=True, check=True).stdout
    assert "http://site" in out
    bad = subprocess.run([sys.executable, "-m", "curation.cli", "report", f"{bucket}/nothing"], capture_output=True,
                         text=True)
    assert bad.returncode == 2 and "no such run directory" in bad.stderr and "Traceback" not in bad.stderr


def test_storage_errors_are_one_line(bucket: str, tmp_path: Path, article_warcs: Path):
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text(yaml.safe_dump({"name": "t", "stages": [
        {"stage": "warc_read", "inputs": [str(article_warcs / "*.warc.gz")]}]}))
    cmd = [sys.executable, "-m", "curation.cli", "run", str(pipeline), "--workers", "1", "--no-progress", "--run-dir"]
    missing = subprocess.run([*cmd, "s3://no-such-bucket-here/run"], capture_output=True, text=True)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert "s3://no-such-bucket-here/run/config.yaml: cannot write" in missing.stderr
    assert "bucket exists" in missing.stderr
    env = dict(os.environ, AWS_ENDPOINT_URL="http://127.0.0.1:9", AWS_MAX_ATTEMPTS="1")
    down = subprocess.run([*cmd, f"{bucket}/run"], capture_output=True, text=True, env=env)
    assert down.returncode == 1 and "Traceback" not in down.stderr
    assert down.stderr.startswith("error: object storage: EndpointConnectionError") and "AWS_ENDPOINT_URL" in down.stderr
