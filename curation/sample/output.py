"""Everything one generation writes, fed one block at a time: the dumps, the WARC shards, the truth files."""

from __future__ import annotations

import gzip
import json
import random
from collections import defaultdict
from contextlib import ExitStack
from pathlib import Path

from curation.sample.block import EXACT_CLUSTERS, NEAR_CLUSTERS, PAGES_PER_BLOCK
from curation.sample.dump import MonthlyDumps
from curation.sample.page import Page
from curation.sample.posts import T_FEBRUARY
from curation.sample.submission import Draft
from curation.sample.tally import Tally
from curation.sample.warc import CRAWL_START, ShardWriter

MONTHS = ("2019-01", "2019-02")
OUTPUT_PATTERNS = ("reddit/RS_*.zst", "warc/mini-web-*.warc.gz", "truth/*.jsonl.gz", "manifest.json")


class SampleWriter:
    def __init__(self, root: Path, seed: int, scale: float, n_blocks: int, n_shards: int) -> None:
        self.root, self.seed, self.scale = root, seed, scale
        self.n_blocks, self.n_shards = n_blocks, n_shards
        for folder in ("reddit", "warc", "truth"):
            (root / folder).mkdir(parents=True, exist_ok=True)
        for pattern in OUTPUT_PATTERNS:  # a bigger earlier run must not leave shards for a glob to pick up
            for path in root.glob(pattern):
                path.unlink()
        self.tally = Tally()
        self.shards: list[Path] = []
        self.shard: ShardWriter | None = None
        self.stack = ExitStack()
        self.dumps = self.stack.enter_context(MonthlyDumps(root / "reddit"))
        self.pages_truth = self._gzip(root / "truth" / "pages.jsonl.gz")
        self.posts_truth = self._gzip(root / "truth" / "posts.jsonl.gz")

    def _gzip(self, path: Path) -> gzip.GzipFile:
        raw = self.stack.enter_context(open(path, "wb"))  # noqa: SIM115 - closed by the stack
        # mtime=0 and no file name in the gzip header keep the file reproducible
        return self.stack.enter_context(gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0))

    @staticmethod
    def _line(handle: gzip.GzipFile, obj: dict) -> None:
        handle.write(json.dumps(obj, ensure_ascii=False, sort_keys=True).encode("utf-8") + b"\n")

    def write_posts(self, posts: list[tuple[Draft, str, str]]) -> dict[str, list[int]]:
        """Append a block's submissions; returns the scores of the parseable posts per page URL."""
        files = []
        linked: dict[str, list[int]] = defaultdict(list)
        for draft, post_id, line in posts:
            file, number = self.dumps.write(MONTHS[draft.created >= T_FEBRUARY], line)
            files.append(file)
            if draft.canonical and not draft.malformed:
                linked[draft.canonical].append(draft.score)
            self._line(self.posts_truth, {
                "file": f"reddit/{file}", "line": number, "id": post_id, "tags": draft.tags, "url": draft.url,
                "page_url": draft.canonical, "score": draft.score, "created_utc": draft.created,
            })
        self.tally.posts(posts, files)
        return linked

    def _shard_for(self, block: int) -> ShardWriter:
        """Blocks go to shards in order, about the same number per shard."""
        shard = block * self.n_shards // self.n_blocks
        if shard == len(self.shards):
            if self.shard:
                self.shard.close()
            self.shards.append(self.root / "warc" / f"mini-web-{shard:05d}.warc.gz")
            info = {"software": "webtext-curation mini-web sample generator", "format": "WARC File Format 1.1",
                    "isPartOf": "mini-web", "description": "Synthetic pages for offline demos; all text original.",
                    "seed": str(self.seed), "scale": str(self.scale)}
            self.shard = ShardWriter(self.shards[-1], random.Random(f"{self.seed}:warc:{shard}"), info,
                                     CRAWL_START + block * PAGES_PER_BLOCK * 6)
        return self.shard

    def write_pages(self, block: int, pages: list[Page], linked: dict[str, list[int]]) -> None:
        shard = self._shard_for(block)
        redirected_from = {p.redirect_to: p.url for p in pages if p.redirect_to}
        clock = random.Random(f"{self.seed}:clock:{block}")
        for index, page in enumerate(pages):
            epoch = CRAWL_START + (block * PAGES_PER_BLOCK + index) * 6 + clock.randint(0, 5)  # one fetch per ~8 s
            record_id = shard.write_page(page, epoch)
            scores = linked.get(page.url, [])
            karma3 = any(s >= 3 for s in scores)
            self.tally.page(page, karma3)
            self._line(self.pages_truth, {
                **page.truth(), "warc_file": self.shards[-1].relative_to(self.root).as_posix(),
                "record_id": record_id, "posts": len(scores), "max_score": max(scores, default=None),
                "linked_by_karma3_post": karma3, "redirected_from": redirected_from.get(page.url),
            })
        for kind, sizes in (("exact", EXACT_CLUSTERS), ("near", NEAR_CLUSTERS)):
            for size in sizes:
                self.tally.cluster(kind, size)

    def close(self) -> list[Path]:
        """Finish every file; returns them in manifest order."""
        if self.shard:
            self.shard.close()
        self.stack.close()
        return (sorted(self.root.glob("reddit/RS_*.zst")) + self.shards
                + [self.root / "truth" / name for name in ("pages.jsonl.gz", "posts.jsonl.gz")])
