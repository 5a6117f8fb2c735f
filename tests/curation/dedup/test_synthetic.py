import numpy as np
import pytest

from curation.dedup.synthetic import VOCAB_SIZE, make_corpus, near_copy, shingle_set, true_jaccard, vocabulary


def test_vocabulary_is_distinct_and_deterministic():
    v = vocabulary()
    assert len(set(v)) == VOCAB_SIZE and v == vocabulary()


def test_true_jaccard_matches_python_sets():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 50, 60)
    b = a.copy()
    b[10:14] = 7
    sa = {tuple(a[i:i + 5]) for i in range(56)}
    sb = {tuple(b[i:i + 5]) for i in range(56)}
    assert true_jaccard(a, b, 5) == pytest.approx(len(sa & sb) / len(sa | sb))
    assert len(shingle_set(a[:3], 5)) == 1  # shorter than n: one shingle


@pytest.mark.parametrize("target", [0.3, 0.6, 0.85, 0.95])
def test_near_copy_hits_its_target(target):
    rng = np.random.default_rng(1)
    doc = rng.integers(0, VOCAB_SIZE, 400)
    assert true_jaccard(doc, near_copy(doc, target, 5, rng), 5) == pytest.approx(target, abs=0.02)


def test_corpus_records_its_planted_pairs():
    c = make_corpus(200, copies=0.1, targets=(1.0,), seed=2)
    assert c.table.num_rows == 200 and c.pairs.num_rows == 20
    text = c.table.column("text").to_pylist()
    for s, cp in zip(c.pairs.column("source").to_pylist(), c.pairs.column("copy").to_pylist(), strict=True):
        assert text[s] == text[cp] and s != cp
    assert len(set(c.table.column("id").to_pylist())) == 200
