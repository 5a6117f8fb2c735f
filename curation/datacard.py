"""A dataset card for every run, in the Hugging Face card format (YAML header + sections), with a
funnel chart. It is written from the run directory alone, so it always matches what is on disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from curation.registry import available
from curation.shards import atomic_path, read_json

LIMITATIONS = [
    "Heuristic filters (Gopher, C4, FineWeb rules) and the toxicity scorer are proxies: they remove "
    "some good text and keep some bad text; inspect samples with `curate inspect RUN_DIR STAGE --rejected`.",
    "Language identification (fastText lid.176) is unreliable on short texts and mixed-language pages.",
    "Near-duplicate removal works on word 5-gram MinHash signatures: paraphrases and translations are not "
    "caught, and pairs near the similarity threshold are removed only probabilistically.",
    "Link karma reflects what one community upvoted; it is a popularity signal, not a quality or truth signal, "
    "and it carries that community's demographic and topical biases.",
    "Personal information is masked only for the patterns the PII stage knows (e-mails, IPs, phone numbers) "
    "when that stage is in the pipeline.",
]


def _size_category(n: int) -> str:
    for bound, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                        (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M")):
        if n < bound:
            return name
    return "n>10M"


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _sources(run_dir: Path) -> list[str]:
    out = []
    for d in sorted(run_dir.glob("[0-9][0-9]-*")):
        listing = d / "inputs.json"
        if listing.exists():
            files = read_json(listing)
            out.append(f"- `{d.name}`: {len(files)} file(s): " + ", ".join(f"`{f}`" for f in files[:8])
                       + (" ..." if len(files) > 8 else ""))
        cfg = d / "fingerprint.json"
        if cfg.exists():
            warcs = read_json(cfg).get("config", {}).get("warcs")
            if warcs:
                out.append(f"- `{d.name}`: WARC files " + ", ".join(f"`{w}`" for w in warcs))
    return out or ["- (no source stage recorded)"]


def _chart(run_dir: Path, report: dict[str, Any]) -> str | None:
    stages = report["stages"]
    if not stages:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [s["stage"] for s in stages][::-1]
    series = [("records", [s["cumulative_records"] or 0 for s in stages][::-1])]
    if any(s["cumulative_words"] for s in stages):
        series.append(("words", [s["cumulative_words"] or 0 for s in stages][::-1]))
    if any("tokens" in s for s in stages):
        series.append(("tokens", [(s.get("tokens") or {}).get("cumulative") or 0 for s in stages][::-1]))
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(stages) + 1.5))
    height = 0.8 / len(series)
    for i, (label, values) in enumerate(series):
        ax.barh([y + i * height for y in range(len(names))], [100 * v for v in values], height, label=label)
    ax.set_yticks([y + height * (len(series) - 1) / 2 for y in range(len(names))], names)
    ax.set_xlabel("% surviving, cumulative (records: of harvested/read; words, tokens: of extracted)")
    ax.set_xlim(0, 100)
    ax.legend(loc="lower right")
    ax.set_title(f"Funnel of run {report['run']}")
    fig.tight_layout()
    with atomic_path(run_dir / "funnel.png") as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
    return "funnel.png"


def render_data_card(run_dir: Path, report: dict[str, Any], chart: str | None) -> str:
    stages = report["stages"]
    final = stages[-1] if stages else None
    langs = ["en"]
    for s in stages:
        if s.get("type") == "langid":
            langs = list(s["config"].get("languages", langs))
    header = {
        "pretty_name": f"{report['run']} (WebText-style corpus)",
        "language": langs,
        "license": "other",
        "task_categories": ["text-generation", "fill-mask"],
        "size_categories": [_size_category(final["out"]["records"] if final else 0)],
        "tags": ["webtext", "web-crawl", "curation-funnel"],
    }
    lines = ["---", yaml.safe_dump(header, sort_keys=False).strip(), "---", "",
             f"# Dataset card: {report['run']}", ""]
    config_path = run_dir / "config.yaml"
    description = yaml.safe_load(config_path.read_text(encoding="utf-8")).get("description") \
        if config_path.exists() else None
    if description:
        lines += [description, ""]
    if final:
        lines += ["## Summary", "",
                  f"{final['out']['records']:,} documents, {final['out']['words']:,} words "
                  f"({final['out']['bytes'] / 1e6:.2f} MB of UTF-8 text), kept from "
                  f"{stages[0]['in']['records']:,} input records "
                  f"({_pct(final['cumulative_records'])} of records"
                  + (f", {_pct(final['cumulative_words'])} of extracted words" if final["cumulative_words"] else "")
                  + (f", {_pct(final['tokens']['cumulative'])} of extracted tokens" if "tokens" in final else "")
                  + ").", ""]
    lines += ["## Sources", "", *_sources(run_dir), ""]
    lines += ["## Processing", "", "Stages in order, with every parameter as run (defaults filled in):", ""]
    registry = available()
    for s in stages:
        cls = registry.get(s.get("type", ""))
        lines.append(f"### `{s['stage']}`" + (f": {cls.summary}" if cls is not None and cls.summary else ""))
        lines.append("")
        params = ", ".join(f"`{k}={v!r}`" for k, v in sorted((s.get("config") or {}).items()))
        lines += [params or "(no parameters)", ""]
    lines += ["## Funnel", "",
              "| stage | records in | records out | kept | cumulative | words kept | cumulative words "
              "| tokens kept | cumulative tokens | top drop reasons |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for s in stages:
        drops = "; ".join(f"{r} ({m['records']:,})" for r, m in s["top_drops"][:3]) or "-"
        tok = s.get("tokens") or {}
        lines.append(f"| {s['stage']} | {s['in']['records']:,} | {s['out']['records']:,} | {_pct(s['kept_records'])} "
                     f"| {_pct(s['cumulative_records'])} | {_pct(s['kept_words'])} | {_pct(s['cumulative_words'])} "
                     f"| {_pct(tok.get('kept'))} | {_pct(tok.get('cumulative'))} | {drops} |")
    lines.append("")
    if chart:
        lines += [f"![Funnel chart]({chart})", ""]
    lines += ["Counting: " + "; ".join(f"{k}: {v}" for k, v in report["how_counted"].items()) + ".", ""]
    lines += ["## Known limitations", "", *[f"- {x}" for x in LIMITATIONS], ""]
    lines += ["## How to reproduce", "", f"`curate run` with the resolved config stored in `{run_dir.name}/config.yaml`.",
              ""]
    return "\n".join(lines)


def write_data_card(run_dir: Path, report: dict[str, Any]) -> Path:
    chart = _chart(run_dir, report)
    text = render_data_card(run_dir, report, chart)
    path = run_dir / "data_card.md"
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path
