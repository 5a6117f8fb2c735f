"""Build WebText-like pre-training corpora: harvest links, fetch or read pages, extract, filter,
deduplicate, tokenize and pack them, with every stage's funnel counted."""

__version__ = "0.1.0"
