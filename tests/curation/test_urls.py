from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curation.ids import doc_id
from curation.urls import (
    canonical_parts,
    canonical_urls,
    host,
    normalize_url,
    normalize_url_parts,
    registered_domain,
)


@pytest.mark.parametrize(("url", "expected"), [
    # tracking parameters go, the others stay, sorted by name
    ("https://example.com/a?utm_source=reddit&utm_medium=social&id=7", "https://example.com/a?id=7"),
    ("https://example.com/a?fbclid=XYZ&b=2&gclid=1&a=1&_ga=3", "https://example.com/a?a=1&b=2"),
    ("https://example.com/a?UTM_Campaign=x", "https://example.com/a"),
    ("https://example.com/a?q=2&q=1&p=0", "https://example.com/a?p=0&q=2&q=1"),  # repeated names keep order
    ("https://example.com/search?ref=home&source=nav", "https://example.com/search?ref=home&source=nav"),
    # case: scheme and host only
    ("HTTPS://WWW.Example.COM/Path/File.HTML", "https://www.example.com/Path/File.HTML"),
    # ports
    ("http://example.com:80/a", "http://example.com/a"),
    ("https://example.com:443/a", "https://example.com/a"),
    ("https://example.com:80/a", "https://example.com:80/a"),
    ("http://example.com:8080/a", "http://example.com:8080/a"),
    # IDN: punycode, whichever way it was written
    ("https://bücher.de/x", "https://xn--bcher-kva.de/x"),
    ("https://XN--BCHER-KVA.de/x", "https://xn--bcher-kva.de/x"),
    # trailing slash, empty path, fragment, trailing dot, user info
    ("https://example.com/page/", "https://example.com/page"),
    ("https://example.com", "https://example.com/"),
    ("https://example.com/#top", "https://example.com/"),
    ("https://example.com/a#section-2", "https://example.com/a"),
    ("https://example.com./a", "https://example.com/a"),
    ("https://user:secret@example.com/a", "https://example.com/a"),
    # percent-encoding: unreserved decoded, others upper-case, unsafe encoded
    ("https://example.com/%7euser/%2fx", "https://example.com/~user/%2Fx"),
    ("https://example.com/caf\u00e9 menu", "https://example.com/caf%C3%A9%20menu"),
    ("https://example.com/caf%c3%a9", "https://example.com/caf%C3%A9"),
    ("https://example.com/100%", "https://example.com/100%25"),
    ("https://example.com/a?q=caf\u00e9", "https://example.com/a?q=caf%C3%A9"),
    # dot segments, whitespace around and inside
    ("https://example.com/a/./b/../c", "https://example.com/a/c"),
    ("  https://example.com/a\n ", "https://example.com/a"),
    ("https://[2001:DB8::1]:443/x", "https://[2001:db8::1]/x"),
])
def test_normalize_url(url: str, expected: str) -> None:
    assert normalize_url(url) == expected
    assert normalize_url(url, _fast=False) == expected


def test_reposts_share_one_id() -> None:
    variants = ["https://www.nytimes.com/2019/01/02/story.html?utm_source=reddit",
                "https://WWW.NYTIMES.COM:443/2019/01/02/story.html#comments",
                "https://www.nytimes.com/2019/01/02/story.html/"]
    assert len({doc_id(normalize_url(u)) for u in variants}) == 1
    # different origins stay different
    assert normalize_url("http://www.nytimes.com/a") != normalize_url("https://www.nytimes.com/a")
    assert normalize_url("https://nytimes.com/a") != normalize_url("https://www.nytimes.com/a")


@pytest.mark.parametrize(("url", "reason"), [
    ("ftp://example.com/file", r"not an http\(s\) URL"),
    ("javascript:alert(1)", r"not an http\(s\) URL"),
    ("/r/news/comments/abc/", "no scheme"),
    ("http:///path", "no host"),
    ("http://example.com:99999/", "invalid port"),
    ("http://example.com:12ab/", "invalid port"),
    ("http://exa mple.com/", "invalid host"),
    ("http://a..b.com/", "invalid host"),
])
def test_unusable_urls_raise_with_reason(url: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        normalize_url(url)


def test_host_and_registered_domain() -> None:
    assert host("https://WWW.Bücher.de:8080/x") == "www.xn--bcher-kva.de"
    assert registered_domain("https://news.bbc.co.uk/a") == "bbc.co.uk"
    assert registered_domain("en.m.wikipedia.org") == "wikipedia.org"
    assert registered_domain("https://someone.blogspot.com/") == "someone.blogspot.com"  # private suffix
    assert registered_domain("http://192.0.2.7/x") == "192.0.2.7"
    assert registered_domain("http://localhost:8000/") == "localhost"
    with pytest.raises(ValueError):
        host("mailto:someone@example.com")


_seg = st.text(alphabet="abcXYZ09-._~%/!$&'()*+,;=:@ é?#", max_size=12)
_urls = st.builds(
    lambda scheme, h, port, path, query, frag: f"{scheme}://{h}{port}/{path}{query}{frag}",
    st.sampled_from(["http", "https", "HTTP", "hTTps"]),
    st.sampled_from(["example.com", "WWW.Example.org", "b\u00fccher.de", "a-b.co.uk", "x.com."]),
    st.sampled_from(["", ":80", ":443", ":8080", ":"]),
    _seg,
    st.one_of(st.just(""), st.builds(lambda q: "?" + q, st.text(alphabet="ab=&%20utm_x_gclidé", max_size=16))),
    st.sampled_from(["", "#", "#frag"]),
)


@settings(max_examples=300, deadline=None)
@given(_urls)
def test_fast_path_agrees_with_urllib_and_is_idempotent(url: str) -> None:
    try:
        expected = normalize_url(url, _fast=False)
    except ValueError:
        with pytest.raises(ValueError):
            normalize_url(url)
        return
    assert normalize_url(url) == expected
    assert normalize_url(expected) == expected


# The shapes the canonical fast path accepts or must hand on: lowercase and odd hosts, dot segments,
# trailing and double slashes, queries with tracking parameters, escapes and whitespace.
_canonical_like = st.builds(
    lambda scheme, h, path, query: f"{scheme}://{h}{path}{query}",
    st.sampled_from(["http", "https", "Https"]),
    st.sampled_from(["example.com", "a_b-c.example.org", "1.2.3.4", "x", "a..b", ".a.com", "a.com.", "Ex.com"]),
    st.text(alphabet="ab/.-_~%2:@!$&'()*+,;=", max_size=14).map(lambda p: "/" + p),
    st.one_of(st.just(""), st.builds(lambda q: "?" + q, st.text(alphabet="ab=&%20utm_x_gclid \t#é", max_size=16))),
)


@settings(max_examples=500, deadline=None)
@given(_canonical_like)
def test_canonical_fast_path_agrees_with_urllib(url: str) -> None:
    try:
        expected = normalize_url_parts(url, _fast=False)
    except ValueError:
        with pytest.raises(ValueError):
            normalize_url_parts(url)
        return
    assert normalize_url_parts(url) == expected


@pytest.mark.parametrize("url", [
    "https://example.com/a/b.html", "http://example.com/", "https://example.com/a?utm_source=x",
    "https://example.com/a?b=2&a=1", "https://example.com/a?", "https://example.com/a/", "https://example.com//",
    "https://example.com/a/./b", "https://example.com/a?q=x y", "https://ex_ample.com/~u/p;x=1",
])
def test_canonical_shapes(url: str) -> None:
    assert normalize_url_parts(url) == normalize_url_parts(url, _fast=False)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_canonical_like, _urls), min_size=1, max_size=20))
def test_canonical_column_lists_only_unchanged_urls(urls: list[str]) -> None:
    for url, listed in zip(urls, canonical_urls(pa.array(urls)), strict=True):
        if listed:
            assert normalize_url_parts(url, _fast=False) == (url, *canonical_parts(url))


def test_canonical_column_lists_the_usual_shapes() -> None:
    urls = ["https://example.com/2019/01/story-slug.html", "http://a_b.example.org/", "https://x.com//a",
            "https://example.com/a/", "https://Example.com/a", "https://example.com/a?b=1", "https://example.com/.a",
            "https://example.com/a/../b", "https://example.com", "https://example.com:443/a", None]
    assert canonical_urls(pa.array(urls)).tolist() == [True] * 3 + [False] * 8
