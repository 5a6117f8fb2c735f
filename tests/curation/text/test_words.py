import numpy as np
import pyarrow as pa

from curation.text.words import split_words, unsegmented, whitespace_tokens


def test_words_lose_end_punctuation_and_pure_punctuation_tokens_are_not_words():
    words = split_words(pa.array(['"Hello," she said -- (well-known) #tag don\'t 3.5% ...', "", "x"]))
    assert words.words.to_pylist() == ["Hello", "she", "said", "well-known", "tag", "don't", "3.5", "x"]
    assert words.parents.tolist() == [0, 0, 0, 0, 0, 0, 0, 2]
    assert words.lengths.tolist() == [5, 3, 4, 10, 3, 5, 3, 1]
    assert words.count().tolist() == [7, 0, 1]
    assert words.nonspace_chars.tolist() == [45, 0, 1]
    assert words.tokens.tolist() == [9, 0, 1]  # "--" and "..." are tokens, not words


def test_distinct_vocabulary_words_are_counted_once_and_case_insensitively():
    words = split_words(pa.array(["The the THE of, of", "none here", ""]))
    assert words.distinct_in(("the", "of", "and")).tolist() == [2, 0, 0]


def test_whitespace_tokens_have_no_empty_tokens():
    tokens, parents = whitespace_tokens(pa.array(["  a  b ", "", "\n"]))
    assert tokens.to_pylist() == ["a", "b"]
    assert parents.tolist() == [0, 0]


def test_unsegmented_scripts_are_detected_but_rtl_and_spaced_scripts_are_not():
    texts = pa.array([
        "我们今天去公园散步，天气很好。",  # Chinese
        "今日は公園を散歩しました。とても楽しかったです。",  # Japanese
        "ภาษาไทยเขียนติดกันโดยไม่มีช่องว่าง",  # Thai
        "اللغة العربية تكتب من اليمين إلى اليسار",  # Arabic: spaces between words
        "한국어는 띄어쓰기를 합니다",  # Korean: spaces between words
        "An English sentence that quotes 中文 once.",
    ])
    nonspace = split_words(texts).nonspace_chars
    assert unsegmented(texts, nonspace).tolist() == [True, True, True, False, False, False]
    assert unsegmented(pa.array([], pa.string()), np.zeros(0)).tolist() == []
