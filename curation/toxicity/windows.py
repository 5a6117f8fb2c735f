"""Cut a document into windows of about a paragraph, so one toxic passage is scored on its own.

A document-level score dilutes a rant inside a long article (a linear model over an L2-normalised
bag of words gives each word less weight the longer the text); windows of at most ``size`` words,
made of whole lines where lines are short and of word chunks where a line is long, keep it visible.
"""

from __future__ import annotations


def split_windows(text: str, size: int) -> list[str]:
    """Consecutive lines joined until the next one would pass ``size`` words; longer lines are cut."""
    windows: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        words = line.split()
        if not words:
            continue
        if current and len(current) + len(words) > size:
            windows.append(" ".join(current))
            current = []
        while len(words) > size:
            windows.append(" ".join(words[:size]))
            words = words[size:]
        current.extend(words)
    if current:
        windows.append(" ".join(current))
    return windows
