from pathlib import Path

import pytest
import torch

from trainer.testing import make_packed_corpus


@pytest.fixture(autouse=True)
def _one_thread():
    # Tests share a small machine; one thread also makes CPU results independent of the core count.
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def packed(tmp_path_factory) -> Path:
    """Concat-mode corpus: full 64-token rows, documents running across rows."""
    return make_packed_corpus(tmp_path_factory.mktemp("concat"), seq_len=64, n_docs=400, mode="concat")


@pytest.fixture(scope="session")
def packed_padded(tmp_path_factory) -> Path:
    """Pad-mode corpus: whole documents per row, padding at the end."""
    return make_packed_corpus(tmp_path_factory.mktemp("pad"), seq_len=64, n_docs=300, mode="pad")


@pytest.fixture
def quiet() -> list[str]:
    """A log sink for Trainer(log=...), kept for assertions."""
    return []
