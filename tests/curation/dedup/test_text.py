import numpy as np
import pyarrow as pa

from curation.dedup.text import exact_key, words


def test_exact_key_folds_case_whitespace_and_compatibility_forms():
    keys = exact_key(pa.array(["  Hello\n\tWORLD  ", "hello world", "ﬁne Ｆｕｌｌ", None])).to_pylist()
    assert keys == ["hello world", "hello world", "fine full", None]


def test_exact_key_keeps_punctuation():
    assert exact_key(pa.array(["Hello, world"])).to_pylist() != exact_key(pa.array(["Hello world"])).to_pylist()


def test_words_drop_punctuation_and_symbols():
    flat, offsets = words(pa.array(["It's “quoted” — 3.5% off!", "Ünï cödé"]))
    assert flat.to_pylist() == ["it", "s", "quoted", "3", "5", "off", "ünï", "cödé"]
    assert offsets.tolist() == [0, 6, 8]


def test_null_empty_and_punctuation_only_texts_have_no_words():
    flat, offsets = words(pa.chunked_array([pa.array([None, "", " ... !! ", "a"], pa.large_string())]))
    assert flat.to_pylist() == ["a"]
    assert np.diff(offsets).tolist() == [0, 0, 0, 1]
