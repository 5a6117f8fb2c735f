"""The fetch loop of one shard task: workers take URLs from the frontier, check robots.txt, make one
request per hop, archive it, and follow redirects, retries and host retirement.

Every input row ends in exactly one journal entry: kept candidates (2xx of an allowed type) with their
WARC record, everything else with its error class. Rules, in the order they apply to a hop:
1. scheme http/https only (``unsupported_scheme``), IP literals checked by the SSRF guard (``ssrf``);
2. robots.txt of the hop's origin (fetched first if unknown; ``robots``, ``robots_unavailable``);
3. the request itself, under the host's politeness limits (``dns``, ``ssrf``, ``timeout``, ...);
4. 429/500/502/503/504 and retriable transport errors are retried (Retry-After honoured, else
   exponential backoff) up to ``max_retries`` times;
5. 3xx: the target is queued as a new hop on its own host (robots, pacing and the guard apply
   again), up to ``max_redirects`` (``too_many_redirects``, ``redirect_loop``);
6. a host that used up its error budget, whose name does not resolve, or that the guard refuses is
   retired: its queued URLs are dropped with that error class, without contacting it again. What
   belongs to one origin (scheme, host and port: RFC 9309 robots.txt, a port nothing listens on) ends
   that origin only: its URLs are dropped as ``robots_unavailable`` (or ``invalid_url``), and the
   host's other origins are fetched as usual.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp.abc import AbstractResolver
from aiohttp.resolver import ThreadedResolver
from yarl import URL

from curation.fetch.archive import RecordRef, WarcArchive, warc_date
from curation.fetch.client import Exchange, HttpClient
from curation.fetch.frontier import Frontier, Host, Item
from curation.fetch.journal import Journal
from curation.fetch.outcomes import (
    HOST_ERRORS,
    RETRY_STATUSES,
    InvalidTarget,
    check_target,
    host_key,
    redirect_target,
    retry_after,
    status_error,
    wire_url,
)
from curation.fetch.robots import (
    ALLOW_ALL,
    ROBOTS_MAX_BYTES,
    RobotsRules,
    agent_token,
    origin_of,
    parse_robots,
)
from curation.fetch.ssrf import AddressPolicy, GuardedResolver, StaticResolver
from curation.fetch.writer import INLINE, BackgroundWriter
from curation.urls import normalize_host

if TYPE_CHECKING:
    from curation.fetch.buffer import PageBuffer
    from curation.stages.fetch import FetchConfig

ROBOTS_REDIRECTS = 5  # RFC 9309 2.3.1.2: follow at least five consecutive redirects
DEFERRED = "deferred"


@dataclass(frozen=True)
class OriginError:
    """Why no URL of an origin is requested (its robots.txt stayed unreachable, its host is not valid)."""

    error: str
    detail: str


class Crawler:
    def __init__(self, cfg: FetchConfig, archive: WarcArchive, journal: Journal, *,
                 pages: PageBuffer | None = None, resolver: AbstractResolver | None = None, label: str = "fetch"):
        self.cfg = cfg
        self.label = label  # names the task in progress lines
        self.archive = archive
        self.journal = journal
        self.pages = pages  # told of every finished row, with the body of a kept candidate
        self.user_agent = cfg.full_user_agent()
        self.agent = cfg.robots_agent or agent_token(cfg.user_agent)
        self.policy = AddressPolicy(cfg.allow_private_networks, cfg.allowed_networks)
        if resolver is None and cfg.resolve:  # names as requests carry them: punycode (see wire_url)
            table = {normalize_host(name): addresses for name, addresses in cfg.resolve.items()}
            resolver = StaticResolver(table, fallback=ThreadedResolver)
        self.resolver = GuardedResolver(self.policy, inner=resolver, timeout=cfg.connect_timeout)
        self.robots: dict[str, RobotsRules | OriginError] = {}  # per origin
        self.robots_failures: Counter[str] = Counter()  # unreachable robots.txt fetches per origin
        self.stats: Counter[str] = Counter()
        self.finished = 0  # rows with their outcome, for progress lines
        self.kept = 0  # of which pages (no error)
        self.frontier: Frontier | None = None
        self.client: HttpClient | None = None
        self.writer: BackgroundWriter | None = None

    async def run(self, todo: list[tuple[int, str]]) -> dict[str, Any]:
        """Fetch every ``(row, url)``; each gets one journal entry. Returns counters for the stats notes."""
        start = time.perf_counter()
        loop = asyncio.get_running_loop()
        loop.set_default_executor(ThreadPoolExecutor(max_workers=min(32, self.cfg.concurrency)))  # getaddrinfo
        self.writer = BackgroundWriter()
        files = [self.archive, self.journal]
        for f in files:
            f.writer = self.writer
            f.flush_each = False
        self.writer.after_batch = [self.archive.io_flush, self.journal.io_flush]  # records before journal lines
        self.frontier = Frontier(self.cfg.per_host_concurrency, self.cfg.per_host_delay)
        try:
            for row, url in todo:
                try:
                    url = wire_url(url)
                    u = check_target(url, self.policy)
                except InvalidTarget as e:
                    self._finish(Item(row, url), e.error, detail=str(e))
                    continue
                self.frontier.add(host_key(u), Item(row, url))
            self.stats["hosts"] = len(self.frontier.hosts)
            async with HttpClient(user_agent=self.user_agent, connect_timeout=self.cfg.connect_timeout,
                                  read_timeout=self.cfg.read_timeout, total_timeout=self.cfg.total_timeout,
                                  max_bytes=self.cfg.max_body_bytes, allowed_types=self.cfg.content_types,
                                  resolver=self.resolver, concurrency=self.cfg.concurrency) as client:
                self.client = client
                heartbeat = asyncio.create_task(self._heartbeat(len(todo), start))
                try:
                    async with asyncio.TaskGroup() as tg:
                        for _ in range(self.cfg.concurrency):
                            tg.create_task(self._worker())
                finally:
                    heartbeat.cancel()
        finally:
            try:
                for f in files:
                    f.close()  # raises a write error the writer already met: close it all the same
            finally:
                try:
                    self.writer.close()  # every queued write is on disk (or its error raised) before we return
                finally:
                    for f in files:
                        f.writer = INLINE
                        f.flush_each = True
        self.stats["dns_lookups"] = self.resolver.lookups
        self.stats["fetch_seconds"] = round(time.perf_counter() - start, 3)
        return dict(self.stats)

    async def _heartbeat(self, total: int, start: float) -> None:
        """Every ``progress_seconds``, one line on stderr: a fetch task can run for hours (a host's
        URLs are one ``per_host_delay`` apart), and the run's progress bar only counts finished tasks."""
        if not self.cfg.progress_seconds:
            return
        while True:
            await asyncio.sleep(self.cfg.progress_seconds)
            done, kept = self.finished, self.kept
            seconds = time.perf_counter() - start
            left = sum(1 for h in self.frontier.hosts.values() if h.queue or h.in_flight)
            hosts = f"{left:,} host{'s' * (left != 1)} left"
            print(f"{self.label}: {done:,}/{total:,} links finished ({kept:,} pages, {done - kept:,} failed) in "
                  f"{seconds:,.0f} s, {done / seconds:,.1f} links/s; {hosts}", file=sys.stderr, flush=True)

    async def _worker(self) -> None:
        while (taken := await self.frontier.take()) is not None:
            await self._step(*taken)

    # -- one hop -----------------------------------------------------------------------------
    async def _step(self, host: Host, item: Item) -> None:
        u = URL(item.url, encoded=True)
        rules: RobotsRules | OriginError | None = ALLOW_ALL
        if self.cfg.obey_robots:
            origin = origin_of(u.scheme.lower(), host.name, u.explicit_port)
            rules = self.robots.get(origin)
            if rules is None:
                await self._robots_step(host, item, origin)
                return
        if isinstance(rules, OriginError):
            self._finish(item, rules.error, detail=rules.detail)
            self.frontier.release(host, item, contacted=False)
            return
        if not rules.allowed(item.url, self.agent):
            self._finish(item, "robots", detail=f"disallowed by robots.txt for {self.agent}")
            self.frontier.release(host, item, contacted=False)
            return
        ex = await self.client.get(item.url)
        item.elapsed += ex.elapsed
        self.stats["requests"] += 1
        self.stats["wire_bytes"] += ex.wire_bytes
        if ex.error:
            self._transport_error(host, item, ex)
            return
        ref = await self._archive(ex, u)
        if ex.status in RETRY_STATUSES:
            host.errors += 1
            wait = retry_after(ex.header("Retry-After"))
            wait = self.cfg.retry_backoff * 2 ** item.attempt if wait is None else wait
            if item.attempt < self.cfg.max_retries and wait <= self.cfg.max_retry_after:
                self._vouch(ref)
                self._retry(host, item, wait)
                return
            self._finish(item, status_error(ex), ex, ref)
            self._release(host, item)
            return
        location = ex.header("Location")
        if 300 <= ex.status < 400 and location:
            self._redirect(host, item, u, location, ex, ref)
            return
        self._finish(item, status_error(ex), ex, ref)
        self._release(host, item)

    def _transport_error(self, host: Host, item: Item, ex: Exchange) -> None:
        if ex.error in ("dns", "ssrf"):  # the host's one lookup failed or was refused: so will every URL
            self._finish(item, ex.error, ex)
            self._retire(host, ex.error, ex.detail)
            self.frontier.release(host, item)
            return
        if ex.error in HOST_ERRORS:
            host.errors += 1
        wait = self.cfg.retry_backoff * 2 ** item.attempt
        if ex.retriable and item.attempt < self.cfg.max_retries:
            self._retry(host, item, wait)
            return
        self._finish(item, ex.error, ex)
        self._release(host, item)

    def _retry(self, host: Host, item: Item, wait: float) -> None:
        self.stats["retries"] += 1
        item.attempt += 1
        self.frontier.add(host.name, item, front=True)
        self._release(host, item, wait=wait)

    def _release(self, host: Host, item: Item, wait: float = 0.0) -> None:
        """Release the host; retire it first if it has used up its error budget."""
        if host.errors >= self.cfg.host_error_budget and not host.dead:
            self._retire(host, "host_errors", f"{host.errors} errors on {host.name}")
        self.frontier.release(host, item, wait=wait)

    def _retire(self, host: Host, error: str, detail: str) -> None:
        host.dead = error
        self.stats["hosts_retired"] += 1
        for queued in self.frontier.drain(host):
            self._finish(queued, error, detail=f"host retired: {detail}")

    def _redirect(self, host: Host, item: Item, u: URL, location: str, ex: Exchange, ref: RecordRef) -> None:
        self.stats["redirects"] += 1
        try:
            target = redirect_target(u, location)
            nxt = check_target(target, self.policy)
        except InvalidTarget as e:
            self._finish(item, e.error, ex, ref, detail=f"redirect to {location[:200]}: {e}")
            self._release(host, item)
            return
        except ValueError as e:
            self._finish(item, "invalid_url", ex, ref, detail=f"redirect to {location[:200]}: {e}")
            self._release(host, item)
            return
        hops = (*item.hops, item.url)
        error = ("redirect_loop" if target in hops else
                 "too_many_redirects" if len(hops) > self.cfg.max_redirects else None)
        name = host_key(nxt)
        target_host = self.frontier.host(name)
        if error is None and target_host.dead:
            error = target_host.dead
        if error:
            self._finish(item, error, ex, ref, detail=f"redirect to {target[:200]}")
        else:
            self._vouch(ref)
            self.frontier.add(name, Item(item.row, target, hops, 0, item.elapsed), front=True)
        self._release(host, item)

    # -- robots.txt --------------------------------------------------------------------------
    async def _robots_step(self, host: Host, item: Item, origin: str) -> None:
        """Fetch the origin's robots.txt in this host slot; the item goes back to the queue front (and
        ends there at once if the origin turned out to be unusable)."""
        outcome = await self._fetch_robots(origin, host)
        if outcome in ("dns", "ssrf"):  # the host name's one lookup: every origin of the host fails alike
            self._finish(item, outcome, detail=f"{origin}/robots.txt: {outcome}")
            self._retire(host, outcome, f"{origin}/robots.txt")
            self.frontier.release(host, item)
            return
        if outcome == DEFERRED:
            self.robots_failures[origin] += 1
            if self.robots_failures[origin] < self.cfg.robots_attempts:
                self.frontier.add(host.name, item, front=True)
                self.frontier.release(host, item, wait=self.cfg.robots_retry_delay)
                return
            self.robots[origin] = OriginError("robots_unavailable", f"{origin}/robots.txt unreachable")
            self.stats["origins_unavailable"] += 1
        self.frontier.add(host.name, item, front=True)
        self.frontier.release(host, item)

    async def _fetch_robots(self, origin: str, host: Host) -> str | None:
        url = f"{origin}/robots.txt"
        for hop in range(ROBOTS_REDIRECTS + 1):
            ex = await self.client.get(url, max_bytes=ROBOTS_MAX_BYTES, any_type=True)
            self.stats["robots_requests"] += 1
            self.stats["wire_bytes"] += ex.wire_bytes
            if ex.error:
                if hop == 0 and ex.error in ("dns", "ssrf"):
                    return ex.error
                if hop == 0 and ex.error in ("invalid_url", "tls"):  # the origin itself is unusable (a host
                    # aiohttp refuses, a certificate that does not verify): no retry, no page request
                    self.robots[origin] = OriginError(ex.error, f"{origin}: {ex.detail}")
                    return None
                return DEFERRED if hop == 0 else self._set_robots(origin, host, ALLOW_ALL)
            u = URL(url, encoded=True)
            self._vouch(await self._archive(ex, u))
            location = ex.header("Location")
            if 300 <= ex.status < 400 and location and hop < ROBOTS_REDIRECTS:
                try:
                    url = str(check_target(redirect_target(u, location), self.policy))
                except (InvalidTarget, ValueError):
                    return self._set_robots(origin, host, ALLOW_ALL)
                continue
            if 200 <= ex.status < 300:
                return self._set_robots(origin, host, parse_robots(ex.body))
            if ex.status == 429 or ex.status >= 500:
                return DEFERRED
            return self._set_robots(origin, host, ALLOW_ALL)  # 4xx: "unavailable", anything may be fetched
        return self._set_robots(origin, host, ALLOW_ALL)

    def _set_robots(self, origin: str, host: Host, rules: RobotsRules) -> None:
        self.robots[origin] = rules
        delay = rules.crawl_delay(self.agent)
        if delay is not None:
            host.delay = max(host.delay, min(delay, self.cfg.max_crawl_delay))
        return None

    # -- records -----------------------------------------------------------------------------
    async def _archive(self, ex: Exchange, u: URL) -> RecordRef:
        """Encode the exchange's records here and queue them for the writer's thread (waiting first while
        more than ``MAX_PENDING_BYTES`` are queued: a disk slower than the network)."""
        await self.writer.wait_below()
        return self.archive.write(ex, u.raw_path_qs or "/")

    def _vouch(self, ref: RecordRef) -> None:
        """Journal records that belong to no finished row yet (robots.txt, a hop, a retried attempt)."""
        self.journal.append({}, ref, offset=False)

    def _finish(self, item: Item, error: str | None, ex: Exchange | None = None, ref: RecordRef | None = None,
                detail: str = "") -> None:
        entry: dict[str, Any] = {
            "row": item.row, "final_url": item.url, "fetch_error": error, "redirects": len(item.hops),
            "elapsed_ms": round(item.elapsed * 1000), "fetched_at": warc_date(ex.date if ex else time.time()),
            "status": ex.status if ex else None, "content_type": ex.header("Content-Type") if ex else None,
            "body_bytes": len(ex.body) if ex and ref else 0, "wire_bytes": ex.wire_bytes if ex else 0,
            "truncated": bool(ex and ref and ex.truncated), "detail": detail or (ex.detail if ex else ""),
        }
        self.journal.append(entry, ref)
        self.finished += 1
        self.kept += error is None
        if self.pages is not None:
            kept = error is None and ex is not None and ref is not None
            self.pages.finish(item.row, ex.body if kept else None, entry["content_type"])
