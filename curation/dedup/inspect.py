"""Browse a dedup stage's clusters: members side by side, the kept one first.

Reads only the stage's own output (kept and rejected shards, which carry the cluster column), so it
works on any finished run, whether or not ``_work/`` was cleaned up.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from curation.dedup.apply import SUMMARY_FILE
from curation.errors import UserError
from curation.shards import list_shards, read_json, read_table, shard_schema
from curation.storage import as_path

CLUSTER_COLUMNS = ("dup_cluster", "exact_cluster")
SHOWN = ["id", "url", "score", "text", "drop_signal"]


def _cluster_column(stage_dir: Path, shards: list[Path]) -> str:
    summary = stage_dir / SUMMARY_FILE
    if summary.exists():
        return read_json(summary)["cluster_column"]
    for path in shards:
        for name in CLUSTER_COLUMNS:
            if name in shard_schema(path).names:
                return name
    raise UserError(f"{stage_dir}: not a dedup stage folder (no {' or '.join(CLUSTER_COLUMNS)} column); "
                    "pass the folder of an exact_dedup or minhash_dedup stage")


def _members(shards: list[tuple[Path, bool]], column: str, clusters: pa.Array) -> list[dict]:
    rows: list[dict] = []
    for path, kept in shards:
        table = read_table(path)
        if column not in table.column_names:
            continue
        table = table.filter(pc.is_in(table.column(column), value_set=clusters))
        names = [c for c in [column, *SHOWN] if c in table.column_names]
        for record in table.select(names).to_pylist():
            record["kept"] = kept
            rows.append(record)
    return rows


def _block(m: dict, width: int, lines: int) -> list[str]:
    if m["kept"]:
        head = "KEPT"
    else:
        signal = m.get("drop_signal")
        head = "dropped" + (f"  similarity {signal:.3f}" if signal is not None else "")
    fields = [f"{k}: {'-' if m[k] is None else m[k]}" for k in ("id", "url", "score") if k in m]
    out = [head, *fields, "-" * width]
    out = [line[:width] for line in out]
    body = textwrap.wrap(" ".join(str(m.get("text") or "").split()), width) or [""]
    if len(body) > lines:
        body = body[:lines - 1] + [body[lines - 1][:max(width - 1, 0)] + "…"]
    return [line.ljust(width) for line in out + body]


def format_clusters(stage_dir: Path, n: int = 5, width: int = 40, *, columns: int | None = None,
                    lines: int = 8) -> str:
    """The ``n`` largest clusters of a dedup stage (ties: by cluster id), members side by side in
    blocks ``width`` characters wide, kept member first; ``columns`` blocks per row (default: as
    many as the terminal fits, at least one)."""
    stage_dir = as_path(stage_dir)
    if columns is None:
        columns = max(1, (shutil.get_terminal_size((160, 24)).columns + 3) // (width + 3))
    kept = [(stage_dir / f"{k}.arrow", True) for k in list_shards(stage_dir)]
    rejected = [(p, False) for p in sorted((stage_dir / "rejected").glob("part-*.arrow"))]
    if not kept and not rejected:
        raise UserError(f"{stage_dir}: no shards here; is the stage finished? (`curate run` it first)")
    column = _cluster_column(stage_dir, [p for p, _ in kept + rejected])
    ids = [read_table(p, [column]).column(column) for p, _ in kept + rejected
           if column in shard_schema(p).names]
    labels = pa.chunked_array([c for col in ids for c in col.chunks], pa.string()).drop_null()
    if len(labels) == 0:
        return f"{stage_dir}: no duplicate clusters"
    counts = pc.value_counts(labels)
    order = pa.table({"cluster": counts.field("values"), "size": counts.field("counts")}).sort_by(
        [("size", "descending"), ("cluster", "ascending")])
    top = order.slice(0, n)
    members = _members(kept + rejected, column, top.column("cluster").combine_chunks())
    plural = "s" if len(counts) != 1 else ""
    out = [f"{stage_dir.name}: {len(counts)} cluster{plural} of 2+ documents; the {top.num_rows} largest:"]
    for cluster, size in zip(top.column("cluster").to_pylist(), top.column("size").to_pylist(), strict=True):
        group = sorted((m for m in members if m[column] == cluster),
                       key=lambda m: (not m["kept"], -(m.get("drop_signal") or 0.0), str(m.get("id"))))
        dropped = sum(not m["kept"] for m in group)
        out.append("")
        out.append(f"cluster {cluster}: {size} documents, {size - dropped} kept, {dropped} dropped")
        for start in range(0, len(group), columns):
            blocks = [_block(m, width, lines) for m in group[start:start + columns]]
            height = max(len(b) for b in blocks)
            for b in blocks:
                b.extend([" " * width] * (height - len(b)))
            if start:
                out.append("")
            out.extend(" │ ".join(parts).rstrip() for parts in zip(*blocks, strict=True))
    return "\n".join(out).rstrip() + "\n"
