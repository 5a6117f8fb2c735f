"""Which error class a URL, a redirect target or a response gets, and when a request is retried.

Error classes (the ``fetch`` stage's drop reasons): ``invalid_url``, ``unsupported_scheme``, ``ssrf``,
``dns``, ``connect``, ``tls``, ``timeout``, ``protocol``, ``bad_encoding``, ``robots``,
``robots_unavailable``, ``too_many_redirects``, ``redirect_loop``, ``http_4xx``, ``http_5xx``,
``http_status``, ``not_html``, ``host_errors``; the page shard adds ``binary`` and ``too_large``.
"""

from __future__ import annotations

import contextlib
import email.utils
import re
import time
from urllib.parse import quote, urlsplit, urlunsplit

from yarl import URL

from curation.fetch.client import Exchange
from curation.fetch.ssrf import AddressPolicy, SsrfBlocked, check_host_literal

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})  # Scrapy's RETRY_HTTP_CODES, less 408/522/524
HOST_ERRORS = frozenset({"timeout", "connect", "tls", "protocol"})  # count against the host's budget


class InvalidTarget(Exception):
    def __init__(self, error: str, detail: str):
        super().__init__(detail)
        self.error = error


_PRINTABLE = "".join(map(chr, range(0x21, 0x7F)))  # what a request line may carry as it is
_WIRE_OK = re.compile("[!-~]*")


def _authority(url: str) -> str:
    rest = url.partition("//")[2]
    for sep in "/?#":
        rest = rest.split(sep, 1)[0]
    return rest


def wire_url(url: str) -> str:
    """``url`` as it is sent: a user name and password dropped (credentials in links that strangers
    posted are neither sent nor stored), an international host name in its ASCII (punycode) form, and
    spaces, control and non-ASCII characters elsewhere percent-encoded as UTF-8, as browsers send them
    (existing escapes are kept as they are). Links from ``harvest`` are normalized already; this is for
    link shards from elsewhere. ``InvalidTarget`` if the host name is not valid."""
    if _WIRE_OK.fullmatch(url) and "@" not in _authority(url):
        return url  # the common case: nothing to change
    from curation.urls import normalize_host

    try:
        parts = urlsplit(url.strip())  # also drops tabs and newlines inside, as browsers do
        netloc = parts.netloc.rpartition("@")[2]
        if not _WIRE_OK.fullmatch(netloc):
            host, colon, port = netloc.rpartition(":") if not netloc.endswith("]") else (netloc, "", "")
            if not colon or not port.isdigit():
                host, colon, port = netloc, "", ""
            netloc = normalize_host(host) + colon + port
    except ValueError as e:
        raise InvalidTarget("invalid_url", str(e)) from None
    return urlunsplit((parts.scheme, netloc, quote(parts.path, safe=_PRINTABLE),
                       quote(parts.query, safe=_PRINTABLE), quote(parts.fragment, safe=_PRINTABLE)))


def redirect_target(base: URL, location: str) -> str:
    """The absolute URL a ``Location`` header points to, without its fragment. Header values are kept
    as latin-1 (one character per byte); like browsers, a value that is valid UTF-8 is read as UTF-8,
    so ``/caf\u00e9`` and ``bücher.de`` are sent percent-encoded and in punycode, not as mojibake.
    ``ValueError`` if the value is not a URL."""
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        location = location.encode("latin-1").decode("utf-8")
    return str(base.join(URL(location.strip())).with_fragment(None))


def check_target(url: str, policy: AddressPolicy) -> URL:
    """The parsed URL if it may be requested at all; else ``InvalidTarget`` with the error class."""
    try:
        u = URL(url, encoded=True)
        scheme, host, port = u.scheme.lower(), u.raw_host, u.explicit_port
    except (ValueError, TypeError) as e:
        raise InvalidTarget("invalid_url", str(e)) from None
    if scheme not in ("http", "https"):
        raise InvalidTarget("unsupported_scheme", f"scheme {scheme or '(none)'!r}")
    if not host:
        raise InvalidTarget("invalid_url", "no host")
    if port == 0:
        raise InvalidTarget("invalid_url", "port 0")
    try:
        check_host_literal(host, policy)
    except SsrfBlocked as e:
        raise InvalidTarget("ssrf", str(e)) from None
    return u


def host_key(u: URL) -> str:
    """The host whose politeness limits a URL falls under: lowercase, no trailing dot (``A.test.`` and
    ``a.test`` are one host to pace)."""
    return u.raw_host.lower().rstrip(".")


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delay-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time()) if when is not None else None


def status_error(ex: Exchange) -> str | None:
    """The drop reason of a final response, or None for a page worth keeping."""
    s = ex.status
    if 200 <= s < 300:
        return "not_html" if ex.body_skipped else None
    if 400 <= s < 500:
        return "http_4xx"
    if 500 <= s < 600:
        return "http_5xx"
    return "http_status"
