"""Model FLOPs utilisation (MFU): achieved model FLOP/s over the accelerator's peak.

FLOPs per trained token (Kaplan et al. 2020; PaLM appendix B), forward + backward = 3x forward:
    6 * N  +  12 * n_layers * d_model * T
N counts the parameters used in matmuls once per token (every non-embedding weight, plus the output projection
onto the vocabulary, which re-uses the tied embedding); the second term is attention's QK^T and AV
(2 matmuls x 2 FLOPs per multiply-add x T keys x d_model, times 3). Re-computation, norms and softmax are not
counted, as is usual for MFU. Multi-stack models (ELECTRA, T5) sum their stacks.
"""

import torch
from torch import nn

from trainer.models import count_parameters

# Dense bf16 tensor-core peaks from vendor datasheets (no sparsity).
PEAK_BF16_FLOPS = {"H100": 989e12, "H200": 989e12, "A100": 312e12, "L40S": 362e12, "A10": 125e12, "4090": 165e12}


def matmul_params(model: nn.Module) -> int:
    """Non-embedding parameters plus the output projection(s) onto the vocabulary."""
    cfg = model.cfg
    embed_dim = getattr(cfg, "embedding_size", None) or getattr(cfg, "n_embd", None) or \
        getattr(cfg, "hidden_size", None) or cfg.d_model
    return count_parameters(model, exclude_embeddings=True) + cfg.vocab_size * embed_dim


def attention_layers_width(model: nn.Module) -> list[tuple[int, int]]:
    """(layers, width) of every attention stack."""
    c = model.cfg
    if c.family == "gpt2":
        return [(c.n_layer, c.n_embd)]
    if c.family in ("bert", "albert"):
        return [(c.n_layers, c.hidden_size)]
    if c.family == "electra":
        return [(c.n_layers, c.hidden_size), (c.n_layers, c.generator_dims[0])]
    inner = c.n_heads * c.d_kv
    return [(c.n_layers, inner), (c.n_decoder_layers or c.n_layers, 2 * inner)]  # decoder: self + cross


def flops_per_token(model: nn.Module, seq_len: int) -> float:
    return 6 * matmul_params(model) + sum(12 * n * d * seq_len for n, d in attention_layers_width(model))


def peak_flops(device: torch.device, override: float | None = None) -> float | None:
    """Peak FLOP/s of one device (bf16 dense), or None where unknown (CPU): MFU is then not reported."""
    if override is not None:
        return override
    if device.type != "cuda":
        return None
    name = torch.cuda.get_device_name(device)
    return next((v for k, v in PEAK_BF16_FLOPS.items() if k in name), None)
