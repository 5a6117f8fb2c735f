"""WARC/1.1 shards written with warcio, byte for byte reproducible.

warcio would stamp records with the wall clock and uuid4 ids; both are passed explicitly here (dates from a
simulated crawl clock, ids from a seeded RNG), and its per-record gzip members carry no timestamp.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime
from email.utils import formatdate
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from curation.sample.page import STATUS_TEXT, Page

CRAWL_START = 1_551_657_600  # 2019-03-04T00:00:00Z, after the last submission
USER_AGENT = "mini-web-sample/1.0 (synthetic offline corpus; +https://example.org/mini-web)"


def warc_date(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ShardWriter:
    def __init__(self, path: Path, rng: random.Random, info: dict[str, str], epoch: int) -> None:
        self.path, self.rng = path, rng
        self.file = open(path, "wb")  # noqa: SIM115 - closed in close()
        self.writer = WARCWriter(self.file, gzip=True, warc_version="1.1")
        payload = "".join(f"{k}: {v}\r\n" for k, v in info.items()).encode("utf-8")
        record = self.writer.create_warc_record(
            "", "warcinfo", payload=BytesIO(payload), length=len(payload),
            warc_headers_dict={"WARC-Record-ID": self.record_id(), "WARC-Date": warc_date(epoch),
                               "WARC-Filename": path.name},
        )
        self.writer.write_record(record)
        self.records = 1

    def record_id(self) -> str:
        return f"<urn:uuid:{uuid.UUID(int=self.rng.getrandbits(128), version=4)}>"

    def write_page(self, page: Page, epoch: int) -> str:
        """A request record, then the response it is concurrent to; returns the response's record id."""
        parts = urlsplit(page.url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        response_id, date = self.record_id(), warc_date(epoch)
        ip = f"203.0.113.{self.rng.randint(1, 254)}"  # TEST-NET-3: documentation addresses only
        request_headers = StatusAndHeaders(f"GET {target} HTTP/1.1", [
            ("Host", parts.netloc), ("User-Agent", USER_AGENT),
            ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
            ("Accept-Language", "en-US,en;q=0.5"), ("Connection", "close"),
        ], is_http_request=True)
        request = self.writer.create_warc_record(
            page.url, "request", payload=BytesIO(b""), length=0, http_headers=request_headers,
            warc_headers_dict={"WARC-Record-ID": self.record_id(), "WARC-Date": date, "WARC-Concurrent-To": response_id},
        )
        response_headers = StatusAndHeaders(
            f"{page.status} {STATUS_TEXT[page.status]}", [("Date", formatdate(epoch, usegmt=True)), *page.headers],
            protocol="HTTP/1.1",
        )
        response = self.writer.create_warc_record(
            page.url, "response", payload=BytesIO(page.body), length=len(page.body), http_headers=response_headers,
            warc_headers_dict={"WARC-Record-ID": response_id, "WARC-Date": date, "WARC-IP-Address": ip},
        )
        self.writer.write_record(request)
        self.writer.write_record(response)
        self.records += 2
        return response_id

    def close(self) -> None:
        self.file.close()
