"""Classifying a column of texts and appending the verdict to every row, in order."""

from __future__ import annotations

import json
import logging

import pyarrow as pa

from scamlens.language.backends.base import Backend, Classification
from scamlens.language.io import require_column

__all__ = ["OUTPUT_COLUMNS", "classify_table", "classifications_table"]

logger = logging.getLogger(__name__)

OUTPUT_COLUMNS = ("fraud_type", "confidence", "script_id", "evidence", "language_note")
"""Columns added by ``scamlens classify``; ``evidence`` is a JSON list of spans."""


def classifications_table(results: list[Classification]) -> pa.Table:
    """The added columns for ``results``."""
    return pa.table(
        {
            "fraud_type": pa.array([r.fraud_type for r in results], pa.string()),
            "confidence": pa.array([r.confidence for r in results], pa.float64()),
            "script_id": pa.array([r.script_id or None for r in results], pa.string()),
            "evidence": pa.array(
                [json.dumps(list(r.evidence), ensure_ascii=False) for r in results],
                pa.string(),
            ),
            "language_note": pa.array([r.note or None for r in results], pa.string()),
        }
    )


def classify_table(
    table: pa.Table, column: str, backend: Backend, *, batch_rows: int = 2000
) -> pa.Table:
    """``table`` with :data:`OUTPUT_COLUMNS` appended (replacing same-named ones)."""
    require_column(table, column, "text")
    texts = table.column(column).to_pylist()
    results: list[Classification] = []
    for start in range(0, len(texts), batch_rows):
        results.extend(backend.classify(texts[start : start + batch_rows]))
    added = classifications_table(results)
    out = table.drop_columns([c for c in OUTPUT_COLUMNS if c in table.column_names])
    for name in OUTPUT_COLUMNS:
        out = out.append_column(name, added.column(name))
    notes = sum(1 for r in results if r.note)
    if notes:
        logger.info("classified rows=%d with_notes=%d", len(results), notes)
    return out
