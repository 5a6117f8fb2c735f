"""Window scorers: probability-like toxicity in [0, 1] for a list of text windows.

- built-in: ``alt-profanity-check`` (MIT), a linear SVM over TF-IDF unigrams with sigmoid calibration,
  trained on ~200k human-labelled comments and shipped inside the wheel (~1 MB): it works offline,
  scores ~2M words/s on one core, and needs scikit-learn. It detects profane and abusive language;
  it is not a model of hate without swear words, threats in polite words, or non-English text.
- plug-in: any fastText model (for example one trained on Jigsaw Toxic Comments with
  ``curate train-classifier``) and the label that means toxic.
"""

from __future__ import annotations

from importlib import metadata
from typing import Protocol

import numpy as np

from curation.classifier import FastTextScorer, model_fingerprint, preprocess
from curation.errors import UserError
from curation.resources import cached

BUILTIN = "alt-profanity-check"


class WindowScorer(Protocol):
    def score(self, windows: list[str]) -> np.ndarray:
        """One float in [0, 1] per window."""


class ProfanityScorer:
    def __init__(self, where: str):
        try:
            from profanity_check import predict_prob
        except ImportError:
            raise UserError(f"{where}: the built-in toxicity scorer needs the `{BUILTIN}` package "
                            f"(`pip install {BUILTIN}`), or set `model:` to a fastText toxicity model") from None
        self._predict = predict_prob

    def score(self, windows: list[str]) -> np.ndarray:
        if not windows:
            return np.zeros(0)
        return np.clip(np.asarray(self._predict(windows), dtype=np.float64), 0.0, 1.0)


class FastTextToxicity:
    def __init__(self, path: str, label: str, where: str):
        self._scorer = FastTextScorer(path, label, where)

    def score(self, windows: list[str]) -> np.ndarray:
        return self._scorer.score(preprocess(windows)).astype(np.float64)


def get_scorer(model: str | None, label: str, where: str) -> WindowScorer:
    """The scorer for a stage's settings, built once per worker process."""
    if model is None:
        return cached(("toxicity", BUILTIN), lambda: ProfanityScorer(where))
    return cached(("toxicity", model, label, where), lambda: FastTextToxicity(model, label, where))


def scorer_fingerprint(model: str | None) -> object:
    """What the stage fingerprint records: the model file's hash, or the built-in package's version
    (a new release may score differently)."""
    if model is not None:
        return model_fingerprint(model)
    try:
        return f"{BUILTIN}=={metadata.version(BUILTIN)}"
    except metadata.PackageNotFoundError:
        return f"{BUILTIN} (not installed)"
