"""ELECTRA: a small masked-LM generator and a discriminator that share embeddings; the discriminator learns
replaced-token detection (RTD) on the generator's samples."""

from typing import Literal

import torch
import torch.nn.functional as F
from pydantic import Field, model_validator
from torch import nn

from trainer.models.bert import Embeddings, Encoder, MLMHead, encoder_mask
from trainer.models.layers import Activation, NormPlacement, init_normal_, masked_lm_loss
from trainer.section import Section


class ElectraConfig(Section):
    family: Literal["electra"] = "electra"
    vocab_size: int | None = Field(None, gt=0)
    """None: the manifest's vocab_size rounded up to `pad_vocab_multiple`."""
    pad_vocab_multiple: int = Field(64, gt=0)
    max_positions: int = Field(512, gt=0)
    type_vocab_size: int = Field(2, gt=0)
    embedding_size: int = Field(128, gt=0)
    """Shared by generator and discriminator (electra-small: 128)."""
    hidden_size: int = Field(256, gt=0)
    """Discriminator width (electra-small: 256)."""
    n_layers: int = Field(12, gt=0)
    n_heads: int = Field(4, gt=0)
    intermediate_size: int = Field(1024, gt=0)
    generator_size_ratio: float = Field(0.25, gt=0, le=1)
    """Generator hidden size, heads and FFN width as a fraction of the discriminator's (ELECTRA: 1/4 works best)."""
    rtd_weight: float = Field(50.0, gt=0)
    """Weight of the discriminator's RTD loss against the generator's MLM loss (ELECTRA: lambda = 50)."""
    activation: Activation = "gelu"
    norm: NormPlacement = "post"
    layer_norm_eps: float = Field(1e-12, gt=0)
    dropout: float = Field(0.1, ge=0, lt=1)

    @model_validator(mode="after")
    def _generator_heads_divide_width(self) -> "ElectraConfig":
        g_hidden, g_heads = self.generator_dims[:2]
        if self.hidden_size % self.n_heads or g_hidden % g_heads:
            raise ValueError(f"hidden_size ({self.hidden_size}) and the generator's ({g_hidden}) must be "
                             f"multiples of their heads ({self.n_heads}, {g_heads})")
        return self

    @property
    def generator_dims(self) -> tuple[int, int, int]:
        """(hidden, heads, ffn) of the generator."""
        r = self.generator_size_ratio
        return (max(1, round(self.hidden_size * r)), max(1, round(self.n_heads * r)),
                max(1, round(self.intermediate_size * r)))


class DiscriminatorHead(nn.Module):
    """dense H -> H, activation, dense H -> 1: one "was this token replaced?" logit per position."""

    def __init__(self, hidden: int, activation: Activation):
        super().__init__()
        self.dense = nn.Linear(hidden, hidden)
        self.approximate = "tanh" if activation == "gelu_tanh" else "none"
        self.out = nn.Linear(hidden, 1)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.out(F.gelu(self.dense(h), approximate=self.approximate)).squeeze(-1)  # (B, T)


class Electra(nn.Module):
    def __init__(self, cfg: ElectraConfig):
        super().__init__()
        assert cfg.vocab_size is not None, "resolve vocab_size from the manifest first"
        self.cfg = cfg
        common = dict(share=False, norm=cfg.norm, eps=cfg.layer_norm_eps, activation=cfg.activation,
                      dropout=cfg.dropout, project=False)
        self.embeddings = Embeddings(cfg.vocab_size, cfg.embedding_size, cfg.max_positions, cfg.type_vocab_size,
                                     cfg.layer_norm_eps, cfg.dropout)
        g_hidden, g_heads, g_ffn = cfg.generator_dims
        self.generator = Encoder(cfg.embedding_size, g_hidden, cfg.n_layers, g_heads, g_ffn, **common)
        self.generator_head = MLMHead(g_hidden, cfg.embedding_size, cfg.vocab_size, cfg.activation,
                                      cfg.layer_norm_eps)
        self.discriminator = Encoder(cfg.embedding_size, cfg.hidden_size, cfg.n_layers, cfg.n_heads,
                                     cfg.intermediate_size, **common)
        self.discriminator_head = DiscriminatorHead(cfg.hidden_size, cfg.activation)
        init_normal_(self)

    def discriminate(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor | None = None,
                     segment_ids: torch.Tensor | None = None) -> torch.Tensor:
        """Replaced-token logits (B, T) for input_ids (B, T)."""
        h = self.discriminator(self.embeddings(input_ids, token_type_ids), encoder_mask(segment_ids))
        return self.discriminator_head(h)

    def forward(self, input_ids: torch.Tensor, labels: torch.Tensor | None = None,
                original_ids: torch.Tensor | None = None, rtd_mask: torch.Tensor | None = None,
                token_type_ids: torch.Tensor | None = None,
                segment_ids: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """input_ids: (B, T) with masked positions; labels: original ids there, -100 elsewhere; original_ids:
        the unmasked row; rtd_mask: positions the discriminator is scored on (not padding)."""
        if labels is None:
            return {"logits": self.discriminate(input_ids, token_type_ids, segment_ids)}
        mask = encoder_mask(segment_ids)
        selected = labels != -100  # (B, T)
        h_gen = self.generator(self.embeddings(input_ids, token_type_ids), mask)
        gen_logits = self.generator_head(h_gen[selected], self.embeddings.word.weight)  # (M, V)
        gen_loss = masked_lm_loss(gen_logits, labels[selected])
        with torch.no_grad():
            # Sample replacements from the generator (Gumbel-max = sampling from softmax); no gradient flows
            # from the discriminator into the generator, as in ELECTRA.
            u = torch.rand_like(gen_logits, dtype=torch.float32).clamp_(1e-9, 1.0)
            sampled = (gen_logits.float() - torch.log(-torch.log(u))).argmax(dim=-1)  # (M,)
            disc_input = input_ids.clone()
            disc_input[selected] = sampled
            replaced = (disc_input != original_ids).float()  # a correct sample counts as original (ELECTRA)
        disc_logits = self.discriminate(disc_input, token_type_ids, segment_ids)  # (B, T)
        scored = rtd_mask if rtd_mask is not None else torch.ones_like(selected)
        disc_loss = F.binary_cross_entropy_with_logits(disc_logits[scored].float(), replaced[scored])
        accuracy = ((disc_logits[scored] > 0).float() == replaced[scored]).float().mean()
        return {
            "loss": gen_loss + self.cfg.rtd_weight * disc_loss,
            "generator_loss": gen_loss.detach(),
            "rtd_loss": disc_loss.detach(),
            "rtd_accuracy": accuracy,
            "replaced_fraction": replaced[scored].mean(),
        }
