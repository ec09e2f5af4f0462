"""The command group, the error boundary and the registry of command modules.

Each module named in :data:`COMMAND_MODULES` defines click commands and lists them in
a module-level ``COMMANDS`` tuple. Modules are imported only when one of their
commands runs (``scamlens --help`` lists them from :data:`COMMAND_SUMMARIES`), so
``scamlens metrics`` does not pay for the streaming, Spark or language stacks at
start-up. Library errors become exit codes
here and nowhere else: 0 success, 1 failure, 2 misuse. A user never sees a traceback
unless they ask for one with ``--debug``.
"""

from __future__ import annotations

import importlib
import logging
import sys
from pathlib import Path

import click

from scamlens.cli.context import Context
from scamlens.errors import InternalError, ScamlensError
from scamlens.logs import configure_logging

__all__ = [
    "COMMAND_MODULES",
    "COMMAND_SUMMARIES",
    "COMMAND_TABLE",
    "LazyGroup",
    "cli",
    "main",
]

logger = logging.getLogger(__name__)

# Command name → the module defining it (a test keeps this equal to the modules).
COMMAND_TABLE: dict[str, str] = {
    "metrics": "scamlens.cli.metrics",
    "run": "scamlens.cli.run",
    "export": "scamlens.cli.export",
    "simulate": "scamlens.cli.simulate",
    "classify": "scamlens.cli.language",
    "label": "scamlens.cli.language",
    "train": "scamlens.cli.language",
    "eval": "scamlens.cli.language",
    "scripts": "scamlens.cli.scripts",
    "stream": "scamlens.cli.stream",
    "spark": "scamlens.cli.spark",
}
COMMAND_MODULES: tuple[str, ...] = tuple(dict.fromkeys(COMMAND_TABLE.values()))
# What ``scamlens --help`` lists, so that listing imports no command module (a test
# keeps each equal to the first paragraph of its command's help).
COMMAND_SUMMARIES: dict[str, str] = {
    "metrics": "Compute the nine indicators of SOURCE (a file or a database URL) "
    "by --by.",
    "run": "Ingest new records, rebuild the clean tables, write the daily indicators.",
    "export": "Export one day's indicators by region × module × channel, with the "
    "data dictionary.",
    "simulate": "Write simulated outreach records and the ground truth a clean run "
    "must find.",
    "classify": "Match every text against the fraud-script library.",
    "label": "Fill missing confirmed_accurate / reported_defrauded from transcripts.",
    "train": "Train the model backend on the library's examples (plus --examples).",
    "eval": "Measure backends against labelled data.",
    "scripts": "The fraud-script library: import, export, history, diff, discover, "
    "review.",
    "stream": "Keep live windowed indicators of --source in the warehouse, exactly "
    "once.",
    "spark": "Run the indicators on Apache Spark (pip install 'scamlens[spark]').",
}


class LazyGroup(click.Group):
    """A group that imports a command's module only when the command is needed."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMAND_TABLE)

    def format_commands(
        self, ctx: click.Context, formatter: click.HelpFormatter
    ) -> None:
        rows = [(name, COMMAND_SUMMARIES[name]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module_name = COMMAND_TABLE.get(cmd_name)
        if module_name is None:
            return None
        module = importlib.import_module(module_name)
        for command in module.COMMANDS:
            if command.name == cmd_name:
                return command
        raise InternalError(
            f"module `{module_name}` has no command `{cmd_name}`; fix COMMAND_TABLE"
        )


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    envvar="SCAMLENS_DATA_DIR",
    help="Folder for the warehouse, key and run outputs [default: scamlens-data].",
)
@click.option(
    "--config",
    type=click.Path(path_type=Path),
    envvar="SCAMLENS_CONFIG",
    help="TOML config file [default: <data-dir>/scamlens.toml if present].",
)
@click.option(
    "--warehouse",
    type=click.Path(path_type=Path),
    help="DuckDB warehouse file [default: <data-dir>/warehouse.duckdb].",
)
@click.option("--log-level", default=None, help="DEBUG, INFO, WARNING or ERROR.")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
@click.version_option(package_name="scamlens")
@click.pass_context
def cli(
    ctx: click.Context,
    data_dir: Path | None,
    config: Path | None,
    warehouse: Path | None,
    log_level: str | None,
    debug: bool,
) -> None:
    """scamlens: indicators, signals and risk from anti-fraud outreach records."""
    ctx.obj = Context(
        data_dir=data_dir,
        config=config,
        warehouse=warehouse,
        log_level=log_level,
        debug=debug,
    )


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script: run the CLI and map errors to exit codes."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    configure_logging("WARNING")
    try:
        code = cli.main(args=argv, prog_name="scamlens", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except ScamlensError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # the last boundary: no traceback unless asked
        if debug:
            raise
        logger.debug("internal error", exc_info=True)
        if isinstance(exc, OSError) and exc.filename:
            # A path that is a file where a folder is needed, a full disk, no
            # permission: the environment, not a bug.
            what = exc.strerror or type(exc).__name__
            click.echo(
                f"error: {what}: `{exc.filename}`; check the path, its folder and "
                "the permissions, then rerun",
                err=True,
            )
            sys.exit(1)
        if _out_of_memory(exc):
            first = str(exc).splitlines()[0]
            click.echo(
                f"error: DuckDB ran out of memory ({first}); raise "
                "engine.memory_limit (SCAMLENS_MEMORY_LIMIT) or free memory, then "
                "rerun",
                err=True,
            )
            sys.exit(1)
        click.echo(
            f"internal error: {type(exc).__name__}: {exc}; "
            "rerun with --debug for the traceback and report it",
            err=True,
        )
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


def _out_of_memory(exc: BaseException) -> bool:
    """DuckDB's out-of-memory error (told by its type, so duckdb is not imported
    here: most commands start without it)."""
    kind = type(exc)
    module = kind.__module__.lstrip("_")  # the class lives in `_duckdb`
    return kind.__name__ == "OutOfMemoryException" and module.startswith("duckdb")
