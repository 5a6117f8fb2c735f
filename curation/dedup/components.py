"""Connected components of candidate pairs: a union-find vectorized over whole edge arrays.

Nodes are the integers ``0..n-1``. ``parent`` forms a forest in which every node points to a smaller
or equal index, so a component's root is its smallest node: the result does not depend on the order
edges arrive in (same clusters for any worker count). Each round hooks the larger of two roots under
the smaller one for every edge whose ends have different roots, then compresses every path with
pointer jumping; rounds repeat until every edge is inside one tree.

Memory: ``parent`` (8 bytes per node) plus the edge batch being added, so edges can be streamed one
file at a time.
"""

from __future__ import annotations

import numpy as np


class UnionFind:
    def __init__(self, n: int):
        self.parent = np.arange(n, dtype=np.int64)

    def _compress(self) -> None:
        p = self.parent
        while True:
            grand = p[p]
            if np.array_equal(grand, p):
                return
            p[:] = grand

    def union(self, u: np.ndarray, v: np.ndarray) -> None:
        """Merge the components of ``u[i]`` and ``v[i]`` for every i."""
        u = np.asarray(u, dtype=np.int64)
        v = np.asarray(v, dtype=np.int64)
        p = self.parent
        while len(u):
            self._compress()
            ru, rv = p[u], p[v]
            differ = ru != rv
            u, v, ru, rv = u[differ], v[differ], ru[differ], rv[differ]
            if not len(u):
                return
            hi, lo = np.maximum(ru, rv), np.minimum(ru, rv)
            np.minimum.at(p, hi, lo)  # several edges may hook one root: the smallest target wins

    def roots(self) -> np.ndarray:
        """The component of each node, named by its smallest node."""
        self._compress()
        return self.parent.copy()
