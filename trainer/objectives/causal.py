"""Causal language modelling: predict token t+1 from tokens <= t, optionally without attending across documents."""

from typing import Literal

import numpy as np
import torch

from trainer.data import RowBatch
from trainer.section import Section


class CausalLMConfig(Section):
    name: Literal["causal_lm"] = "causal_lm"
    doc_mask: bool = False
    """Attend only within a document, using the packed rows' doc_starts (costs a (T, T) mask per row; without
    it attention runs across documents, as GPT-2 did, through the faster is_causal kernel)."""


class CausalLM:
    def __init__(self, cfg: CausalLMConfig):
        self.cfg = cfg

    def __call__(self, rows: RowBatch, rng: np.random.Generator) -> dict[str, torch.Tensor]:
        ids = rows.input_ids  # (B, T)
        labels = np.full_like(ids, -100)
        labels[:, :-1] = ids[:, 1:]  # position t predicts token t+1; the last position has no target
        # Padding sits at the end of a row: no target once t+1 reaches it.
        labels[np.arange(ids.shape[1])[None, :] >= rows.n_tokens[:, None] - 1] = -100
        batch = {"input_ids": torch.from_numpy(ids), "labels": torch.from_numpy(labels)}
        if self.cfg.doc_mask:
            batch["segment_ids"] = torch.from_numpy(rows.segment_ids())
        return batch
