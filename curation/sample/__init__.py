"""The offline demo sample: ``generate(out_dir, scale, seed)`` writes a Reddit dump and a WARC crawl."""

from curation.sample.minweb import generate

__all__ = ["generate"]
