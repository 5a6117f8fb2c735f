"""The executor protocol: run every task of one phase of a stage, report progress, fail loudly."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from curation.stage import Stage

#: called in the driver after each finished task with its summary (``records``, ``seconds``)
ProgressFn = Callable[[dict[str, Any]], None]


class Executor(Protocol):
    workers: int

    def run(self, stage: Stage, phase: str, keys: list[str], on_done: ProgressFn) -> None:
        """Run ``stage.run_task(phase, key)`` for every key; raise the first task's error."""

    def close(self) -> None: ...
