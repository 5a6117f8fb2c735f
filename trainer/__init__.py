"""Pre-train GPT-2, BERT/ALBERT, ELECTRA and T5 models on the packed shards of a curation run.

Data flows `data.py` (packed rows) -> `objectives/` (batches built on the fly) -> `models/` -> `loop.py`
(optimisation, validation, checkpoints) -> `export.py` (Hugging Face transformers).
"""

from trainer.errors import ConfigError

__all__ = ["ConfigError"]
