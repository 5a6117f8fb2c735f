"""Stage registry: ``@register`` on a Stage subclass makes it available to pipeline YAML by name."""

from __future__ import annotations

import importlib
import pkgutil

from curation.errors import UserError

_REGISTRY: dict[str, type] = {}
_loaded = False


def register(cls: type) -> type:
    name = cls.name
    if name in _REGISTRY and _REGISTRY[name] is not cls:
        raise RuntimeError(f"two stages are registered as {name!r}: {_REGISTRY[name]} and {cls}")
    _REGISTRY[name] = cls
    return cls


def _load_all() -> None:
    """Import every module below ``curation.stages`` so their ``@register`` calls run."""
    global _loaded
    if _loaded:
        return
    import curation.stages as pkg

    for info in pkgutil.walk_packages(pkg.__path__, prefix="curation.stages."):
        importlib.import_module(info.name)
    _loaded = True


def available() -> dict[str, type]:
    _load_all()
    return dict(sorted(_REGISTRY.items()))


def get_stage_class(name: str, where: str = "stage") -> type:
    stages = available()
    if name not in stages:
        raise UserError(f"{where}: unknown stage {name!r}; available: {', '.join(stages)}")
    return stages[name]
