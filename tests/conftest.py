"""Fixtures shared by the whole suite: small real inputs written by the tests themselves."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from curation.testing import Page, article_html, write_warc


@pytest.fixture
def make_warc() -> Callable[..., Path]:
    return write_warc


@pytest.fixture
def article_warcs(tmp_path: Path) -> Path:
    """Three WARC files of 8 pages each: articles, a 404, a PDF, a tiny page."""
    html = [("Content-Type", "text/html; charset=utf-8")]
    for f in range(3):
        pages: list[Page] = []
        for i in range(8):
            n = f * 8 + i
            url = f"http://site{n % 5}.example/{n}"
            if i == 5:
                pages.append((url, 404, html, b"<html><body>Not found</body></html>"))
            elif i == 6:
                pages.append((url, 200, [("Content-Type", "application/pdf")], b"%PDF-1.4 binary"))
            elif i == 7:
                pages.append((url, 200, html, b"<html><body><p>Too short.</p></body></html>"))
            else:
                pages.append((url, 200, html, article_html(n).encode()))
        write_warc(tmp_path / "warc" / f"crawl-{f}.warc.gz", pages)
    return tmp_path / "warc"
