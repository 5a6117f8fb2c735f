"""Fixtures shared by the whole suite: small real inputs written by the tests themselves."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
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


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """An S3-compatible server (moto's server mode) on 127.0.0.1 for the whole session.

    The AWS variables are set in ``os.environ`` so worker processes (spawned pools, a local Ray
    instance) reach the same server; they are restored afterwards."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ENDPOINT_URL": f"http://{host}:{port}"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield env["AWS_ENDPOINT_URL"]
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        server.stop()


@pytest.fixture
def bucket(s3_endpoint: str) -> str:
    """A new, empty bucket; returns ``s3://<name>``."""
    import uuid

    import s3fs

    name = f"test-{uuid.uuid4().hex[:12]}"
    s3fs.S3FileSystem(skip_instance_cache=True).mkdir(name)
    return f"s3://{name}"
