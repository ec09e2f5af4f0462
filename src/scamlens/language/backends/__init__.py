"""Interchangeable language backends: rules (default), model and llm."""

from scamlens.language.backends.base import Backend, Classification
from scamlens.language.backends.registry import (
    backend_names,
    get_backend,
    register_backend,
)

__all__ = [
    "Backend",
    "Classification",
    "backend_names",
    "get_backend",
    "register_backend",
]
