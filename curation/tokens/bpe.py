"""Byte-level BPE, as GPT-2 has it (Radford et al. 2019), trained with Hugging Face ``tokenizers``.

Bytes, not characters, are the base alphabet: every string encodes (no unknown token) and decodes back
exactly. No normalizer: the text the model sees is the text the corpus holds. GPT-2's pre-tokenizer
regex splits words, numbers and punctuation runs before merges are learned.

Saved as ``tokenizer.json`` plus ``tokenizer_config.json`` and ``special_tokens_map.json``, the files
``transformers.PreTrainedTokenizerFast.from_pretrained`` reads to set the special tokens (the config is
written by hand, not by ``save_pretrained``, so it does not depend on the installed ``transformers``
version: v4 and v5 read the same keys).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

from curation.storage import publish_dir, staging_dir
from curation.tokens.specials import SpecialTokens

BYTE_ALPHABET = 256  # byte-level BPE starts from one token per byte


def min_vocab_size(specials: SpecialTokens) -> int:
    return len(specials.ordered()) + BYTE_ALPHABET


def train_bpe(batches: Iterator[list[str]], vocab_size: int, specials: SpecialTokens, min_frequency: int,
              max_token_length: int | None = None) -> Tokenizer:
    """Train on a stream of text batches; special tokens get ids 0..N-1 in ``specials.ordered()`` order.

    ``tokenizers`` counts pre-tokenized words (multi-threaded, in Rust) as the stream goes by and keeps
    only those counts, so memory grows with the number of distinct words, not with the text.
    """
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=specials.ordered(),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        max_token_length=max_token_length,
        show_progress=False,
    )
    tok.train_from_iterator(batches, trainer=trainer)
    return tok


def transformers_config(specials: SpecialTokens) -> dict[str, Any]:
    """``tokenizer_config.json``: what ``PreTrainedTokenizerFast`` needs to name the special tokens."""
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": specials.eos,  # GPT-2 convention: <|endoftext|> also starts a sequence
        "eos_token": specials.eos,
        "pad_token": specials.pad,
        "mask_token": specials.mask,
        "cls_token": specials.cls,
        "sep_token": specials.sep,
        "unk_token": None,  # byte-level: every string is encodable
        "additional_special_tokens": specials.sentinel_tokens() + list(specials.extra),
        # decode(encode(x)) == x: no space clean-up, no lower-casing
        "clean_up_tokenization_spaces": False,
    }


def save_tokenizer_dir(tok: Tokenizer, specials: SpecialTokens, out_dir: Path,
                       extra_files: dict[str, Any] | None = None) -> None:
    """Write the tokenizer folder in a temporary folder, then publish it (``storage.publish_dir``)."""
    with staging_dir(out_dir) as tmp:
        tok.save(str(tmp / "tokenizer.json"), pretty=True)
        cfg = transformers_config(specials)
        _write(tmp / "tokenizer_config.json", cfg)
        _write(tmp / "special_tokens_map.json",
               {k: v for k, v in cfg.items() if k.endswith("_token") and v is not None}
               | {"additional_special_tokens": cfg["additional_special_tokens"]})
        for name, obj in (extra_files or {}).items():
            _write(tmp / name, obj)
        publish_dir(tmp, out_dir)


def _write(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
