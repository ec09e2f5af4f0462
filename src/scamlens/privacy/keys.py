"""Where the pseudonymisation key comes from.

The key is a secret: it comes from the settings (``SCAMLENS_HMAC_KEY`` or the config
file). When none is set, a random key is generated on first use and stored in the
data folder as ``pseudonym.key`` (readable by the owner only), with a warning: losing
or changing it breaks the link between old and new pseudonyms of the same citizen.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from scamlens.errors import ConfigError
from scamlens.settings import Settings

__all__ = ["KEY_FILE", "resolve_key"]

logger = logging.getLogger(__name__)

KEY_FILE = "pseudonym.key"
_MIN_KEY_BYTES = 16


def resolve_key(settings: Settings) -> bytes:
    """Return the HMAC key: configured, stored in the data folder, or newly made."""
    if settings.hmac_key:
        key = settings.hmac_key.encode("utf-8")
        if len(key) < _MIN_KEY_BYTES:
            raise ConfigError(
                f"the pseudonymisation key has {len(key)} bytes; use at least "
                f"{_MIN_KEY_BYTES} random bytes in SCAMLENS_HMAC_KEY"
            )
        return key
    path = Path(settings.data_dir) / KEY_FILE
    if path.is_file():
        return path.read_text(encoding="ascii").strip().encode("ascii")
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(token + "\n")
    logger.warning(
        "no pseudonymisation key configured; generated one at %s. Back it up, or set "
        "SCAMLENS_HMAC_KEY: pseudonyms made with another key will not match",
        path,
    )
    return token.encode("ascii")
