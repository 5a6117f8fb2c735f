import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from curation.dedup.policy import ids, rank


def _table(**columns) -> pa.Table:
    return pa.table(columns)


def test_highest_karma_ranks_high_scores_first_and_missing_last():
    r = rank(_table(score=pa.array([5, 300, None, 40])), "highest_karma")
    assert np.argsort(r, kind="stable").tolist() == [1, 3, 0, 2]
    assert r[2] == np.inf


def test_longest_counts_characters_not_bytes():
    r = rank(_table(text=["ééé", "abcd", None]), "longest")
    assert r.tolist() == [-3.0, -4.0, np.inf]


@pytest.mark.parametrize("column", [
    pa.array(["2019-05-02", "2019-05-01T10:00:00Z", None, "not a date"]),
    pa.array([dt.datetime(2019, 5, 2), dt.datetime(2019, 5, 1, 10), None, None], pa.timestamp("ms")),
])
def test_earliest_reads_iso_strings_and_timestamps(column):
    r = rank(_table(first_seen=column), "earliest")
    assert r[1] < r[0] and r[2] == np.inf and r[3] == np.inf


def test_earliest_falls_back_to_date_column():
    r = rank(_table(date=["2020-01-02", "2020-01-01"]), "earliest")
    assert r[1] < r[0]


def test_missing_columns_rank_everything_equal():
    t = _table(url=["a", "b"])
    for policy in ("highest_karma", "longest", "earliest", "first_id"):
        assert len(set(rank(t, policy).tolist())) == 1
    assert ids(t).to_pylist() == ["", ""]
