import pyarrow as pa

from curation.text.rules import Rule, first_failing


def _table() -> pa.Table:
    return pa.table({
        "words": pa.array([10, 100, None, 100, 100], pa.int64()),
        "ratio": pa.array([0.5, 0.9, 0.9, 0.1, None], pa.float64()),
        "flag": pa.array([False, False, False, True, False]),
    })


def test_the_first_failing_rule_names_the_reason_and_its_value_is_the_signal():
    rules = [Rule("too_few", "words", "min", 50), Rule("too_high", "ratio", "max", 0.8),
             Rule("flagged", "flag", "true", True), Rule("no_ratio", "ratio", "null", True)]
    reasons, signals = first_failing(_table(), rules)
    assert reasons.to_pylist() == ["too_few", "too_high", "too_high", "flagged", "no_ratio"]
    assert signals.to_pylist() == [10.0, 0.9, 0.9, 1.0, None]


def test_a_rule_switched_off_or_a_null_signal_never_fails():
    rules = [Rule("too_few", "words", "min", None), Rule("too_high", "ratio", "max", 0.95),
             Rule("flagged", "flag", "true", False)]
    reasons, signals = first_failing(_table(), rules)
    assert reasons.to_pylist() == [None] * 5
    assert signals.null_count == 5
