import numpy as np

from curation.tokens.split import is_validation, sample_hashes, split_hashes, validation_threshold


def test_split_is_a_function_of_id_and_seed_alone():
    ids = [f"doc{i}" for i in range(5000)]
    a = is_validation(split_hashes(ids, 0), 0.1)
    b = is_validation(split_hashes(ids[::-1], 0), 0.1)[::-1]  # order and batching do not matter
    assert (a == b).all()
    assert 0.08 < a.mean() < 0.12
    assert (a != is_validation(split_hashes(ids, 1), 0.1)).any()  # another seed, another split


def test_fraction_edges():
    h = split_hashes([f"d{i}" for i in range(100)], 0)
    assert not is_validation(h, 0.0).any()
    assert validation_threshold(0.5) == np.uint64(2**63)


def test_sample_is_independent_of_the_split():
    ids = [f"doc{i}" for i in range(4000)]
    val = is_validation(split_hashes(ids, 0), 0.5)
    u = sample_hashes(ids, 0)
    assert ((u >= 0) & (u < 1)).all()
    assert abs(u[val].mean() - u[~val].mean()) < 0.05
