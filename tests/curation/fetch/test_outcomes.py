from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from curation.fetch.client import Exchange
from curation.fetch.outcomes import InvalidTarget, check_target, retry_after, status_error
from curation.fetch.ssrf import AddressPolicy


def test_retry_after_in_seconds_or_as_a_date():
    assert retry_after("120") == 120.0
    soon = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)
    assert 50 < retry_after(soon) <= 60
    assert retry_after(format_datetime(datetime(2000, 1, 1, tzinfo=UTC), usegmt=True)) == 0.0
    assert retry_after("soon") is None and retry_after(None) is None


@pytest.mark.parametrize("url, error", [("ftp://a.test/x", "unsupported_scheme"), ("javascript:alert(1)", "unsupported_scheme"),
                                        ("http:///nohost", "invalid_url"), ("http://10.1.2.3/", "ssrf"),
                                        ("http://[::1]:8080/", "ssrf")])
def test_targets_refused_before_any_request(url, error):
    with pytest.raises(InvalidTarget) as e:
        check_target(url, AddressPolicy())
    assert e.value.error == error


def test_final_statuses():
    assert status_error(Exchange("u", status=200)) is None
    assert status_error(Exchange("u", status=200, body_skipped=True)) == "not_html"
    assert [status_error(Exchange("u", status=s)) for s in (404, 503, 304)] == ["http_4xx", "http_5xx", "http_status"]
