"""``packed/manifest.json``: what a trainer needs to read the packed rows, and a check that they still
belong to the tokenizer they name.

Format version 1 (the trainer's ``trainer/data.py`` reads it)::

    {"format_version": 1, "tokenizer": {"path": "../tokenizer/tokenizer.json", "sha256": "..."},
     "vocab_size": 8192, "dtype": "uint16", "seq_len": 256, "mode": "concat",
     "special_tokens": {"eos": 0, "pad": 1, "mask": 2, "cls": 3, "sep": 4, "unk": null},
     "sentinel_ids": [5, 6, ...],
     "splits": {"train": {"rows": N, "tokens": T, "documents": D, "padding_tokens": P,
                          "shards": ["train/part-00000.arrow"]}, "validation": {...}}, ...}

The tokenizer path is relative to the packed folder. ``tokens`` counts non-padding tokens, the
end-of-text after each document included.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from curation.errors import UserError
from curation.shards import read_json
from curation.tokens.files import sha256_file

FORMAT_VERSION = 1
MANIFEST = "manifest.json"


def read_manifest(packed_dir: str | Path, check_hash: bool = True) -> dict[str, Any]:
    """The manifest, after checking that its tokenizer and shards are where it says and unchanged."""
    path = Path(packed_dir) / MANIFEST
    if not path.is_file():
        raise UserError(f"{path}: not found; run the pipeline's `pack` stage first")
    manifest = read_json(path)
    if manifest.get("format_version") != FORMAT_VERSION:
        raise UserError(f"{path}: format_version {manifest.get('format_version')!r} is not "
                        f"{FORMAT_VERSION}; re-pack with this version (`curate run --force pack`)")
    tok = Path(packed_dir) / manifest["tokenizer"]["path"]
    if not tok.is_file():
        raise UserError(f"{path}: its tokenizer {tok} is missing; keep the run's tokenizer/ beside packed/")
    if check_hash:
        actual = sha256_file(tok)
        if actual != manifest["tokenizer"]["sha256"]:
            raise UserError(f"{path}: the tokenizer at {tok} changed after packing (sha256 {actual[:12]}..., "
                            f"manifest says {manifest['tokenizer']['sha256'][:12]}...): the rows hold ids of "
                            "the old one; re-pack with `curate run --force pack`")
    for split, info in manifest["splits"].items():
        for shard in info["shards"]:
            if not (Path(packed_dir) / shard).is_file():
                raise UserError(f"{path}: splits.{split} lists {shard}, which is missing; re-pack with "
                                "`curate run --force pack`")
    return manifest
