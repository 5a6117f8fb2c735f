from trainer.config import resolve_for_data
from trainer.data import Manifest
from trainer.flops import flops_per_token, peak_flops
from trainer.models import build_model
from trainer.testing import tiny_config


def test_gpt_flops_per_token(packed):
    cfg = resolve_for_data(tiny_config("gpt2"), Manifest.load(packed)).model
    model = build_model(cfg)
    n_layer, d, v, t = cfg.n_layer, cfg.n_embd, cfg.vocab_size, 64
    per_layer = 12 * d * d + 13 * d  # qkv + proj + fc + proj weights, their biases and two LayerNorms
    n = n_layer * per_layer + 2 * d + v * d  # + final LayerNorm + the (tied) output projection
    assert flops_per_token(model, t) == 6 * n + 12 * n_layer * d * t


def test_no_mfu_on_cpu():
    import torch

    assert peak_flops(torch.device("cpu")) is None
    assert peak_flops(torch.device("cpu"), override=1e12) == 1e12
