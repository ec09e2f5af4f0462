"""What the top-level options hand to every command."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from scamlens.logs import configure_logging
from scamlens.settings import Settings, load_settings

__all__ = ["Context"]


@dataclass
class Context:
    """Top-level options; builds the frozen :class:`Settings` on first use."""

    data_dir: Path | None = None
    config: Path | None = None
    warehouse: Path | None = None
    log_level: str | None = None
    debug: bool = False

    @cached_property
    def settings(self) -> Settings:
        settings = load_settings(
            config=self.config,
            data_dir=self.data_dir,
            warehouse=self.warehouse,
            log_level=self.log_level,
        )
        configure_logging(settings.log_level)
        return settings
