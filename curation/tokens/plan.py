"""Pass 1 of packing, over the small columns of the token work files: documents and tokens per split,
drops per reason, the validation threshold, and the documents longer than many rows.

Streams one work file at a time; the only corpus-wide state is counters and a running minimum.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow.compute as pc

from curation.shards import open_shard
from curation.tokens.split import small_corpus_threshold, validation_threshold

SPLITS = ("train", "validation")


@dataclass
class SplitPlan:
    threshold: int  # validation: split_hash < threshold
    documents: list[int] = field(default_factory=lambda: [0, 0])  # train, validation
    tokens: list[int] = field(default_factory=lambda: [0, 0])  # + one end-of-text per document
    drops: dict[str, int] = field(default_factory=dict)
    long_documents: dict = field(default_factory=dict)

    def splits(self) -> dict[str, dict[str, int]]:
        return {s: {"documents": self.documents[i], "tokens": self.tokens[i]} for i, s in enumerate(SPLITS)}


def plan_splits(work_files: list[Path], validation_fraction: float, long_tokens: int) -> SplitPlan:
    """Validation is ``split_hash < threshold``: the fraction's threshold, or (``small_corpus_threshold``)
    just past the smallest hash when the fraction selects no document; the same rule as the tokenizer
    stage's held-out documents."""
    plan = SplitPlan(int(validation_threshold(validation_fraction)))
    threshold = np.uint64(plan.threshold)
    smallest: list[int] = []  # [hash, documents, tokens] of the smallest split hash
    long = {"over_tokens": long_tokens, "count": 0, "longest": None, "tokens": 0}
    for path in work_files:
        t = open_shard(path).read_all().select(["id", "split_hash", "n_tokens", "reason"])
        for vc in pc.value_counts(t.column("reason").drop_null()).to_pylist():
            plan.drops[vc["values"]] = plan.drops.get(vc["values"], 0) + vc["counts"]
        t = t.filter(pc.is_null(t.column("reason")))
        if t.num_rows == 0:
            continue
        h, n = t.column("split_hash").to_numpy(), t.column("n_tokens").to_numpy().astype(np.int64)
        over = np.flatnonzero(n > long_tokens)
        if len(over):
            long["count"] += len(over)
            i = int(over[np.argmax(n[over])])
            if n[i] > long["tokens"]:
                long["longest"], long["tokens"] = t.column("id")[i].as_py(), int(n[i])
        n = n + 1  # the end-of-text after each document
        val = h < threshold
        for i, sel in enumerate((~val, val)):
            plan.documents[i] += int(sel.sum())
            plan.tokens[i] += int(n[sel].sum())
        low = h.min()
        at = h == low
        if not smallest or low < smallest[0]:
            smallest = [int(low), int(at.sum()), int(n[at].sum())]
        elif low == smallest[0]:
            smallest[1:] = [smallest[1] + int(at.sum()), smallest[2] + int(n[at].sum())]
    plan.long_documents = long
    docs = plan.documents
    if smallest and docs[0] > smallest[1]:  # a document stays in train whatever happens
        moved = small_corpus_threshold(validation_fraction, sum(docs), docs[1], smallest[0])
        if moved != threshold:
            plan.threshold = int(moved)
            plan.documents = [docs[0] - smallest[1], smallest[1]]
            plan.tokens = [plan.tokens[0] - smallest[2], smallest[2]]
    return plan
