import numpy as np

from trainer.data import RowBatch
from trainer.objectives.causal import CausalLM, CausalLMConfig


def test_labels_are_next_tokens_and_stop_at_padding():
    ids = np.arange(10, 18).reshape(1, 8)
    rows = RowBatch(ids, [np.array([0, 4])], np.array([6]), np.array([0]))
    batch = CausalLM(CausalLMConfig(doc_mask=True))(rows, np.random.default_rng(0))
    assert batch["labels"].tolist() == [[11, 12, 13, 14, 15, -100, -100, -100]]
    assert batch["segment_ids"].tolist() == [[1, 1, 1, 1, 2, 2, -1, -1]]
    assert "segment_ids" not in CausalLM(CausalLMConfig())(rows, np.random.default_rng(0))
