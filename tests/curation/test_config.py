from pathlib import Path

import pytest

from curation.config import load_pipeline, parse_pipeline
from curation.errors import UserError

BASE = {"name": "t", "stages": [{"stage": "warc_read", "inputs": ["x/*.warc.gz"]}, {"stage": "extract"}]}


def _err(raw) -> str:
    with pytest.raises(UserError) as e:
        parse_pipeline(raw, "p.yaml")
    return str(e.value)


def test_defaults_are_filled_in_the_resolved_config():
    cfg = parse_pipeline(BASE)
    resolved = cfg.resolved()
    assert resolved["run_dir"] == "runs/t"
    assert resolved["stages"][1]["min_chars"] == 200
    assert resolved["stages"][1]["mode"] == "precision"
    assert resolved["executor"]["type"] == "local"


def test_out_of_range_value_names_the_key_path():
    raw = {**BASE, "stages": [BASE["stages"][0], {"stage": "extract", "min_chars": -1}]}
    assert _err(raw) == "p.yaml: stages[1].min_chars: must be >= 0"


def test_wrong_type_names_the_key_and_value():
    raw = {**BASE, "stages": [BASE["stages"][0], {"stage": "extract", "timeout_seconds": "soon"}]}
    msg = _err(raw)
    assert msg.startswith("p.yaml: stages[1].timeout_seconds: ") and "'soon'" in msg


def test_unknown_key_lists_the_valid_ones():
    raw = {**BASE, "stages": [BASE["stages"][0], {"stage": "extract", "min_charz": 5}]}
    msg = _err(raw)
    assert msg.startswith("p.yaml: stages[1].min_charz: unknown key; valid keys: ") and "min_chars" in msg


def test_unknown_stage_lists_available_stages():
    msg = _err({**BASE, "stages": [{"stage": "extrct"}]})
    assert "stages[0].stage: unknown stage 'extrct'; available: " in msg and "extract" in msg


def test_unknown_top_level_key_and_missing_stages():
    assert "colour: unknown key" in _err({**BASE, "colour": "blue"})
    assert _err({"name": "t"}) == "p.yaml: stages: required key is missing"


def test_duplicate_stage_names_are_refused():
    raw = {**BASE, "stages": [BASE["stages"][0], {"stage": "extract"}, {"stage": "extract"}]}
    assert "stages[2].name: stage name 'extract' is used twice" in _err(raw)


def test_malformed_yaml_names_file_line_and_column(tmp_path: Path):
    p = tmp_path / "bad.yaml"
    p.write_text("name: t\nstages:\n  - stage: extract\n   min_chars: [1\n")
    with pytest.raises(UserError) as e:
        load_pipeline(p)
    assert str(e.value).startswith(f"{p}:4:") and "malformed YAML" in str(e.value)


def test_missing_pipeline_file(tmp_path: Path):
    with pytest.raises(UserError, match="pipeline file not found"):
        load_pipeline(tmp_path / "nope.yaml")


def test_checked_in_pipelines_validate():
    for path in sorted(Path(__file__).parents[2].joinpath("pipelines").glob("*.yaml")):
        load_pipeline(path)


def test_negative_karma_threshold_is_refused():
    raw = {"name": "t", "stages": [{"stage": "harvest", "inputs": ["x.zst"], "min_karma": -1}]}
    assert _err(raw) == "p.yaml: stages[0].min_karma: must be >= 0"
