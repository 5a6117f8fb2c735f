import numpy as np

from curation.dedup.components import UnionFind


def _reference(n: int, edges: list[tuple[int, int]]) -> list[int]:
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    for u, v in edges:
        ru, rv = find(u), find(v)
        if ru != rv:
            parent[max(ru, rv)] = min(ru, rv)
    return [find(x) for x in range(n)]


def test_components_match_a_plain_union_find_and_are_named_by_their_smallest_node():
    rng = np.random.default_rng(0)
    n = 300
    u, v = rng.integers(0, n, 200), rng.integers(0, n, 200)
    uf = UnionFind(n)
    uf.union(u, v)
    assert uf.roots().tolist() == _reference(n, list(zip(u.tolist(), v.tolist(), strict=True)))


def test_result_does_not_depend_on_edge_order_or_batching():
    rng = np.random.default_rng(1)
    n = 100
    u, v = rng.integers(0, n, 80), rng.integers(0, n, 80)
    whole = UnionFind(n)
    whole.union(u, v)
    order = rng.permutation(80)
    streamed = UnionFind(n)
    for part in np.array_split(order, 7):
        streamed.union(v[part], u[part])
    assert np.array_equal(whole.roots(), streamed.roots())


def test_long_chain_is_one_component():
    n = 1000
    uf = UnionFind(n)
    uf.union(np.arange(n - 1)[::-1], np.arange(1, n)[::-1])
    assert (uf.roots() == 0).all()
