"""How a phase's tasks run: on this machine (``local``) or on a Ray cluster (``ray``)."""

from __future__ import annotations

from curation.config import ExecutorConfig
from curation.errors import UserError
from curation.executors.base import Executor
from curation.executors.local import LocalExecutor


def make_executor(cfg: ExecutorConfig, workers: int | None = None) -> Executor:
    if cfg.type == "local":
        return LocalExecutor(workers or cfg.workers)
    raise UserError(f"executor.type: {cfg.type!r} is not available in this version; use `local`")
