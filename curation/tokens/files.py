"""A tokenizer folder on disk: where it is, its hash, its special token ids, and the corpus encoder.

The *corpus encoder* is the tokenizer without its added (special) tokens. Web text sometimes contains
the literal string ``<|endoftext|>`` or ``<mask>``; encoded with the full tokenizer it would become the
real special id and inject a document boundary (or a mask) that nobody wrote. The corpus encoder
spells such strings out in ordinary byte tokens, so special ids in packed rows come only from packing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
from tokenizers import Tokenizer

from curation.errors import UserError
from curation.resources import cached
from curation.storage import as_path, is_remote, open_input, sha256_file  # noqa: F401 (sha256_file: re-exported)

ENCODE_CHARS = 1 << 22  # text per encode_batch call: Encodings cost ~150 bytes per token until freed
TOKENIZER_DIR = "tokenizer"  # RUN/tokenizer/
TOKENIZER_FILE = "tokenizer.json"
TRAINING_FILE = "training.json"  # what the tokenizer stage measured (bytes per token, sample size)
_SENTINEL = re.compile(r"^<extra_id_(\d+)>$")
_ROLES = ("eos", "pad", "mask", "cls", "sep", "unk")


def resolve_tokenizer_file(path: str | Path, where: str) -> Path:
    """``path`` is a tokenizer folder or its ``tokenizer.json``; a missing one is the user's to fix."""
    path = as_path(path)
    file = path / TOKENIZER_FILE if path.is_dir() else path
    if not file.is_file():
        raise UserError(f"{where}: no tokenizer at {file}; put a `tokenizer` stage earlier in the pipeline, "
                        "or point `tokenizer:` at a folder holding tokenizer.json")
    return file


def load_tokenizer(file: str | Path, sha256: str) -> Tokenizer:
    """The full tokenizer (special tokens included), once per worker process."""
    return cached(("tokenizer", str(file), sha256), lambda: _from_file(file))


def _from_file(file: str | Path) -> Tokenizer:
    file = as_path(file)
    return Tokenizer.from_str(file.read_text(encoding="utf-8")) if is_remote(file) else Tokenizer.from_file(str(file))


def corpus_encoder(tokenizer: Tokenizer) -> Tokenizer:
    """The tokenizer without its added tokens, for encoding documents (see the module docstring).

    It shares the trained model and pipeline (the special tokens stay in the model's vocabulary, but
    the byte-level pre-tokenizer splits their spelling before the model sees it)."""
    encoder = Tokenizer(tokenizer.model)
    for part in ("normalizer", "pre_tokenizer", "post_processor", "decoder"):
        if getattr(tokenizer, part) is not None:
            setattr(encoder, part, getattr(tokenizer, part))
    return encoder


def load_corpus_encoder(file: str | Path, sha256: str) -> Tokenizer:
    """The corpus encoder of a tokenizer file, once per worker process."""
    return cached(("corpus-encoder", str(file), sha256), lambda: corpus_encoder(_from_file(file)))


def encode_texts(encoder: Tokenizer, texts: list[str], dtype: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Token counts (n,) and, with ``dtype``, all token ids concatenated, encoding in slices of about
    ``ENCODE_CHARS`` characters so memory stays flat whatever the batch holds."""
    counts: list[int] = []
    flats: list[np.ndarray] = []
    start = 0
    while start < len(texts):
        end, size = start, 0
        while end < len(texts) and (end == start or size + len(texts[end]) <= ENCODE_CHARS):
            size += len(texts[end])
            end += 1
        encs = encoder.encode_batch_fast(texts[start:end], add_special_tokens=False)
        lengths = [len(e) for e in encs]
        counts += lengths
        if dtype is not None:
            flats.append(np.fromiter(chain.from_iterable(e.ids for e in encs), dtype=dtype, count=sum(lengths)))
        start = end
    flat = np.concatenate(flats) if flats else np.empty(0, dtype=dtype or np.uint32)
    return np.asarray(counts, dtype=np.int64), flat


@dataclass(frozen=True)
class SpecialIds:
    """Ids of the named special tokens (None where the tokenizer has none) and of the T5 sentinels."""

    ids: dict[str, int | None]
    sentinel_ids: list[int]
    vocab_size: int

    @property
    def eos(self) -> int:
        return self.ids["eos"]

    @property
    def pad(self) -> int:
        """Padding id: the pad token, else end-of-text (GPT-2 has no pad; rows record their length)."""
        return self.ids["pad"] if self.ids["pad"] is not None else self.ids["eos"]


def _token_str(value: Any) -> str | None:
    if isinstance(value, dict):  # transformers may store an AddedToken as {"content": ...}
        return value.get("content")
    return value if isinstance(value, str) else None


def special_ids(file: Path, tokenizer: Tokenizer) -> SpecialIds:
    """Read the special token names from ``tokenizer_config.json`` beside ``file`` and look up their ids."""
    cfg_path = file.parent / "tokenizer_config.json"
    cfg: dict[str, Any] = {}
    if cfg_path.is_file():
        cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
    ids: dict[str, int | None] = {}
    for role in _ROLES:
        name = _token_str(cfg.get(f"{role}_token"))
        ids[role] = tokenizer.token_to_id(name) if name else None
    if ids["eos"] is None:
        fallback = tokenizer.token_to_id("<|endoftext|>")
        if fallback is None:
            raise UserError(f"{cfg_path}: the tokenizer names no end-of-text token (eos_token) and has no "
                            "<|endoftext|>; set eos_token there, or train one with the `tokenizer` stage")
        ids["eos"] = fallback
    extra = cfg.get("additional_special_tokens") or cfg.get("extra_special_tokens") or []
    if isinstance(extra, dict):
        extra = list(extra.values())
    sentinels = sorted((int(m.group(1)), tokenizer.token_to_id(m.group(0)))
                       for t in extra if (s := _token_str(t)) and (m := _SENTINEL.match(s)))
    # one past the largest id (ids of added tokens may lie beyond the model's vocabulary)
    vocab_size = max(tokenizer.get_vocab(with_added_tokens=True).values()) + 1
    return SpecialIds(ids, [i for _, i in sentinels if i is not None], vocab_size)
