"""A process pool over shards on this machine.

Workers are started with ``spawn`` (not ``fork``): the driver holds pyarrow and tqdm threads, and a
forked child can inherit a lock held by one of them. The pool is created once per run and reused by
every stage and phase. With one worker, tasks run in the driver process (simplest to profile).
"""

from __future__ import annotations

import multiprocessing as mp
import os
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

from curation.executors.base import ProgressFn
from curation.stage import Stage


def _init_worker() -> None:
    # One BLAS/torch thread per worker: parallelism comes from the pool, not from oversubscription.
    os.environ.setdefault("OMP_NUM_THREADS", "1")


def _run(stage: Stage, phase: str, key: str) -> dict:
    return stage.run_task(phase, key)


class LocalExecutor:
    def __init__(self, workers: int | None = None):
        self.workers = workers or os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None

    def _get_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=mp.get_context("spawn"),
                                             initializer=_init_worker)
        return self._pool

    def run(self, stage: Stage, phase: str, keys: list[str], on_done: ProgressFn) -> None:
        if self.workers == 1 or len(keys) <= 1:
            for key in keys:
                on_done(stage.run_task(phase, key))
            return
        pool = self._get_pool()
        pending: set[Future] = {pool.submit(_run, stage, phase, key) for key in keys}
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    on_done(fut.result())  # re-raises the task's exception in the driver
        except BaseException:
            for fut in pending:
                fut.cancel()
            wait(pending)  # let running tasks end so no worker writes after we return
            raise

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
