"""Deduplication building blocks shared by the ``exact_dedup`` and ``minhash_dedup`` stages.

Data flows through the modules in this order: ``text`` (normalize and split), ``shingles`` (word
n-gram hashes), ``minhash`` (signatures, band keys, the S-curve), ``workfiles`` (sorted,
memory-mapped partition files), ``components`` (union-find), ``policy`` and ``assign`` (which member
of a cluster is kept), ``apply`` (the filter pass both stages share) and ``inspect`` (browsing
clusters). ``synthetic`` builds documents with planted near-duplicates for tests and benchmarks.
"""
