import numpy as np
import pyarrow as pa
import pytest
from datasketch import MinHash

from curation.dedup import minhash
from curation.dedup.shingles import doc_shingles, shingle_hash32, text_shingles
from curation.dedup.synthetic import make_corpus
from curation.dedup.text import words


def _signatures(texts: list[str | None], num_perm: int = 112, seed: int = 1, n: int = 5) -> np.ndarray:
    h, offsets = text_shingles(pa.array(texts), n)
    return minhash.MinHasher(num_perm, seed).signatures((h >> np.uint64(32)).astype(np.uint32), offsets)


@pytest.mark.parametrize("num_perm,seed", [(112, 1), (16, 7)])
def test_signatures_identical_to_datasketch_with_the_same_hashfunc(monkeypatch, num_perm, seed):
    monkeypatch.setattr(minhash, "CHUNK", 64)  # documents span several chunks
    texts = make_corpus(20, copies=0.0, min_words=2, max_words=200, seed=3).table.column("text").to_pylist()
    texts += ["", None, "tiny doc"]
    sig = _signatures(texts, num_perm, seed)
    flat, offsets = words(pa.array(texts))
    for d, text in enumerate(texts):
        m = MinHash(num_perm=num_perm, seed=seed, hashfunc=shingle_hash32)
        m.update_batch(doc_shingles(flat.slice(offsets[d], offsets[d + 1] - offsets[d]).to_pylist(), 5))
        assert np.array_equal(sig[d], m.hashvalues), (d, text)


def test_empty_document_gets_datasketchs_empty_signature():
    sig = _signatures([None, ""])
    assert (sig == np.uint32(0xFFFFFFFF)).all()


def test_estimated_jaccard_is_within_three_standard_errors():
    c = make_corpus(400, copies=0.5, targets=(0.3, 0.5, 0.7, 0.9), seed=1)
    sig = _signatures(c.table.column("text").to_pylist())
    src, cp = c.pairs.column("source").to_numpy(), c.pairs.column("copy").to_numpy()
    est = minhash.estimated_jaccard(sig[src], sig[cp])
    true = c.pairs.column("jaccard").to_numpy()
    bound = 3 * np.sqrt(true * (1 - true) / 112) + 1e-9
    assert np.mean(np.abs(est - true) <= bound) >= 0.98  # 3 sigma: 99.7% expected
    assert abs(np.mean(est - true)) < 0.01  # unbiased


def test_equal_bands_give_equal_keys_and_different_bands_differ():
    sig = np.arange(3 * 16, dtype=np.uint32).reshape(3, 16)
    sig[1, :8] = sig[0, :8]  # band 0 shared with document 0
    keys = minhash.band_keys(sig, bands=2, rows=8)
    assert keys[0, 0] == keys[1, 0]
    assert keys[0, 1] != keys[1, 1] and keys[2, 0] != keys[0, 0]
    assert keys[0, 0] != keys[0, 1]


def test_s_curve_is_fineweb_setting():
    curve = minhash.s_curve(14, 8)
    assert curve["num_perm"] == 112
    assert curve["threshold"] == pytest.approx((1 / 14) ** (1 / 8), abs=1e-4)
    assert curve["p_candidate"]["0.85"] == pytest.approx(1 - (1 - 0.85 ** 8) ** 14, abs=1e-4)
    assert curve["p_candidate"]["0.50"] < 0.06 < 0.98 < curve["p_candidate"]["0.85"]
    text = minhash.format_s_curve(curve)
    assert "14 bands x 8 rows" in text and "0.75" in text
