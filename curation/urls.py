"""URL normalization: one spelling per page, so reposts and tracking variants of a link merge.

``normalize_url`` is the identity of a link everywhere in the pipeline (harvest dedup, document ids,
the WARC join), so it must give the same answer for the same page on every machine. It changes only
what does not change the page:

- scheme and host lowercased; international host names in their ASCII (punycode) form; a trailing dot
  on the host and the scheme's default port removed; user name and password removed;
- the fragment removed (it never reaches the server);
- percent-encoding made canonical (RFC 3986 section 6.2.2): escapes of unreserved characters decoded,
  the remaining escapes in upper case, characters that are not allowed (spaces, non-ASCII) encoded as
  UTF-8; dot segments (``/a/./b/../c``) resolved;
- an empty path becomes ``/``; a trailing slash on any other path is removed (``/page/`` -> ``/page``);
- tracking parameters removed (``TRACKING_PARAMS``), the others sorted by name (stable, so repeated
  names keep their order).

It keeps what may change the page: ``http`` and ``https``, ``www.`` and bare hosts, and the case of
the path are different URLs here (the content dedup stages merge pages that turn out to be the same).
Parsing is the standard library's ``urllib.parse``; IDNA is the ``idna`` package (UTS 46); registered
domains come from ``tldextract`` with the public suffix list snapshot it ships (never downloaded).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

# Global tracking parameters, from Firefox's query-stripping list and the global rules of ClearURLs
# and AdGuard's TrackParamFilter; site-specific ones (e.g. `si` on YouTube) are left alone because
# the same names carry content elsewhere.
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "ysclid", "twclid",
    "ttclid", "igshid", "igsh", "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "__hstc", "__hssc",
    "__hsfp", "hsctatracking", "mkt_tok", "oly_anon_id", "oly_enc_id", "vero_id", "vero_conv",
    "wickedid", "rb_clickid", "s_cid", "_openstat", "__s", "ref_src", "ref_url", "spm",
})
TRACKING_PREFIXES = ("utm_",)

DEFAULT_PORTS = {"http": 80, "https": 443}
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# Characters left as they are in a path (RFC 3986 pchar plus "/"); anything else is percent-encoded.
_PATH_SAFE = _UNRESERVED | frozenset("!$&'()*+,;=:@/")
# In a query parameter "&" separates parameters and "=" a name from its value: both stay as they are.
_QUERY_SAFE = _PATH_SAFE | frozenset("?")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_HOST_OK = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*")
_STRIP = re.compile(r"[\t\n\r]")  # WHATWG URL: tabs and newlines inside a URL are removed
_PATH_OK = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@/]*")
_QUERY_OK = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@/?]*")
# The common shape (ASCII host, no user info, no IPv6 literal), split without urllib's general
# parser; anything else goes to urllib.parse.urlsplit. tests/curation/test_urls.py checks that both
# give the same answers.
_SIMPLE = re.compile(r"([Hh][Tt][Tt][Pp][Ss]?)://([A-Za-z0-9._-]+)(?::([0-9]*))?(/[^?#]*)?(?:\?([^#]*))?(?:#.*)?",
                     re.S)
# The usual shape of a submitted link, already canonical up to its query: lowercase http(s) scheme and
# host (as _HOST_OK), no user info, port or fragment, a path of _PATH_SAFE characters, and a query
# without whitespace. When the path also has no dot segment and no trailing slash, normalize_url keeps
# everything but the query as it is: one match replaces the general path (about a third of its cost).
_CANONICAL = re.compile(  # possessive (*+, ++): nothing here ever needs backtracking, and it is faster
    r"(https?://([a-z0-9_-]++(?:\.[a-z0-9_-]++)*+)(/[A-Za-z0-9\-._~!$&'()*+,;=:@/]*+))(?:\?([^#\s\x00]*+))?+")

# _CANONICAL without a query and with the path conditions folded in (no segment starting with ".", no
# trailing slash but on "/" itself), for RE2 over a whole Arrow column (no possessive quantifiers there).
_PCHAR = r"A-Za-z0-9\-_~!$&'()*+,;=:@"  # _PATH_SAFE but "." and "/"
_CANONICAL_RE2 = (rf"^https?://[a-z0-9_-]+(?:\.[a-z0-9_-]+)*"
                  rf"(?:/|(?:/(?:[{_PCHAR}][{_PCHAR}.]*)?)*/[{_PCHAR}][{_PCHAR}.]*)$")


def _canonical_escapes(part: str, safe: frozenset[str]) -> str:
    """Decode escapes of unreserved characters, upper-case the others, encode unsafe characters."""
    if (_PATH_OK if safe is _PATH_SAFE else _QUERY_OK).fullmatch(part):
        return part  # the common case: nothing to do
    out = []
    i, n = 0, len(part)
    while i < n:
        c = part[i]
        if c == "%":
            m = _ESCAPE.match(part, i)
            if m:
                ch = chr(int(m.group(1), 16))
                out.append(ch if ch in _UNRESERVED else "%" + m.group(1).upper())
                i += 3
                continue
            out.append("%25")  # a lone "%" is a literal percent sign
        elif c in safe:
            out.append(c)
        else:
            out.extend(f"%{b:02X}" for b in c.encode("utf-8", "surrogatepass"))
        i += 1
    return "".join(out)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4: ``/a/./b/../c`` -> ``/a/c``."""
    if "/." not in path:
        return path
    out: list[str] = []
    segments = path.split("/")
    for seg in segments[1:]:
        if seg == "..":
            if out:
                out.pop()
        elif seg != ".":
            out.append(seg)
    last = segments[-1]
    if last in (".", ".."):
        out.append("")  # "/a/b/.." names the directory "/a/"
    return "/" + "/".join(out)


@lru_cache(maxsize=65536)
def normalize_host(host: str) -> str:
    """A host as normalize_url writes it: lowercase, punycode, no trailing dot; ValueError if invalid."""
    host = host.rstrip(".")
    if "%" in host:
        host = unquote(host)
    if host.startswith("[") or ":" in host:  # IPv6 literal
        return host if host.startswith("[") else f"[{host}]"
    if not host.isascii():
        import idna

        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError as e:
            raise ValueError(f"invalid international host name {host!r} ({e})") from None
    host = host.lower()
    if not _HOST_OK.fullmatch(host):
        raise ValueError(f"invalid host name {host!r}")
    return host


def _clean(url: str) -> str:
    url = url.strip(" \t\n\r\f\v\x00")
    if "\t" in url or "\n" in url or "\r" in url:
        url = _STRIP.sub("", url)
    return url


def _split(url: str, fast: bool = True) -> tuple[str, str, int | None, str, str]:
    """(scheme, host, port, path, query) of an http(s) URL; ValueError if it has no usable host."""
    url = _clean(url)
    m = _SIMPLE.fullmatch(url) if fast else None
    if m:
        scheme, hostname, port, path, query = m.groups()
        if port:
            port_no = int(port)
            if port_no > 65535:
                raise ValueError("invalid port")
            return scheme.lower(), hostname.lower(), port_no, path or "", query or ""
        return scheme.lower(), hostname.lower(), None, path or "", query or ""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise ValueError(f"not an http(s) URL (scheme {scheme!r})" if scheme else "no scheme (not an absolute URL)")
    if not parts.hostname:
        raise ValueError("no host")
    try:
        port_no = parts.port
    except ValueError:
        raise ValueError("invalid port") from None
    return scheme, parts.hostname, port_no, parts.path, parts.query


def host(url: str) -> str:
    """The URL's host as ``normalize_url`` writes it (lowercase, punycode, no port); ValueError if none."""
    return normalize_host(_split(url)[1])


def is_tracking_param(name: str) -> bool:
    name = unquote(name).lower()
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)


def _normalize_query(query: str) -> str:
    params = [p for p in query.split("&") if p]
    params = [p for p in params if not is_tracking_param(p.split("=", 1)[0])]
    params = [_canonical_escapes(p, _QUERY_SAFE) for p in params]
    params.sort(key=lambda p: p.split("=", 1)[0])  # stable: repeated names keep their order
    return "&".join(params)


def normalize_url(url: str, _fast: bool = True) -> str:
    """The canonical spelling of an http(s) URL; raises ValueError (with the reason) for an unusable one."""
    return normalize_url_parts(url, _fast)[0]


def canonical_urls(urls: pa.Array) -> np.ndarray:
    """For a column of URLs, which ones ``normalize_url`` gives back unchanged: a mask computed in Arrow,
    without the GIL, that may miss some canonical URLs (those with a query, say) but never lists another.
    Their host and path are then ``canonical_parts``."""
    import pyarrow.compute as pc

    return pc.fill_null(pc.match_substring_regex(urls, _CANONICAL_RE2), False).to_numpy(zero_copy_only=False)


def canonical_parts(url: str) -> tuple[str, str]:
    """(host, path) of a URL that ``canonical_urls`` listed: ``normalize_url_parts`` without its checks."""
    start = 8 if url[4] == "s" else 7  # after "https://" or "http://"
    slash = url.index("/", start)
    return url[start:slash], url[slash:]


def normalize_url_parts(url: str, _fast: bool = True) -> tuple[str, str, str]:
    """``(normalize_url(url), its host, its path)``, for callers that check host and path next."""
    if _fast:
        m = _CANONICAL.fullmatch(url)
        if m is not None:
            base, h, path, query = m.groups()
            if "/." not in path and (path[-1] != "/" or len(path) == 1):
                if query is None:
                    return url, h, path
                query = _normalize_query(query) if query else ""
                return (f"{base}?{query}" if query else base), h, path
    scheme, hostname, port, path, query = _split(url, _fast)
    h = normalize_host(hostname)
    netloc = h if port is None or port == DEFAULT_PORTS[scheme] else f"{h}:{port}"
    path = _canonical_escapes(_remove_dot_segments(path), _PATH_SAFE) or "/"
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    query = _normalize_query(query) if query else ""
    return (f"{scheme}://{netloc}{path}?{query}" if query else f"{scheme}://{netloc}{path}"), h, path


@lru_cache(maxsize=1)
def _extractor():
    import tldextract

    # suffix_list_urls=() and no cache dir: the snapshot inside the package, never a download.
    return tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True,
                                 include_psl_private_domains=True)


def registered_domain(url: str) -> str:
    """The registrable domain (public suffix + one label: ``news.bbc.co.uk`` -> ``bbc.co.uk``).

    Accepts a URL or a bare host. Private suffixes count (``me.github.io`` is its own domain), so a
    blog host is not lumped with every other blog. IP addresses and single-label hosts come back as they are.
    """
    h = host(url) if "://" in url else normalize_host(url)
    if h.startswith("["):
        return h
    return _extractor().extract_str(h).top_domain_under_public_suffix or h
