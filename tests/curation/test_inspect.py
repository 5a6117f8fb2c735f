from datetime import UTC, datetime

from curation.inspect import format_records


def test_times_are_shown_in_iso_form():
    out = format_records([{"first_seen": datetime(2019, 1, 1, 0, 11, 46, tzinfo=UTC), "score": 10}])
    assert "first_seen: 2019-01-01T00:11:46+00:00" in out and "datetime.datetime" not in out
    assert "score: 10" in out
