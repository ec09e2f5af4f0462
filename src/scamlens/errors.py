"""Errors raised by scamlens.

Every error a user can see derives from :class:`ScamlensError`. The tree::

    ScamlensError
    ├── UserError              the input, the command line or the config is wrong;
    │   │                      the message says what was found, what was expected
    │   │                      and what to do next. The CLI exits with code 1.
    │   ├── ConfigError        a setting has a value that cannot be used
    │   ├── UsageError         a command was called with wrong arguments (exit 2)
    │   ├── SourceError        a file or database cannot be read as outreach records
    │   │   ├── SourceNotFound        the file or table does not exist
    │   │   ├── SourceUnreachable     the database server does not answer
    │   │   └── SchemaMismatch        required columns are missing
    │   └── WarehouseError     the warehouse file is locked, corrupt or too new
    └── InternalError          a bug in scamlens; please report it with the log

Messages are one line. Put the offending value in backticks.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "InternalError",
    "ScamlensError",
    "SchemaMismatch",
    "SourceError",
    "SourceNotFound",
    "SourceUnreachable",
    "UsageError",
    "UserError",
    "WarehouseError",
    "WarehouseLocked",
]


class ScamlensError(Exception):
    """Base of every error scamlens raises on purpose."""

    exit_code = 1


class UserError(ScamlensError):
    """Something the user can fix: input, arguments or configuration."""


class ConfigError(UserError):
    """A setting has a value that cannot be used."""


class UsageError(UserError):
    """A command was called with arguments that do not fit together."""

    exit_code = 2


class SourceError(UserError):
    """A source cannot be read as outreach records."""


class SourceNotFound(SourceError):
    """The file, folder or table named as a source does not exist."""


class SourceUnreachable(SourceError):
    """The database server behind a source URL does not answer."""


class SchemaMismatch(SourceError):
    """The source lacks columns the record contract requires."""


class WarehouseError(UserError):
    """The warehouse cannot be opened or written."""


class WarehouseLocked(WarehouseError):
    """Another process holds the warehouse file (e.g. a running ``scamlens stream``)."""


class InternalError(ScamlensError):
    """A bug in scamlens: an invariant that should always hold did not."""
