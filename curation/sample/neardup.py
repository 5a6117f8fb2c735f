"""Word 5-gram shingles, exact Jaccard, and near-duplicate copies edited down to a target similarity."""

from __future__ import annotations

import copy
import random

from curation.sample.document import Document

SHINGLE = 5  # words per shingle
_FILLERS = ("really", "quite", "also", "still", "just", "even", "perhaps", "simply", "certainly", "truly")


def shingles(text: str, n: int = SHINGLE) -> set[tuple[str, ...]]:
    """Lower-cased whitespace words, every run of ``n``."""
    words = text.lower().split()
    return {tuple(words[i:i + n]) for i in range(max(len(words) - n + 1, 1))}


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def near_copy(rng: random.Random, doc: Document, low: float = 0.86, high: float = 0.94) -> tuple[Document, float]:
    """Edit single words (drop one, insert a filler, swap two neighbours) until the main-text Jaccard falls
    under a target drawn from [low, high]; an edit that would overshoot below ``low`` is undone."""
    target = rng.uniform(low, high)
    original = shingles(doc.main_text())
    copy_doc = copy.deepcopy(doc)
    paragraphs = [(s, i) for s in copy_doc.sections for i in range(len(s.paragraphs))]
    similarity = 1.0
    for _ in range(10_000):
        if similarity <= target:
            break
        section, index = rng.choice(paragraphs)
        before = section.paragraphs[index]
        words = before.split()
        at = rng.randrange(len(words))
        action = rng.random()
        if action < 0.4 and len(words) > 8:
            del words[at]
        elif action < 0.7:
            words.insert(at, rng.choice(_FILLERS))
        elif at + 1 < len(words):
            words[at], words[at + 1] = words[at + 1], words[at]
        section.paragraphs[index] = " ".join(words)
        edited = jaccard(original, shingles(copy_doc.main_text()))
        if edited < low:  # this edit overshot the band: undo it and try another
            section.paragraphs[index] = before
        else:
            similarity = edited
    return copy_doc, similarity
