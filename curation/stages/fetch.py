"""Fetch the pages of harvested links, politely and safely, archiving every exchange as WARC.

Two phases:
- ``partition``: each link shard is split by a stable hash of the URL's host into ``partitions``
  groups (default: as many as there are link shards). All links of a host land in one fetch task,
  so the per-host limits hold for the whole run, whatever the number of worker processes (Nutch and
  StormCrawler partition by host for the same reason). Only the global ``concurrency`` is per task.
- ``fetch``: task *j* fetches host group *j* (input order: link shard, then row) into
  ``part-j.arrow`` and ``warc/part-j-<n>.warc.gz``. Every finished URL goes to a journal, and each
  kept page is decoded while its body is still in memory (``curation.fetch.buffer``); a batch of the
  page shard is built, in input order, as soon as all its rows are finished. A killed task resumes
  without refetching what it finished (those pages are read back from their WARC records) and writes
  the same shard as an uninterrupted run.

Failed URLs go to ``rejected/`` with their error class as the drop reason (signal: the HTTP status).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa
from pydantic import Field, field_validator

from curation.errors import ShardError, UserError
from curation.fetch.archive import WarcArchive, WarcReader
from curation.fetch.buffer import PageBuffer, decode_page
from curation.fetch.groups import group_of, read_group, write_groups
from curation.fetch.journal import Journal
from curation.fetch.pages import PAGE_FIELDS, add_page_columns, page_schema
from curation.measure import measure
from curation.registry import register
from curation.shards import atomic_path, list_shards, read_table, shard_schema
from curation.stage import Outcome, Stage, StageConfig
from curation.storage import is_remote, local_tmp_dir, publish
from curation.urls import host, normalize_host

VERSION = "0.1"
LINKS = "links-"  # partition-phase task keys: links-<input shard>


class FetchConfig(StageConfig):
    run_only: ClassVar[frozenset[str]] = frozenset({"concurrency", "progress_seconds"})

    user_agent: str = Field(
        f"webtext-curation/{VERSION} (research corpus crawler)",
        min_length=1, description="User-Agent header; its first word is the robots.txt token unless `robots_agent`.")
    contact: str | None = Field(
        None, description="URL or e-mail where site owners can reach you; sent in the User-Agent as (+contact). "
                          "Set it for any real crawl.")
    robots_agent: str | None = Field(None, description="Token matched against robots.txt groups; default: "
                                                        "the user agent's product name.")
    obey_robots: bool = Field(True, description="Obey robots.txt (RFC 9309). Turn off only for your own sites.")
    concurrency: int = Field(
        32, ge=1, le=1024,  # Scrapy: CONCURRENT_REQUESTS 16; 32 since each host gets at most 1 of them
        description="Requests in flight per fetch task (each worker process runs one task at a time).")
    per_host_concurrency: int = Field(
        1, ge=1, le=8,  # StormCrawler fetcher.threads.per.queue: 1 (Nutch: fetcher.threads.per.queue 1)
        description="Requests in flight to one host at a time.")
    per_host_delay: float = Field(
        1.0, ge=0,  # StormCrawler fetcher.server.delay: 1.0 s
        description="Seconds between two requests to the same host (robots.txt Crawl-delay can raise it).")
    max_crawl_delay: float = Field(
        30.0, ge=0,  # StormCrawler fetcher.max.crawl.delay: 30 s
        description="A robots.txt Crawl-delay is honoured up to this many seconds.")
    connect_timeout: float = Field(10.0, gt=0, description="Seconds to resolve and connect (Scrapy/Nutch: ~10 s).")
    read_timeout: float = Field(20.0, gt=0, description="Seconds without receiving a byte before giving up.")
    total_timeout: float = Field(
        30.0, gt=0,  # Googlebot and Bingbot give up after roughly 30 s
        description="Seconds for a whole request, body included (stops slow-drip servers).")
    max_body_bytes: int = Field(
        1_048_576, ge=1024,  # Common Crawl truncates payloads at 1 MiB
        description="Bodies are cut at this many bytes after content decoding and marked `truncated`.")
    drop_truncated: bool = Field(False, description="Drop cut bodies as `too_large` instead of keeping their start.")
    content_types: list[str] = Field(
        ["text/html", "application/xhtml+xml"], min_length=1,
        description="Media types whose bodies are read; other 2xx responses are dropped as `not_html`.")
    max_redirects: int = Field(
        5, ge=0,  # RFC 9110 15.4: earlier HTTP specs recommended at most five redirects
        description="Redirect hops followed per URL; each hop is checked again (scheme, guard, robots).")
    max_retries: int = Field(
        2, ge=0,  # Scrapy RETRY_TIMES: 2
        description="Retries on 429/500/502/503/504, timeouts and connection errors.")
    retry_backoff: float = Field(
        2.0, ge=0, description="Seconds before the first retry when the server sends no Retry-After; doubles each time.")
    max_retry_after: float = Field(
        120.0, ge=0, description="A Retry-After longer than this many seconds is not waited for (the URL fails).")
    host_error_budget: int = Field(
        10, ge=1,  # our choice: a few timeouts are the web's noise, ten mean the host is struggling
        description="Failed requests (timeouts, connection errors, 429, 5xx) after which a host is skipped "
                    "(`host_errors`).")
    robots_attempts: int = Field(
        3, ge=1, description="Tries for a robots.txt that answers 5xx or times out before the URLs of its origin "
                             "(scheme, host, port) are dropped as `robots_unavailable` (RFC 9309: unreachable "
                             "means complete disallow).")
    robots_retry_delay: float = Field(30.0, ge=0, description="Seconds before trying an unreachable robots.txt again.")
    allow_private_networks: bool = Field(
        False, description="Allow loopback, private, link-local and other non-public addresses (intranet crawls, "
                           "tests). Off: such addresses are refused as `ssrf`.")
    allowed_networks: list[str] = Field(
        [], description="CIDR blocks allowed despite the guard, e.g. [10.1.0.0/16] for one intranet.")
    resolve: dict[str, list[str]] = Field(
        {}, description="Fixed DNS answers, like /etc/hosts or curl --resolve: {name: [address, ...]}. The guard "
                        "still checks them; other names use the system resolver.")
    partitions: int | None = Field(
        None, ge=1, description="Host groups (fetch tasks); default: the number of link shards.")
    warc_max_bytes: int = Field(
        1_000_000_000, ge=1_000_000,  # Common Crawl: WARC files of about 1 GB
        description="A WARC file is closed and the next one started past this size.")
    progress_seconds: float = Field(
        60.0, ge=0, description="A long crawl prints a progress line per task this often (links finished, pages "
                                "kept, rate, hosts left) to stderr; 0: never.")

    @field_validator("allowed_networks")
    @classmethod
    def _networks(cls, v: list[str]) -> list[str]:
        import ipaddress

        for n in v:
            try:
                ipaddress.ip_network(n, strict=False)
            except ValueError as e:
                raise ValueError(f"{n!r} is not a CIDR block ({e})") from None
        return v

    @field_validator("resolve")
    @classmethod
    def _resolve(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        import ipaddress

        for name, addresses in v.items():
            normalize_host(name)  # raises ValueError naming an invalid host name
            for a in addresses:
                try:
                    ipaddress.ip_address(a)
                except ValueError:
                    raise ValueError(f"{name}: {a!r} is not an IP address") from None
        return v

    def full_user_agent(self) -> str:
        return f"{self.user_agent} (+{self.contact})" if self.contact else self.user_agent


def host_of(url: str | None) -> str:
    """The host a link is grouped by, spelled as the crawler paces it (punycode, lowercase, no trailing
    dot), so every spelling of one host lands in one fetch task; "" for a link without a usable host."""
    try:
        return host(url or "")
    except ValueError:
        return ""


@register
class Fetch(Stage):
    name = "fetch"
    summary = "Fetch the pages of links politely and safely (robots.txt, per-host limits, SSRF guard) into WARC."
    Config: ClassVar[type[StageConfig]] = FetchConfig

    def phases(self) -> list[str]:
        return ["partition", "fetch"]

    def _inputs(self) -> list[str]:
        if self.ctx.input_dir is None:
            raise UserError(f"{self.ctx.label}: `fetch` needs link records from an earlier stage (e.g. harvest)")
        return list_shards(self.ctx.input_dir)

    def n_partitions(self) -> int:
        return self.config.partitions or max(1, len(self._inputs()))

    def task_keys(self, phase: str) -> list[str]:
        if phase == "partition":
            return [f"{LINKS}{shard}" for shard in self._inputs()]
        return [f"part-{j:05d}" for j in range(self.n_partitions())]

    def describe_input(self, key: str) -> str:
        if key.startswith(LINKS):
            return str(self.ctx.input_dir / f"{key.removeprefix(LINKS)}.arrow")
        return f"host group {int(key.split('-')[1])} of {self.n_partitions()} (links from {self.ctx.input_dir})"

    # -- partition ------------------------------------------------------------------------------
    def run_phase_task(self, phase: str, key: str) -> int:
        key = key.removeprefix(LINKS)
        table = read_table(self.ctx.input_dir / f"{key}.arrow")
        if "url" not in table.column_names:
            raise UserError(f"{self.ctx.label}: input {key} has no `url` column; fetch reads link records")
        n = self.n_partitions()
        hosts = (host_of(u) for u in table.column("url").to_pylist())
        write_groups(self.ctx.stage_dir / "_work" / "partition" / f"{key}.arrow", table, group_of(hosts, n), n)
        return table.num_rows

    def _links(self, j: int) -> pa.Table | None:
        return read_group([self.ctx.stage_dir / "_work" / "partition" / f"{k}.arrow" for k in self._inputs()], j)

    # -- fetch ----------------------------------------------------------------------------------
    def produce(self, key: str) -> Iterator[Outcome]:
        cfg: FetchConfig = self.config
        links = self._links(int(key.split("-")[1]))
        if links is None or links.num_rows == 0:
            return
        root = self._crawl_root()
        local_stage = root / self.ctx.label
        if root != self.ctx.run_dir:
            self._pull_crawl(key, local_stage)
        journal = Journal(local_stage / "journal" / f"{key}.jsonl")
        state = journal.load()
        archive = WarcArchive(local_stage / "warc", key, root, max_bytes=cfg.warc_max_bytes, info=self._warcinfo())
        removed = archive.recover(state.warc_ends)
        urls = links.column("url").to_pylist()
        todo = [(i, u or "") for i, u in enumerate(urls) if i not in state.rows]
        notes: dict[str, Any] = {"resumed_rows": len(state.rows), "warc_bytes_discarded_on_resume": removed}
        pages = PageBuffer(len(urls), cfg.batch_size, state.rows)
        reader = WarcReader(root)
        try:
            for b in self._crawl(key, todo, archive, journal, pages, notes):
                start = b * cfg.batch_size
                batch = links.slice(start, cfg.batch_size)
                rows = range(start, start + batch.num_rows)
                missing = [i for i in rows if i not in journal.state.rows]
                if missing:
                    raise ShardError(f"{self.ctx.label} {key}: {len(missing)} links have no outcome in the journal "
                                     f"(first: row {missing[0]}); rerun to resume")
                oc = self._pages(batch, [journal.state.rows.pop(i) for i in rows], [pages.take(i) for i in rows],
                                 reader)  # popped: a task's memory holds the entries of unwritten batches only
                if start + batch.num_rows == links.num_rows:  # the last batch: the crawl is over
                    oc.notes = {**notes, **oc.notes}
                yield oc
        finally:
            reader.close()
        if root != self.ctx.run_dir:  # every batch is written: publish the crawl before the stats file
            self._push_crawl(key, local_stage)

    # -- runs on object storage ---------------------------------------------------------------------
    def _crawl_root(self) -> Path:
        """Where a task keeps its journal and WARC files while it crawls: the run directory itself, or,
        for a run on object storage (which has no appends), a local folder per run; its files are
        uploaded once the task has written every batch, before its stats file. A task killed mid-crawl
        resumes from the local files on the same machine, or crawls its host group again elsewhere."""
        if not is_remote(self.ctx.run_dir):
            return self.ctx.run_dir
        return local_tmp_dir() / "crawl" / hashlib.sha256(str(self.ctx.run_dir).encode()).hexdigest()[:16]

    def _crawl_files(self, stage: Path, key: str) -> list[Path]:
        return [stage / "journal" / f"{key}.jsonl", *sorted((stage / "warc").glob(f"{key}-*.warc.gz"))]

    def _pull_crawl(self, key: str, local_stage: Path) -> None:
        """A crawl published by a task that was killed before its stats file: take it up from there."""
        if (local_stage / "journal" / f"{key}.jsonl").exists():
            return
        remote = self._crawl_files(self.ctx.stage_dir, key)
        if not remote[0].exists():
            return
        for f in remote:
            dest = local_stage / f.relative_to(self.ctx.stage_dir).as_posix()
            dest.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(dest) as tmp:
                f.fs.get_file(f.path, str(tmp))

    def _push_crawl(self, key: str, local_stage: Path) -> None:
        """Upload the task's WARC files, then its journal, and drop the local copies."""
        files = self._crawl_files(local_stage, key)
        for f in [*files[1:], files[0]]:
            publish(f, self.ctx.stage_dir / f.relative_to(local_stage).as_posix())  # uploads, then deletes f

    def _crawl(self, key: str, todo: list[tuple[int, str]], archive: WarcArchive, journal: Journal,
               pages: PageBuffer, notes: dict[str, Any]) -> Iterator[int]:
        """Run the crawl, pausing it to yield each batch number (in order) as soon as all its rows are
        finished: the batch is built and written while the crawl waits (tens of ms for 1,000 pages of
        30 KB), and its pages leave memory. The last batch comes after the crawl's end, with its counters
        added to ``notes``."""
        from curation.fetch.crawler import Crawler

        n = len(pages.left)
        b = 0
        if todo:
            crawler = Crawler(self.config, archive, journal, pages=pages, label=f"{self.ctx.label} {key}")
            with asyncio.Runner() as runner:
                crawl = runner.get_loop().create_task(crawler.run(todo))
                while not crawl.done():
                    while b < n - 1 and pages.complete(b):
                        if pages.not_held[b]:  # some pages are read back: their records must be on disk
                            crawler.writer.drain()
                        yield b
                        b += 1
                    runner.run(_until_done_or_set(crawl, pages.batch_done))
                notes.update(crawl.result())  # raises what failed in the crawl
        yield from range(b, n)

    def _warcinfo(self) -> dict[str, str]:
        cfg: FetchConfig = self.config
        return {
            "software": f"webtext-curation/{VERSION} (aiohttp, warcio)",
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "http-header-user-agent": cfg.full_user_agent(),
            "robots": "obey" if cfg.obey_robots else "ignore",
            "operator": cfg.contact or "",
            "isPartOf": self.ctx.run_dir.name,
            "description": "Bodies stored decoded; original Content-Encoding/Transfer-Encoding/Content-Length "
                           "headers renamed to X-Crawler-*.",
        }

    def _pages(self, links: pa.Table, entries: list[dict[str, Any]],
               pages: list[tuple[bytes | str | None, str | None] | None], reader: WarcReader) -> Outcome:
        """The page columns of a batch of links, from the journal entries and each kept page's html and
        charset (decoded during the crawl; read back from its WARC record for rows an earlier run finished)."""
        cfg: FetchConfig = self.config
        cols: dict[str, list] = {name: [] for name, _ in PAGE_FIELDS}
        reasons: list[str | None] = []
        signals: list[float | None] = []
        read_back = 0
        for e, page in zip(entries, pages, strict=True):
            error, html, charset = e["fetch_error"], None, None
            if error is None and e.get("warc_file"):
                if page is None:
                    body = reader.read(e["warc_file"], e["warc_offset"], e.get("warc_end"))[1]
                    page = decode_page(body, e.get("content_type"))
                    read_back += 1
                html, charset = page
                if html is None:
                    error = "binary"
                elif e["truncated"] and cfg.drop_truncated:
                    error, html = "too_large", None
            for name, _ in PAGE_FIELDS:
                cols[name].append(e.get(name))
            cols["fetch_detail"][-1] = e.get("detail") or None
            cols["html"][-1], cols["charset"][-1], cols["fetch_error"][-1] = html, charset, error
            reasons.append(error)
            signals.append(float(e["body_bytes"]) if error == "too_large" else
                           float(e["status"]) if e.get("status") is not None else None)
        table = add_page_columns(links, cols)
        notes = {"pages_read_back": read_back} if read_back else {}
        if not any(r is not None for r in reasons):  # nothing to drop: skip filtering (copying) every column
            return Outcome(table, None, measure(links), notes)
        return Outcome.split(table, reasons, signals, input=measure(links), notes=notes)

    def empty_schema(self) -> pa.Schema | None:
        inputs = self._inputs()
        return page_schema(shard_schema(self.ctx.input_dir / f"{inputs[0]}.arrow")) if inputs else None


async def _until_done_or_set(task: asyncio.Task, event: asyncio.Event) -> None:
    """Wait until ``task`` is done or ``event`` is set (then clear it)."""
    waiter = asyncio.ensure_future(event.wait())
    try:
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
    event.clear()
