"""Sampling from a trained decoder (GPT-2 family) with its run's tokenizer."""

import json
from pathlib import Path

import torch

from trainer.checkpoint import load_trained_model
from trainer.errors import ConfigError


def sample(checkpoint: str | Path, prompt: str = "", max_new_tokens: int = 100, temperature: float = 0.8,
           top_k: int | None = 50, num_samples: int = 1, seed: int = 0) -> list[str]:
    """Continuations of `prompt` (an empty prompt starts a new document after eos)."""
    from tokenizers import Tokenizer

    model, cfg, run_dir = load_trained_model(checkpoint)
    if cfg.model.family != "gpt2":
        raise ConfigError(f"{checkpoint}: sampling needs a decoder (gpt2); this checkpoint is {cfg.model.family}")
    if temperature < 0:
        raise ConfigError("--temperature: must be >= 0 (0 = greedy)")
    eos = json.loads((run_dir / "manifest.json").read_text())["special_tokens"]["eos"]
    tok = Tokenizer.from_file(str(run_dir / "tokenizer" / "tokenizer.json"))
    ids = [eos] + tok.encode(prompt).ids
    start = torch.tensor([ids] * num_samples, dtype=torch.long)
    gen = torch.Generator().manual_seed(seed)
    out = model.generate(start, max_new_tokens, temperature=temperature, top_k=top_k, eos_id=eos, generator=gen)
    texts = []
    for row in out.tolist():
        new = row[len(ids):]
        if eos in new:  # a finished document ends at its eos
            new = new[: new.index(eos)]
        texts.append(prompt + tok.decode(new))
    return texts
