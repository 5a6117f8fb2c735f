"""Masked-LM batches (BERT), sentence-order pairs (ALBERT) and replaced-token-detection inputs (ELECTRA)."""

from typing import Literal

import numpy as np
import torch
from pydantic import Field, model_validator

from trainer.data import Manifest, RowBatch
from trainer.section import Section


class MLMConfig(Section):
    name: Literal["mlm"] = "mlm"
    mask_prob: float = Field(0.15, gt=0, lt=1)
    """Fraction of (non-special, non-padding) tokens selected for prediction (BERT: 15%)."""
    mask_token_frac: float = Field(0.8, ge=0, le=1)
    """Of the selected tokens, the fraction replaced by the mask token (BERT: 80%)."""
    random_token_frac: float = Field(0.1, ge=0, le=1)
    """Of the selected tokens, the fraction replaced by a random token (BERT: 10%); the rest stay unchanged."""
    doc_mask: bool = False
    """Attend only within a document (RoBERTa's FULL-SENTENCES packing attends across them: off by default)."""
    sop: bool = False
    """Build ALBERT sentence-order pairs: [CLS] A [SEP] B [SEP], B and A swapped for half of the rows."""

    @model_validator(mode="after")
    def _fractions_fit(self) -> "MLMConfig":
        if self.mask_token_frac + self.random_token_frac > 1:
            raise ValueError("mask_token_frac + random_token_frac must be <= 1")
        return self


class RTDConfig(MLMConfig):
    name: Literal["rtd"] = "rtd"  # type: ignore[assignment]
    mask_token_frac: float = Field(1.0, ge=0, le=1)
    """ELECTRA replaces every selected token by the mask token; the generator's samples do the rest."""
    random_token_frac: float = Field(0.0, ge=0, le=1)


def mask_tokens(ids: np.ndarray, maskable: np.ndarray, rng: np.random.Generator, cfg: MLMConfig, mask_id: int,
                vocab_size: int) -> tuple[np.ndarray, np.ndarray]:
    """BERT masking of ids (B, T) where `maskable`: returns (inputs, labels), labels -100 where not selected.
    Every row with a maskable token gets at least one selection, so a batch never has an empty loss."""
    selected = (rng.random(ids.shape) < cfg.mask_prob) & maskable
    for i in np.flatnonzero(~selected.any(axis=1) & maskable.any(axis=1)):
        selected[i, rng.choice(np.flatnonzero(maskable[i]))] = True
    labels = np.where(selected, ids, -100)
    u = rng.random(ids.shape)
    to_mask = selected & (u < cfg.mask_token_frac)
    to_random = selected & (u >= cfg.mask_token_frac) & (u < cfg.mask_token_frac + cfg.random_token_frac)
    inputs = ids.copy()
    inputs[to_mask] = mask_id
    inputs[to_random] = rng.integers(0, vocab_size, size=int(to_random.sum()))
    return inputs, labels


def sentence_order_pairs(rows: RowBatch, rng: np.random.Generator, cls_id: int, sep_id: int, pad_id: int,
                         drop_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """[CLS] A [SEP] B [SEP] from two consecutive pieces of the longest document in each row; for half of the
    rows (label 1) the pieces are swapped. Packed rows keep no sentence boundaries, so the split point is a
    token position drawn uniformly from the document's middle half.
    Returns input_ids, token_type_ids (B, T), n_tokens (B,), sop_labels (B,)."""
    b, t = rows.input_ids.shape
    ids = np.full((b, t), pad_id, dtype=np.int64)
    types = np.zeros((b, t), dtype=np.int64)
    n_tokens = np.zeros(b, dtype=np.int64)
    labels = (rng.random(b) < 0.5).astype(np.int64)
    for i in range(b):
        bounds = np.unique(np.concatenate([[0], rows.doc_starts[i], [rows.n_tokens[i]]]))
        longest = int(np.argmax(np.diff(bounds)))
        doc = rows.input_ids[i, bounds[longest]:bounds[longest + 1]]
        doc = doc[~np.isin(doc, drop_ids)][: t - 3]  # eos separators dropped; room for [CLS] [SEP] [SEP]
        if len(doc) < 2:
            labels[i] = 0
        k = int(rng.integers(max(1, len(doc) // 4), max(2, 3 * len(doc) // 4 + 1))) if len(doc) >= 2 else len(doc)
        a, c = (doc[k:], doc[:k]) if labels[i] else (doc[:k], doc[k:])
        pair = np.concatenate([[cls_id], a, [sep_id], c, [sep_id]])
        ids[i, : len(pair)] = pair
        types[i, len(a) + 2: len(pair)] = 1
        n_tokens[i] = len(pair)
    return ids, types, n_tokens, labels


class MaskedLM:
    """MLM (optionally + SOP) batches for Bert, and, with `rtd`, the extra inputs ELECTRA's discriminator needs."""

    def __init__(self, cfg: MLMConfig, manifest: Manifest):
        self.cfg = cfg
        self.mask_id = manifest.special("mask")
        self.pad_id = manifest.special("pad")
        self.vocab_size = manifest.vocab_size
        self.special_ids = np.array(sorted({v for v in manifest.special_tokens.values() if v is not None}))
        if cfg.sop:
            self.cls_id, self.sep_id = manifest.special("cls"), manifest.special("sep")

    def __call__(self, rows: RowBatch, rng: np.random.Generator) -> dict[str, torch.Tensor]:
        batch: dict[str, torch.Tensor] = {}
        if self.cfg.sop:
            ids, types, n_tokens, sop_labels = sentence_order_pairs(
                rows, rng, self.cls_id, self.sep_id, self.pad_id, self.special_ids)
            padding = np.arange(ids.shape[1])[None, :] >= n_tokens[:, None]
            segments = np.where(padding, -1, 0)  # one segment per pair, padding apart
            batch |= {"token_type_ids": torch.from_numpy(types), "sop_labels": torch.from_numpy(sop_labels)}
        else:
            ids, padding = rows.input_ids, rows.padding()
            segments = rows.segment_ids() if self.cfg.doc_mask else np.where(padding, -1, 0)
        maskable = ~padding & ~np.isin(ids, self.special_ids)
        inputs, labels = mask_tokens(ids, maskable, rng, self.cfg, self.mask_id, self.vocab_size)
        batch |= {"input_ids": torch.from_numpy(inputs), "labels": torch.from_numpy(labels)}
        if self.cfg.doc_mask or padding.any():  # without either, every token sees every token: no mask needed
            batch["segment_ids"] = torch.from_numpy(segments)
        if self.cfg.name == "rtd":
            batch |= {"original_ids": torch.from_numpy(ids), "rtd_mask": torch.from_numpy(~padding)}
        return batch
