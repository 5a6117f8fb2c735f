"""From curated text to what a trainer eats: BPE training, the exact token funnel, sequence packing.

- ``specials``: the special tokens (end-of-text, pad, mask, cls/sep, T5 sentinels) and their ids.
- ``bpe``: train a byte-level BPE tokenizer from a stream of texts; save it so ``transformers`` loads it.
- ``files``: a tokenizer folder on disk: its hash, the corpus encoder, the special token ids it names.
- ``split``: the deterministic train/validation split by document id.
- ``packing``: documents -> fixed-length rows (``concat`` and ``best_fit``), pure numpy/Arrow.
- ``shuffle``: rows -> shuffled shards on disk, memory-bounded (a two-pass external shuffle).
- ``manifest``: ``packed/manifest.json``, written and verified.
- ``funnel``: token counts of every stage's kept and rejected text, cached per shard.
"""
