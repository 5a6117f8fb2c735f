"""T5-style encoder-decoder: RMS LayerNorm, no biases, ReLU feed-forward, relative position bias (computed by the
first layer of each stack and shared by the others), tied embeddings (T5 v1.0)."""

import math
from typing import Literal

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

from trainer.models.layers import NormPlacement, dropout_or_identity, masked_lm_loss
from trainer.section import Section


class T5Config(Section):
    family: Literal["t5"] = "t5"
    vocab_size: int | None = Field(None, gt=0)
    """None: the manifest's vocab_size rounded up to `pad_vocab_multiple`."""
    pad_vocab_multiple: int = Field(64, gt=0)
    d_model: int = Field(512, gt=0)
    d_kv: int = Field(64, gt=0)
    """Width of one attention head (t5-small: 64)."""
    d_ff: int = Field(2048, gt=0)
    n_layers: int = Field(6, gt=0)
    """Encoder layers."""
    n_decoder_layers: int | None = Field(None, gt=0)
    """None: same as n_layers."""
    n_heads: int = Field(8, gt=0)
    relative_attention_num_buckets: int = Field(32, gt=1)
    relative_attention_max_distance: int = Field(128, gt=1)
    encoder_norm: NormPlacement = "pre"
    decoder_norm: NormPlacement = "pre"
    """T5 is `pre` in both stacks (then a final RMSNorm); `post` cannot be exported to transformers."""
    layer_norm_eps: float = Field(1e-6, gt=0)
    dropout: float = Field(0.1, ge=0, lt=1)


def relative_position_bucket(relative_position: torch.Tensor, bidirectional: bool, num_buckets: int,
                             max_distance: int) -> torch.Tensor:
    """Map key-minus-query offsets to buckets: half of them exact for small distances, the rest logarithmic up
    to max_distance. Bidirectional (encoder) buckets keep the sign; the decoder only looks back."""
    if bidirectional:
        num_buckets //= 2
        base = (relative_position > 0).long() * num_buckets
        distance = relative_position.abs()
    else:
        base = torch.zeros_like(relative_position)
        distance = (-relative_position).clamp(min=0)
    max_exact = num_buckets // 2
    # log(0) is -inf; those entries are small and take the exact branch below.
    log_ratio = torch.log(distance.float().clamp(min=1) / max_exact) / math.log(max_distance / max_exact)
    large = (max_exact + (log_ratio * (num_buckets - max_exact)).long()).clamp(max=num_buckets - 1)
    return base + torch.where(distance < max_exact, distance, large)


class T5Attention(nn.Module):
    """Unscaled dot-product attention (T5 folds 1/sqrt(d) into the initialisation) with an additive bias."""

    def __init__(self, cfg: T5Config, relative_bias: bool, bidirectional: bool):
        super().__init__()
        inner = cfg.n_heads * cfg.d_kv
        self.n_heads, self.d_kv = cfg.n_heads, cfg.d_kv
        self.q = nn.Linear(cfg.d_model, inner, bias=False)
        self.k = nn.Linear(cfg.d_model, inner, bias=False)
        self.v = nn.Linear(cfg.d_model, inner, bias=False)
        self.o = nn.Linear(inner, cfg.d_model, bias=False)
        self.dropout = cfg.dropout
        self.bidirectional = bidirectional
        self.buckets, self.max_distance = cfg.relative_attention_num_buckets, cfg.relative_attention_max_distance
        self.relative_attention_bias = nn.Embedding(self.buckets, cfg.n_heads) if relative_bias else None

    def position_bias(self, q_len: int, k_len: int, device: torch.device) -> torch.Tensor:
        """(1, nh, Tq, Tk) learned bias indexed by bucketed relative position."""
        assert self.relative_attention_bias is not None
        offset = torch.arange(k_len, device=device)[None, :] - torch.arange(q_len, device=device)[:, None]
        bucket = relative_position_bucket(offset, self.bidirectional, self.buckets, self.max_distance)
        return self.relative_attention_bias(bucket).permute(2, 0, 1).unsqueeze(0)

    def forward(self, x: torch.Tensor, bias: torch.Tensor, kv: torch.Tensor | None = None) -> torch.Tensor:
        b, tq, _ = x.shape
        src = x if kv is None else kv
        tk = src.shape[1]
        q = self.q(x).view(b, tq, self.n_heads, self.d_kv).transpose(1, 2)  # (B, nh, Tq, dk)
        k = self.k(src).view(b, tk, self.n_heads, self.d_kv).transpose(1, 2)  # (B, nh, Tk, dk)
        v = self.v(src).view(b, tk, self.n_heads, self.d_kv).transpose(1, 2)  # (B, nh, Tk, dk)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=bias.to(q.dtype),
                                           dropout_p=self.dropout if self.training else 0.0, scale=1.0)
        return self.o(y.transpose(1, 2).reshape(b, tq, self.n_heads * self.d_kv))


class FeedForward(nn.Module):
    def __init__(self, cfg: T5Config):
        super().__init__()
        self.wi = nn.Linear(cfg.d_model, cfg.d_ff, bias=False)
        self.wo = nn.Linear(cfg.d_ff, cfg.d_model, bias=False)
        self.drop = dropout_or_identity(cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.wo(self.drop(F.relu(self.wi(x))))


class Sublayer(nn.Module):
    """Residual wrapper: pre-norm x + f(norm(x)), or post-norm norm(x + f(x))."""

    def __init__(self, cfg: T5Config, fn: nn.Module, norm: NormPlacement):
        super().__init__()
        self.fn, self.pre_norm = fn, norm == "pre"
        self.norm = nn.RMSNorm(cfg.d_model, eps=cfg.layer_norm_eps)
        self.drop = dropout_or_identity(cfg.dropout)

    def forward(self, x: torch.Tensor, *args: torch.Tensor | None) -> torch.Tensor:
        if self.pre_norm:
            return x + self.drop(self.fn(self.norm(x), *args))
        return self.norm(x + self.drop(self.fn(x, *args)))


class T5Block(nn.Module):
    def __init__(self, cfg: T5Config, is_decoder: bool, relative_bias: bool):
        super().__init__()
        norm = cfg.decoder_norm if is_decoder else cfg.encoder_norm
        self.self_attn = Sublayer(cfg, T5Attention(cfg, relative_bias, bidirectional=not is_decoder), norm)
        self.cross_attn = (Sublayer(cfg, T5Attention(cfg, False, bidirectional=True), norm)
                           if is_decoder else None)
        self.ff = Sublayer(cfg, FeedForward(cfg), norm)

    def forward(self, x: torch.Tensor, self_bias: torch.Tensor, enc: torch.Tensor | None = None,
                cross_bias: torch.Tensor | None = None) -> torch.Tensor:
        x = self.self_attn(x, self_bias)
        if self.cross_attn is not None:
            x = self.cross_attn(x, cross_bias, enc)
        return self.ff(x)


class T5Stack(nn.Module):
    def __init__(self, cfg: T5Config, n_layers: int, is_decoder: bool):
        super().__init__()
        self.is_decoder = is_decoder
        self.blocks = nn.ModuleList(T5Block(cfg, is_decoder, relative_bias=i == 0) for i in range(n_layers))
        pre = (cfg.decoder_norm if is_decoder else cfg.encoder_norm) == "pre"
        self.final_norm = nn.RMSNorm(cfg.d_model, eps=cfg.layer_norm_eps) if pre else None
        self.drop = dropout_or_identity(cfg.dropout)

    def forward(self, x: torch.Tensor, key_padding: torch.Tensor | None, enc: torch.Tensor | None = None,
                enc_padding: torch.Tensor | None = None) -> torch.Tensor:
        """x: (B, T, C) embeddings; key_padding / enc_padding: (B, T) True at padding, or None."""
        t = x.shape[1]
        neg = torch.finfo(torch.float32).min
        bias = self.blocks[0].self_attn.fn.position_bias(t, t, x.device)  # (1, nh, T, T)
        if self.is_decoder:
            bias = bias.masked_fill(~torch.ones(t, t, dtype=torch.bool, device=x.device).tril(), neg)
        if key_padding is not None:
            bias = bias.masked_fill(key_padding[:, None, None, :], neg)  # (B, nh, T, T)
        cross_bias = None
        if enc is not None:
            cross_bias = torch.zeros(1, 1, 1, enc.shape[1], device=x.device)
            if enc_padding is not None:
                cross_bias = cross_bias.masked_fill(enc_padding[:, None, None, :], neg)  # (B, 1, 1, Tk)
        x = self.drop(x)
        for block in self.blocks:
            x = block(x, bias, enc, cross_bias)
        return self.drop(self.final_norm(x)) if self.final_norm is not None else x


class T5(nn.Module):
    def __init__(self, cfg: T5Config):
        super().__init__()
        assert cfg.vocab_size is not None, "resolve vocab_size from the manifest first"
        self.cfg = cfg
        self.shared = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.encoder = T5Stack(cfg, cfg.n_layers, is_decoder=False)
        self.decoder = T5Stack(cfg, cfg.n_decoder_layers or cfg.n_layers, is_decoder=True)
        self._init_weights()

    def _init_weights(self) -> None:
        # Mesh-TensorFlow T5 initialisation: unit-variance embeddings and std 1/sqrt(fan_in) projections, with
        # the attention's 1/sqrt(d_kv) folded into q (attention itself is unscaled).
        c = self.cfg
        nn.init.normal_(self.shared.weight, std=1.0)
        for m in self.modules():
            if isinstance(m, T5Attention):
                nn.init.normal_(m.q.weight, std=(c.d_model * c.d_kv) ** -0.5)
                nn.init.normal_(m.k.weight, std=c.d_model**-0.5)
                nn.init.normal_(m.v.weight, std=c.d_model**-0.5)
                nn.init.normal_(m.o.weight, std=(c.n_heads * c.d_kv) ** -0.5)
                if m.relative_attention_bias is not None:
                    nn.init.normal_(m.relative_attention_bias.weight, std=c.d_model**-0.5)
            elif isinstance(m, FeedForward):
                nn.init.normal_(m.wi.weight, std=c.d_model**-0.5)
                nn.init.normal_(m.wo.weight, std=c.d_ff**-0.5)

    def forward(self, input_ids: torch.Tensor, decoder_input_ids: torch.Tensor, labels: torch.Tensor | None = None,
                input_padding: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """input_ids: (B, Ti) corrupted text; decoder_input_ids: (B, To) targets shifted right; labels: (B, To);
        input_padding: (B, Ti) True at padding."""
        enc = self.encoder(self.shared(input_ids), input_padding)
        dec = self.decoder(self.shared(decoder_input_ids), None, enc, input_padding)  # (B, To, C)
        # Tied output layer: T5 rescales by d_model^-0.5 because the embeddings have unit variance.
        logits = F.linear(dec * self.cfg.d_model**-0.5, self.shared.weight)  # (B, To, V)
        out = {"logits": logits}
        if labels is not None:
            out["loss"] = masked_lm_loss(logits, labels)
        return out
