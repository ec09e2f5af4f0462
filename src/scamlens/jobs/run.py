"""``scamlens run``: the main job on the embedded default.

With no arguments it works in the data folder (``scamlens-data``): on first use it
simulates a platform database there (SQLite), then every run ingests what is new in
the platform table, rebuilds the clean tables, and writes the standard daily
indicator tables, the quarantine and a run report under ``outputs/`` and ``runs/``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from scamlens.cleaning.report import CleaningReport
from scamlens.errors import SourceNotFound
from scamlens.indicators.duckdb_sql import counts_sql
from scamlens.jobs.ingest import IngestResult, ingest
from scamlens.jobs.labelling import labeller_for
from scamlens.jobs.refresh import refresh
from scamlens.privacy import resolve_key
from scamlens.reports.writers import write_indicators, write_table
from scamlens.settings import TIMEZONE, Settings
from scamlens.sources import DatabaseSource, Source
from scamlens.warehouse import connect
from scamlens.warehouse.schema import ensure_schema

__all__ = [
    "PLATFORM_DB",
    "PLATFORM_TABLE",
    "STANDARD_BREAKDOWNS",
    "RunReport",
    "bootstrap_platform",
    "default_source",
    "run_job",
]

logger = logging.getLogger(__name__)

PLATFORM_DB = "platform.db"
PLATFORM_TABLE = "outreach_records"
STANDARD_BREAKDOWNS: tuple[str, ...] = (
    "region_code",
    "channel",
    "module",
    "fraud_type",
    "age_band",
)

Progress = Callable[[int], None]


@dataclass
class RunReport:
    """What one run read, counted and wrote."""

    run_id: str
    as_of: str
    source: str
    ingest: dict[str, Any]
    cleaning: dict[str, Any]
    outputs: list[str] = field(default_factory=list)
    simulated: bool = False
    seconds: float = 0.0

    def as_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2)


def bootstrap_platform(
    settings: Settings,
    *,
    days: int = 7,
    per_day: int = 20_000,
    today: date | None = None,
) -> Path:
    """Simulate a platform database of the last ``days`` days in the data folder."""
    from scamlens.simulate import SimConfig, write_db

    today = today or datetime.now(ZoneInfo(TIMEZONE)).date()
    config = SimConfig(
        start=today - timedelta(days=days),
        days=days,
        per_day=per_day,
        anomalies=True,
        daily_cap=settings.cleaning.daily_cap,
        max_talk_seconds=settings.cleaning.max_talk_seconds,
    )
    path = (settings.data_dir / PLATFORM_DB).resolve()
    write_db(config, f"sqlite:///{path}", table=PLATFORM_TABLE)
    logger.info("simulated platform database %s (%d days)", path, days)
    return path


def default_source(settings: Settings) -> DatabaseSource:
    """The embedded platform database of the data folder."""
    path = (settings.data_dir / PLATFORM_DB).resolve()
    return DatabaseSource(
        f"sqlite:///{path}", PLATFORM_TABLE, chunk_rows=settings.engine.chunk_rows
    )


def _write_outputs(
    con: duckdb.DuckDBPyConnection, out_dir: Path, run_dir: Path
) -> list[str]:
    written: list[str] = []
    for dim in STANDARD_BREAKDOWNS:
        counts = con.sql(
            f"SELECT day, {dim}, {', '.join(_sum_counts())} FROM daily_counts "
            f"GROUP BY ALL ORDER BY day, {dim}"
        ).to_arrow_table()
        for suffix in (".csv", ".parquet"):
            path = out_dir / f"daily_by_{dim}{suffix}"
            write_indicators(counts, path, ["day", dim])
            written.append(str(path))
    quarantine = con.sql(
        "SELECT * FROM quarantine ORDER BY read_order"
    ).to_arrow_table()
    for path in (out_dir / "quarantine.parquet", run_dir / "quarantine.csv"):
        write_table(quarantine, path)
        written.append(str(path))
    return written


def _sum_counts() -> list[str]:
    names = [sql.rsplit(" AS ", 1)[1] for sql in counts_sql()]
    return [f"sum({n})::BIGINT AS {n}" for n in names]


def run_job(
    settings: Settings,
    as_of: datetime,
    *,
    source: Source | None = None,
    bootstrap: Callable[[Settings], None] | None = None,
    progress: Progress | None = None,
) -> RunReport:
    """Ingest, clean and publish. ``bootstrap`` makes the platform DB on first use."""
    started = datetime.now(UTC)
    simulated = False
    if source is None:
        if not (settings.data_dir / PLATFORM_DB).exists():
            if bootstrap is None:
                raise SourceNotFound(
                    f"no platform database at `{settings.data_dir / PLATFORM_DB}`; "
                    "run `scamlens simulate` or name a source"
                )
            bootstrap(settings)
            simulated = True
        source = default_source(settings)
    key = resolve_key(settings)
    con = connect(settings.warehouse_path, settings.engine)
    try:
        ensure_schema(con)
        result: IngestResult = ingest(
            con, source, key, progress=progress, labeller=labeller_for(settings, con)
        )
        report: CleaningReport = refresh(con, settings.cleaning, as_of)
        run_id = started.strftime("%Y%m%dT%H%M%S%fZ")
        run_dir = settings.data_dir / "runs" / run_id
        outputs = _write_outputs(con, settings.data_dir / "outputs", run_dir)
        summary = RunReport(
            run_id=run_id,
            as_of=as_of.isoformat(),
            source=source.describe(),
            ingest=asdict(result),
            cleaning=report.as_dict(),
            outputs=outputs,
            simulated=simulated,
        )
        summary.seconds = round((datetime.now(UTC) - started).total_seconds(), 3)
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "report.json").write_text(summary.as_json(), encoding="utf-8")
        con.execute(
            "INSERT INTO runs VALUES (?, ?, ?, ?, ?)",
            [run_id, started, datetime.now(UTC), as_of, summary.as_json()],
        )
        return summary
    finally:
        con.close()
