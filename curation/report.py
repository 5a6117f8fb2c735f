"""The funnel: per stage and cumulatively, what fraction of records, text and tokens survived.

Sources of each figure: ``stats/*.json`` (records, UTF-8 bytes and words, drops per reason, written
by every task), ``tokens/*.json`` (token counts with the run's own tokenizer, once it exists) and
``timing.json`` (wall time). A stats file whose ``in`` (or ``out``) is null is an intermediate phase
of a global stage and is not counted on that side.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from curation.errors import UserError
from curation.shards import read_json, write_json
from curation.stage import merge_notes
from curation.storage import as_path

_ZERO = {"records": 0, "bytes": 0, "words": 0}


def _add(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    return {k: a.get(k, 0) + b.get(k, 0) for k in set(a) | set(b)}


def stage_folders(run_dir: Path) -> list[Path]:
    return sorted(p for p in run_dir.iterdir() if p.is_dir() and p.name[:2].isdigit() and p.name[2:3] == "-")


def stage_summary(stage_dir: Path) -> dict[str, Any]:
    s: dict[str, Any] = {"stage": stage_dir.name, "in": dict(_ZERO), "out": dict(_ZERO), "drops": {},
                         "changed_bytes": 0, "cpu_seconds": 0.0, "notes": {}, "shards": 0}
    for f in sorted((stage_dir / "stats").glob("*.json")):
        st = read_json(f)
        if st.get("in") is not None:
            s["in"] = _add(s["in"], st["in"])
        if st.get("out") is not None:
            s["out"] = _add(s["out"], st["out"])
            s["shards"] += 1
        for reason, m in st.get("drops", {}).items():
            s["drops"][reason] = _add(s["drops"].get(reason, {}), m)
        s["changed_bytes"] += st.get("changed_bytes", 0)
        s["cpu_seconds"] += st.get("seconds", 0.0)
        merge_notes(s["notes"], st.get("notes", {}))
    timing = stage_dir / "timing.json"
    s["wall_seconds"] = read_json(timing)["wall_seconds"] if timing.exists() else None
    fp = stage_dir / "fingerprint.json"
    if fp.exists():
        meta = read_json(fp)
        s["type"], s["config"] = meta["stage"], meta["config"]
    tokens = _stage_tokens(stage_dir)
    if tokens is not None:
        s["tokens"] = tokens
    return s


def _stage_tokens(stage_dir: Path) -> dict[str, Any] | None:
    files = sorted((stage_dir / "tokens").glob("*.json"))
    if not files:
        return None
    out, drops, tok = 0, {}, None
    for f in files:
        t = read_json(f)
        tok = t.get("tokenizer_sha256", tok)
        out += t.get("out", 0)
        for reason, n in t.get("drops", {}).items():
            drops[reason] = drops.get(reason, 0) + n
    return {"out": out, "drops": drops, "tokenizer_sha256": tok}


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def build_report(run_dir: str | Path) -> dict[str, Any]:
    run_dir = as_path(run_dir)
    if not run_dir.is_dir():
        raise UserError(f"{run_dir}: no such run directory")
    if not (run_dir / "config.yaml").exists():
        raise UserError(f"{run_dir}: not a run directory (no config.yaml); run `curate run PIPELINE.yaml` first")
    config = yaml.safe_load((run_dir / "config.yaml").read_text(encoding="utf-8"))
    stages = [stage_summary(d) for d in stage_folders(run_dir)]
    first_records = stages[0]["in"]["records"] if stages else 0
    first_words = next((s["out"]["words"] for s in stages if s["out"]["words"]), 0)
    first_tokens = next((s["tokens"]["out"] for s in stages if "tokens" in s and s["tokens"]["out"]), 0)
    prev_tokens = None
    for s in stages:
        s["kept_records"] = _ratio(s["out"]["records"], s["in"]["records"])
        s["kept_words"] = _ratio(s["out"]["words"], s["in"]["words"])
        s["kept_bytes"] = _ratio(s["out"]["bytes"], s["in"]["bytes"])
        s["cumulative_records"] = _ratio(s["out"]["records"], first_records)
        s["cumulative_words"] = _ratio(s["out"]["words"], first_words) if s["out"]["words"] else None
        if "tokens" in s:
            t = s["tokens"]
            t["in"] = prev_tokens if prev_tokens is not None else t["out"] + sum(t["drops"].values())
            t["kept"] = _ratio(t["out"], t["in"])
            t["cumulative"] = _ratio(t["out"], first_tokens)
            prev_tokens = t["out"]
        s["top_drops"] = sorted(s["drops"].items(), key=lambda kv: (-kv[1]["records"], kv[0]))[:5]
    return {
        "run": config.get("name"),
        "run_dir": str(run_dir),
        "how_counted": {
            "records": "rows of the stage's input and output shards",
            "bytes": "UTF-8 bytes of the `text` column (of `html` before extraction)",
            "words": "runs of non-whitespace characters in `text`",
            "tokens": "the run's own trained tokenizer, once it exists (tokens/*.json)",
            "cumulative": "records relative to the first stage's input; words relative to the first "
                          "stage that outputs text (extraction); tokens likewise",
        },
        "stages": stages,
    }


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _fmt_time(s: float | None) -> str:
    return "-" if s is None else (f"{s:.1f}s" if s < 120 else f"{s / 60:.1f}m")


def format_report(report: dict[str, Any]) -> str:
    lines = [f"run {report['run']} ({report['run_dir']})", ""]
    header = f"{'stage':<22}{'in':>10}{'out':>10}{'kept':>8}{'cum.':>8}{'words kept':>11}{'cum.':>8}" \
             f"{'tokens kept':>12}{'cum.':>8}{'time':>8}"
    lines += [header, "-" * len(header)]
    for s in report["stages"]:
        tok = s.get("tokens", {})
        lines.append(
            f"{s['stage']:<22}{s['in']['records']:>10,}{s['out']['records']:>10,}{_pct(s['kept_records']):>8}"
            f"{_pct(s['cumulative_records']):>8}{_pct(s['kept_words']):>11}{_pct(s['cumulative_words']):>8}"
            f"{_pct(tok.get('kept')):>12}{_pct(tok.get('cumulative')):>8}{_fmt_time(s['wall_seconds']):>8}")
    lines += ["", "top drop reasons (records, share of the stage's input):"]
    for s in report["stages"]:
        if not s["top_drops"]:
            continue
        parts = [f"{r} {m['records']:,} ({_pct(_ratio(m['records'], s['in']['records']))})" for r, m in s["top_drops"]]
        lines.append(f"  {s['stage']:<20} " + ", ".join(parts))
    noted = [(s["stage"], _fmt_notes(s["notes"])) for s in report["stages"] if s["notes"]]
    if noted:
        lines += ["", "notes (counted by the stages themselves):"]
        lines += [f"  {name:<20} {text}" for name, text in noted if text]
    last = report["stages"][-1] if report["stages"] else None
    if last is not None:
        lines.append("")
        lines.append(f"kept {_pct(last['cumulative_records'])} of input records"
                     + (f", {_pct(last['cumulative_words'])} of extracted words" if last["cumulative_words"] else "")
                     + (f", {_pct(last['tokens']['cumulative'])} of extracted tokens" if "tokens" in last else ""))
    return "\n".join(lines)


def _fmt_notes(notes: dict[str, Any]) -> str:
    """Numbers and small histograms inline; example lists are left to --json."""
    parts = []
    for k, v in sorted(notes.items()):
        if isinstance(v, bool) or v is None:
            continue
        if isinstance(v, int | float):
            parts.append(f"{k} {v:,}")
        elif isinstance(v, dict) and v and all(isinstance(x, int | float) for x in v.values()):
            items = sorted(v.items(), key=lambda kv: (-kv[1], kv[0]))[:6]
            if k == "cluster_sizes":
                items = sorted(v.items(), key=lambda kv: int(kv[0]) if str(kv[0]).isdigit() else 0)
            parts.append(f"{k} {{" + ", ".join(f"{a}: {b:,}" for a, b in items) + ("" if len(v) <= 6 else ", ...") + "}")
    return "; ".join(parts)


def write_run_report(run_dir: str | Path) -> dict[str, Any]:
    """Write report.json, data_card.md and funnel.png into the run directory."""
    from curation.datacard import write_data_card

    run_dir = as_path(run_dir)
    report = build_report(run_dir)
    write_json(run_dir / "report.json", report)
    write_data_card(run_dir, report)
    return report


def report_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, sort_keys=True, default=str)
