"""Pages for harvested links from existing WARC archives (e.g. Common Crawl) instead of fetching them.

A global stage joined on the normalized URL (``curation.urls.normalize_url``), in phases over files:
- ``links``: each link shard is split into ``partitions`` key groups by a stable hash of its key;
- ``warcs``: each WARC file is read once; a *pointer* per response (key, file, offset, status, ...)
  goes to the group of its key. Bodies stay in the WARC;
- ``hops`` and ``resolve`` (with ``follow_redirects``): a link whose capture is a redirect asks the
  group of the redirect's target for the target's capture (one hop: Common Crawl keeps
  ``http://a`` -> ``https://a`` and similar moves as two captures, and the target is another key);
- ``join``: group *j*'s links get their captures (one per URL: a kept status first, then the first
  in file order), read back by offset and decoded once.

Memory holds one group's links and pointers, never the corpus; the output does not depend on the
number of workers. Links without a capture go to ``rejected`` as ``not_in_warc``; captures with
another status (after the hop) as ``http_status``, with the status as the signal.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field
from warcio.exceptions import ArchiveLoadFailed

from curation.charset import decode_body
from curation.errors import UserError
from curation.fetch.captures import (
    KEY,
    POINTER_SCHEMA,
    REDIRECTS,
    SEQ,
    CaptureReader,
    best_captures,
    redirect_key,
    url_key,
)
from curation.fetch.groups import group_of, read_group, write_groups
from curation.fetch.pages import PAGE_FIELDS, add_page_columns, page_schema
from curation.measure import measure
from curation.registry import register
from curation.shards import list_shards, read_json, read_table, shard_schema, write_json
from curation.stage import Outcome, Stage, StageConfig, expand_inputs, input_sizes
from curation.stages.fetch import LINKS
from curation.warc import WarcReadErrors, iter_responses

CAPTURE = ["file", "offset", "status", "url", "record_id", "date", "location"]


class WarcJoinConfig(StageConfig):
    warcs: list[str] = Field(..., min_length=1, description="WARC/ARC files or glob patterns holding the pages.")
    max_body_bytes: int = Field(
        1_048_576, ge=1024,  # Common Crawl truncates payloads at 1 MiB
        description="Bodies are cut at this many bytes (after content decoding) and marked `truncated`.")
    keep_status: list[int] = Field(
        [200], description="HTTP statuses of captures kept as pages; others drop the link as `http_status`.")
    follow_redirects: bool = Field(
        True, description="A link captured as a redirect gets its target's capture (one hop), if the archive has it.")
    partitions: int | None = Field(
        None, ge=1, description="Key groups (join tasks); default: the number of link shards. Raise it if one "
                                "group's pointers do not fit in a worker's memory.")


@register
class WarcJoin(Stage):
    name = "warc_join"
    summary = "Join links to pages in existing WARC archives (e.g. Common Crawl) by normalized URL, without fetching."
    Config: ClassVar[type[StageConfig]] = WarcJoinConfig

    def phases(self) -> list[str]:
        hops = ["hops", "resolve"] if self.config.follow_redirects else []
        return ["links", "warcs", *hops, "join"]

    # -- inputs -----------------------------------------------------------------------------------
    def _link_shards(self) -> list[str]:
        if self.ctx.input_dir is None:
            raise UserError(f"{self.ctx.label}: `warc_join` needs link records from an earlier stage (e.g. harvest)")
        return list_shards(self.ctx.input_dir)

    def _expand(self) -> list[str]:
        return expand_inputs(self.config.warcs, f"{self.ctx.label}.warcs")

    def _warc_files(self) -> list[str]:
        listing = self.ctx.stage_dir / "inputs.json"
        return read_json(listing) if listing.exists() else self._expand()

    def prepare(self) -> None:
        listing = self.ctx.stage_dir / "inputs.json"
        if not listing.exists():
            write_json(listing, self._expand())

    def input_fingerprint(self) -> Any:
        return input_sizes(self._expand())

    def n_groups(self) -> int:
        return self.config.partitions or max(1, len(self._link_shards()))

    def task_keys(self, phase: str) -> list[str]:
        if phase == "links":
            return [f"{LINKS}{shard}" for shard in self._link_shards()]
        if phase == "warcs":
            return [f"warc-{w:05d}" for w in range(len(self._warc_files()))]
        return [f"part-{j:05d}" for j in range(self.n_groups())]

    def describe_input(self, key: str) -> str:
        if key.startswith("warc-"):
            return self._warc_files()[int(key.split("-")[1])]
        if key.startswith(LINKS):
            return str(self.ctx.input_dir / f"{key.removeprefix(LINKS)}.arrow")
        return f"key group {int(key.split('-')[1])} of {self.n_groups()} (links from {self.ctx.input_dir})"

    def _group(self, phase: str, j: int) -> pa.Table | None:
        """Group ``j`` of every file a phase wrote."""
        work = self.ctx.stage_dir / "_work" / phase
        keys = [k.removeprefix(LINKS) for k in self.task_keys(phase)]
        return read_group([work / f"{k}.arrow" for k in keys], j)

    def _captures(self, j: int) -> pa.Table:
        return best_captures(self._group("warcs", j), self.config.keep_status)

    # -- phases before the join -------------------------------------------------------------------
    def run_phase_task(self, phase: str, key: str) -> int:
        out = self.ctx.stage_dir / "_work" / phase / f"{key.removeprefix(LINKS)}.arrow"
        n = self.n_groups()
        if phase == "links":
            return self._split_links(key.removeprefix(LINKS), out, n)
        if phase == "warcs":
            return self._index_warc(int(key.split("-")[1]), out, n)
        j = int(key.split("-")[1])
        if phase == "hops":  # links captured as redirects ask for their target's capture
            links = self._group("links", j)
            joined = links.select([KEY, SEQ]).join(self._captures(j), keys=KEY, join_type="inner")
            redirects = joined.filter(pc.is_in(joined.column("status"), pa.array(sorted(REDIRECTS), pa.int32())))
            rows = [(r[SEQ], redirect_key(r["url"], r["location"]))
                    for r in redirects.select([SEQ, "url", "location"]).to_pylist()]
            rows = [(seq, target) for seq, target in rows if target is not None]
            table = pa.table({SEQ: pa.array([s for s, _ in rows], pa.int64()), "src": pa.array([j] * len(rows), pa.int64()),
                              KEY: pa.array([t for _, t in rows], pa.string())})
            write_groups(out, table, group_of(table.column(KEY).to_pylist(), n), n)
            return table.num_rows
        # resolve: look the targets up in this group's captures; answers go back to the links' groups
        asks = self._group("hops", j)
        found = asks.join(self._captures(j), keys=KEY, join_type="inner").sort_by(SEQ)
        write_groups(out, found.drop_columns([KEY]), found.column("src").to_numpy(), n)
        return found.num_rows

    def _split_links(self, shard: str, out, n: int) -> int:
        links = read_table(self.ctx.input_dir / f"{shard}.arrow")
        urls = links.column("url").to_pylist()
        given = links.column("normalized_url").to_pylist() if "normalized_url" in links.column_names else [None] * len(urls)
        keys = [g or url_key(u) for g, u in zip(given, urls, strict=True)]
        index = self._link_shards().index(shard)
        links = links.append_column(KEY, pa.array(keys, pa.string())).append_column(
            SEQ, pa.array([(index << 40) | i for i in range(len(urls))], pa.int64()))
        write_groups(out, links, group_of((k or u or "" for k, u in zip(keys, urls, strict=True)), n), n)
        return links.num_rows

    def _index_warc(self, w: int, out, n: int) -> int:
        errors = WarcReadErrors()
        rows: dict[str, list] = {name: [] for name in POINTER_SCHEMA.names}
        # Bodies are not kept (records are read again at join time), but reading them up to the cap
        # is what lets the reader notice a record cut short.
        for resp in iter_responses(self._warc_files()[w], self.config.max_body_bytes, errors):
            key = url_key(resp.url)
            if key is None:
                errors.counts["unjoinable_url"] = errors.counts.get("unjoinable_url", 0) + 1
                continue
            for name, value in ((KEY, key), ("file", w), ("offset", resp.offset), ("status", resp.status),
                                ("url", resp.url), ("record_id", resp.record_id), ("date", resp.date),
                                ("location", resp.headers.get("location"))):
                rows[name].append(value)
        table = pa.table(rows, schema=POINTER_SCHEMA)
        write_groups(out, table, group_of(rows[KEY], n), n)
        write_json(out.with_suffix(".json"), {"records": table.num_rows, "errors": errors.counts,
                                              "examples": errors.examples})
        return table.num_rows

    # -- join -------------------------------------------------------------------------------------
    def produce(self, key: str) -> Iterator[Outcome]:
        cfg: WarcJoinConfig = self.config
        j = int(key.split("-")[1])
        links = self._group("links", j)
        notes = self._warc_notes() if j == 0 else {}
        if links is None or links.num_rows == 0:
            if notes:
                yield Outcome(None, None, notes=notes)
            return
        joined = links.select([KEY, SEQ]).join(self._captures(j), keys=KEY, join_type="left outer").sort_by(SEQ)
        hops = {r[SEQ]: r for r in self._group("resolve", j).to_pylist()} if cfg.follow_redirects else {}
        files = self._warc_files()
        reader = CaptureReader(cfg.max_body_bytes)
        try:
            for start in range(0, links.num_rows, cfg.batch_size):
                batch = links.slice(start, cfg.batch_size)
                match = joined.slice(start, cfg.batch_size).to_pylist()
                for m in match:  # a redirect capture whose target the archive has: take the target's
                    if m["status"] in REDIRECTS and m[SEQ] in hops:
                        m.update({c: hops[m[SEQ]][c] for c in CAPTURE}, redirects=1)
                oc = self._pages(batch.drop_columns([KEY, SEQ]), match, files, reader)
                if start == 0:
                    oc.notes = {**notes, **oc.notes}
                yield oc
        finally:
            reader.close()

    def _pages(self, links: pa.Table, match: list[dict[str, Any]], files: list[str], reader: CaptureReader) -> Outcome:
        cfg: WarcJoinConfig = self.config
        cols: dict[str, list] = {name: [] for name, _ in PAGE_FIELDS}
        reasons: list[str | None] = []
        signals: list[float | None] = []
        # read captures in file order (sequential I/O), then put them back in link order
        wanted = sorted((m["file"], m["offset"], i) for i, m in enumerate(match)
                        if m.get("offset") is not None and m["status"] in cfg.keep_status)
        bodies: dict[int, tuple[str | None, bytes, bool] | str] = {}
        for f, offset, i in wanted:
            try:
                bodies[i] = reader.read(files[f], offset)
            except (ArchiveLoadFailed, StopIteration, EOFError, OSError, ValueError) as e:
                bodies[i] = f"{type(e).__name__}: {e}"
        for i, m in enumerate(match):
            row: dict[str, Any] = dict.fromkeys(cols)
            reason, signal = None, None
            if m[KEY] is None:
                reason = "invalid_url"
            elif m.get("offset") is None:
                reason = "not_in_warc"
            else:
                row.update(final_url=m["url"], status=m["status"], warc_file=files[m["file"]], warc_offset=m["offset"],
                           warc_record_id=m["record_id"], fetched_at=m["date"], redirects=m.get("redirects", 0))
                got = bodies.get(i)
                if got is None:
                    reason, signal = "http_status", (float(m["status"]) if m["status"] is not None else None)
                elif isinstance(got, str):
                    reason, row["fetch_detail"] = "unreadable_record", got
                else:
                    ctype, body, truncated = got
                    html, charset = decode_body(body, ctype)
                    row.update(content_type=ctype, charset=charset, html=html, body_bytes=len(body),
                               truncated=truncated)
                    if html is None:
                        reason, signal = "binary", float(m["status"])
            row["fetch_error"] = reason
            if reason is not None:
                row["html"] = None
            for name in cols:
                cols[name].append(row[name])
            reasons.append(reason)
            signals.append(signal)
        return Outcome.split(add_page_columns(links, cols), reasons, signals, input=measure(links))

    def _warc_notes(self) -> dict[str, Any]:
        notes: dict[str, Any] = {"warc_records": 0}
        examples: list[str] = []
        for key in self.task_keys("warcs"):
            info = json.loads((self.ctx.stage_dir / "_work" / "warcs" / f"{key}.json").read_text(encoding="utf-8"))
            notes["warc_records"] += info["records"]
            for kind, count in info["errors"].items():
                notes[f"warc_{kind}"] = notes.get(f"warc_{kind}", 0) + count
            examples.extend(info["examples"])
        if examples:
            notes["warc_error_examples"] = examples[:20]
        return notes

    def empty_schema(self) -> pa.Schema | None:
        shards = self._link_shards()
        return page_schema(shard_schema(self.ctx.input_dir / f"{shards[0]}.arrow")) if shards else None
