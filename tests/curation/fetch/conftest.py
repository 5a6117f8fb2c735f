"""A real web server on 127.0.0.1 (``curation.fetch.testserver``) and a helper that crawls a list of
URLs with a stub resolver and returns each URL's journal entry."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from curation.fetch.archive import WarcArchive
from curation.fetch.crawler import Crawler
from curation.fetch.journal import Journal
from curation.fetch.ssrf import StaticResolver
from curation.fetch.testserver import TestWeb
from curation.stages.fetch import FetchConfig

# Names the stub resolver knows: the test server under several host names, and hostile answers.
NAMES = {
    **{f"{h}.test": ["127.0.0.1"] for h in ("a", "b", "c", "d", "e", "paced", "robots", "flaky", "slow")},
    "loopback.test": ["127.0.0.1"],
    "private.test": ["10.0.0.1"],
    "metadata.test": ["169.254.169.254"],
    "mapped.test": ["::ffff:10.0.0.1"],
    "mixed.test": ["93.184.216.34", "10.0.0.1"],
}
# Tests allow exactly the test server's address; everything else stays behind the guard.
FAST = {"per_host_delay": 0.0, "allowed_networks": ["127.0.0.1/32"], "retry_backoff": 0.05,
        "total_timeout": 3.0, "read_timeout": 2.0, "connect_timeout": 2.0}


@pytest.fixture
def web() -> Iterator[TestWeb]:
    server = TestWeb().start()
    yield server
    server.stop()


class CrawlResult:
    def __init__(self, entries: list[dict[str, Any]], stats: dict[str, Any], resolver: StaticResolver,
                 folder: Path):
        self.entries, self.stats, self.resolver, self.folder = entries, stats, resolver, folder

    def errors(self) -> list[str | None]:
        return [e["fetch_error"] for e in self.entries]

    def warcs(self) -> list[Path]:
        return sorted((self.folder / "warc").glob("*.warc.gz"))


@pytest.fixture
def crawl(tmp_path: Path) -> Callable[..., CrawlResult]:
    counter = iter(range(1000))

    def run(urls: list[str], **settings: Any) -> CrawlResult:
        folder = tmp_path / f"crawl{next(counter)}"
        cfg = FetchConfig(**{**FAST, **settings})
        resolver = StaticResolver(NAMES)
        archive = WarcArchive(folder / "warc", "part-00000", folder, max_bytes=cfg.warc_max_bytes,
                              info={"software": "tests"})
        journal = Journal(folder / "journal.jsonl")
        stats = asyncio.run(Crawler(cfg, archive, journal, resolver=resolver).run(list(enumerate(urls))))
        rows = Journal(folder / "journal.jsonl").load().rows
        return CrawlResult([rows[i] for i in range(len(urls))], stats, resolver, folder)

    return run
