"""Text machinery shared by the heuristic filters, vectorized over Arrow batches where it can be.

- ``columns``: the ``text`` column as one clean Arrow array (nulls, invalid UTF-8, length cap).
- ``punctuation``: sentence terminals, bullets, punctuation and symbol classes.
- ``words``: word splitting for a whole batch, stop words, unsegmented-script detection.
- ``lines``: lines and paragraphs of a batch, duplicates per document.
- ``ngrams``: repeated word n-gram statistics (Gopher repetition).
- ``sentences``: a fast sentence counter (C4).
- ``rules``: threshold rules -> one drop reason and signal per record.
- ``bad_words``: the optional word list of the C4 bad-words rule.
- ``langid``: batched fastText language identification.
"""
