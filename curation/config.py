"""Pipeline YAML -> typed, validated config objects, with errors that name the key path."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from curation.errors import UserError
from curation.registry import get_stage_class
from curation.stage import StageConfig


class ExecutorConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["local", "ray"] = Field("local", description="Where shards run: this machine, or a Ray cluster.")
    workers: int | None = Field(None, ge=1, description="Parallel shard workers; default: the core count.")
    address: str | None = Field(None, description="Ray cluster address (`auto`, `ray://host:10001`).")


class PipelineHeader(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(..., pattern=r"^[A-Za-z0-9_.-]+$", description="Run name; default run dir runs/<name>.")
    description: str = ""
    run_dir: str | None = Field(None, description="Where the run lives; default runs/<name>.")
    executor: ExecutorConfig = ExecutorConfig()
    stages: list[dict[str, Any]] = Field(..., min_length=1)


@dataclass(frozen=True)
class StageSpec:
    type: str  # registry name
    label: str  # user-facing name: `name:` in the YAML, else the type
    config: StageConfig


@dataclass(frozen=True)
class PipelineConfig:
    name: str
    description: str
    run_dir: str
    executor: ExecutorConfig
    stages: tuple[StageSpec, ...]

    def resolved(self) -> dict[str, Any]:
        """Every default filled in: what the run directory stores as config.yaml."""
        return {
            "name": self.name,
            "description": self.description,
            "run_dir": self.run_dir,
            "executor": self.executor.model_dump(),
            "stages": [{"stage": s.type, "name": s.label, **s.config.model_dump(mode="json")} for s in self.stages],
        }


_MESSAGES = {
    "greater_than_equal": "must be >= {ge}",
    "greater_than": "must be > {gt}",
    "less_than_equal": "must be <= {le}",
    "less_than": "must be < {lt}",
    "missing": "required key is missing",
}


def _loc(prefix: str, loc: tuple) -> str:
    out = prefix
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def format_validation_error(err: ValidationError, prefix: str, model: type[BaseModel] | None = None) -> str:
    """The first problem, as ``stages[3].min_karma: must be >= 0`` (plus a count of the others)."""
    problems = []
    for e in err.errors():
        loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        ctx = e.get("ctx") or {}
        if e["type"] == "extra_forbidden":
            valid = ", ".join(sorted(model.model_fields)) if model is not None else ""
            msg = "unknown key" + (f"; valid keys: {valid}" if valid else "")
        elif e["type"] in _MESSAGES:
            msg = _MESSAGES[e["type"]].format(**ctx)
        else:
            msg = e["msg"][0].lower() + e["msg"][1:]
            if "input" in e and e["type"].endswith("_type") or e["type"].endswith("_parsing"):
                msg += f" (got {e['input']!r})"
        problems.append(f"{_loc(prefix, loc)}: {msg}")
    more = f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})" if len(problems) > 1 else ""
    return problems[0] + more


def parse_pipeline(raw: Any, source: str = "<config>") -> PipelineConfig:
    if not isinstance(raw, dict):
        raise UserError(f"{source}: expected a mapping with `name` and `stages`, got {type(raw).__name__}")
    try:
        header = PipelineHeader.model_validate(raw)
    except ValidationError as e:
        raise UserError(f"{source}: {format_validation_error(e, '', PipelineHeader)}") from None
    specs: list[StageSpec] = []
    labels: set[str] = set()
    for i, entry in enumerate(header.stages):
        where = f"stages[{i}]"
        if "stage" not in entry:
            raise UserError(f"{source}: {where}.stage: required key is missing (the stage type, e.g. `stage: extract`)")
        params = dict(entry)
        stype = params.pop("stage")
        label = params.pop("name", None) or stype
        cls = get_stage_class(str(stype), f"{source}: {where}.stage")
        try:
            cfg = cls.Config.model_validate(params)
        except ValidationError as e:
            raise UserError(f"{source}: {format_validation_error(e, where, cls.Config)}") from None
        if label in labels:
            raise UserError(f"{source}: {where}.name: stage name {label!r} is used twice; give one a `name:`")
        labels.add(label)
        specs.append(StageSpec(stype, label, cfg))
    return PipelineConfig(
        name=header.name,
        description=header.description,
        run_dir=header.run_dir or os.path.join("runs", header.name),
        executor=header.executor,
        stages=tuple(specs),
    )


def load_pipeline(path: str | os.PathLike) -> PipelineConfig:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{path}: pipeline file not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(f"{path}: cannot read the pipeline file ({e})") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise UserError(f"{where}: malformed YAML: {problem}") from None
    return parse_pipeline(raw, str(path))
