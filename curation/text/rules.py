"""Threshold rules over stored signal columns -> one drop reason and deciding signal per record.

A filter stage lists its rules in the order they are checked; a record is dropped for the first rule
it fails, and the signal value that failed it goes to ``drop_signal``. Rules read stored columns only,
so the same call re-decides records from a finished run's shards (what-if). A null signal (the rule
does not apply to that document) never fails a ``min``/``max``/``true`` rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curation.stage import FilterStage


@dataclass(frozen=True)
class Rule:
    reason: str  # named for what is wrong with the document: `gopher_too_few_stop_words`
    column: str  # the stored signal it reads
    op: Literal["min", "max", "true", "null"]  # fails when value < / > threshold, is true, is null
    threshold: float | bool | None  # None (or False for true/null rules): the rule is off


def first_failing(table: pa.Table, rules: list[Rule]) -> tuple[pa.Array, pa.Array]:
    n = table.num_rows
    failed = np.full(n, -1, dtype=np.int64)
    signal = np.full(n, np.nan)
    for k in range(len(rules) - 1, -1, -1):  # earlier rules overwrite later ones
        rule = rules[k]
        if rule.threshold is None or rule.threshold is False:
            continue
        column = table.column(rule.column)
        if rule.op == "null":
            fail = np.asarray(pc.is_null(column).to_numpy(zero_copy_only=False), dtype=bool)
            values = np.full(n, np.nan)
        else:
            values = np.asarray(pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False), np.float64)
            with np.errstate(invalid="ignore"):
                if rule.op == "min":
                    fail = values < rule.threshold
                elif rule.op == "max":
                    fail = values > rule.threshold
                else:
                    fail = values == 1.0
        failed[fail] = k
        signal[fail] = values[fail]
    names = np.array([r.reason for r in rules] + [None], dtype=object)
    reasons = pa.array(names[failed], type=pa.string())  # index -1 -> the trailing None: keep
    return reasons, pa.array(signal, type=pa.float64(), from_pandas=True)


class RuleFilter(FilterStage):
    """A filter whose decision is a list of threshold ``Rule``s over its signal columns: a record is
    dropped for the first rule it fails (Gopher, FineWeb)."""

    def rules(self) -> list[Rule]:
        raise NotImplementedError

    def reasons(self, table: pa.Table) -> tuple[pa.Array, pa.Array]:
        return first_failing(table, self.rules())
