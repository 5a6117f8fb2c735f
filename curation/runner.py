"""Run a pipeline into its run directory: one numbered folder per stage, resumable, fingerprinted.

A stage folder holds ``fingerprint.json`` (the stage's type, config and upstream fingerprint, plus
its input listing for source stages). A rerun with the same fingerprint resumes, skipping finished
tasks; a different one is refused unless the user asks to redo the stage with ``--force``, which also
redoes every later stage (their input changes with it).
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from tqdm import tqdm

from curation.config import PipelineConfig, StageSpec
from curation.errors import UserError
from curation.executors import make_executor
from curation.executors.base import Executor
from curation.registry import get_stage_class
from curation.shards import read_json, remove_tmp_files, write_json
from curation.stage import Stage, StageContext
from curation.storage import as_path, make_dirs, rmtree


def stage_folder(index: int, spec: StageSpec) -> str:
    return f"{index + 1:02d}-{spec.label}"


def resolve_stage(cfg: PipelineConfig, name: str, flag: str) -> int:
    """Index of a stage given as its name (`extract`), folder (`03-extract`) or number (`3`)."""
    for i, spec in enumerate(cfg.stages):
        if name in (spec.label, stage_folder(i, spec), str(i + 1), f"{i + 1:02d}"):
            return i
    names = ", ".join(s.label for s in cfg.stages)
    raise UserError(f"{flag} {name}: no such stage in pipeline {cfg.name!r}; stages: {names}")


def _fingerprint(spec: StageSpec, upstream: str | None, inputs: Any) -> dict[str, Any]:
    body = {"stage": spec.type, "config": spec.config.model_dump(mode="json"), "upstream": upstream,
            "inputs": inputs}
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    return {"fingerprint": digest, **body}


def _same_outputs(old: dict, new: dict, run_only: frozenset[str]) -> bool:
    """Whether two fingerprints differ only in settings that change how a stage runs, not what it
    writes (``StageConfig.run_only``), including such a setting that the older version did not have."""
    def what(fp: dict) -> dict:
        return {"stage": fp.get("stage"), "upstream": fp.get("upstream"), "inputs": fp.get("inputs"),
                "config": {k: v for k, v in fp.get("config", {}).items() if k not in run_only}}

    return what(old) == what(new)


def _config_diff(old: dict, new: dict) -> str:
    changes = []
    for k in sorted(set(old.get("config", {})) | set(new["config"])):
        a, b = old.get("config", {}).get(k), new["config"].get(k)
        if a != b:
            changes.append(f"{k}: {a!r} -> {b!r}")
    if old.get("stage") != new["stage"]:
        changes.append(f"stage type: {old.get('stage')} -> {new['stage']}")
    if old.get("inputs") != new["inputs"]:
        changes.append("its input files changed")
    if old.get("upstream") != new["upstream"] and not changes:
        changes.append("an earlier stage was redone")
    return "; ".join(changes[:4]) or "fingerprint changed"


@dataclass
class RunOptions:
    workers: int | None = None
    force: str | None = None  # stage name to redo from, or "all"
    from_stage: str | None = None
    until_stage: str | None = None
    progress: bool = True
    executor: str | None = None  # overrides the pipeline's executor.type


class Runner:
    def __init__(self, cfg: PipelineConfig, run_dir: str | Path | None = None, config_path: Path | None = None):
        self.cfg = cfg
        self.run_dir = as_path(run_dir or cfg.run_dir)
        self.config_path = config_path

    def build(self, index: int) -> Stage:
        spec = self.cfg.stages[index]
        folder = self.run_dir / stage_folder(index, spec)
        prev = self.run_dir / stage_folder(index - 1, self.cfg.stages[index - 1]) if index else None
        ctx = StageContext(self.run_dir, folder, prev, stage_folder(index, spec), self.config_path)
        return get_stage_class(spec.type)(spec.config, ctx)

    def is_complete(self, stage: Stage) -> bool:
        d = stage.ctx.stage_dir
        if not (d / "fingerprint.json").exists():
            return False
        last = stage.phases()[-1]
        return not stage.unfinished(last, stage.task_keys(last))

    def run(self, opts: RunOptions) -> None:
        n = len(self.cfg.stages)
        first = resolve_stage(self.cfg, opts.from_stage, "--from") if opts.from_stage else 0
        last = resolve_stage(self.cfg, opts.until_stage, "--until") if opts.until_stage else n - 1
        if first > last:
            raise UserError(f"--from {opts.from_stage} comes after --until {opts.until_stage}")
        force_from = None
        if opts.force == "all":
            force_from = first
        elif opts.force:
            force_from = resolve_stage(self.cfg, opts.force, "--force")
        make_dirs(self.run_dir)
        _write_yaml(self.run_dir / "config.yaml", self.cfg.resolved())

        executor = make_executor(self.cfg.executor, opts.workers, opts.executor)
        upstream: str | None = None
        try:
            for i in range(n):
                stage = self.build(i)
                if i < first:
                    if not self.is_complete(stage):
                        raise UserError(f"--from {opts.from_stage}: earlier stage {stage.ctx.label} is not "
                                        "complete; run it first (drop --from)")
                    upstream = read_json(stage.ctx.stage_dir / "fingerprint.json")["fingerprint"]
                    continue
                if i > last:
                    break
                forced = force_from is not None and i >= force_from
                upstream = self._run_stage(self.cfg.stages[i], stage, upstream, forced, executor, opts)
            if (self.run_dir / "tokenizer" / "tokenizer.json").exists():
                # The funnel in tokens: every stage's kept and rejected text, counted with the run's
                # own tokenizer (cached per shard by tokenizer hash, so a rerun counts nothing again).
                from curation.tokens.funnel import count_run_tokens

                count_run_tokens(self.run_dir, executor.workers)
        finally:
            executor.close()
        from curation.report import write_run_report

        write_run_report(self.run_dir)

    def _run_stage(self, spec: StageSpec, stage: Stage, upstream: str | None, forced: bool, executor: Executor,
                   opts: RunOptions) -> str:
        d = stage.ctx.stage_dir
        fp = _fingerprint(spec, upstream, stage.input_fingerprint())
        fp_path = d / "fingerprint.json"
        if d.exists() and fp_path.exists() and not forced:
            old = read_json(fp_path)
            if old["fingerprint"] != fp["fingerprint"]:
                if not _same_outputs(old, fp, type(spec.config).run_only):
                    raise UserError(
                        f"stage {stage.ctx.label} was run with a different setup ({_config_diff(old, fp)}); "
                        f"redo it and every later stage with `--force {spec.label}`, "
                        "or use another --run-dir")
                fp = old  # the stage keeps its recorded identity, which later stages name as their upstream
        if forced:
            rmtree(d)
        make_dirs(d)
        remove_tmp_files(d)
        write_json(fp_path, fp)

        stage_start = time.perf_counter()

        def bar(phase: str, total: int, done: int) -> _Progress:
            desc = stage.ctx.label if len(stage.phases()) == 1 else f"{stage.ctx.label} [{phase}]"
            return _Progress(desc, total, done, opts.progress)

        ran_tasks = run_phases(stage, executor, bar)
        timing_path = d / "timing.json"
        timing = read_json(timing_path) if timing_path.exists() else {"wall_seconds": 0.0, "runs": 0}
        if ran_tasks or not timing["runs"]:
            timing["wall_seconds"] = round(timing["wall_seconds"] + time.perf_counter() - stage_start, 3)
            timing["runs"] += 1
            timing["workers"] = executor.workers
        write_json(timing_path, timing)
        if not opts.progress:  # a log line per stage where there is no progress bar (CI, pipes)
            print(f"{stage.ctx.label}: {ran_tasks} task(s) run, {timing['wall_seconds']:.1f}s", file=sys.stderr)
        return fp["fingerprint"]


def run_phases(stage: Stage, executor: Executor | None = None,
               progress: Callable[[str, int, int], _Progress] | None = None) -> int:
    """Prepare the stage, run every phase's unfinished tasks, finalize; returns the tasks run.

    The one loop behind ``curate run`` (which adds fingerprints, timing and the report around it), also
    used to drive a single stage in tests and benchmarks. Without an executor, tasks run in this process.
    ``progress(phase, total, done)`` makes a progress bar per phase.
    """
    stage.prepare()
    ran = 0
    for phase in stage.phases():
        keys = stage.task_keys(phase)
        todo = stage.unfinished(phase, keys)
        ran += len(todo)
        bar = progress(phase, len(keys), len(keys) - len(todo)) if progress else None
        on_done = bar.update if bar else _ignore
        try:
            if executor is None:
                for key in todo:
                    on_done(stage.run_task(phase, key))
            else:
                executor.run(stage, phase, todo, on_done)
        finally:
            if bar:
                bar.close()
    stage.finalize()
    return ran


def _ignore(summary: dict[str, Any]) -> None:
    pass


class _Progress:
    """A tqdm bar per stage phase: shards done, records handled and their rate, ETA."""

    def __init__(self, desc: str, total: int, done: int, enabled: bool):
        self.bar = tqdm(total=total, initial=done, desc=desc, unit="shard", disable=not enabled,
                        file=sys.stderr, dynamic_ncols=True, leave=True)
        self.records = 0
        self.start = time.perf_counter()

    def update(self, summary: dict[str, Any]) -> None:
        self.records += summary.get("records", 0)
        rate = self.records / max(time.perf_counter() - self.start, 1e-9)
        self.bar.set_postfix_str(f"{self.records:,} records, {rate:,.0f} rec/s", refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


def _write_yaml(path: Path, obj: Any) -> None:
    from curation.shards import atomic_path

    with atomic_path(path) as tmp:
        tmp.write_text(yaml.safe_dump(obj, sort_keys=False, allow_unicode=True), encoding="utf-8")
