"""Print sample records of a stage, kept or rejected, so a user can see what a filter removed."""

from __future__ import annotations

import random
import textwrap
from datetime import date, datetime
from pathlib import Path

import pyarrow.compute as pc

from curation.errors import UserError
from curation.report import stage_folders
from curation.shards import open_shard
from curation.stage import REASON
from curation.storage import as_path

_LONG = {"text": 600, "html": 300}


def find_stage(run_dir: Path, name: str, pick_last: bool = False) -> Path:
    """A stage folder by name (`extract`), folder (`03-extract`), number (`3`) or a unique part of a
    name (`dedup` when one stage's name contains it). With ``pick_last``, an ambiguous part picks the
    last stage that matches (`dedup` -> the near-duplicate pass after the exact one)."""
    if not run_dir.is_dir():
        raise UserError(f"{run_dir}: no such run directory")
    folders = stage_folders(run_dir)
    for d in folders:
        num, label = d.name.split("-", 1)
        if name in (d.name, label, num, str(int(num))):
            return d
    partial = [d for d in folders if name in d.name.split("-", 1)[1]]
    if len(partial) == 1 or (partial and pick_last):
        return partial[-1]
    if partial:
        raise UserError(f"{run_dir}: stage {name!r} is ambiguous: {', '.join(d.name for d in partial)}")
    raise UserError(f"{run_dir}: no stage {name!r}; stages: {', '.join(d.name for d in folders) or '(none)'}")


def sample_records(stage_dir: Path, rejected: bool, reason: str | None, n: int, seed: int) -> tuple[list[dict], int]:
    """A seeded uniform sample (reservoir) of matching records across all shards, and the match count."""
    folder = stage_dir / "rejected" if rejected else stage_dir
    files = sorted(folder.glob("*.arrow"))
    rng = random.Random(seed)
    reservoir: list[dict] = []
    seen = 0
    for f in files:
        for batch in open_shard(f):
            if reason is not None:
                if REASON not in batch.schema.names:
                    raise UserError("--reason needs --rejected (kept records have no drop reason)")
                batch = batch.filter(pc.equal(batch.column(REASON), reason))
            for row in batch.to_pylist():
                seen += 1
                if len(reservoir) < n:
                    reservoir.append(row)
                else:
                    j = rng.randrange(seen)
                    if j < n:
                        reservoir[j] = row
    return reservoir, seen


def _fmt_value(key: str, value: object) -> str:
    if isinstance(value, str):
        limit = _LONG.get(key, 160)
        v = value if len(value) <= limit else value[:limit] + f"... [{len(value):,} chars]"
        if "\n" in v:
            return "\n" + textwrap.indent(v, "      ")
        return v
    if isinstance(value, list) and len(value) > 10:
        return f"{value[:10]}... [{len(value)} items]"
    if isinstance(value, datetime | date):
        return value.isoformat()  # 2019-01-01T00:11:46+00:00, not datetime.datetime(2019, 1, ...)
    return repr(value)


def format_records(records: list[dict]) -> str:
    out = []
    for i, rec in enumerate(records, 1):
        out.append(f"--- record {i}")
        for k, v in rec.items():
            out.append(f"  {k}: {_fmt_value(k, v)}")
    return "\n".join(out)


def inspect_stage(run_dir: str | Path, stage: str, rejected: bool = False, reason: str | None = None,
                  n: int = 5, seed: int = 0) -> str:
    d = find_stage(as_path(run_dir), stage)
    if reason is not None:
        rejected = True
    records, total = sample_records(d, rejected, reason, n, seed)
    what = "rejected" + (f" ({reason})" if reason else "") if rejected else "kept"
    head = f"{d.name}: {len(records)} of {total:,} {what} records"
    if not total and reason is not None:
        reasons = set()
        for f in sorted((d / "rejected").glob("*.arrow")):
            reasons.update(pc.unique(open_shard(f).read_all().column(REASON)).to_pylist())
        head += f"; reasons present: {', '.join(sorted(r for r in reasons if r)) or '(none)'}"
    return head + ("\n" + format_records(records) if records else "")
