"""``scamlens scripts``: the fraud-script library (涉诈话术特征库).

Import and export as YAML, list entries, show the change history and the diff between
versions, discover proposals for new scripts from unmatched texts, review them, and
report the library's coverage over time.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.table import Table

from scamlens.cli.language import language_settings
from scamlens.errors import UsageError
from scamlens.settings import Settings

if TYPE_CHECKING:
    import duckdb

    from scamlens.language.library.model import Library

__all__ = ["COMMANDS"]

logger = logging.getLogger(__name__)

console = Console()


@click.group("scripts")
def scripts_group() -> None:
    """The fraud-script library: import, export, history, diff, discover, review."""


def _connect(settings: Settings) -> duckdb.DuckDBPyConnection:
    from scamlens.warehouse import connect

    return connect(settings.warehouse_path, settings.engine)


@scripts_group.command("import")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--author", required=True, help="Who makes this change.")
@click.option("--reason", required=True, help="Why (kept in the history).")
@click.pass_context
def scripts_import(
    ctx: click.Context, path: Path | None, author: str, reason: str
) -> None:
    """Store a YAML library (file or folder; default: the shipped one) as a version."""
    from scamlens.language.library import default_library, load_yaml, save_version

    library = load_yaml(path) if path is not None else default_library()
    con = _connect(language_settings(ctx))
    try:
        stored = save_version(con, library, author=author, reason=reason)
    finally:
        con.close()
    console.print(
        f"library version {stored.version} with {len(stored.entries)} scripts"
    )


def _library_for(ctx: click.Context, version: int | None) -> Library:
    from scamlens.language.library import load_active, load_version

    settings = language_settings(ctx)
    if version is None:
        return load_active(settings.warehouse_path, settings.engine)
    con = _connect(settings)
    try:
        return load_version(con, version)
    finally:
        con.close()


@scripts_group.command("export")
@click.argument("out_path", metavar="OUT", type=click.Path(path_type=Path))
@click.option("--version", type=int, default=None, help="Version [default: latest].")
@click.pass_context
def scripts_export(ctx: click.Context, out_path: Path, version: int | None) -> None:
    """Write a library version as one YAML file."""
    from scamlens.language.library import dump_library

    library = _library_for(ctx, version)
    dump_library(library, out_path)
    console.print(f"exported library v{library.version} to {out_path}")


@scripts_group.command("list")
@click.option("--version", type=int, default=None)
@click.option("--type", "fraud_type", default=None, help="Only this fraud type.")
@click.pass_context
def scripts_list(
    ctx: click.Context, version: int | None, fraud_type: str | None
) -> None:
    """The scripts of a library version."""
    from scamlens.language.taxonomy import CODES

    if fraud_type is not None and fraud_type not in CODES:
        raise UsageError(
            f"--type `{fraud_type}` is no fraud type; expected one of "
            f"{', '.join(CODES)}"
        )
    library = _library_for(ctx, version)
    table = Table(title=f"library v{library.version}")
    table.add_column("id", no_wrap=True)
    for name in ("type", "name", "persona", "actions", "terms", "examples"):
        table.add_column(name)
    for e in library.entries:
        if fraud_type and e.fraud_type != fraud_type:
            continue
        table.add_row(
            e.script_id,
            e.fraud_type,
            e.name,
            e.persona,
            ",".join(e.actions),
            str(len(e.all_terms())),
            str(len(e.examples)),
        )
    console.print(table)


@scripts_group.command("history")
@click.pass_context
def scripts_history(ctx: click.Context) -> None:
    """Every stored library version: who, when, why."""
    from scamlens.language.library import list_versions

    con = _connect(language_settings(ctx))
    try:
        rows = list_versions(con).to_pylist()
    finally:
        con.close()
    table = Table(title="library history")
    for name in ("version", "created_at", "author", "reason", "parent", "scripts"):
        table.add_column(name)
    for r in rows:
        table.add_row(
            str(r["version"]),
            str(r["created_at"])[:19],
            r["author"],
            r["reason"],
            str(r["parent"] or ""),
            str(r["n_entries"]),
        )
    console.print(table)


@scripts_group.command("diff")
@click.argument("old", type=int)
@click.argument("new", type=int)
@click.pass_context
def scripts_diff(ctx: click.Context, old: int, new: int) -> None:
    """What changed between two library versions."""
    from scamlens.language.library import diff_libraries

    click.echo(diff_libraries(_library_for(ctx, old), _library_for(ctx, new)).render())


@scripts_group.command("discover")
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("--text-column", required=True)
@click.option(
    "--min-size", default=3, show_default=True, help="Smallest group proposed."
)
@click.option(
    "--distance",
    default=0.75,
    show_default=True,
    help="Cosine distance under which texts group together.",
)
@click.option(
    "--llm/--no-llm",
    "use_llm",
    default=None,
    help="Summarise groups with the llm backend [default: if configured].",
)
@click.pass_context
def scripts_discover(
    ctx: click.Context,
    input_path: Path,
    text_column: str,
    min_size: int,
    distance: float,
    use_llm: bool | None,
) -> None:
    """Group texts no script explains and store proposals for review."""
    from scamlens.language.discovery import (
        coverage,
        discover,
        record_coverage,
        save_proposals,
    )
    from scamlens.language.io import read_table, require_column
    from scamlens.language.library import load_active

    settings = language_settings(ctx)
    table = read_table(input_path)
    require_column(table, text_column, "text")
    texts = table.column(text_column).to_pylist()
    library = load_active(settings.warehouse_path, settings.engine)
    summariser = None
    if use_llm or (use_llm is None and settings.language.backend == "llm"):
        from scamlens.language import get_backend

        summariser = get_backend(settings, "llm", library=library)
    try:
        proposals, stats = discover(
            texts, library, summariser=summariser, min_size=min_size, distance=distance
        )
    finally:
        if summariser is not None:
            summariser.close()
    con = _connect(settings)
    try:
        save_proposals(con, proposals, library.version)
        record_coverage(
            con,
            coverage(texts, library),
            library_version=library.version,
            source=str(input_path.name),
        )
    finally:
        con.close()
    share = 1 - stats["unmatched"] / stats["texts"] if stats["texts"] else 0.0
    console.print(
        f"{stats['texts']} texts, {stats['unmatched']} unexplained "
        f"(coverage {share:.1%}); {len(proposals)} proposals stored"
    )
    for p in proposals:
        console.print(
            f"  {p.proposal_id}  {p.fraud_type:<24} size {p.size:<4} "
            f"{', '.join(p.keywords[:6])}"
        )


@scripts_group.command("review")
@click.option("--list", "show", is_flag=True, help="Show pending proposals.")
@click.option("--accept", multiple=True, help="Proposal id to accept (repeatable).")
@click.option("--reject", multiple=True, help="Proposal id to reject (repeatable).")
@click.option("--reviewer", default=None, help="Who decides (required to decide).")
@click.option("--reason", default=None, help="Why (required to decide).")
@click.option(
    "--type",
    "fraud_type",
    default=None,
    help="Fraud type for accepted proposals (overrides the suggestion).",
)
@click.pass_context
def scripts_review(
    ctx: click.Context,
    show: bool,
    accept: tuple[str, ...],
    reject: tuple[str, ...],
    reviewer: str | None,
    reason: str | None,
    fraud_type: str | None,
) -> None:
    """Accept or reject proposed scripts; accepted ones form a new library version."""
    from scamlens.language.discovery import (
        accept_proposals,
        list_proposals,
        reject_proposals,
    )

    if (accept or reject) and not (reviewer and reason):
        raise UsageError("deciding needs --reviewer and --reason; add both and retry")
    con = _connect(language_settings(ctx))
    try:
        if reject:
            n = reject_proposals(
                con,
                list(reject),
                reviewer=reviewer or "",
                reason=reason or "",
            )
            console.print(f"rejected {n} proposal(s)")
        if accept:
            stored = accept_proposals(
                con,
                list(accept),
                reviewer=reviewer or "",
                reason=reason or "",
                fraud_type=fraud_type,
            )
            console.print(
                f"accepted {len(accept)} proposal(s): library version {stored.version}"
            )
        if show or not (accept or reject):
            rows = list_proposals(con).to_pylist()
            table = Table(title="pending proposals")
            table.add_column("id", no_wrap=True)
            for name in ("type", "size", "name", "keywords", "example"):
                table.add_column(name)
            for r in rows:
                table.add_row(
                    r["proposal_id"],
                    r["fraud_type"],
                    str(r["size"]),
                    r["name"],
                    ", ".join(json.loads(r["keywords"])[:6]),
                    (json.loads(r["examples"]) or [""])[0][:40],
                )
            console.print(table)
    finally:
        con.close()


@scripts_group.command("coverage")
@click.argument(
    "input_path", metavar="INPUT", required=False, type=click.Path(path_type=Path)
)
@click.option("--text-column", default=None)
@click.option("--time-column", default=None, help="Group by this time column.")
@click.option(
    "--period",
    type=click.Choice(["day", "week", "month"]),
    default="day",
    show_default=True,
)
@click.option(
    "--history",
    "show_history",
    is_flag=True,
    help="Show recorded coverage measurements instead.",
)
@click.pass_context
def scripts_coverage(
    ctx: click.Context,
    input_path: Path | None,
    text_column: str | None,
    time_column: str | None,
    period: str,
    show_history: bool,
) -> None:
    """Share of texts the library explains, per period; recorded for the trend."""
    from scamlens.language.discovery import coverage, coverage_history, record_coverage
    from scamlens.language.io import read_table, require_column
    from scamlens.language.library import load_active

    settings = language_settings(ctx)
    if show_history:
        con = _connect(settings)
        try:
            rows = coverage_history(con).to_pylist()
        finally:
            con.close()
        _print_coverage(rows, "coverage history", with_meta=True)
        return
    if input_path is None or text_column is None:
        raise UsageError("give INPUT and --text-column, or --history")
    table = read_table(input_path)
    require_column(table, text_column, "text")
    times = None
    if time_column:
        require_column(table, time_column, "time")
        times = table.column(time_column).to_pylist()
    library = load_active(settings.warehouse_path, settings.engine)
    result = coverage(
        table.column(text_column).to_pylist(), library, times=times, grain=period
    )
    con = _connect(settings)
    try:
        record_coverage(
            con,
            result,
            library_version=library.version,
            source=input_path.name,
        )
    finally:
        con.close()
    _print_coverage(result.to_pylist(), f"coverage (library v{library.version})")


def _print_coverage(
    rows: list[dict[str, Any]], title: str, *, with_meta: bool = False
) -> None:
    table = Table(title=title)
    names = (["measured_at", "library_version", "source"] if with_meta else []) + [
        "period",
        "texts",
        "matched",
        "share",
    ]
    for name in names:
        table.add_column(name)
    for r in rows:
        cells = [str(r[n])[:19] for n in names[:-1]] + [f"{float(r['share']):.1%}"]
        table.add_row(*cells)
    console.print(table)


COMMANDS = (scripts_group,)
