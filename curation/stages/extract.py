"""Main-text extraction from HTML pages with trafilatura.

Per-document Python is unavoidable here (trafilatura parses one page at a time). Two guards keep
one pathological page from stalling a shard: HTML is cut at ``max_html_bytes`` before parsing, and
each page gets ``timeout_seconds`` of wall time (SIGALRM in the worker's main thread).
"""

from __future__ import annotations

import logging
import re
import signal
import threading
from contextlib import contextmanager
from typing import ClassVar, Literal

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from curation.registry import register
from curation.resources import cached
from curation.stage import REASON, SIGNAL, MapStage, Outcome, StageConfig

_LOOKS_LIKE_HTML = re.compile(r"<\s*(html|head|body|div|p|article|main|section|span|table|title|!doctype)\b", re.I)


class ExtractConfig(StageConfig):
    mode: Literal["precision", "balanced", "recall"] = Field(
        "precision",  # FineWeb extracts with favour_precision=True: less boilerplate, some lost text
        description="trafilatura's trade-off: `precision` drops more boilerplate, `recall` keeps more text.")
    include_tables: bool = Field(
        True,  # trafilatura's default. Off, pages laid out with <table> (common on older sites,
        # which WebText's links reach) lose their whole article: the demo lost 8% of its pages.
        description="Keep text inside HTML tables (table-based page layouts put the article there).")
    include_comments: bool = Field(False, description="Keep user comment sections.")
    min_chars: int | None = Field(
        200, ge=0, description="Drop pages whose extracted text is shorter (`too_short`); null: keep all.")
    max_html_bytes: int = Field(
        2_000_000, ge=1000, description="HTML is cut to this many UTF-8 bytes before parsing (counted).")
    timeout_seconds: float | None = Field(
        10.0, gt=0, description="Wall-time limit per page (`extraction_timeout`); null: no limit.")
    with_metadata: bool = Field(True, description="Extract title and date (htmldate) too.")


class _Timeout(Exception):
    pass


@contextmanager
def _time_limit(seconds: float | None):
    """Raise ``_Timeout`` after ``seconds``; a no-op outside the main thread (signals need it).

    An exception raised while Python runs a destructor (``__del__``) is printed and swallowed, so the
    handler re-arms itself every 0.2 s until one lands in ordinary code; the caller also checks
    ``state["expired"]`` in case the work finished in between.
    """
    state = {"expired": False}
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield state
        return

    def on_alarm(signum, frame):
        state["expired"] = True
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        raise _Timeout()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield state
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _warm_trafilatura():
    """Import trafilatura and run it once, outside any time limit: its first call in a process
    imports htmldate and dateparser lazily (seconds on a loaded machine), which must not count
    against the first page's timeout."""
    from trafilatura import bare_extraction

    bare_extraction("<html><body><article><p>" + "Warm up text. " * 30 + "</p></article></body></html>",
                    with_metadata=True)
    return bare_extraction


def _cut_utf8(text: str, max_bytes: int) -> str:
    data = text.encode("utf-8")
    return data[:max_bytes].decode("utf-8", errors="ignore") if len(data) > max_bytes else text


@register
class Extract(MapStage):
    name = "extract"
    summary = "Extract main text, title and date from HTML with trafilatura (drops boilerplate)."
    Config: ClassVar[type[StageConfig]] = ExtractConfig
    modifies_text = True

    def _extract_one(self, html: str, url: str | None) -> tuple[dict | None, str | None, float | None]:
        """Return (fields, drop reason, signal)."""
        bare_extraction = cached("trafilatura", _warm_trafilatura)

        cfg: ExtractConfig = self.config
        if html is None or not _LOOKS_LIKE_HTML.search(html[:4096]):
            return None, "not_html", None
        try:
            with _time_limit(cfg.timeout_seconds) as limit:
                doc = bare_extraction(
                    html, url=url, favor_precision=cfg.mode == "precision", favor_recall=cfg.mode == "recall",
                    include_comments=cfg.include_comments, include_tables=cfg.include_tables,
                    with_metadata=cfg.with_metadata)
            if limit["expired"]:  # the alarm was swallowed by a destructor, then the work finished
                return None, "extraction_timeout", cfg.timeout_seconds
        except _Timeout:
            return None, "extraction_timeout", cfg.timeout_seconds
        except (ValueError, TypeError, AttributeError, IndexError, RecursionError) as e:
            # lxml/trafilatura internals fail on some malformed documents: a counted drop, not a crash.
            logging.getLogger(__name__).debug("extraction failed on %s: %s", url, e)
            return None, "extraction_error", None
        text = (doc.text or "").strip() if doc is not None else ""
        if not text:
            return None, "extraction_empty", 0.0
        if cfg.min_chars is not None and len(text) < cfg.min_chars:
            return None, "too_short", float(len(text))
        return {"text": text, "title": doc.title, "date": doc.date}, None, None

    def process(self, table: pa.Table) -> Outcome:
        cfg: ExtractConfig = self.config
        html_col = table.column("html") if "html" in table.column_names else pa.nulls(len(table), pa.string())
        urls = table.column("url").to_pylist() if "url" in table.column_names else [None] * len(table)
        texts, titles, dates, reasons, signals = [], [], [], [], []
        cut = 0
        for html, url in zip(html_col.to_pylist(), urls, strict=True):
            if html is not None and len(html) * 4 > cfg.max_html_bytes and len(html.encode()) > cfg.max_html_bytes:
                html = _cut_utf8(html, cfg.max_html_bytes)
                cut += 1
            fields, reason, sig = self._extract_one(html, url)
            texts.append(fields["text"] if fields else None)
            titles.append(fields["title"] if fields else None)
            dates.append(fields["date"] if fields else None)
            reasons.append(reason)
            signals.append(sig)
        reasons_arr = pa.array(reasons, pa.string())
        keep = pc.is_null(reasons_arr)
        drop = pc.invert(keep)
        kept = table.drop_columns([c for c in ("html",) if c in table.column_names]).filter(keep)
        for name, values in (("text", texts), ("title", titles), ("date", dates)):
            col = pa.array(values, pa.string()).filter(keep)
            kept = kept.set_column(kept.column_names.index(name), name, col) if name in kept.column_names \
                else kept.append_column(name, col)
        rejected = table.filter(drop).append_column(REASON, reasons_arr.filter(drop)).append_column(
            SIGNAL, pa.array(signals, pa.float64()).filter(drop))
        return Outcome(kept, rejected, notes={"html_cut_to_max_bytes": cut} if cut else {})
