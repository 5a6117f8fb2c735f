import pyarrow as pa
import pytest

from curation.errors import UserError
from curation.text.columns import cap_chars, scrub_surrogates, text_column


def _invalid_utf8_strings() -> pa.Array:
    # Arrow trusts whatever bytes a writer gives it: a CESU-8 surrogate (ED A0 80) is invalid UTF-8
    binary = pa.array([b"ok", b"bad \xed\xa0\x80 byte", None], pa.binary())
    return binary.view(pa.string())


def test_invalid_utf8_is_repaired_and_counted_and_nulls_become_empty():
    texts, repaired = text_column(pa.table({"text": _invalid_utf8_strings()}), "x")
    assert repaired == 1
    assert texts.to_pylist() == ["ok", "bad \ufffd\ufffd\ufffd byte", ""]


def test_a_missing_or_non_text_column_is_a_user_error_naming_the_stage():
    with pytest.raises(UserError, match="stage gopher_quality: the input has no `text` column"):
        text_column(pa.table({"html": ["<p>"]}), "gopher_quality")
    with pytest.raises(UserError, match="holds int64"):
        text_column(pa.table({"text": [1]}), "c4")


def test_lone_surrogates_from_python_become_replacement_characters():
    assert scrub_surrogates("a\ud800b") == "a\ufffdb"
    assert scrub_surrogates("\ud83d\ude00") == "😀"  # a valid pair written as two code points
    assert scrub_surrogates("plain") == "plain"


def test_long_texts_are_cut_for_analysis_and_counted():
    texts, cut = cap_chars(pa.array(["abcdef", "ab"]), 3)
    assert (texts.to_pylist(), cut) == (["abc", "ab"], 1)
    assert cap_chars(pa.array(["abcdef"]), None)[1] == 0
