"""Filling outcome flags the platform left empty, before records are landed.

When ``language.fill_missing_flags`` is on, every text batch passes through
:func:`scamlens.language.label_flags` on its way in: an empty ``confirmed_accurate``
or ``reported_defrauded`` gets the value the configured backend reads from the
transcript, and the name of that backend is kept in the record's ``extras`` (as
``label_backend``), so every counted flag can be traced to the platform or to a
backend. Flags the platform supplied are never changed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import duckdb
import pyarrow as pa

from scamlens.settings import Settings

__all__ = ["Labeller", "labeller_for"]

logger = logging.getLogger(__name__)

Labeller = Callable[[pa.Table], pa.Table]


def _merge_backend(batch: pa.Table) -> pa.Table:
    backends = batch.column("label_backend").to_pylist()
    batch = batch.drop_columns(["label_backend"])
    extras = (
        batch.column("extras").to_pylist()
        if "extras" in batch.column_names
        else [None] * batch.num_rows
    )
    merged = []
    for extra, backend in zip(extras, backends, strict=True):
        if backend is None:
            merged.append(extra)
            continue
        values = json.loads(extra) if extra else {}
        values["label_backend"] = backend
        merged.append(json.dumps(values, ensure_ascii=False))
    column = pa.array(merged, pa.string())
    if "extras" in batch.column_names:
        return batch.set_column(batch.column_names.index("extras"), "extras", column)
    return batch.append_column("extras", column)


def labeller_for(
    settings: Settings, con: duckdb.DuckDBPyConnection | None = None
) -> Labeller | None:
    """The batch labeller the settings ask for, or None when flags are left as is."""
    if not settings.language.fill_missing_flags:
        return None
    from scamlens.language import label_flags

    def label(batch: pa.Table) -> pa.Table:
        if "transcript" not in batch.column_names or batch.num_rows == 0:
            return batch
        labelled = label_flags(batch, settings, con=con)
        return _merge_backend(labelled)

    logger.info(
        "empty outcome flags are filled by the %s backend", settings.language.backend
    )
    return label
