"""Pieces the commands share: options, sources from arguments, progress, summaries."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from scamlens.cleaning.report import CleaningReport
from scamlens.cleaning.rules import RULES
from scamlens.errors import UsageError
from scamlens.privacy import resolve_key
from scamlens.privacy.redact import Redactor
from scamlens.settings import TIMEZONE, Settings
from scamlens.sources import Source, file_source, is_database_url

__all__ = [
    "err_console",
    "out_console",
    "parse_as_of",
    "progress_bar",
    "report_table",
    "source_from_args",
]

out_console = Console()
err_console = Console(stderr=True)


def parse_as_of(text: str | None) -> datetime:
    """``--as-of``: ISO-8601, Asia/Shanghai when no offset is given; default now."""
    if not text:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"--as-of `{text}` is not an ISO-8601 time; expected e.g. "
            "2026-12-01T18:00:00+08:00 or 2026-12-01"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(TIMEZONE))
    return value


def check_output_format(path: Path | None, option: str = "--out") -> None:
    """Refuse an output file whose extension names no format the writers know,
    before any work is done."""
    from scamlens.reports.writers import FORMATS

    if path is not None and path.suffix.lower() not in FORMATS:
        raise UsageError(
            f"{option} `{path}` has extension `{path.suffix}`; "
            f"use one of {', '.join(FORMATS)}"
        )


def distinct_paths(named: dict[str, Path | str | None]) -> None:
    """Refuse two options naming the same file (``--out`` over its own SOURCE, the
    quarantine over the indicators): the second write would destroy the first file.

    ``named`` maps an option's name to its path; ``None`` and database URLs are
    skipped. Paths are compared as the files they reach (symlinks, ``..``).
    """
    seen: dict[Path, str] = {}
    for option, value in named.items():
        if value is None or (isinstance(value, str) and is_database_url(value)):
            continue
        resolved = Path(value).expanduser().resolve()
        if resolved in seen:
            raise UsageError(
                f"{option} `{value}` is the same file as {seen[resolved]}; writing it "
                "would destroy the other; choose another path"
            )
        seen[resolved] = option


def source_from_args(
    source: str,
    settings: Settings,
    *,
    table: str | None,
    encoding: str | None = None,
    delimiter: str | None = None,
    incremental_column: str = "updated_at",
    incremental: bool = False,
) -> Source:
    """A file or database source from the command line's SOURCE and options."""
    if is_database_url(source):
        if not table:
            raise UsageError(
                f"SOURCE `{source.split('://')[0]}://...` is a database URL; name the "
                "table with --table"
            )
        from scamlens.sources.database import DatabaseSource

        return DatabaseSource(
            source,
            table,
            incremental_column=incremental_column,
            chunk_rows=settings.engine.chunk_rows,
            incremental=incremental,
        )
    if table:
        raise UsageError("--table goes with a database URL, not with a file SOURCE")
    return file_source(
        Path(source),
        chunk_rows=settings.engine.chunk_rows,
        encoding=encoding,
        delimiter=_delimiter(delimiter),
        redactor=Redactor(resolve_key(settings)),
    )


def _delimiter(text: str | None) -> str | None:
    if text is None:
        return None
    named = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
    value = named.get(text.lower(), text)
    if len(value) != 1:
        raise UsageError(f"--delimiter `{text}` must be one character, or tab")
    return value


@contextlib.contextmanager
def progress_bar(
    description: str, total: int | None = None
) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on stderr; yields a callback taking rows done."""
    columns = [
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    ]
    with Progress(*columns, console=err_console, transient=True) as progress:
        task = progress.add_task(description, total=total)

        def advance(rows: int) -> None:
            progress.advance(task, rows)

        yield advance


def report_table(report: CleaningReport, title: str = "Records") -> Table:
    """The counts of a cleaning pass as a rich table."""
    table = Table(title=title, show_header=True, header_style="bold")
    table.add_column("")
    table.add_column("records", justify="right")
    table.add_row("read 读取", f"{report.read:,}")
    table.add_row("superseded 旧版本", f"{report.superseded:,}")
    for rule in RULES:
        n = report.quarantined.get(rule.code, 0)
        table.add_row(f"  quarantined: {rule.code}", f"{n:,}")
    table.add_row("quarantined 隔离合计", f"{report.quarantined_total:,}")
    table.add_row("counted 计入指标", f"{report.counted:,}", style="bold")
    return table


def dims_option() -> Callable[[click.decorators.FC], click.decorators.FC]:
    return click.option(
        "--by",
        "by",
        required=True,
        help="Comma-separated dimensions, e.g. day,region_code.",
    )
