"""Commands of the language layer: classify, label, train, eval.

The script library's commands are in :mod:`scamlens.cli.scripts`.

Thin wrappers: each command reads its input, calls :mod:`scamlens.language`, prints a
rich table or writes a file. Library errors propagate to the error boundary in
:mod:`scamlens.cli.app`, which turns them into one-line messages and exit codes.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.table import Table

from scamlens.errors import UsageError
from scamlens.settings import Settings

if TYPE_CHECKING:
    from scamlens.language.evaluation import Report

__all__ = ["BACKEND_OPTION", "COMMANDS", "language_settings"]

logger = logging.getLogger(__name__)

console = Console()


def language_settings(ctx: click.Context, backend: str | None = None) -> Settings:
    """The run's settings, with ``--backend`` applied when given."""
    settings: Settings = ctx.obj.settings
    if backend:
        settings = dataclasses.replace(
            settings, language=dataclasses.replace(settings.language, backend=backend)
        )
    return settings


BACKEND_OPTION = click.option(
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
@BACKEND_OPTION
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
    from scamlens.cli.common import distinct_paths
    from scamlens.language import classify_table, get_backend
    from scamlens.language.io import read_table, write_table

    distinct_paths({"INPUT": input_path, "--out": out_path})
    settings = language_settings(ctx, backend)
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
@BACKEND_OPTION
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
    from scamlens.cli.common import distinct_paths
    from scamlens.language import label_flags
    from scamlens.language.io import read_table, require_column, write_table

    distinct_paths({"INPUT": input_path, "--out": out_path})
    settings = language_settings(ctx, backend)
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

    settings = language_settings(ctx)
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
@BACKEND_OPTION
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

    settings = language_settings(ctx, backend)
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
@BACKEND_OPTION
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

    settings = language_settings(ctx, backend)
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


COMMANDS = (
    classify_command,
    label_command,
    train_command,
    eval_group,
)
