"""A local web server with well-behaved and hostile routes, for the fetcher's tests and benchmark.

It binds 127.0.0.1 only, serves every host name it is reached under (the fetcher maps test names to
127.0.0.1 with ``resolve``), and records when each request arrived, so politeness can be asserted
from the server's side. ``python -m curation.fetch.testserver`` runs it in its own process (the
benchmark does, so server and client do not share a GIL) and prints the port.

Routes: ``/robots.txt`` (per host: ``robots[host] = [(status, body), ...]``, the last one repeats),
``/page/<name>[?p=<paragraphs>]``, ``/redirect/<n>``, ``/loop/a`` <-> ``/loop/b``, ``/to?url=<target>``,
``/status/<code>``, ``/retry-after/<key>`` (429 with Retry-After: 1 once, then 200),
``/flaky/<n>/<key>`` (503 n times, then 200), ``/slow-drip``, ``/endless``, ``/gzip-bomb``,
``/zstd-bomb``, ``/br-bomb``, ``/mislabelled``, ``/meta-charset``, ``/no-type``, ``/doc.pdf``,
``/png-as-html``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import ssl
import sys
import threading
import time
import zlib
from collections import Counter, defaultdict
from functools import cache

import brotli
import zstandard
from aiohttp import web

BOMB_BYTES = 200 * 1024 * 1024  # what each bomb expands to


@cache
def _prose() -> str:
    """~2 MB of word salad with a Zipf-like vocabulary: it compresses about as well as real HTML text
    (4-5x with gzip), unlike a repeated sentence, so WARC compression costs what it costs on the web."""
    rng = random.Random(0)
    letters = "etaoinshrdlcumwfgypbvkjxqz"
    vocab = ["".join(rng.choices(letters, weights=range(26, 0, -1), k=rng.randint(2, 9))) for _ in range(5000)]
    weights = [1 / (r + 1) for r in range(len(vocab))]
    return " ".join(rng.choices(vocab, weights=weights, k=350_000))


def page_html(name: str, paragraphs: int = 6) -> bytes:
    """An HTML page of ``paragraphs`` paragraphs (~160 bytes each); the text depends on ``name``."""
    prose = _prose()
    start = zlib.crc32(name.encode()) % (len(prose) // 2)
    body = "".join(f"<p>Paragraph {i} of page {name}: {prose[start + 150 * i: start + 150 * i + 140]}.</p>"
                   for i in range(paragraphs))
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>Page {name}</title></head>"
            f"<body><article>{body}</article></body></html>").encode()


@cache
def bomb(kind: str) -> bytes:
    """``BOMB_BYTES`` of HTML-looking whitespace, compressed: a few hundred KB or less on the wire."""
    block = b"<html><body>" + b" " * (1024 * 1024 - 12)
    n = BOMB_BYTES // len(block)
    if kind == "gzip":  # one gzip member per MiB (a valid gzip stream, and 50x faster to build than one)
        c = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        return (c.compress(block) + c.flush()) * n
    if kind == "zstd":
        c = zstandard.ZstdCompressor(level=3).compressobj()
        return b"".join(c.compress(block) for _ in range(n)) + c.flush()
    c = brotli.Compressor(quality=1)
    return b"".join(c.process(block) for _ in range(n)) + c.finish()


class TestWeb:
    __test__ = False  # not a pytest test class

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self.ssl_context = ssl_context  # serve https with this context (tests of certificate checks)
        self.arrivals: list[tuple[float, str, str]] = []  # (monotonic time, host, path)
        self.robots: dict[str, list[tuple[int, str]]] = {}
        self.hits: Counter[str] = Counter()
        self._robots_served: Counter[str] = Counter()
        self._state: dict[str, int] = defaultdict(int)
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    # -- helpers for tests ---------------------------------------------------------------------
    def url(self, host: str, path: str) -> str:
        return f"{'https' if self.ssl_context else 'http'}://{host}:{self.port}{path}"

    def times(self, host: str, prefix: str = "/") -> list[float]:
        return [t for t, h, p in self.arrivals if h == host and p.startswith(prefix) and p != "/robots.txt"]

    def requests(self, host: str) -> list[str]:
        return [p for _, h, p in self.arrivals if h == host]

    # -- the application -----------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._dispatch)
        return app

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        host = (request.host or "").rsplit(":", 1)[0].strip("[]")
        path = request.path
        self.arrivals.append((time.monotonic(), host, request.path_qs))
        self.hits[path] += 1
        parts = path.strip("/").split("/")
        head = parts[0]
        html = "text/html; charset=utf-8"
        if path == "/robots.txt":
            answers = self.robots.get(host) or [(404, "")]
            n = self._robots_served[host]
            self._robots_served[host] += 1
            status, body = answers[min(n, len(answers) - 1)]
            return web.Response(status=status, text=body, content_type="text/plain")
        if head == "page":  # ?p=N: N paragraphs of ~160 bytes (default 6, ~1 KB)
            paragraphs = min(int(request.query.get("p", 6)), 10_000)
            return web.Response(body=page_html(parts[-1], paragraphs), headers={"Content-Type": html})
        if head == "redirect":
            n = int(parts[1])
            return web.HTTPFound(f"/redirect/{n - 1}" if n > 0 else "/page/end")
        if head == "loop":
            return web.HTTPFound("/loop/b" if parts[1] == "a" else "/loop/a")
        if head == "to":
            return web.Response(status=302, headers={"Location": request.query["url"]})
        if head == "status":
            return web.Response(status=int(parts[1]), body=b"<html><body>status</body></html>",
                                headers={"Content-Type": html})
        if head == "retry-after":
            self._state[path] += 1
            if self._state[path] == 1:
                return web.Response(status=429, headers={"Retry-After": "1"}, text="slow down")
            return web.Response(body=page_html(path), headers={"Content-Type": html})
        if head == "flaky":
            self._state[path] += 1
            if self._state[path] <= int(parts[1]):
                return web.Response(status=503, text="unavailable")
            return web.Response(body=page_html(path), headers={"Content-Type": html})
        if head in ("slow-drip", "endless"):
            resp = web.StreamResponse(headers={"Content-Type": html})
            await resp.prepare(request)
            chunk = b"<" if head == "slow-drip" else b"<p>" + b"x" * 65530 + b"</p>"
            try:
                while True:
                    await resp.write(chunk)
                    await asyncio.sleep(0.1 if head == "slow-drip" else 0)
            except (ConnectionError, asyncio.CancelledError):
                return resp
        if head.endswith("-bomb"):
            kind = head.split("-")[0]
            return web.Response(body=bomb(kind), headers={"Content-Type": html, "Content-Encoding": kind})
        if head == "mislabelled":  # says utf-8, is windows-1252
            text = "<html><body><p>" + "Le café “noir” était très bon — merci. " * 10 + "</p></body></html>"
            return web.Response(body=text.encode("cp1252"), headers={"Content-Type": html})
        if head == "meta-charset":
            text = "<html><head><meta charset='windows-1251'></head><body><p>" + "Привет, мир! " * 20 + "</p>"
            return web.Response(body=text.encode("cp1251"), headers={"Content-Type": "text/html"})
        if head == "no-type":
            resp = web.Response(body=page_html("untyped"))
            resp.headers.popall("Content-Type", None)
            resp.content_type = ""
            return resp
        if head == "doc.pdf":
            return web.Response(body=b"%PDF-1.4\n" + b"\x00\x01binary" * 100, headers={"Content-Type": "application/pdf"})
        if head == "png-as-html":
            return web.Response(body=b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, headers={"Content-Type": html})
        return web.Response(status=404, text="no such route")

    # -- running it ----------------------------------------------------------------------------
    def start(self) -> TestWeb:
        ready = threading.Event()

        def serve() -> None:
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(self._start_site())
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=serve, daemon=True, name="testweb")
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("test web server did not start")
        return self

    async def _start_site(self, port: int = 0) -> None:
        self._runner = web.AppRunner(self.app(), access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port, ssl_context=self.ssl_context)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    def stop(self) -> None:
        if self._loop is None:
            return
        fut = asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop)
        fut.result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop = None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    web_ = TestWeb()

    async def run() -> None:
        await web_._start_site(args.port)
        print(web_.port, flush=True)
        await asyncio.Event().wait()

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
