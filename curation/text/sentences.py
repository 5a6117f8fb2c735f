"""A fast sentence counter for C4's "at least N sentences" rule, as two RE2 passes over a batch.

C4 counted sentences with NLTK's punkt model, datatrove with spaCy's sentencizer; both cost a
tokenizer run per line. Here a sentence ends at ``.``, ``!`` or ``?`` (a run of them, then optional
closing quotes or brackets) followed by the end of the line, or by spaces and a capital letter, digit
or opening quote. Ends after a title or an initial (``Mr. Smith``, ``J. Smith``) are not counted. A
non-empty line is at least one sentence. This agrees with punkt on ordinary prose; it can differ on
abbreviations it does not know (``U.S. Army`` counts two sentences).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curation.text.columns import to_numpy

_END = r"[.!?]+[\"'”’)\]]*(?:\s*$|\s+[\p{Lu}\p{Lt}\d\"'“‘(\[])"
_NOT_END = r"\b(?:Mr|Mrs|Ms|Dr|Prof|Sr|Jr|St|Mt|Gen|Col|Capt|Lt|Rev|vs|No|Fig|Vol|[A-Z])\.\s+[\p{Lu}\d]"


def count_sentences(lines: pa.Array) -> np.ndarray:
    """Sentences per line (0 for an empty line)."""
    if len(lines) == 0:
        return np.zeros(0, dtype=np.int64)
    ends = to_numpy(pc.count_substring_regex(lines, _END)).astype(np.int64)
    not_ends = to_numpy(pc.count_substring_regex(lines, _NOT_END)).astype(np.int64)
    nonempty = to_numpy(pc.greater(pc.utf8_length(lines), 0))
    return np.where(nonempty, np.maximum(ends - not_ends, 1), 0)
