"""The one stage contract. The runner, executors, resume, funnel stats and the rejected-records
writer are written once, here, around it.

A stage is a list of *phases*, each a list of independent *tasks* named by a key (``part-00003``).
A task writes its outputs atomically and a done marker last, so any executor can run the tasks of a
phase in any order, on any worker, and a killed run resumes by skipping tasks that are done. The last
phase writes the stage's shards: ``part-i.arrow`` (kept), ``rejected/part-i.arrow`` (dropped, with
``drop_reason`` and ``drop_signal``) and ``stats/part-i.json`` (written last: its presence means the
shard is done).

Most stages need less than that:
- ``MapStage``: input shard *i* -> output shard *i*; write ``process(table) -> Outcome``.
- ``FilterStage``: a map stage that computes signal columns and a drop reason per record.
- ``SourceStage``: reads files named in the config (dumps, WARCs); input file *i* -> shard *i*.
Global stages (dedup, tokenizer training, packing) add phases before the last one.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field

from curation.errors import ShardError, UserError
from curation.measure import Measure, measure
from curation.shards import ShardWriter, iter_batches, list_shards, read_json, shard_schema, write_json
from curation.storage import file_size, glob_files, is_remote, make_dirs

REASON = "drop_reason"
SIGNAL = "drop_signal"
MAX_NOTE_ITEMS = 20


class StageConfig(BaseModel):
    """Settings common to every stage; each stage subclasses this with its own fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    # Settings that change how a stage runs, never what it writes (a progress interval, requests in
    # flight): changing them, or a newer version adding one, resumes a run instead of refusing it.
    run_only: ClassVar[frozenset[str]] = frozenset()

    batch_size: int = Field(1000, ge=1, description="Records per batch handed to the stage.")


@dataclass
class StageContext:
    """Where a stage reads and writes inside a run directory (a ``pathlib.Path``, or a ``UPath`` for a
    run on object storage: see ``curation.storage``)."""

    run_dir: Path
    stage_dir: Path
    input_dir: Path | None  # the previous stage's folder; None for the first stage
    label: str  # folder name, e.g. "03-extract"
    config_path: Path | None = None  # the pipeline YAML, for error messages


@dataclass
class Outcome:
    """What a stage made of one batch: kept records, rejected ones (with reason and signal), and
    what went in when the stage transforms records (extraction, formatting) rather than only
    dropping them."""

    kept: pa.Table | None
    rejected: pa.Table | None = None
    input: Measure | None = None
    notes: dict[str, Any] = field(default_factory=dict)

    @staticmethod
    def split(table: pa.Table, reasons: pa.Array | list, signals: pa.Array | list | None = None,
              input: Measure | None = None, notes: dict | None = None) -> Outcome:
        """Keep rows whose reason is null; the others go to ``rejected`` with reason and signal."""
        reasons = _as_array(reasons, pa.string())
        signals = pa.nulls(len(table), pa.float64()) if signals is None else _as_array(signals, pa.float64())
        keep = pc.is_null(reasons)
        drop = pc.invert(keep)
        rejected = table.filter(drop)
        rejected = rejected.append_column(REASON, reasons.filter(drop)).append_column(SIGNAL, signals.filter(drop))
        return Outcome(table.filter(keep), rejected, input, notes or {})


def _as_array(values: pa.Array | pa.ChunkedArray | list, type_: pa.DataType) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        return values if values.type == type_ else values.cast(type_)
    return pa.array(values, type=type_)


def merge_notes(into: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Numbers add, lists concatenate (first ``MAX_NOTE_ITEMS``), dicts merge recursively."""
    for k, v in new.items():
        if isinstance(v, bool) or v is None or isinstance(v, str):
            into[k] = v
        elif isinstance(v, int | float):
            into[k] = into.get(k, 0) + v
        elif isinstance(v, list):
            into[k] = (into.get(k, []) + v)[:MAX_NOTE_ITEMS]
        elif isinstance(v, dict):
            into[k] = merge_notes(dict(into.get(k, {})), v)
        else:
            raise TypeError(f"note {k!r}: unsupported type {type(v).__name__}")
    return into


def _drops(rejected: pa.Table) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    if rejected is None or rejected.num_rows == 0:
        return out
    # Only the columns the funnel measures: filtering whole records per reason would copy them all.
    rejected = rejected.select([c for c in (REASON, "text", "html") if c in rejected.column_names])
    reasons = rejected.column(REASON)
    for reason in pc.unique(reasons).to_pylist():
        part = rejected.filter(pc.equal(reasons, reason)) if reason is not None else rejected.filter(
            pc.is_null(reasons))
        out[reason or "unknown"] = measure(part).as_dict()
    return out


class Stage:
    """Base class of every stage. Subclasses set ``name`` and ``Config`` and register themselves
    with ``@register``; the runner binds a ``StageContext`` before any task runs."""

    name: ClassVar[str]
    Config: ClassVar[type[StageConfig]] = StageConfig
    #: one-line summary shown by ``curate stages`` and in the data card
    summary: ClassVar[str] = ""

    def __init__(self, config: StageConfig, ctx: StageContext | None = None):
        self.config = config
        self.ctx = ctx
        self._listed: dict[str, set[str]] | None = None  # marker listings, while ``unfinished`` runs

    # -- what the runner calls -------------------------------------------------------------
    def phases(self) -> list[str]:
        return ["main"]

    def task_keys(self, phase: str) -> list[str]:
        raise NotImplementedError

    def _marker(self, phase: str, key: str) -> Path:
        """The file whose existence says a task is done: its stats file (last phase), else a marker."""
        if phase == self.phases()[-1]:
            return self.ctx.stage_dir / "stats" / f"{key}.json"
        return self.ctx.stage_dir / "_work" / phase / f"{key}.done"

    def task_done(self, phase: str, key: str) -> bool:
        marker = self._marker(phase, key)
        listed = self._listed.get(str(marker.parent)) if self._listed else None
        return marker.name in listed if listed is not None else marker.exists()

    def unfinished(self, phase: str, keys: list[str]) -> list[str]:
        """The keys whose task is not done. On object storage the marker folders are listed once
        instead of one request per key (thousands of shards)."""
        if is_remote(self.ctx.stage_dir):
            folder = self._marker(phase, "").parent
            self._listed = {str(folder): {p.name for p in folder.glob("*")}}
        try:
            return [k for k in keys if not self.task_done(phase, k)]
        finally:
            self._listed = None

    def run_task(self, phase: str, key: str) -> dict[str, Any]:
        """Run one task; returns a small summary for progress (``records``, ``seconds``)."""
        start = time.perf_counter()
        try:
            if phase == self.phases()[-1]:
                stats = self.write_outputs(key, self.produce(key), self.describe_input(key))
                records = stats["in"]["records"] if stats.get("in") else stats["out"]["records"]
            else:
                records = self.run_phase_task(phase, key)
                write_json(self._marker(phase, key), {"records": records, "seconds": time.perf_counter() - start})
        except (UserError, ShardError):
            raise
        except Exception as e:
            log = self.ctx.stage_dir / "errors" / f"{phase}-{key}.txt"
            make_dirs(log.parent)
            log.write_text(traceback.format_exc(), encoding="utf-8")
            raise ShardError(f"stage {self.ctx.label}, {phase} task {key} ({self.describe_input(key)}) failed: "
                             f"{type(e).__name__}: {e} (traceback in {log})") from e
        return {"records": records, "seconds": time.perf_counter() - start}

    def input_fingerprint(self) -> Any:
        """What besides the config and the upstream stage decides this stage's output."""
        return None

    def prepare(self) -> None:
        """Runs once in the driver before the first task (e.g. to record the input listing)."""

    def finalize(self) -> None:
        """Runs once in the driver after the last phase (e.g. to write a summary file)."""

    # -- what subclasses provide ------------------------------------------------------------
    def produce(self, key: str) -> Iterator[Outcome]:
        raise NotImplementedError

    def run_phase_task(self, phase: str, key: str) -> int:
        """A task of a phase before the last; returns the records it handled."""
        raise NotImplementedError

    def describe_input(self, key: str) -> str:
        return key

    def empty_schema(self) -> pa.Schema | None:
        """Schema of the kept shard when a shard ends up with no record."""
        return None

    # -- the writer of kept/rejected shards and stats ---------------------------------------
    def write_outputs(self, key: str, outcomes: Iterator[Outcome], input_desc: str, *,
                      write_kept: bool = True, counts_in: bool = True,
                      counts_out: bool = True) -> dict[str, Any]:
        """Write kept and rejected shards and then the stats file, atomically, for one task.

        ``write_kept=False`` means the stage stores kept records itself (e.g. into partitions) and
        only rejected ones and the counts are written here. Raises if records were lost: a stage
        must account for every record it was given.
        """
        d = self.ctx.stage_dir
        start = time.perf_counter()
        kept_w = ShardWriter(d / f"{key}.arrow") if write_kept else None
        rej_w = ShardWriter(d / "rejected" / f"{key}.arrow")
        m_in, m_out, changed = Measure(), Measure(), 0
        drops: dict[str, dict[str, int]] = {}
        notes: dict[str, Any] = {}
        try:
            for oc in outcomes:
                out = measure(oc.kept) if oc.kept is not None else Measure()
                rej = oc.rejected if oc.rejected is not None and oc.rejected.num_rows else None
                batch_drops = _drops(rej) if rej is not None else {}
                dropped = sum((Measure(**v) for v in batch_drops.values()), Measure())
                if oc.input is not None and oc.input.records != out.records + dropped.records:
                    raise RuntimeError(f"stage lost records: {oc.input.records} in, {out.records} kept, "
                                       f"{dropped.records} rejected")
                if oc.input is not None and (oc.input.bytes or oc.input.words):
                    m_in += oc.input
                    changed += oc.input.bytes - out.bytes - dropped.bytes
                else:
                    m_in += out + dropped
                m_out += out
                for reason, v in batch_drops.items():
                    drops[reason] = (Measure(**drops[reason]) + Measure(**v)).as_dict() if reason in drops else v
                merge_notes(notes, oc.notes)
                if kept_w is not None and oc.kept is not None:
                    kept_w.write(oc.kept)
                if rej is not None:
                    rej_w.write(rej)
            if kept_w is not None:
                # only a shard that received no table at all needs the schema worked out
                kept_w.commit(self.empty_schema() if kept_w.schema is None else None)
            if rej_w.rows:
                rej_w.commit()
        except BaseException:
            if kept_w is not None:
                kept_w.abort()
            rej_w.abort()
            raise
        stats = {
            "stage": self.ctx.label,
            "shard": key,
            "input": input_desc,
            "in": m_in.as_dict() if counts_in else None,
            "out": m_out.as_dict() if counts_out else None,
            "drops": drops,
            "changed_bytes": changed,
            "seconds": round(time.perf_counter() - start, 4),
            "notes": notes,
        }
        write_json(self._marker(self.phases()[-1], key), stats)
        return stats


class MapStage(Stage):
    """Input shard *i* of the previous stage -> output shard *i*, batch by batch.

    Set ``modifies_text = True`` in a stage that rewrites or creates ``text`` (extraction, line
    cleaning, PII masking): its input is then measured too, and the funnel shows the bytes and words
    it changed. Other stages only keep or drop records, so their input is kept + rejected and is not
    measured a second time.
    """

    modifies_text: ClassVar[bool] = False

    def task_keys(self, phase: str) -> list[str]:
        return list_shards(self.ctx.input_dir)

    def describe_input(self, key: str) -> str:
        return str(self.ctx.input_dir / f"{key}.arrow")

    def process(self, table: pa.Table) -> Outcome:
        raise NotImplementedError

    def produce(self, key: str) -> Iterator[Outcome]:
        path = self.ctx.input_dir / f"{key}.arrow"
        for table in iter_batches(path, self.config.batch_size):
            oc = self.process(table)
            if oc.input is None:
                oc.input = measure(table) if self.modifies_text else Measure(records=table.num_rows)
            yield oc

    def empty_schema(self) -> pa.Schema | None:
        shards = list_shards(self.ctx.input_dir)
        if not shards:
            return None
        schema = shard_schema(self.ctx.input_dir / f"{shards[0]}.arrow")
        kept = self.process(schema.empty_table()).kept
        return kept.schema if kept is not None else None


class FilterStage(MapStage):
    """Score first, drop later: ``signals`` adds columns, ``reasons`` decides from them alone, so a
    threshold can be re-tuned from stored signals without recomputing them (``curate report --what-if``)."""

    #: config fields that change the signals themselves (a model, a window size), not only the
    #: decision: ``--what-if`` refuses them, since stored signals cannot answer for them
    signal_settings: ClassVar[frozenset[str]] = frozenset()

    def fit(self, tables: Callable[[], Iterator[pa.Table]]) -> None:
        """For a decision that depends on every record (keep the top 30% by score): learn it from the
        stage's records with their signal columns, before ``reasons`` runs. ``tables()`` may be called
        more than once. Most filters decide record by record and need nothing here."""

    def signals(self, table: pa.Table) -> dict[str, pa.Array]:
        """Signal columns, one value per record (override this or ``analyse``)."""
        raise NotImplementedError

    def analyse(self, table: pa.Table) -> tuple[dict[str, pa.Array], dict[str, Any]]:
        """Signal columns and the stage's notes for this batch (e.g. ``{"unsegmented_script": 3}``)."""
        return self.signals(table), {}

    def reasons(self, table: pa.Table) -> tuple[pa.Array, pa.Array | None]:
        """Per record: the drop reason (null = keep) and the signal value that decided it."""
        raise NotImplementedError

    def process(self, table: pa.Table) -> Outcome:
        signals, notes = self.analyse(table)
        for name, column in signals.items():
            if name in table.column_names:
                table = table.set_column(table.column_names.index(name), name, column)
            else:
                table = table.append_column(name, column)
        reasons, signal = self.reasons(table)
        return Outcome.split(table, reasons, signal, notes=notes)


def expand_inputs(patterns: list[str], where: str) -> list[str]:
    """The files the patterns name (paths, globs or URLs), in order, each once; a pattern matching
    nothing is the user's mistake, reported with ``where`` (the config key)."""
    files: list[str] = []
    for pattern in patterns:
        matches = glob_files(pattern)
        if not matches:
            raise UserError(f"{where}: no file matches {pattern!r} "
                            "(paths are relative to the directory you run `curate` from)")
        files.extend(m for m in matches if m not in files)
    return files


def input_sizes(files: list[str]) -> list[list]:
    """``[[file, size], ...]``: what a source stage's fingerprint records of its input files."""
    return [[f, file_size(f)] for f in files]


class SourceConfig(StageConfig):
    inputs: list[str] = Field(..., min_length=1, description="Files or glob patterns to read, in order: local paths or URLs (s3://bucket/dumps/*.zst).")


class SourceStage(Stage):
    """Reads external files: input file *i* (sorted, globs expanded) -> shard *i*."""

    Config: ClassVar[type[StageConfig]] = SourceConfig

    def input_files(self) -> list[str]:
        return expand_inputs(self.config.inputs, f"{self.ctx.label}.inputs")

    def input_fingerprint(self) -> Any:
        return input_sizes(self.input_files())

    def task_keys(self, phase: str) -> list[str]:
        return [f"part-{i:05d}" for i in range(len(self._files()))]

    def prepare(self) -> None:
        listing = self.ctx.stage_dir / "inputs.json"
        if not listing.exists():
            write_json(listing, self.input_files())

    def _files(self) -> list[str]:
        listing = self.ctx.stage_dir / "inputs.json"
        if listing.exists():  # the listing the stage started with, so a resume reads the same files
            return read_json(listing)
        return self.input_files()

    def describe_input(self, key: str) -> str:
        return self._files()[int(key.split("-")[1])]

    def read(self, path: str) -> Iterator[Outcome]:
        raise NotImplementedError

    def produce(self, key: str) -> Iterator[Outcome]:
        return self.read(self.describe_input(key))
