"""Transformer pieces shared by the GPT-2, BERT/ALBERT and ELECTRA models (T5 has its own, in t5.py)."""

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

Activation = Literal["gelu", "gelu_tanh"]
NormPlacement = Literal["pre", "post"]


def dropout_or_identity(p: float) -> nn.Module:
    # nn.Dropout(0.0) still launches a kernel per call in training mode; skipping it is free speed on CPU.
    return nn.Dropout(p) if p > 0 else nn.Identity()


def segment_mask(segment_ids: torch.Tensor, causal: bool) -> torch.Tensor:
    """Boolean attention mask (B, 1, T, T): True where query t may attend to key s (same segment, and s <= t
    when causal). Padding carries segment -1, so it only ever attends to itself."""
    same = segment_ids[:, None, :, None] == segment_ids[:, None, None, :]  # (B, 1, T, T)
    if causal:
        t = segment_ids.shape[1]
        same = same & torch.ones(t, t, dtype=torch.bool, device=segment_ids.device).tril()
    return same


class SelfAttention(nn.Module):
    """Multi-head self-attention: one fused q/k/v projection, then torch's fused scaled_dot_product_attention
    (flash / memory-efficient kernels where the device has them; no (T, T) score tensor in Python)."""

    def __init__(self, d_model: int, n_heads: int, bias: bool, dropout: float):
        super().__init__()
        self.n_heads = n_heads
        self.qkv = nn.Linear(d_model, 3 * d_model, bias=bias)
        self.proj = nn.Linear(d_model, d_model, bias=bias)
        self.attn_dropout = dropout
        self.resid_dropout = dropout_or_identity(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None, causal: bool) -> torch.Tensor:
        b, t, c = x.shape
        q, k, v = self.qkv(x).split(c, dim=2)
        q = q.view(b, t, self.n_heads, c // self.n_heads).transpose(1, 2)  # (B, nh, T, hs)
        k = k.view(b, t, self.n_heads, c // self.n_heads).transpose(1, 2)  # (B, nh, T, hs)
        v = v.view(b, t, self.n_heads, c // self.n_heads).transpose(1, 2)  # (B, nh, T, hs)
        y = F.scaled_dot_product_attention(
            q, k, v,
            attn_mask=mask,
            dropout_p=self.attn_dropout if self.training else 0.0,
            # With a mask the causal part is already inside it; without one, is_causal lets the kernel skip
            # the upper triangle instead of reading a (T, T) mask.
            is_causal=causal and mask is None,
        )
        y = y.transpose(1, 2).reshape(b, t, c)  # (B, T, C)
        return self.resid_dropout(self.proj(y))


class MLP(nn.Module):
    """Position-wise feed-forward: d_model -> d_ff -> d_model."""

    def __init__(self, d_model: int, d_ff: int, bias: bool, activation: Activation, dropout: float):
        super().__init__()
        self.fc = nn.Linear(d_model, d_ff, bias=bias)
        self.proj = nn.Linear(d_ff, d_model, bias=bias)
        # "gelu_tanh" is GPT-2's approximation (HF "gelu_new"); one fused kernel instead of HF's five ops.
        self.approximate = "tanh" if activation == "gelu_tanh" else "none"
        self.dropout = dropout_or_identity(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.proj(F.gelu(self.fc(x), approximate=self.approximate)))


class Block(nn.Module):
    """Attention + MLP with residuals. `pre`: x + f(LN(x)) (GPT-2, stable deep stacks);
    `post`: LN(x + f(x)) (original Transformer, BERT)."""

    def __init__(self, d_model: int, n_heads: int, d_ff: int, *, norm: NormPlacement, eps: float, bias: bool,
                 activation: Activation, dropout: float):
        super().__init__()
        self.pre_norm = norm == "pre"
        self.ln_1 = nn.LayerNorm(d_model, eps=eps, bias=bias)
        self.attn = SelfAttention(d_model, n_heads, bias, dropout)
        self.ln_2 = nn.LayerNorm(d_model, eps=eps, bias=bias)
        self.mlp = MLP(d_model, d_ff, bias, activation, dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None, causal: bool = False) -> torch.Tensor:
        if self.pre_norm:
            x = x + self.attn(self.ln_1(x), mask, causal)
            return x + self.mlp(self.ln_2(x))
        x = self.ln_1(x + self.attn(x, mask, causal))
        return self.ln_2(x + self.mlp(x))


def init_normal_(module: nn.Module, std: float = 0.02) -> None:
    """GPT-2/BERT initialisation: N(0, 0.02) for linear and embedding weights, zero biases, unit LayerNorms."""
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, mean=0.0, std=std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, mean=0.0, std=std)
        elif isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def masked_lm_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over positions whose label is not -100; computed in fp32 even under bf16 autocast."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), labels.reshape(-1), ignore_index=-100)
