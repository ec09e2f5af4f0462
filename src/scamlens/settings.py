"""One frozen settings object, built once at the entry point and passed down.

Every setting is declared in :data:`SETTINGS` with its dotted name, default, the
environment variable that can set it, and a line of help. Values come, in rising
priority, from the defaults, a TOML config file (``scamlens.toml`` in the data folder,
or ``--config``/``SCAMLENS_CONFIG``), and the environment. Library code never reads the
environment itself; it receives a :class:`Settings`.

Secrets (the pseudonymisation key, the LLM API key) come only from the environment or
the config file, never from code.
"""

from __future__ import annotations

import logging
import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from scamlens.errors import ConfigError

__all__ = [
    "CleaningSettings",
    "EngineSettings",
    "LanguageSettings",
    "SETTINGS",
    "Setting",
    "Settings",
    "StreamSettings",
    "load_settings",
]

logger = logging.getLogger(__name__)

TIMEZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class CleaningSettings:
    """Thresholds and switches of the cleaning rules (see ``cleaning/rules.py``)."""

    disabled_rules: tuple[str, ...] = ()
    max_talk_seconds: float = 3600.0
    daily_cap: int = 20


@dataclass(frozen=True)
class EngineSettings:
    """How DuckDB may use this machine."""

    memory_limit: str = "1500MB"
    threads: int = 0
    """0 lets DuckDB use every core."""
    chunk_rows: int = 100_000
    """Rows per batch when reading from a database or converting a file."""


@dataclass(frozen=True)
class LanguageSettings:
    """Dialogue understanding and script matching."""

    backend: str = "rules"
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: str = field(default="", repr=False)
    llm_timeout_seconds: float = 30.0
    llm_concurrency: int = 4
    llm_max_retries: int = 3
    fill_missing_flags: bool = False
    """Let the language layer fill empty confirmed_accurate/reported_defrauded."""


@dataclass(frozen=True)
class StreamSettings:
    """The streaming engine."""

    allowed_lateness_seconds: int = 86_400
    commit_every_records: int = 50_000
    commit_every_seconds: float = 1.0
    live_snapshot_seconds: float = 5.0
    """Seconds between live snapshots of the day windows; 0 switches them off."""
    alert_webhook: str = ""
    alert_subject: str = ""


@dataclass(frozen=True)
class Settings:
    """Everything a scamlens run may be configured with."""

    data_dir: Path = Path("scamlens-data")
    warehouse: Path | None = None
    """DuckDB file; defaults to ``<data_dir>/warehouse.duckdb``."""
    hmac_key: str = field(default="", repr=False)
    """Pseudonymisation key; generated and stored in the data folder when empty."""
    log_level: str = "WARNING"
    cleaning: CleaningSettings = field(default_factory=CleaningSettings)
    engine: EngineSettings = field(default_factory=EngineSettings)
    language: LanguageSettings = field(default_factory=LanguageSettings)
    stream: StreamSettings = field(default_factory=StreamSettings)

    @property
    def warehouse_path(self) -> Path:
        """The warehouse file this run uses."""
        return self.warehouse or self.data_dir / "warehouse.duckdb"


@dataclass(frozen=True)
class Setting:
    """Declaration of one setting: where it lives, its variable and its meaning."""

    name: str
    env: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("data_dir", "SCAMLENS_DATA_DIR", "Folder for the warehouse, key and runs."),
    Setting("warehouse", "SCAMLENS_WAREHOUSE", "DuckDB warehouse file."),
    Setting("hmac_key", "SCAMLENS_HMAC_KEY", "Secret key for phone pseudonyms."),
    Setting("log_level", "SCAMLENS_LOG_LEVEL", "DEBUG, INFO, WARNING or ERROR."),
    Setting(
        "cleaning.disabled_rules",
        "SCAMLENS_DISABLED_RULES",
        "Comma-separated cleaning rules to switch off.",
    ),
    Setting(
        "cleaning.max_talk_seconds",
        "SCAMLENS_MAX_TALK_SECONDS",
        "Talk time above this is a duration_outlier.",
    ),
    Setting(
        "cleaning.daily_cap",
        "SCAMLENS_DAILY_CAP",
        "Attempts per citizen, day and module before runaway_dialing.",
    ),
    Setting("engine.memory_limit", "SCAMLENS_MEMORY_LIMIT", "DuckDB memory limit."),
    Setting("engine.threads", "SCAMLENS_THREADS", "DuckDB threads; 0 means all."),
    Setting("engine.chunk_rows", "SCAMLENS_CHUNK_ROWS", "Rows per streamed batch."),
    Setting("language.backend", "SCAMLENS_LANGUAGE_BACKEND", "rules, model or llm."),
    Setting("language.llm_base_url", "SCAMLENS_LLM_BASE_URL", "OpenAI-compatible URL."),
    Setting("language.llm_model", "SCAMLENS_LLM_MODEL", "Model name at the endpoint."),
    Setting("language.llm_api_key", "SCAMLENS_LLM_API_KEY", "API key of the endpoint."),
    Setting(
        "language.llm_timeout_seconds",
        "SCAMLENS_LLM_TIMEOUT",
        "Seconds before an LLM request is given up.",
    ),
    Setting(
        "language.llm_concurrency",
        "SCAMLENS_LLM_CONCURRENCY",
        "LLM requests in flight at once.",
    ),
    Setting(
        "language.llm_max_retries",
        "SCAMLENS_LLM_MAX_RETRIES",
        "Retries of a failed LLM request.",
    ),
    Setting(
        "language.fill_missing_flags",
        "SCAMLENS_FILL_MISSING_FLAGS",
        "Label empty outcome flags from transcripts.",
    ),
    Setting(
        "stream.allowed_lateness_seconds",
        "SCAMLENS_ALLOWED_LATENESS",
        "How late an event may be before it is quarantined as too_late.",
    ),
    Setting(
        "stream.commit_every_records",
        "SCAMLENS_COMMIT_RECORDS",
        "Records between stream commits.",
    ),
    Setting(
        "stream.commit_every_seconds",
        "SCAMLENS_COMMIT_SECONDS",
        "Seconds between stream commits.",
    ),
    Setting(
        "stream.live_snapshot_seconds",
        "SCAMLENS_LIVE_SNAPSHOT_SECONDS",
        "Seconds between live snapshots of the day windows; 0 for none.",
    ),
    Setting("stream.alert_webhook", "SCAMLENS_ALERT_WEBHOOK", "URL to POST alerts to."),
    Setting(
        "stream.alert_subject", "SCAMLENS_ALERT_SUBJECT", "NATS subject for alerts."
    ),
)


def _coerce(name: str, raw: Any, current: Any) -> Any:
    """Convert ``raw`` to the type of the setting's ``current`` value."""
    try:
        if isinstance(current, bool):
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in {"1", "true", "yes", "on"}:
                return True
            if text in {"0", "false", "no", "off", ""}:
                return False
            raise ValueError(text)
        if isinstance(current, tuple):
            items = raw.split(",") if isinstance(raw, str) else list(raw)
            return tuple(str(i).strip() for i in items if str(i).strip())
        if isinstance(current, int):
            return int(raw)
        if isinstance(current, float):
            return float(raw)
        if isinstance(current, Path) or name in {"warehouse"}:
            return Path(str(raw)).expanduser() if str(raw) else None
        return str(raw)
    except (TypeError, ValueError):
        raise ConfigError(
            f"setting `{name}` has value `{raw}`, which is not a "
            f"{type(current).__name__}; fix it in the config file or environment"
        ) from None


def _with(settings: Settings, name: str, raw: Any) -> Settings:
    section, _, key = name.rpartition(".")
    if not section:
        current = getattr(settings, key)
        return replace(settings, **{key: _coerce(name, raw, current)})
    group = getattr(settings, section)
    current = getattr(group, key)
    return replace(
        settings, **{section: replace(group, **{key: _coerce(name, raw, current)})}
    )


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def load_settings(
    *,
    config: Path | None = None,
    env: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Build the settings: defaults, then the config file, then ``env``, then overrides.

    ``overrides`` use the dotted names of :data:`SETTINGS` with ``__`` for the dot
    (``cleaning__daily_cap=10``); None values are ignored.
    """
    env = os.environ if env is None else env
    known = {s.name for s in SETTINGS}
    settings = Settings()
    data_dir = overrides.get("data_dir") or env.get("SCAMLENS_DATA_DIR")
    if data_dir:
        settings = replace(settings, data_dir=Path(str(data_dir)).expanduser())
    config = config or (
        Path(env["SCAMLENS_CONFIG"]) if env.get("SCAMLENS_CONFIG") else None
    )
    if config is None and (settings.data_dir / "scamlens.toml").is_file():
        config = settings.data_dir / "scamlens.toml"
    if config is not None:
        if not config.is_file():
            state = "is a folder" if config.is_dir() else "does not exist"
            raise ConfigError(
                f"config file `{config}` {state}; name a TOML file or drop --config"
            )
        try:
            table = tomllib.loads(config.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"config file `{config}` is not valid TOML: {exc}"
            ) from None
        for name, raw in _flatten(table).items():
            if name not in known:
                raise ConfigError(
                    f"config file `{config}` sets unknown setting `{name}`; "
                    f"known settings: {', '.join(sorted(known))}"
                )
            settings = _with(settings, name, raw)
    for setting in SETTINGS:
        if setting.env in env and setting.name != "data_dir":
            settings = _with(settings, setting.name, env[setting.env])
    for key, raw in overrides.items():
        name = key.replace("__", ".")
        if raw is None:
            continue
        if name not in known:
            raise ConfigError(f"unknown setting `{name}`")
        settings = _with(settings, name, raw)
    _validate(settings)
    return settings


# Numeric settings and the least value each accepts; ``strict`` excludes it.
_LOWEST: tuple[tuple[str, float, bool], ...] = (
    ("cleaning.daily_cap", 1, False),
    ("cleaning.max_talk_seconds", 0, True),
    ("engine.threads", 0, False),
    ("engine.chunk_rows", 1, False),
    ("language.llm_timeout_seconds", 0, True),
    ("language.llm_concurrency", 1, False),
    ("language.llm_max_retries", 0, False),
    ("stream.allowed_lateness_seconds", 0, False),
    ("stream.commit_every_records", 1, False),
    ("stream.commit_every_seconds", 0, True),
    ("stream.live_snapshot_seconds", 0, False),
)


def _value(settings: Settings, name: str) -> object:
    value: object = settings
    for part in name.split("."):
        value = getattr(value, part)
    return value


def _validate(settings: Settings) -> None:
    for name, lowest, strict in _LOWEST:
        value = _value(settings, name)
        assert isinstance(value, int | float)
        too_low = value <= lowest if strict else value < lowest
        if not math.isfinite(value) or too_low:
            bound = f"above {lowest:g}" if strict else f"{lowest:g} or more"
            raise ConfigError(
                f"{name} is `{value}`; it must be a number {bound}; fix it in the "
                "config file or environment"
            )
    if settings.language.backend not in {"rules", "model", "llm"}:
        raise ConfigError(
            f"language.backend is `{settings.language.backend}`; "
            "expected one of rules, model, llm"
        )
    if settings.log_level.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigError(
            f"log_level is `{settings.log_level}`; "
            "expected DEBUG, INFO, WARNING or ERROR"
        )


def setting_names() -> list[str]:
    """Dotted names of every declared setting, for help text."""
    return [s.name for s in SETTINGS]


def _check_declared() -> None:
    """Every dataclass field is declared in SETTINGS (called by the tests)."""
    declared = {s.name for s in SETTINGS}
    for f in fields(Settings):
        if f.name in {"cleaning", "engine", "language", "stream"}:
            for sub in fields(getattr(Settings(), f.name)):
                assert f"{f.name}.{sub.name}" in declared, sub.name
        else:
            assert f.name in declared, f.name
