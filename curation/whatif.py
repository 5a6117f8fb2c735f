"""What if a filter had another setting? Recompute its decision from the signals stored on its kept
and rejected records, without running it again (``curate report RUN_DIR --what-if 'stage.setting=value'``).

Every record the stage saw is in its kept or its rejected shards, with the signal columns, so the
stage's own ``reasons`` runs again on all of them with the new config. Records the stage rejected
for a cause its ``reasons`` does not give with the run's config (say, a drop decided outside the
signals) stay rejected whatever the setting. Settings that change the signals themselves (a model,
a window size) cannot be answered from stored signals and are refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import yaml
from pydantic import ValidationError

from curation.config import format_validation_error, parse_pipeline
from curation.errors import UserError
from curation.registry import get_stage_class
from curation.runner import resolve_stage, stage_folder
from curation.shards import iter_batches, list_shards
from curation.stage import REASON, SIGNAL, FilterStage, StageContext
from curation.storage import as_path

_BATCH = 10_000


def parse_expr(expr: str) -> tuple[str, dict[str, Any]]:
    """``stage.setting=value`` (several joined by ``;``, all for one stage) -> (stage, {setting: value})."""
    stage: str | None = None
    settings: dict[str, Any] = {}
    for part in (p.strip() for p in expr.split(";")):
        if not part:
            continue
        left, eq, value = part.partition("=")
        name, dot, setting = left.strip().rpartition(".")
        if not eq or not dot or not name or not setting:
            raise UserError(f"--what-if {part!r}: expected STAGE.SETTING=VALUE, e.g. toxicity.max_toxicity=0.5")
        if stage is not None and name != stage:
            raise UserError(f"--what-if {expr!r}: one stage at a time ({stage} and {name})")
        stage = name
        try:
            settings[setting.strip()] = yaml.safe_load(value) if value.strip() else None
        except yaml.YAMLError:
            raise UserError(f"--what-if {part!r}: value {value!r} is not valid YAML") from None
    if stage is None:
        raise UserError("--what-if: expected STAGE.SETTING=VALUE, e.g. toxicity.max_toxicity=0.5")
    return stage, settings


def _words(table: pa.Table) -> np.ndarray:
    # words as the funnel counts them: runs of non-space characters (ASCII whitespace, RE2's \s)
    if "text" not in table.column_names or table.num_rows == 0:
        return np.zeros(table.num_rows, dtype=np.int64)
    counts = pc.count_substring_regex(table.column("text"), r"\S+")
    return pc.fill_null(counts, 0).to_numpy(zero_copy_only=False).astype(np.int64)


def _as_array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _tables(stage_dir: Path, keys: list[str]) -> Iterator[tuple[pa.Table, pa.Array | None]]:
    """Every record the stage saw, batch by batch: (records without drop columns, stored reasons or None)."""
    for key in keys:
        kept = stage_dir / f"{key}.arrow"
        if kept.exists():
            for t in iter_batches(kept, _BATCH):
                yield t, None
        rejected = stage_dir / "rejected" / f"{key}.arrow"
        if rejected.exists():
            for t in iter_batches(rejected, _BATCH):
                yield t.drop_columns([REASON, SIGNAL]), _as_array(t.column(REASON))


def _add(into: dict[str, dict[str, int]], reason: str, records: int, words: int) -> None:
    m = into.setdefault(reason, {"records": 0, "words": 0})
    m["records"] += records
    m["words"] += words


def what_if(run_dir: str | Path, expr: str) -> dict[str, Any]:
    """Kept records and words of one filter stage as run and with ``expr``'s settings."""
    run_dir = as_path(run_dir)
    config_path = run_dir / "config.yaml"
    if not config_path.exists():
        raise UserError(f"{run_dir}: no config.yaml; give a run directory written by `curate run`")
    cfg = parse_pipeline(yaml.safe_load(config_path.read_text(encoding="utf-8")), str(config_path))
    name, settings = parse_expr(expr)
    index = resolve_stage(cfg, name, "--what-if")
    spec = cfg.stages[index]
    cls = get_stage_class(spec.type)
    label = stage_folder(index, spec)
    if not issubclass(cls, FilterStage):
        filters = [s.label for s in cfg.stages if issubclass(get_stage_class(s.type), FilterStage)]
        raise UserError(f"--what-if {name}: stage {label} ({spec.type}) is not a filter; filters in this run: "
                        f"{', '.join(filters) or 'none'}")
    for setting in settings:
        if setting not in cls.Config.model_fields:
            raise UserError(f"--what-if {name}.{setting}: {spec.type} has no such setting; settings: "
                            f"{', '.join(sorted(cls.Config.model_fields))}")
        if setting in cls.signal_settings:
            raise UserError(f"--what-if {name}.{setting}: changes the {spec.type} signals themselves, which "
                            f"are not stored for other values; rerun with `curate run ... --force {spec.label}`")
    try:
        new_config = cls.Config.model_validate({**spec.config.model_dump(), **settings})
    except ValidationError as e:
        raise UserError(f"--what-if: {format_validation_error(e, name, cls.Config)}") from None

    stage_dir = run_dir / label
    prev = run_dir / stage_folder(index - 1, cfg.stages[index - 1]) if index else None
    ctx = StageContext(run_dir, stage_dir, prev, label, config_path)
    keys = sorted(p.stem for p in (stage_dir / "stats").glob("part-*.json"))
    if not keys:
        raise UserError(f"--what-if {name}: stage {label} has no finished shard; run it first")
    old, new = cls(spec.config, ctx), cls(new_config, ctx)
    for stage in (old, new):
        stage.fit(lambda: (t for t, _ in _tables(stage_dir, keys)))

    total = {"records": 0, "words": 0}
    before = {"records": 0, "words": 0}
    after = {"records": 0, "words": 0}
    drops_before: dict[str, dict[str, int]] = {}
    drops_after: dict[str, dict[str, int]] = {}
    unaffected, inconsistent = 0, 0
    for table, stored in _tables(stage_dir, keys):
        n = table.num_rows
        words = _words(table)
        stored = stored if stored is not None else pa.nulls(n, pa.string())
        old_reason = _as_array(old.reasons(table)[0]).cast(pa.string())
        new_reason = _as_array(new.reasons(table)[0]).cast(pa.string())
        # rejected, but not by the stage's reasons with the run's config: no setting changes that
        other = pc.and_(pc.is_valid(stored), pc.is_null(old_reason))
        unaffected += pc.sum(other).as_py() or 0
        inconsistent += pc.sum(pc.and_(pc.is_null(stored), pc.is_valid(old_reason))).as_py() or 0
        final = pc.if_else(other, stored, new_reason)
        total["records"] += n
        total["words"] += int(words.sum())
        for reasons, kept, drops in ((stored, before, drops_before), (final, after, drops_after)):
            keep = pc.is_null(reasons).to_numpy(zero_copy_only=False)
            kept["records"] += int(keep.sum())
            kept["words"] += int(words[keep].sum())
            dropped = pa.table({"reason": reasons, "words": words}).filter(pc.invert(pc.is_null(reasons)))
            for row in dropped.group_by("reason").aggregate([("words", "sum"), ("words", "count")]).to_pylist():
                _add(drops, row["reason"], row["words_count"], row["words_sum"])

    def fractions(m: dict[str, int]) -> dict[str, Any]:
        return {**m, "records_fraction": m["records"] / total["records"] if total["records"] else 0.0,
                "words_fraction": m["words"] / total["words"] if total["words"] else 0.0}

    old_values = spec.config.model_dump(mode="json")
    return {
        "stage": label,
        "type": spec.type,
        "settings": {k: {"run": old_values.get(k), "what_if": v}
                     for k, v in new_config.model_dump(mode="json").items() if k in settings},
        "shards": len(keys),
        "complete": prev is None or len(keys) >= len(list_shards(prev)),
        "input": total,
        "kept_before": fractions(before),
        "kept_after": fractions(after),
        "drops_before": dict(sorted(drops_before.items())),
        "drops_after": dict(sorted(drops_after.items())),
        "unaffected_drops": unaffected,
        "inconsistent": inconsistent,
    }


def format_what_if(result: dict[str, Any]) -> str:
    settings = ", ".join(f"{k}: {v['run']!r} -> {v['what_if']!r}" for k, v in result["settings"].items())
    b, a = result["kept_before"], result["kept_after"]
    lines = [
        f"what if {result['stage']} ({result['type']}) had {settings}",
        f"  input:     {result['input']['records']:>12,} records {result['input']['words']:>14,} words",
        f"  kept (run): {b['records']:>11,} records ({b['records_fraction']:7.2%}) "
        f"{b['words']:>14,} words ({b['words_fraction']:7.2%})",
        f"  kept (if):  {a['records']:>11,} records ({a['records_fraction']:7.2%}) "
        f"{a['words']:>14,} words ({a['words_fraction']:7.2%})",
    ]
    reasons = sorted(set(result["drops_before"]) | set(result["drops_after"]))
    for r in reasons:
        x, y = result["drops_before"].get(r, {"records": 0}), result["drops_after"].get(r, {"records": 0})
        lines.append(f"  dropped as {r}: {x['records']:,} -> {y['records']:,} records")
    if not result["complete"]:
        lines.append(f"  (from the {result['shards']} finished shards only: the stage has not finished)")
    if result["unaffected_drops"]:
        lines.append(f"  {result['unaffected_drops']:,} records rejected for causes no setting changes stay rejected")
    if result["inconsistent"]:
        lines.append(f"  warning: {result['inconsistent']:,} kept records would be dropped with the run's own "
                     "settings; the stage's code or its signals changed since the run (rerun it with --force)")
    return "\n".join(lines)
