"""GPT-2-style decoder: learned positions, pre-LayerNorm blocks, final LayerNorm, tied input/output embeddings."""

import math
from typing import Literal

import torch
from pydantic import Field, model_validator
from torch import nn

from trainer.models.layers import (
    Block,
    NormPlacement,
    dropout_or_identity,
    init_normal_,
    masked_lm_loss,
    segment_mask,
)
from trainer.section import Section


class GPTConfig(Section):
    family: Literal["gpt2"] = "gpt2"
    vocab_size: int | None = Field(None, gt=0)
    """Embedding rows. None: the manifest's vocab_size rounded up to `pad_vocab_multiple`."""
    pad_vocab_multiple: int = Field(64, gt=0)
    """Round the vocabulary up to a multiple of this (nanoGPT: 50257 -> 50304) for faster matmuls."""
    n_positions: int = Field(1024, gt=0)
    """Context length (learned position embeddings); must be >= the packed seq_len."""
    n_layer: int = Field(12, gt=0)
    n_head: int = Field(12, gt=0)
    n_embd: int = Field(768, gt=0)
    dropout: float = Field(0.0, ge=0, lt=1)
    """0 for pre-training on a corpus seen about once; raise it when fine-tuning or repeating data."""
    bias: bool = True
    """Biases in linear layers and LayerNorms (GPT-2: yes). Export to GPT2LMHeadModel needs True."""
    norm: NormPlacement = "pre"
    """LayerNorm placement; GPT-2 is `pre` (then a final LayerNorm). Export needs `pre`."""
    layer_norm_eps: float = Field(1e-5, gt=0)

    @model_validator(mode="after")
    def _heads_divide_width(self) -> "GPTConfig":
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd ({self.n_embd}) must be a multiple of n_head ({self.n_head})")
        return self


class GPT(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        assert cfg.vocab_size is not None, "resolve vocab_size from the manifest first"
        self.cfg = cfg
        self.wte = nn.Embedding(cfg.vocab_size, cfg.n_embd)
        self.wpe = nn.Embedding(cfg.n_positions, cfg.n_embd)
        self.drop = dropout_or_identity(cfg.dropout)
        self.blocks = nn.ModuleList(
            Block(cfg.n_embd, cfg.n_head, 4 * cfg.n_embd, norm=cfg.norm, eps=cfg.layer_norm_eps, bias=cfg.bias,
                  activation="gelu_tanh", dropout=cfg.dropout)
            for _ in range(cfg.n_layer)
        )
        self.ln_f = nn.LayerNorm(cfg.n_embd, eps=cfg.layer_norm_eps, bias=cfg.bias) if cfg.norm == "pre" else None
        self.lm_head = nn.Linear(cfg.n_embd, cfg.vocab_size, bias=False)
        self.lm_head.weight = self.wte.weight  # tied: one (V, C) matrix reads tokens in and writes logits out
        init_normal_(self)
        # GPT-2: residual projections start with std 0.02/sqrt(2 * n_layer), so the residual stream's variance
        # does not grow with depth (two residual additions per block).
        for block in self.blocks:
            for proj in (block.attn.proj, block.mlp.proj):
                nn.init.normal_(proj.weight, mean=0.0, std=0.02 / math.sqrt(2 * cfg.n_layer))

    def forward(self, input_ids: torch.Tensor, labels: torch.Tensor | None = None,
                segment_ids: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """input_ids, labels, segment_ids: (B, T). labels[t] is the token after t (-100: no loss). With
        segment_ids, attention stays inside a document (same id)."""
        _, t = input_ids.shape
        pos = torch.arange(t, device=input_ids.device)
        x = self.drop(self.wte(input_ids) + self.wpe(pos))  # (B, T, C)
        mask = segment_mask(segment_ids, causal=True) if segment_ids is not None else None
        for block in self.blocks:
            x = block(x, mask, causal=True)
        if self.ln_f is not None:
            x = self.ln_f(x)
        logits = self.lm_head(x)  # (B, T, V)
        out = {"logits": logits}
        if labels is not None:
            out["loss"] = masked_lm_loss(logits, labels)
        return out

    @torch.no_grad()
    def generate(self, input_ids: torch.Tensor, max_new_tokens: int, temperature: float = 1.0,
                 top_k: int | None = None, eos_id: int | None = None,
                 generator: torch.Generator | None = None) -> torch.Tensor:
        """Sample continuations of input_ids (B, T); stops early when every row has produced eos_id."""
        done = torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)
        for _ in range(max_new_tokens):
            context = input_ids[:, -self.cfg.n_positions:]
            logits = self(context)["logits"][:, -1, :].float()  # (B, V)
            if temperature == 0:
                next_id = logits.argmax(dim=-1, keepdim=True)
            else:
                logits = logits / temperature
                if top_k is not None:
                    kth = torch.topk(logits, min(top_k, logits.shape[-1])).values[:, -1:]
                    logits = logits.masked_fill(logits < kth, float("-inf"))
                next_id = torch.multinomial(torch.softmax(logits, dim=-1), 1, generator=generator)
            input_ids = torch.cat([input_ids, next_id], dim=1)
            if eos_id is not None:
                done |= next_id.squeeze(1) == eos_id
                if bool(done.all()):
                    break
        return input_ids
