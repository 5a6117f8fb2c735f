import numpy as np
import pyarrow as pa
import pytest

from curation.dedup import shingles
from curation.dedup.text import words


def _reference(texts: list[str | None], n: int) -> list[list[int]]:
    flat, offsets = words(pa.array(texts))
    out = []
    for d in range(len(texts)):
        doc_words = flat.slice(offsets[d], offsets[d + 1] - offsets[d]).to_pylist()
        out.append([shingles.shingle_hash64(s) for s in shingles.doc_shingles(doc_words, n)])
    return out


@pytest.mark.parametrize("n", [1, 3, 5])
def test_vectorized_hashes_equal_the_per_shingle_function(n):
    texts = ["the cat sat on the mat and then the cat ran", "two words", None, "", "one",
             "a b c d e", "Ünï cödé, naïve café; the end"]
    h, offsets = shingles.text_shingles(pa.array(texts), n)
    got = [h[offsets[d]:offsets[d + 1]].tolist() for d in range(len(texts))]
    assert got == _reference(texts, n)


def test_short_document_is_one_shingle_and_empty_has_none():
    h, offsets = shingles.text_shingles(pa.array(["just three words", "", "one two three four five six"]), 5)
    assert np.diff(offsets).tolist() == [1, 0, 2]


def test_shingle_hash_depends_on_word_order_and_count():
    assert shingles.shingle_hash64(b"a b c") != shingles.shingle_hash64(b"c b a")
    assert shingles.shingle_hash64(b"a b") != shingles.shingle_hash64(b"a b b")
    assert shingles.shingle_hash32(b"a b c") == shingles.shingle_hash64(b"a b c") >> 32


def test_distinct_per_doc_and_exact_jaccard_match_python_sets():
    texts = ["a b c d e f g a b c d e", "a b c d e f g h i", "x y"]
    h, offsets = shingles.distinct_per_doc(*shingles.text_shingles(pa.array(texts), 3))
    sets = [set(h[offsets[d]:offsets[d + 1]].tolist()) for d in range(3)]
    ref = [{shingles.shingle_hash64(s) for s in shingles.doc_shingles(t.split(), 3)} for t in texts]
    assert sets == ref
    a, b = h[offsets[0]:offsets[1]], h[offsets[1]:offsets[2]]
    assert shingles.jaccard(a, b) == pytest.approx(len(ref[0] & ref[1]) / len(ref[0] | ref[1]))
    assert shingles.jaccard(np.zeros(0, np.uint64), np.zeros(0, np.uint64)) == 0.0
