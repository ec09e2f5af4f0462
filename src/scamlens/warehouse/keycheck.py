"""The warehouse remembers which pseudonymisation key made its citizen keys.

Citizen keys are HMACs of phone numbers: records pseudonymised with another key
name the same citizen differently, so the daily cap, repeat contacts and risk groups
would silently split one person in two. The first ingestion stores a check value
(an HMAC of a fixed label, which reveals nothing of the key) in the ``meta`` table;
every later ingestion or stream into the warehouse must come with the same key.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

import duckdb

from scamlens.errors import ConfigError
from scamlens.warehouse.schema import META_DDL

__all__ = ["check_key", "key_check_value"]

logger = logging.getLogger(__name__)

_NAME = "pseudonym_key_check"
_LABEL = b"scamlens warehouse key check"


def key_check_value(key: bytes) -> str:
    """A short value that tells keys apart without revealing them."""
    return hmac.new(key, _LABEL, hashlib.sha256).hexdigest()[:16]


def check_key(con: duckdb.DuckDBPyConnection, key: bytes) -> None:
    """Record ``key``'s check value, or raise if the warehouse holds another's.

    Runs inside the caller's transaction: a refused key leaves nothing behind.
    """
    con.execute(META_DDL)
    found = con.execute("SELECT value FROM meta WHERE key = ?", [_NAME]).fetchall()
    mine = key_check_value(key)
    if not found:
        con.execute("INSERT INTO meta VALUES (?, ?)", [_NAME, mine])
        logger.info("warehouse key check recorded: %s", mine)
        return
    if found[0][0] != mine:
        raise ConfigError(
            f"the warehouse was filled with another pseudonymisation key (check "
            f"{found[0][0]}, this key gives {mine}): new citizen keys would not match "
            "the stored ones. Set the original SCAMLENS_HMAC_KEY (or restore the data "
            "folder's pseudonym.key), or use a new warehouse"
        )
