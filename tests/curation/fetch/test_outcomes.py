from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from yarl import URL

from curation.fetch.client import Exchange
from curation.fetch.outcomes import (
    InvalidTarget,
    check_target,
    redirect_target,
    retry_after,
    status_error,
    wire_url,
)
from curation.fetch.ssrf import AddressPolicy


def test_retry_after_in_seconds_or_as_a_date():
    assert retry_after("120") == 120.0
    soon = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)
    assert 50 < retry_after(soon) <= 60
    assert retry_after(format_datetime(datetime(2000, 1, 1, tzinfo=UTC), usegmt=True)) == 0.0
    assert retry_after("soon") is None and retry_after(None) is None


@pytest.mark.parametrize("url, error", [("ftp://a.test/x", "unsupported_scheme"), ("javascript:alert(1)", "unsupported_scheme"),
                                        ("http:///nohost", "invalid_url"), ("http://10.1.2.3/", "ssrf"),
                                        ("http://[::1]:8080/", "ssrf"), ("http://a.test:0/x", "invalid_url")])
def test_targets_refused_before_any_request(url, error):
    with pytest.raises(InvalidTarget) as e:
        check_target(url, AddressPolicy())
    assert e.value.error == error


def test_final_statuses():
    assert status_error(Exchange("u", status=200)) is None
    assert status_error(Exchange("u", status=200, body_skipped=True)) == "not_html"
    assert [status_error(Exchange("u", status=s)) for s in (404, 503, 304)] == ["http_4xx", "http_5xx", "http_status"]


@pytest.mark.parametrize("url, sent", [
    ("https://a.test/x?q=1", "https://a.test/x?q=1"),  # nothing to encode: the very same string
    ("http://a.test/a b/c\x00d?q=x y", "http://a.test/a%20b/c%00d?q=x%20y"),
    ("http://a.test/caf\u00e9?q=\u00e4", "http://a.test/caf%C3%A9?q=%C3%A4"),
    ("http://a.test/%7e%zz%20", "http://a.test/%7e%zz%20"),  # escapes kept as written, as browsers do
    ("http://B\u00fccher.test:8080/", "http://xn--bcher-kva.test:8080/"),
    ("http://u\u00e9:pw@a.test/", "http://a.test/"),  # credentials in a link are not sent
    ("http://user:secret@a.test:8080/x?q=1", "http://a.test:8080/x?q=1"),
    ("https://mastodon.test/@someone?a=b@c", "https://mastodon.test/@someone?a=b@c"),
])
def test_links_are_sent_in_their_wire_form(url, sent):
    assert wire_url(url) == sent


def test_an_invalid_international_host_is_an_invalid_url():
    with pytest.raises(InvalidTarget) as e:
        wire_url("http://a\u00e9..test/")
    assert e.value.error == "invalid_url"


def test_redirect_targets_read_utf8_locations_as_browsers_do():
    base = URL("http://a.test/dir/page?q=1")
    raw = "/caf\u00e9#top".encode().decode("latin-1")  # how header values arrive: one character per byte
    assert redirect_target(base, raw) == "http://a.test/caf%C3%A9"
    assert redirect_target(base, "http://b\u00fccher.test/x".encode().decode("latin-1")) == "http://xn--bcher-kva.test/x"
    assert redirect_target(base, "next\xe9") == "http://a.test/dir/next%C3%A9"  # not UTF-8: latin-1 it is
    assert redirect_target(base, "//b.test/y") == "http://b.test/y"
