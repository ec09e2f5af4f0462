"""Commands of the language layer: classify, label, train, eval, scripts.

Thin wrappers: each command reads its input, calls :mod:`scamlens.language`, prints a
rich table or writes a file. Library errors propagate to the error boundary in
:mod:`scamlens.cli.app`, which turns them into one-line messages and exit codes.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.table import Table

from scamlens.errors import UsageError
from scamlens.settings import Settings

if TYPE_CHECKING:
    import duckdb

    from scamlens.language.evaluation import Report
    from scamlens.language.library.model import Library

__all__ = ["COMMANDS"]

logger = logging.getLogger(__name__)

console = Console()


def _settings(ctx: click.Context, backend: str | None = None) -> Settings:
    settings: Settings = ctx.obj.settings
    if backend:
        settings = dataclasses.replace(
            settings, language=dataclasses.replace(settings.language, backend=backend)
        )
    return settings


_BACKEND = click.option(
    "--backend",
    type=click.Choice(["rules", "model", "llm"]),
    default=None,
    help="Override language.backend for this run.",
)


@click.command("classify")
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("--text-column", required=True, help="Column holding the texts.")
@click.option(
    "--out",
    "out_path",
    required=True,
    type=click.Path(path_type=Path),
    help="Output file (.csv, .parquet or .jsonl).",
)
@_BACKEND
@click.pass_context
def classify_command(
    ctx: click.Context,
    input_path: Path,
    text_column: str,
    out_path: Path,
    backend: str | None,
) -> None:
    """Match every text against the fraud-script library.

    Writes the input rows in order with fraud_type, confidence, script_id, evidence
    (a JSON list of matched spans) and language_note added.
    """
    from scamlens.language import classify_table, get_backend
    from scamlens.language.io import read_table, write_table

    settings = _settings(ctx, backend)
    table = read_table(input_path)
    engine = get_backend(settings)
    try:
        out = classify_table(table, text_column, engine)
    finally:
        engine.close()
    write_table(out, out_path)
    counts: dict[str, int] = {}
    for code in out.column("fraud_type").to_pylist():
        counts[code] = counts.get(code, 0) + 1
    summary = ", ".join(
        f"{k}={v}" for k, v in sorted(counts.items(), key=lambda x: -x[1])
    )
    console.print(f"classified {out.num_rows} rows with {engine.name} -> {out_path}")
    console.print(summary)


@click.command("label")
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_path",
    required=True,
    type=click.Path(path_type=Path),
    help="Output file (.csv, .parquet or .jsonl).",
)
@click.option("--transcript-column", default="transcript", show_default=True)
@click.option("--no-alerts", is_flag=True, help="Do not write victim_now alerts.")
@_BACKEND
@click.pass_context
def label_command(
    ctx: click.Context,
    input_path: Path,
    out_path: Path,
    transcript_column: str,
    no_alerts: bool,
    backend: str | None,
) -> None:
    """Fill missing confirmed_accurate / reported_defrauded from transcripts.

    Adds label_backend, label_intent, label_confidence and label_evidence. Citizens
    being defrauded right now become victim_now alerts in the warehouse.
    """
    from scamlens.language import label_flags
    from scamlens.language.io import read_table, require_column, write_table

    settings = _settings(ctx, backend)
    table = read_table(input_path)
    require_column(table, transcript_column, "transcript")
    renamed = transcript_column != "transcript"
    if renamed:
        if "transcript" in table.column_names:
            raise UsageError(
                "input has both `transcript` and `--transcript-column "
                f"{transcript_column}`; drop one of them"
            )
        table = table.rename_columns(
            ["transcript" if c == transcript_column else c for c in table.column_names]
        )
    out = label_flags(table, settings, details=True, alerts=not no_alerts)
    if renamed:
        out = out.rename_columns(
            [transcript_column if c == "transcript" else c for c in out.column_names]
        )
    write_table(out, out_path)
    intents: dict[str, int] = {}
    for intent in out.column("label_intent").to_pylist():
        if intent is not None:
            intents[intent] = intents.get(intent, 0) + 1
    filled = sum(1 for b in out.column("label_backend").to_pylist() if b)
    console.print(f"labelled {filled} of {out.num_rows} rows -> {out_path}")
    if intents:
        console.print(", ".join(f"{k}={v}" for k, v in sorted(intents.items())))
    urgent = intents.get("being_defrauded_now", 0)
    if urgent and not no_alerts:
        console.print(f"[bold red]{urgent} victim_now alert(s) raised[/bold red]")


@click.command("train")
@click.option(
    "--examples",
    type=click.Path(path_type=Path),
    default=None,
    help="Extra labelled texts (CSV/Parquet/JSONL) to train on.",
)
@click.option("--text-column", default="text", show_default=True)
@click.option("--label-column", default="label", show_default=True)
@click.option(
    "--out",
    "out_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Model file [default: <data-dir>/models/language_model.joblib].",
)
@click.option("--no-cv", is_flag=True, help="Skip cross-validation (faster).")
@click.pass_context
def train_command(
    ctx: click.Context,
    examples: Path | None,
    text_column: str,
    label_column: str,
    out_path: Path | None,
    no_cv: bool,
) -> None:
    """Train the model backend on the library's examples (plus --examples)."""
    from scamlens.language.backends.training import save_model, train_model
    from scamlens.language.io import read_table, require_column
    from scamlens.language.library.store import load_active
    from scamlens.language.taxonomy import normalise_label

    settings = _settings(ctx)
    library = load_active(settings.warehouse_path, settings.engine)
    texts: list[str] = []
    labels: list[str] = []
    if examples is not None:
        table = read_table(examples)
        require_column(table, text_column, "text")
        require_column(table, label_column, "label")
        for text, raw in zip(
            table.column(text_column).to_pylist(),
            table.column(label_column).to_pylist(),
            strict=True,
        ):
            code = normalise_label(raw)
            if code is None:
                raise UsageError(
                    f"label `{raw}` in --examples is not a taxonomy code or name; "
                    "map it first (codes: see docs/language.md)"
                )
            texts.append("" if text is None else str(text))
            labels.append(code)
    model = train_model(
        library, extra_texts=texts, extra_labels=labels, cross_validate=not no_cv
    )
    target = out_path or Path(settings.data_dir) / "models" / "language_model.joblib"
    save_model(model, target)
    metrics = model.meta.get("metrics", {})
    console.print(
        f"model {model.version} trained on {model.meta['n_examples']} texts -> {target}"
    )
    if metrics:
        console.print(f"cross-validated macro-F1 {metrics['cv_macro_f1']:.3f}")


@click.group("eval")
def eval_group() -> None:
    """Measure backends against labelled data."""


def _report_table(report: Report, title: str) -> Table:
    table = Table(title=title)
    for name in ("class", "precision", "recall", "f1", "support"):
        table.add_column(name, justify="left" if name == "class" else "right")
    for c in report.classes:
        table.add_row(
            c.label,
            f"{c.precision:.3f}",
            f"{c.recall:.3f}",
            f"{c.f1:.3f}",
            str(c.support),
        )
    table.add_row(
        "[bold]macro[/bold]",
        f"{report.macro_precision:.3f}",
        f"{report.macro_recall:.3f}",
        f"[bold]{report.macro_f1:.3f}[/bold]",
        str(report.n),
    )
    return table


def _confusion_table(report: Report) -> Table:
    labels = report.labels
    short = [lb[:10] for lb in labels]
    table = Table(title="confusion (rows: gold, columns: predicted)")
    table.add_column("gold \\ pred")
    for name in short:
        table.add_column(name, justify="right")
    for label, row in zip(labels, report.confusion, strict=True):
        table.add_row(label, *[str(v) if v else "." for v in row])
    return table


@eval_group.command("classify")
@click.argument("labelled", type=click.Path(path_type=Path))
@click.option("--text-column", required=True)
@click.option("--label-column", required=True)
@click.option(
    "--map",
    "pred_map",
    default=None,
    help="Map taxonomy codes to the dataset's labels: `binary`, FROM=TO,... "
    "or a YAML/JSON/CSV file.",
)
@click.option(
    "--gold-map",
    default=None,
    help="Map dataset labels to taxonomy codes (same forms as --map).",
)
@click.option(
    "--errors", default=0, show_default=True, help="Show N misclassified rows."
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@_BACKEND
@click.pass_context
def eval_classify_command(
    ctx: click.Context,
    labelled: Path,
    text_column: str,
    label_column: str,
    pred_map: str | None,
    gold_map: str | None,
    errors: int,
    as_json: bool,
    backend: str | None,
) -> None:
    """Per-class precision, recall, F1, macro-F1 and the confusion matrix."""
    from scamlens.language import evaluate, get_backend
    from scamlens.language.evaluation import parse_mapping
    from scamlens.language.io import read_table, require_column

    settings = _settings(ctx, backend)
    table = read_table(labelled)
    require_column(table, text_column, "text")
    require_column(table, label_column, "label")
    texts = table.column(text_column).to_pylist()
    gold = table.column(label_column).to_pylist()
    engine = get_backend(settings)
    try:
        results = engine.classify(texts)
    finally:
        engine.close()
    report = evaluate(
        gold,
        [r.fraud_type for r in results],
        gold_map=parse_mapping(gold_map),
        pred_map=parse_mapping(pred_map),
    )
    if as_json:
        click.echo(json.dumps(dataclasses.asdict(report), ensure_ascii=False))
        return
    console.print(_report_table(report, f"{engine.name} on {labelled.name}"))
    console.print(_confusion_table(report))
    console.print(f"accuracy {report.accuracy:.3f}  macro-F1 {report.macro_f1:.3f}")
    shown = 0
    for text, g, r in zip(texts, gold, results, strict=True):
        if shown >= errors:
            break
        if str(g) != r.fraud_type:
            console.print(f"[dim]{g} -> {r.fraud_type}[/dim] {str(text)[:80]}")
            shown += 1


def _as_bool(value: object) -> bool:
    from scamlens.contract.columns import BOOL_TRUE

    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in BOOL_TRUE


@eval_group.command("labels")
@click.argument("labelled", type=click.Path(path_type=Path))
@click.option("--transcript-column", default="transcript", show_default=True)
@click.option("--confirmed-column", default="confirmed_accurate", show_default=True)
@click.option("--defrauded-column", default="reported_defrauded", show_default=True)
@click.option(
    "--intent-column", default=None, help="Gold intents, if the file has them."
)
@_BACKEND
@click.pass_context
def eval_labels_command(
    ctx: click.Context,
    labelled: Path,
    transcript_column: str,
    confirmed_column: str,
    defrauded_column: str,
    intent_column: str | None,
    backend: str | None,
) -> None:
    """Precision, recall and F1 of the two dialogue flags (and intents if given)."""
    from scamlens.language import evaluate, get_backend
    from scamlens.language.evaluation import binary_f1
    from scamlens.language.io import read_table, require_column

    settings = _settings(ctx, backend)
    table = read_table(labelled)
    for name, what in (
        (transcript_column, "transcript"),
        (confirmed_column, "confirmed flag"),
        (defrauded_column, "defrauded flag"),
    ):
        require_column(table, name, what)
    engine = get_backend(settings)
    try:
        labels = engine.label(table.column(transcript_column).to_pylist())
    finally:
        engine.close()
    out = Table(title=f"dialogue flags ({engine.name})")
    for name in ("flag", "precision", "recall", "f1", "positives"):
        out.add_column(name, justify="left" if name == "flag" else "right")
    for column, attr in (
        (confirmed_column, "confirmed_accurate"),
        (defrauded_column, "reported_defrauded"),
    ):
        gold = [_as_bool(v) for v in table.column(column).to_pylist()]
        pred = [bool(getattr(lb, attr)) for lb in labels]
        p, r, f = binary_f1(gold, pred)
        out.add_row(attr, f"{p:.3f}", f"{r:.3f}", f"{f:.3f}", str(sum(gold)))
    console.print(out)
    if intent_column:
        require_column(table, intent_column, "intent")
        report = evaluate(
            table.column(intent_column).to_pylist(), [str(lb.intent) for lb in labels]
        )
        console.print(_report_table(report, "intents"))


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
    con = _connect(_settings(ctx))
    try:
        stored = save_version(con, library, author=author, reason=reason)
    finally:
        con.close()
    console.print(
        f"library version {stored.version} with {len(stored.entries)} scripts"
    )


def _library_for(ctx: click.Context, version: int | None) -> Library:
    from scamlens.language.library import load_active, load_version

    settings = _settings(ctx)
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

    con = _connect(_settings(ctx))
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

    settings = _settings(ctx)
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
    con = _connect(_settings(ctx))
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

    settings = _settings(ctx)
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


COMMANDS = (
    classify_command,
    label_command,
    train_command,
    eval_group,
    scripts_group,
)
