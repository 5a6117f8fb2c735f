"""Small real inputs and stage drivers for tests and benchmarks: WARC files, HTML pages, input shards."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from curation.config import parse_pipeline
from curation.executors.local import LocalExecutor
from curation.registry import get_stage_class
from curation.runner import run_phases
from curation.shards import write_json, write_table
from curation.stage import Stage, StageContext

ARTICLE = (
    "<html><head><title>{title}</title></head><body>"
    "<nav><a href='/'>Home</a> <a href='/about'>About</a> <a href='/contact'>Contact</a></nav>"
    "<article><h1>{title}</h1>{paragraphs}</article>"
    "<footer>Copyright 2019 Example Media. All rights reserved. Privacy policy. Terms of use.</footer>"
    "</body></html>"
)

WORDS = ["garden", "river", "morning", "window", "kettle", "bicycle", "mountain", "letter", "candle", "harbor", "village", "orchard", "station", "library", "market", "bridge", "forest", "meadow", "lantern", "pebble"]


def article_html(i: int, n_paragraphs: int = 4) -> str:
    """A page whose main text differs per ``i`` (so dedup and extraction see distinct documents)."""
    paragraphs = []
    for p in range(n_paragraphs):
        words = [WORDS[(i * 7 + p * 3 + k * k) % len(WORDS)] for k in range(12)]
        sentence = (f"On day {i} we walked past the {words[0]} and the {words[1]} before noon, "
                    f"and the {words[2]} near the {words[3]} was quieter than usual. ")
        paragraphs.append("<p>" + sentence * 3 + f"Paragraph {p} of page {i} ends here.</p>")
    return ARTICLE.format(title=f"Notes from page {i}", paragraphs="".join(paragraphs))


Page = tuple[str, int, Sequence[tuple[str, str]], bytes]  # url, status, http headers, body


def write_warc(path: Path, pages: Sequence[Page], *, truncate_last: bool = False) -> Path:
    """Write request-less response records (deterministic ids and dates), per-record gzip."""
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=True, warc_version="1.1")
    for n, (url, status, headers, body) in enumerate(pages):
        http = StatusAndHeaders(f"{status} OK", list(headers), protocol="HTTP/1.1")
        rec = writer.create_warc_record(
            url, "response", payload=io.BytesIO(body), http_headers=http,
            warc_headers_dict={"WARC-Record-ID": f"<urn:uuid:00000000-0000-0000-0000-{n:012d}>",
                               "WARC-Date": "2019-01-01T00:00:00Z"})
        writer.write_record(rec)
    data = buf.getvalue()
    if truncate_last:
        data = data[:-40]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path




def write_shards(folder: Path, table: pa.Table, shards: int = 1) -> Path:
    """Split ``table`` into ``shards`` input shards ``folder/part-i.arrow`` (as a previous stage would)."""
    size = -(-table.num_rows // shards)
    for i in range(shards):
        write_table(folder / f"part-{i:05d}.arrow", table.slice(i * size, size))
    return folder


def make_stage(stage_type: str, run_dir: Path, input_dir: Path, label: str, **params: Any) -> Stage:
    """A stage configured as a pipeline YAML entry would be (validated), bound as the runner binds it:
    its folder created and its fingerprint written."""
    spec = parse_pipeline({"name": "t", "stages": [{"stage": stage_type, **params}]}).stages[0]
    stage = get_stage_class(spec.type)(spec.config, StageContext(run_dir, run_dir / label, input_dir, label))
    stage.ctx.stage_dir.mkdir(parents=True, exist_ok=True)
    write_json(stage.ctx.stage_dir / "fingerprint.json", {"inputs": stage.input_fingerprint()})
    return stage


def run_stage(stage: Stage, workers: int = 1) -> Stage:
    """Every phase of one stage, as ``curate run`` drives it (in this process with one worker)."""
    executor = LocalExecutor(workers)
    try:
        run_phases(stage, executor)
    finally:
        executor.close()
    return stage
