"""The "mini-web" demo sample: a Reddit submissions dump and a WARC crawl of the pages it links to.

Everything is generated from a seed, block by block (100 pages and their ~215 submissions at a time), so
memory stays flat at any scale and the same seed and scale give byte-identical files. Layout::

    out_dir/reddit/RS_2019-01.zst, RS_2019-02.zst   NDJSON submissions, zstd with a 2**28 window
    out_dir/warc/mini-web-00000.warc.gz ...         WARC/1.1, request + response per page
    out_dir/truth/pages.jsonl.gz                    ground truth per WARC response (kind, lang, charset, dups)
    out_dir/truth/posts.jsonl.gz                    ground truth per dump line (file, line, tags, page URL)
    out_dir/manifest.json                           counts per planted category, file sizes and digests
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

from curation.sample.block import BlockContext, build_block
from curation.sample.output import SampleWriter
from curation.sample.posts import block_posts

BLOCKS_AT_SCALE_1 = 14  # 1,400 pages and about 3,000 submissions
SHARDS_AT_SCALE_1 = 4  # so a shard holds 3-4 blocks (about 1.3 MB compressed) whatever the scale
DEFINITIONS = {
    "jaccard": "exact Jaccard of word 5-gram sets; words = main text lower-cased and split on whitespace",
    "main_text": "headline, headings, paragraphs, list items and table rows of the page body, one per line",
    "karma3_link_posts": "parseable lines with a url and an integer score >= 3, self posts excluded",
    "linked_by_karma3_post": "pages whose URL (or a spelling variant of it) a karma3 link post points to",
    "truth": "per-page ground truth in truth/pages.jsonl.gz, per-line in truth/posts.jsonl.gz",
}


def _file_entry(path: Path, root: Path) -> dict:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return {"path": path.relative_to(root).as_posix(), "bytes": path.stat().st_size, "sha256": digest.hexdigest()}


def generate(out_dir: str | Path, scale: float = 1.0, seed: int = 1234) -> dict:
    """Write the sample under ``out_dir`` and return its manifest (also saved as manifest.json)."""
    if not isinstance(scale, int | float) or not math.isfinite(scale) or scale <= 0:
        raise ValueError(f"scale must be a positive number (1.0 gives about 3,000 posts), got {scale!r}")
    root = Path(out_dir)
    n_blocks = max(1, round(BLOCKS_AT_SCALE_1 * scale))
    n_shards = max(1, round(SHARDS_AT_SCALE_1 * scale))
    sites_per_topic = 6 + 2 * n_blocks  # bigger samples spread over more sites
    writer = SampleWriter(root, seed, scale, n_blocks, n_shards)
    sequence = 0  # submissions so far: ids grow with time across blocks
    try:
        for block in range(n_blocks):
            pages = build_block(BlockContext(seed, block, sites_per_topic))
            posts = block_posts(seed, block, n_blocks, sites_per_topic, pages, sequence)
            sequence += len(posts)
            writer.write_pages(block, pages, writer.write_posts(posts))
    finally:
        files = writer.close()
    manifest = {
        "name": "mini-web", "seed": seed, "scale": scale, "blocks": n_blocks, "definitions": DEFINITIONS,
        **writer.tally.summary(),
        "files": [_file_entry(p, root) for p in files],
    }
    (root / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return manifest
