"""Model families. Each file holds one family's typed config and its nn.Module; `build_model` picks by `family`."""

from typing import Annotated

from pydantic import Field
from torch import nn

from trainer.models.bert import Bert, BertConfig
from trainer.models.electra import Electra, ElectraConfig
from trainer.models.gpt import GPT, GPTConfig
from trainer.models.t5 import T5, T5Config

ModelConfig = Annotated[GPTConfig | BertConfig | ElectraConfig | T5Config, Field(discriminator="family")]

FAMILIES: dict[str, type[nn.Module]] = {"gpt2": GPT, "bert": Bert, "albert": Bert, "electra": Electra, "t5": T5}


def build_model(cfg: GPTConfig | BertConfig | ElectraConfig | T5Config) -> nn.Module:
    return FAMILIES[cfg.family](cfg)


def count_parameters(model: nn.Module, exclude_embeddings: bool = False) -> int:
    """Unique parameters (tied and shared ones once); optionally without embedding tables."""
    seen = {id(p): p for p in model.parameters()}
    total = sum(p.numel() for p in seen.values())
    if exclude_embeddings:
        embeds = {id(m.weight): m.weight for m in model.modules() if isinstance(m, nn.Embedding)}
        total -= sum(p.numel() for p in embeds.values())
    return total


__all__ = ["FAMILIES", "ModelConfig", "build_model", "count_parameters", "BertConfig", "ElectraConfig",
           "GPTConfig", "T5Config"]
