"""Building the configured backend by name; extra backends register the same way.

The three built-ins are registered below exactly as a plugin would register its own
backend with :func:`register_backend`. :func:`get_backend` takes the name from
``settings.language.backend`` unless told otherwise, and the library from the
warehouse (its latest version) or the shipped default.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scamlens.errors import ConfigError
from scamlens.language.backends.base import Backend
from scamlens.language.library.model import Library
from scamlens.language.library.store import load_active
from scamlens.settings import Settings

__all__ = ["BackendFactory", "backend_names", "get_backend", "register_backend"]

logger = logging.getLogger(__name__)

BackendFactory = Callable[..., Backend]
_FACTORIES: dict[str, BackendFactory] = {}


def register_backend(name: str, factory: BackendFactory) -> None:
    """Make ``factory(settings, library, **options)`` available as backend ``name``."""
    _FACTORIES[name] = factory


def backend_names() -> tuple[str, ...]:
    return tuple(sorted(_FACTORIES))


def get_backend(
    settings: Settings,
    name: str | None = None,
    *,
    library: Library | None = None,
    **options: Any,
) -> Backend:
    """The backend called ``name`` (default: the configured one), ready to use."""
    name = name or settings.language.backend
    factory = _FACTORIES.get(name)
    if factory is None:
        raise ConfigError(
            f"language backend `{name}` is not known; expected one of "
            f"{', '.join(backend_names())}"
        )
    if library is None:
        library = load_active(settings.warehouse_path, settings.engine)
    backend = factory(settings, library, **options)
    logger.info("language backend %s ready (library v%d)", name, library.version)
    return backend


def _rules(settings: Settings, library: Library, **options: Any) -> Backend:
    from scamlens.language.backends.rules import RulesBackend

    return RulesBackend(library, **options)


def _model(settings: Settings, library: Library, **options: Any) -> Backend:
    from scamlens.language.backends.model import ModelBackend, model_path

    path = options.pop("path", None) or model_path(settings.data_dir)
    return ModelBackend(library, path=path, **options)


def _llm(settings: Settings, library: Library, **options: Any) -> Backend:
    from scamlens.language.backends.cache import open_cache
    from scamlens.language.backends.llm import LLMBackend

    if "cache" not in options:
        options["cache"] = open_cache(
            Path(settings.data_dir) / "cache" / "llm_cache.duckdb"
        )
    return LLMBackend(settings.language, library=library, **options)


register_backend("rules", _rules)
register_backend("model", _model)
register_backend("llm", _llm)
