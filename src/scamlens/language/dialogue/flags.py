"""Filling missing outcome flags from transcripts, and raising 'victim now' alerts.

The batch core calls :func:`label_flags` when ``language.fill_missing_flags`` is on:
rows whose ``confirmed_accurate`` or ``reported_defrauded`` is empty get the value the
configured backend reads from ``transcript``; flags the platform supplied are never
touched. ``label_backend`` says who decided (null where nothing was decided), so an
indicator can always be traced to the platform or to a backend.

A citizen who says they are being defrauded right now needs a call back within
minutes: such rows become ``victim_now`` alerts in the warehouse alerts table. An
alert names the outreach and the pseudonymous citizen, never a phone number, and
its evidence is masked.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from scamlens.language.backends.base import Backend
from scamlens.language.dialogue.intents import DialogueLabel, Intent
from scamlens.language.text import mask_pii
from scamlens.settings import Settings

__all__ = ["FLAG_COLUMNS", "label_flags", "victim_alerts"]

logger = logging.getLogger(__name__)

FLAG_COLUMNS = ("confirmed_accurate", "reported_defrauded")


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _fill_column(
    column: pa.ChunkedArray | None, rows: int, fills: dict[int, bool]
) -> pa.Array:
    """The column with ``fills`` written in, keeping its type (string or bool)."""
    if column is None:
        return pa.array([fills.get(i) for i in range(rows)], pa.bool_())
    values = column.to_pylist()
    kind = column.type
    for i, flag in fills.items():
        if pa.types.is_boolean(kind):
            values[i] = flag
        elif pa.types.is_integer(kind):
            values[i] = int(flag)
        else:
            values[i] = "true" if flag else "false"
    if pa.types.is_boolean(kind) or pa.types.is_integer(kind):
        return pa.array(values, kind)
    return pa.array(
        [None if v is None else str(v) for v in values],
        kind
        if pa.types.is_string(kind) or pa.types.is_large_string(kind)
        else pa.string(),
    )


def label_flags(
    table: pa.Table,
    settings: Settings,
    *,
    con: duckdb.DuckDBPyConnection | None = None,
    backend: Backend | None = None,
    details: bool = False,
    alerts: bool = True,
) -> pa.Table:
    """Fill empty flags from ``transcript``; add ``label_backend``; raise urgent alerts.

    ``con`` is the warehouse connection alerts go to; without it the warehouse at
    ``settings.warehouse_path`` is opened just for the insert. ``details`` also adds
    ``label_intent``, ``label_confidence`` and ``label_evidence`` (the CLI uses them).
    """
    rows = table.num_rows
    flags = {
        name: (table.column(name) if name in table.column_names else None)
        for name in FLAG_COLUMNS
    }
    flag_values = {
        name: (col.to_pylist() if col is not None else [None] * rows)
        for name, col in flags.items()
    }
    transcripts = (
        table.column("transcript").to_pylist()
        if "transcript" in table.column_names
        else [None] * rows
    )
    todo = [
        i
        for i in range(rows)
        if not _missing(transcripts[i])
        and any(_missing(flag_values[name][i]) for name in FLAG_COLUMNS)
    ]
    labels: dict[int, DialogueLabel] = {}
    if todo:
        if backend is None:
            from scamlens.language.backends.registry import get_backend

            backend = get_backend(settings)
        for i, label in zip(
            todo, backend.label([transcripts[i] for i in todo]), strict=True
        ):
            labels[i] = label
    out = table
    for name in FLAG_COLUMNS:
        fills = {
            i: (
                lb.confirmed_accurate
                if name == "confirmed_accurate"
                else lb.reported_defrauded
            )
            for i, lb in labels.items()
            if _missing(flag_values[name][i])
        }
        column = _fill_column(flags[name], rows, fills)
        if name in out.column_names:
            out = out.set_column(out.column_names.index(name), name, column)
        else:
            out = out.append_column(name, column)
    extra = {
        "label_backend": pa.array(
            [labels[i].backend if i in labels else None for i in range(rows)],
            pa.string(),
        )
    }
    if details:
        extra["label_intent"] = pa.array(
            [labels[i].intent if i in labels else None for i in range(rows)],
            pa.string(),
        )
        extra["label_confidence"] = pa.array(
            [labels[i].confidence if i in labels else None for i in range(rows)],
            pa.float64(),
        )
        extra["label_evidence"] = pa.array(
            [
                json.dumps(
                    [mask_pii(e) for e in labels[i].evidence], ensure_ascii=False
                )
                if i in labels
                else None
                for i in range(rows)
            ],
            pa.string(),
        )
    for name, column in extra.items():
        if name in out.column_names:
            out = out.drop_columns([name])
        out = out.append_column(name, column)
    logger.info("flags labelled rows=%d of %d", len(labels), rows)
    urgent = {
        i: lb for i, lb in labels.items() if lb.intent == Intent.BEING_DEFRAUDED_NOW
    }
    if alerts and urgent:
        _write_alerts(victim_alerts(table, urgent), settings, con)
    return out


def victim_alerts(table: pa.Table, urgent: dict[int, DialogueLabel]) -> pa.Table:
    """``victim_now`` alert rows (ALERT_SCHEMA) for the urgent rows of ``table``."""
    from scamlens.warehouse.alerts import ALERT_SCHEMA

    def col(name: str) -> list[Any]:
        return (
            table.column(name).to_pylist()
            if name in table.column_names
            else [None] * table.num_rows
        )

    outreach, citizen = col("outreach_id"), col("citizen_id")
    region, lead_type, started = (
        col("region_code"),
        col("fraud_type"),
        col("initiated_at"),
    )
    now = datetime.now(UTC)
    records = []
    for i, label in sorted(urgent.items()):
        ref = str(outreach[i]) if outreach[i] is not None else f"row-{i}"
        alert_id = "victim_now:" + hashlib.sha1(ref.encode("utf-8")).hexdigest()[:20]
        segment = {
            "outreach_id": outreach[i],
            "citizen_id": citizen[i],
            "region_code": region[i],
            "fraud_type": lead_type[i],
        }
        when = started[i] if isinstance(started[i], datetime) else None
        records.append(
            {
                "alert_id": alert_id,
                "kind": "victim_now",
                "raised_at": now,
                "severity": "critical",
                "segment": json.dumps(
                    {k: v for k, v in segment.items() if v is not None},
                    ensure_ascii=False,
                    default=str,
                ),
                "grain": "record",
                "window_start": when,
                "window_end": when,
                "metric": "victim_now",
                "observed": label.confidence,
                "expected": None,
                "lower": None,
                "upper": None,
                "p_value": None,
                "message_zh": f"群众表示正在被骗（触达记录 {ref}），请立即回拨劝阻",
                "message_en": "Citizen says they are being defrauded now "
                f"(outreach {ref}); "
                "call back at once",
                "details": json.dumps(
                    {
                        "intent": label.intent,
                        "backend": label.backend,
                        "evidence": [mask_pii(e) for e in label.evidence][:8],
                    },
                    ensure_ascii=False,
                ),
            }
        )
    return pa.Table.from_pylist(records, schema=ALERT_SCHEMA)


def _write_alerts(
    alerts: pa.Table, settings: Settings, con: duckdb.DuckDBPyConnection | None
) -> None:
    from scamlens.warehouse import connect, insert_alerts

    own = con is None
    try:
        target = con or connect(settings.warehouse_path, settings.engine)
        try:
            added = insert_alerts(target, alerts)
        finally:
            if own:
                target.close()
        logger.warning("victim_now alerts raised=%d new=%d", alerts.num_rows, added)
    except Exception as exc:  # alerts must not stop the batch; shout instead
        logger.error(
            "cannot write %d victim_now alerts to %s: %s",
            alerts.num_rows,
            settings.warehouse_path,
            str(exc).splitlines()[0],
        )
