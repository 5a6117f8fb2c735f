"""Objectives turn packed rows into model inputs on the fly. Each is a callable
`(RowBatch, np.random.Generator) -> dict of tensors` whose keys are the model's forward arguments; all randomness
comes from the generator the loop seeds with (seed, step, micro-batch), so batches are reproducible."""

from collections.abc import Callable
from typing import Annotated

import numpy as np
import torch
from pydantic import Field

from trainer.data import Manifest, RowBatch
from trainer.objectives.causal import CausalLM, CausalLMConfig
from trainer.objectives.mlm import MaskedLM, MLMConfig, RTDConfig
from trainer.objectives.span import SpanCorruption, SpanCorruptionConfig

ObjectiveConfig = Annotated[CausalLMConfig | MLMConfig | RTDConfig | SpanCorruptionConfig,
                            Field(discriminator="name")]
Objective = Callable[[RowBatch, np.random.Generator], dict[str, torch.Tensor]]

# The objective each model family trains with.
FAMILY_OBJECTIVE = {"gpt2": "causal_lm", "bert": "mlm", "albert": "mlm", "electra": "rtd", "t5": "span_corruption"}


def build_objective(cfg: CausalLMConfig | MLMConfig | RTDConfig | SpanCorruptionConfig,
                    manifest: Manifest) -> Objective:
    if isinstance(cfg, CausalLMConfig):
        return CausalLM(cfg)
    if isinstance(cfg, MLMConfig):  # RTDConfig included
        return MaskedLM(cfg, manifest)
    return SpanCorruption(cfg, manifest)


__all__ = ["FAMILY_OBJECTIVE", "CausalLMConfig", "MLMConfig", "Objective", "ObjectiveConfig", "RTDConfig",
           "SpanCorruptionConfig", "build_objective"]
