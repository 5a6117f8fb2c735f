"""BERT-style encoder with a masked-LM head, and the ALBERT options: factorized embeddings, cross-layer
parameter sharing and a sentence-order-prediction head."""

from typing import Literal

import torch
import torch.nn.functional as F
from pydantic import Field, model_validator
from torch import nn

from trainer.models.layers import (
    Activation,
    Block,
    NormPlacement,
    dropout_or_identity,
    init_normal_,
    masked_lm_loss,
    segment_mask,
)
from trainer.section import Section


class BertConfig(Section):
    family: Literal["bert", "albert"] = "bert"
    """`albert` always projects embeddings to the hidden size (as ALBERT does) and exports to AlbertForMaskedLM."""
    vocab_size: int | None = Field(None, gt=0)
    """None: the manifest's vocab_size rounded up to `pad_vocab_multiple`."""
    pad_vocab_multiple: int = Field(64, gt=0)
    max_positions: int = Field(512, gt=0)
    """Learned absolute positions; must be >= the packed seq_len."""
    type_vocab_size: int = Field(2, gt=0)
    """Token types (segment A / B of a sentence pair)."""
    hidden_size: int = Field(768, gt=0)
    n_layers: int = Field(12, gt=0)
    n_heads: int = Field(12, gt=0)
    intermediate_size: int = Field(3072, gt=0)
    embedding_size: int | None = Field(None, gt=0)
    """ALBERT factorized embedding size (albert-base: 128); None = hidden_size."""
    share_layers: bool = False
    """ALBERT cross-layer sharing: one block's parameters applied n_layers times."""
    sop_head: bool = False
    """Add ALBERT's sentence-order-prediction head (pooler + 2-way classifier on the first token)."""
    activation: Activation = "gelu"
    """BERT: exact gelu; ALBERT: gelu_tanh ("gelu_new")."""
    norm: NormPlacement = "post"
    """BERT/ALBERT are `post`; `pre` adds a final LayerNorm (and cannot be exported to transformers)."""
    layer_norm_eps: float = Field(1e-12, gt=0)
    dropout: float = Field(0.1, ge=0, lt=1)

    @model_validator(mode="after")
    def _heads_divide_width(self) -> "BertConfig":
        if self.hidden_size % self.n_heads:
            raise ValueError(f"hidden_size ({self.hidden_size}) must be a multiple of n_heads ({self.n_heads})")
        return self

    @property
    def embed_dim(self) -> int:
        return self.embedding_size or self.hidden_size


class Embeddings(nn.Module):
    """Word + learned position + token-type embeddings, then LayerNorm and dropout: (B, T) -> (B, T, E)."""

    def __init__(self, vocab_size: int, dim: int, max_positions: int, type_vocab_size: int, eps: float,
                 dropout: float):
        super().__init__()
        self.word = nn.Embedding(vocab_size, dim)
        self.position = nn.Embedding(max_positions, dim)
        self.token_type = nn.Embedding(type_vocab_size, dim)
        self.ln = nn.LayerNorm(dim, eps=eps)
        self.drop = dropout_or_identity(dropout)

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor | None = None) -> torch.Tensor:
        pos = torch.arange(input_ids.shape[1], device=input_ids.device)
        x = self.word(input_ids) + self.position(pos)
        x = x + (self.token_type(token_type_ids) if token_type_ids is not None else self.token_type.weight[0])
        return self.drop(self.ln(x))


class Encoder(nn.Module):
    """Optional input projection E -> H, then n_layers bidirectional blocks (or one block reused n_layers
    times when shared), then a final LayerNorm for pre-norm stacks."""

    def __init__(self, in_dim: int, hidden: int, n_layers: int, n_heads: int, d_ff: int, *, share: bool,
                 norm: NormPlacement, eps: float, activation: Activation, dropout: float, project: bool):
        super().__init__()
        self.n_layers = n_layers
        self.in_proj = nn.Linear(in_dim, hidden) if project or in_dim != hidden else None
        make = lambda: Block(hidden, n_heads, d_ff, norm=norm, eps=eps, bias=True,  # noqa: E731
                             activation=activation, dropout=dropout)
        self.layers = nn.ModuleList([make()] if share else [make() for _ in range(n_layers)])
        self.ln_f = nn.LayerNorm(hidden, eps=eps) if norm == "pre" else None

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        if self.in_proj is not None:
            x = self.in_proj(x)
        for i in range(self.n_layers):
            x = self.layers[i % len(self.layers)](x, mask)
        return self.ln_f(x) if self.ln_f is not None else x


class MLMHead(nn.Module):
    """dense H -> E, activation, LayerNorm, then logits against the (tied) word embeddings plus a bias."""

    def __init__(self, hidden: int, embed_dim: int, vocab_size: int, activation: Activation, eps: float):
        super().__init__()
        self.dense = nn.Linear(hidden, embed_dim)
        self.approximate = "tanh" if activation == "gelu_tanh" else "none"
        self.ln = nn.LayerNorm(embed_dim, eps=eps)
        self.bias = nn.Parameter(torch.zeros(vocab_size))

    def forward(self, h: torch.Tensor, word_embeddings: torch.Tensor) -> torch.Tensor:
        h = self.ln(F.gelu(self.dense(h), approximate=self.approximate))
        return F.linear(h, word_embeddings, self.bias)


def encoder_mask(segment_ids: torch.Tensor | None) -> torch.Tensor | None:
    """(B, 1, T, T) mask keeping attention inside segments (documents; padding is segment -1), or None."""
    return segment_mask(segment_ids, causal=False) if segment_ids is not None else None


class Bert(nn.Module):
    """BERT / ALBERT for pre-training: masked-LM loss, plus the sentence-order loss when `sop_head` is set."""

    def __init__(self, cfg: BertConfig):
        super().__init__()
        assert cfg.vocab_size is not None, "resolve vocab_size from the manifest first"
        self.cfg = cfg
        e, h = cfg.embed_dim, cfg.hidden_size
        self.embeddings = Embeddings(cfg.vocab_size, e, cfg.max_positions, cfg.type_vocab_size,
                                     cfg.layer_norm_eps, cfg.dropout)
        self.encoder = Encoder(e, h, cfg.n_layers, cfg.n_heads, cfg.intermediate_size, share=cfg.share_layers,
                               norm=cfg.norm, eps=cfg.layer_norm_eps, activation=cfg.activation,
                               dropout=cfg.dropout, project=cfg.family == "albert")
        self.mlm_head = MLMHead(h, e, cfg.vocab_size, cfg.activation, cfg.layer_norm_eps)
        if cfg.sop_head:
            self.pooler = nn.Linear(h, h)
            self.sop_classifier = nn.Linear(h, 2)
        init_normal_(self)

    def forward(self, input_ids: torch.Tensor, labels: torch.Tensor | None = None,
                token_type_ids: torch.Tensor | None = None, segment_ids: torch.Tensor | None = None,
                sop_labels: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """input_ids, labels, token_type_ids, segment_ids: (B, T); sop_labels: (B,), 1 = segments swapped."""
        x = self.embeddings(input_ids, token_type_ids)
        h = self.encoder(x, encoder_mask(segment_ids))  # (B, T, H)
        word = self.embeddings.word.weight
        if labels is None:
            return {"logits": self.mlm_head(h, word)}  # (B, T, V)
        # Only ~15% of positions carry a label: project just those onto the vocabulary.
        selected = labels != -100
        mlm_loss = masked_lm_loss(self.mlm_head(h[selected], word), labels[selected])
        out = {"loss": mlm_loss, "mlm_loss": mlm_loss.detach()}
        if sop_labels is not None:
            sop_logits = self.sop_classifier(torch.tanh(self.pooler(h[:, 0])))  # (B, 2)
            sop_loss = F.cross_entropy(sop_logits.float(), sop_labels)
            out["loss"] = mlm_loss + sop_loss
            out["sop_loss"] = sop_loss.detach()
            out["sop_accuracy"] = (sop_logits.argmax(-1) == sop_labels).float().mean()
        return out
