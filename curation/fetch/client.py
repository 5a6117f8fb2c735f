"""One HTTP request-response exchange, never following redirects (the crawler re-checks every hop),
with every failure turned into an error class: ``dns``, ``ssrf``, ``connect``, ``tls``, ``timeout``,
``protocol``, ``bad_encoding``, ``invalid_url``.

The session is built for untrusted servers: the guarded resolver, no proxy from the environment, no
cookies (nothing carried between sites, nothing stored), aiohttp's decompression off (``body`` decodes
under the size cap), and connect/read/total timeouts.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import aiohttp
from aiohttp.abc import AbstractResolver
from yarl import URL

from curation.fetch.body import CHUNK, DecodingError, read_body
from curation.fetch.ssrf import SsrfBlocked

ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"
ACCEPT_ENCODING = "gzip, deflate, br, zstd"  # every coding curation.fetch.body decodes under the cap


@dataclass
class Exchange:
    """What happened to one request: the response (possibly with a truncated or skipped body) or an error."""

    url: str
    status: int | None = None
    reason: str = ""
    http_version: str = "1.1"
    headers: list[tuple[str, str]] = field(default_factory=list)
    request_headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    wire_bytes: int = 0
    truncated: bool = False
    body_skipped: bool = False  # the content type is not on the allow-list: the body was not read
    peer: str | None = None  # the IP address the connection went to
    error: str | None = None
    retriable: bool = False
    detail: str = ""
    elapsed: float = 0.0
    date: float = 0.0  # wall-clock time the response (or the error) came

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)


def media_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    return content_type.split(";", 1)[0].strip().lower() or None


def classify(exc: BaseException) -> tuple[str, bool]:
    """(error class, worth retrying) for an exception raised by a request."""
    seen: BaseException | None = exc
    for _ in range(8):  # the guard's refusal arrives wrapped in aiohttp's connector error
        if seen is None:
            break
        if isinstance(seen, SsrfBlocked):
            return "ssrf", False
        seen = seen.__cause__ or seen.__context__
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return "dns", False
    if isinstance(exc, aiohttp.ClientConnectorCertificateError | aiohttp.ClientSSLError):
        return "tls", False
    if isinstance(exc, asyncio.TimeoutError | TimeoutError):
        return "timeout", True
    if isinstance(exc, aiohttp.InvalidURL | ValueError):
        return "invalid_url", False
    if isinstance(exc, DecodingError):
        return "bad_encoding", False
    if isinstance(exc, aiohttp.ClientPayloadError | aiohttp.ClientResponseError):
        return "protocol", False
    if isinstance(exc, aiohttp.ClientConnectionError | OSError):
        return "connect", True
    if isinstance(exc, aiohttp.ClientError):
        return "protocol", False
    raise exc


class HttpClient:
    def __init__(self, *, user_agent: str, connect_timeout: float, read_timeout: float, total_timeout: float,
                 max_bytes: int, allowed_types: list[str], resolver: AbstractResolver, concurrency: int):
        self.user_agent = user_agent
        self.timeout = aiohttp.ClientTimeout(total=total_timeout, sock_connect=connect_timeout,
                                             sock_read=read_timeout)
        self.max_bytes = max_bytes
        self.allowed_types = {t.lower() for t in allowed_types}
        self.resolver = resolver
        self.concurrency = concurrency
        self.session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> HttpClient:
        connector = aiohttp.TCPConnector(resolver=self.resolver, limit=self.concurrency, limit_per_host=0,
                                         use_dns_cache=False)
        self.session = aiohttp.ClientSession(
            connector=connector, timeout=self.timeout, auto_decompress=False, trust_env=False,
            cookie_jar=aiohttp.DummyCookieJar(),
            headers={"User-Agent": self.user_agent, "Accept": ACCEPT, "Accept-Encoding": ACCEPT_ENCODING})
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.session is not None:
            await self.session.close()

    def wants_body(self, status: int, content_type: str | None) -> bool:
        """Bodies of 2xx responses are read only for allowed types (or no type: sniffed later)."""
        if not 200 <= status < 300:
            return True
        mt = media_type(content_type)
        return mt is None or mt in self.allowed_types

    async def get(self, url: str, *, max_bytes: int | None = None, any_type: bool = False) -> Exchange:
        """One GET of ``url`` (already checked by the caller); ``any_type`` reads the body whatever its type."""
        ex = Exchange(url)
        start = time.perf_counter()
        try:
            async with self.session.get(URL(url, encoded=True), allow_redirects=False) as resp:
                ex.status, ex.reason = resp.status, resp.reason or ""
                ex.http_version = f"{resp.version.major}.{resp.version.minor}" if resp.version else "1.1"
                ex.headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in resp.raw_headers]
                ex.request_headers = list(resp.request_info.headers.items())
                transport = resp.connection.transport if resp.connection else None
                peer = transport.get_extra_info("peername") if transport else None
                ex.peer = peer[0] if peer else None
                if any_type or self.wants_body(resp.status, resp.headers.get("Content-Type")):
                    body = await read_body(resp.content.iter_chunked(CHUNK), resp.headers.get("Content-Encoding"),
                                           max_bytes or self.max_bytes)
                    ex.body, ex.wire_bytes, ex.truncated = body.data, body.wire_bytes, body.truncated
                else:
                    ex.body_skipped = True
        except Exception as e:  # classified below; anything unexpected is re-raised by classify
            ex.error, ex.retriable = classify(e)
            ex.detail = f"{type(e).__name__}: {e}"[:300]
            if ex.error == "timeout":
                t = self.timeout
                ex.detail = f"timed out (connect {t.sock_connect:g} s, read {t.sock_read:g} s, total {t.total:g} s)"
        ex.elapsed = time.perf_counter() - start
        ex.date = time.time()
        return ex
