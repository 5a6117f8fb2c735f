"""Every task of a phase as a Ray task, on a local Ray instance or a cluster (``ray.init(address=...)``).

The stage object is put in Ray's object store once per phase and each task calls the same
``stage.run_task(phase, key)`` as the local executor, so outputs, resume and stats are identical.
Heavy resources are cached per worker process (``curation.resources.cached``): Ray reuses its worker
processes, so a fastText model loads once per worker, not once per task.

Storage: tasks read and write the run directory by path, so on a multi-machine cluster the run
directory and the inputs must be on a filesystem every node mounts at the same path (NFS, a shared
volume). Object-storage paths (``s3://``) are not supported yet.
"""

from __future__ import annotations

import os
from typing import Any

from curation.errors import ShardError, UserError
from curation.executors.base import ProgressFn
from curation.stage import Stage


def _run(stage: Stage, phase: str, key: str) -> dict[str, Any]:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    return stage.run_task(phase, key)


class RayExecutor:
    def __init__(self, address: str | None = None, workers: int | None = None):
        try:
            import ray
        except ImportError:
            raise UserError("executor.type: ray needs Ray installed: pip install 'webtext-curation[ray]'") from None
        self._ray = ray
        self._started = False
        if not ray.is_initialized():
            local = address in (None, "", "local")
            ray.init(address=None if local else address, num_cpus=workers if local else None,
                     include_dashboard=False, log_to_driver=False, configure_logging=False)
            self._started = True
        self.workers = workers or int(ray.cluster_resources().get("CPU", 1))
        self._remote = ray.remote(num_cpus=1, max_retries=0)(_run)

    def run(self, stage: Stage, phase: str, keys: list[str], on_done: ProgressFn) -> None:
        ray = self._ray
        if not keys:
            return
        stage_ref = ray.put(stage)
        pending = [self._remote.remote(stage_ref, phase, key) for key in keys]
        try:
            while pending:
                done, pending = ray.wait(pending, num_returns=1)
                for ref in done:
                    on_done(self._get(ref))
        except BaseException:
            for ref in pending:
                ray.cancel(ref, force=True)
            raise

    def _get(self, ref: Any) -> dict[str, Any]:
        try:
            return self._ray.get(ref)
        except self._ray.exceptions.RayTaskError as e:
            cause = getattr(e, "cause", None)
            if isinstance(cause, UserError | ShardError):
                raise cause from None
            raise ShardError(f"a Ray task failed: {cause or e}") from e

    def close(self) -> None:
        if self._started:
            self._ray.shutdown()
            self._started = False
