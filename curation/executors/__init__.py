"""How a phase's tasks run: on this machine (``local``) or on a Ray cluster (``ray``)."""

from __future__ import annotations

from curation.config import ExecutorConfig
from curation.errors import UserError
from curation.executors.base import Executor
from curation.executors.local import LocalExecutor


def make_executor(cfg: ExecutorConfig, workers: int | None = None, kind: str | None = None) -> Executor:
    """The executor the config names (``kind`` overrides it, as `curate run --executor`)."""
    kind = kind or cfg.type
    if kind == "local":
        return LocalExecutor(workers or cfg.workers)
    if kind == "ray":
        from curation.executors.ray import RayExecutor

        return RayExecutor(cfg.address, workers or cfg.workers)
    raise UserError(f"executor.type: {kind!r} is not an executor; use `local` or `ray`")
