"""Pages from WARC archives: every HTTP response becomes a page record, decoded once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import pyarrow as pa
from pydantic import Field

from curation.charset import decode_body
from curation.ids import doc_id
from curation.registry import register
from curation.stage import Outcome, SourceConfig, SourceStage, StageConfig
from curation.warc import WarcReadErrors, iter_responses

PAGE_SCHEMA = pa.schema([
    ("id", pa.string()),
    ("url", pa.string()),
    ("status", pa.int32()),
    ("content_type", pa.string()),
    ("charset", pa.string()),
    ("html", pa.string()),  # decoded body; null for binary bodies (PDF, images): the extractor drops them
    ("body_bytes", pa.int64()),
    ("truncated", pa.bool_()),
    ("warc_file", pa.string()),
    ("warc_offset", pa.int64()),
    ("warc_record_id", pa.string()),
    ("fetched_at", pa.string()),
])


class WarcReadConfig(SourceConfig):
    max_body_bytes: int = Field(
        5_000_000, ge=1024,
        description="Bodies are cut at this many bytes (after content decoding) and marked `truncated`.")
    keep_status: list[int] = Field(
        [200], description="HTTP statuses kept as pages; others are dropped as `http_status` (redirects, errors).")


@register
class WarcRead(SourceStage):
    name = "warc_read"
    summary = "Read every HTTP response in WARC/ARC files into page records (decoded once, charset recorded)."
    Config: ClassVar[type[StageConfig]] = WarcReadConfig

    def empty_schema(self) -> pa.Schema:
        return PAGE_SCHEMA

    def read(self, path: str) -> Iterator[Outcome]:
        cfg: WarcReadConfig = self.config
        errors = WarcReadErrors()
        rows: list[dict] = []
        reasons: list[str | None] = []
        signals: list[float | None] = []

        def flush() -> Outcome:
            table = pa.Table.from_pylist(rows, schema=PAGE_SCHEMA)
            oc = Outcome.split(table, reasons, signals)
            rows.clear(), reasons.clear(), signals.clear()
            return oc

        for resp in iter_responses(path, cfg.max_body_bytes, errors):
            html, charset = decode_body(resp.body, resp.content_type)
            rows.append({
                "id": doc_id(resp.record_id), "url": resp.url, "status": resp.status,
                "content_type": resp.content_type, "charset": charset, "html": html,
                "body_bytes": len(resp.body), "truncated": resp.truncated, "warc_file": path,
                "warc_offset": resp.offset, "warc_record_id": resp.record_id, "fetched_at": resp.date,
            })
            if resp.status not in cfg.keep_status:
                reasons.append("http_status")
                signals.append(float(resp.status) if resp.status is not None else None)
            else:
                reasons.append(None)
                signals.append(None)
            if len(rows) >= cfg.batch_size:
                yield flush()
        oc = flush()
        oc.notes = {"warc_" + k: v for k, v in errors.counts.items()}
        if errors.examples:
            oc.notes["warc_error_examples"] = errors.examples
        yield oc
