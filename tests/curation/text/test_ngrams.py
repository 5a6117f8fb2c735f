import math
import random
from collections import Counter

import pyarrow as pa
import pytest

from curation.text.ngrams import ngram_char_fractions
from curation.text.words import split_words


def _reference(words: list[str], n: int) -> tuple[float, float]:
    """Plain-Python definitions: (top n-gram char fraction, duplicate n-gram char fraction)."""
    total = sum(map(len, words))
    if not total:
        return math.nan, math.nan
    grams = [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]
    counts = Counter(grams)
    repeated = [(c, sum(map(len, g))) for g, c in counts.items() if c >= 2]
    top = 0.0
    if repeated:
        count, chars = max(repeated)
        top = min(count * chars / total, 1.0)
    covered = [False] * len(words)
    for i, g in enumerate(grams):
        if counts[g] >= 2:
            covered[i:i + n] = [True] * n
    return top, sum(len(w) for w, c in zip(words, covered, strict=True) if c) / total


def test_fractions_match_the_plain_definitions_on_random_repetitive_documents():
    rng = random.Random(7)
    vocab = ["a", "bb", "ccc", "dddd", "the", "of", "x"]
    docs = [" ".join(rng.choice(vocab) for _ in range(rng.randint(0, 60))) for _ in range(40)]
    top, dup = ngram_char_fractions(split_words(pa.array(docs)), (2, 3, 4), (5, 6, 10))
    for i, doc in enumerate(docs):
        for n in (2, 3, 4, 5, 6, 10):
            expected = _reference(doc.split(), n)[0 if n < 5 else 1]
            got = (top if n < 5 else dup)[n][i]
            assert got == pytest.approx(expected, nan_ok=True), (doc, n)


def test_a_repeated_phrase_counts_every_occurrence_and_overlaps_once():
    text = "one two three four five alpha one two three four five beta"
    _, dup = ngram_char_fractions(split_words(pa.array([text])), (), (5,))
    assert dup[5][0] == pytest.approx(38 / 47)  # both copies of the 19-character phrase


def test_ngrams_never_cross_document_boundaries():
    docs = ["q w e r t", "y u i o p", "q w e r t"]  # each doc alone has no repetition
    top, dup = ngram_char_fractions(split_words(pa.array(docs)), (2,), (5,))
    assert top[2].tolist() == [0.0, 0.0, 0.0]
    assert dup[5].tolist() == [0.0, 0.0, 0.0]


def test_documents_without_words_get_no_value():
    top, dup = ngram_char_fractions(split_words(pa.array(["", "--", "word"])), (2,), (5,))
    assert math.isnan(top[2][0]) and math.isnan(dup[5][1])
    assert top[2][2] == 0.0
