"""Unit tests of the small pieces the batch core is made of."""

from __future__ import annotations

import importlib
import math
import re
import stat
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from scamlens.errors import ConfigError, UsageError
from scamlens.indicators import INDICATOR_NAMES, parse_dimensions, wilson_interval
from scamlens.indicators.rates import with_rates
from scamlens.privacy import normalise_phone, pseudonym, pseudonym_sql, resolve_key
from scamlens.privacy.redact import Redactor
from scamlens.settings import SETTINGS, Settings, _check_declared, load_settings


@settings(deadline=None)
@given(
    key=st.binary(min_size=16, max_size=100),
    phone=st.text(alphabet="0123456789+- ()", max_size=20),
)
def test_pseudonym_in_sql_equals_python(key: bytes, phone: str) -> None:
    con = duckdb.connect()
    literal = "'" + phone.replace("'", "''") + "'"
    got = con.execute(f"SELECT {pseudonym_sql(key, literal)}").fetchall()[0][0]
    assert got == pseudonym(key, phone)


def test_phone_forms_of_one_number_share_a_pseudonym() -> None:
    forms = ["13800138000", "+86 138-0013-8000", "0086 13800138000", "138 0013 8000"]
    assert {normalise_phone(f) for f in forms} == {"13800138000"}
    key = b"k" * 32
    assert len({pseudonym(key, f) for f in forms}) == 1
    assert pseudonym(key, forms[0]) != pseudonym(b"j" * 32, forms[0])


def test_redactor_replaces_numbers_in_text() -> None:
    text = Redactor(b"k" * 32).redact(
        "回拨 13800138000 或 +86 139 0013 9000，订单号 12345"
    )
    assert "13800138000" not in text and "139 0013 9000" not in text
    assert text.count("<phone:") == 2 and "12345" in text


def test_generated_key_is_private_and_stable(tmp_path: Path, caplog) -> None:
    settings = Settings(data_dir=tmp_path)
    first = resolve_key(settings)
    assert "no pseudonymisation key configured" in caplog.text
    assert resolve_key(settings) == first
    mode = (tmp_path / "pseudonym.key").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600


def test_short_configured_key_is_refused() -> None:
    with pytest.raises(ConfigError, match="at least 16"):
        resolve_key(Settings(hmac_key="short"))


@pytest.mark.parametrize(
    ("k", "n"), [(0, 10), (3, 10), (10, 10), (1, 1), (47, 120), (500, 1000)]
)
def test_wilson_interval_matches_scipy(k: int, n: int) -> None:
    lower, upper = wilson_interval(np.array([k]), np.array([n]))
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert lower[0] == pytest.approx(ci.low, abs=1e-9)
    assert upper[0] == pytest.approx(ci.high, abs=1e-9)


def test_rates_are_null_when_the_denominator_is_zero() -> None:
    counts = pa.table(
        {
            "channel": ["sms", "voice"],
            "initiated": [4, 3],
            "succeeded": [0, 2],
            "accurate": [0, 1],
            "victims": [0, 0],
            "publicity": [0, 2],
        }
    )
    table = with_rates(counts, intervals=True)
    assert table.column_names[: 1 + len(INDICATOR_NAMES)] == [
        "channel",
        *INDICATOR_NAMES,
    ]
    sms, voice = table.to_pylist()
    assert sms["success_rate"] == 0.0
    assert sms["accuracy_rate"] is None and sms["victim_rate"] is None
    assert sms["publicity_rate_lower"] is None
    assert voice["accuracy_rate"] == 0.5 and voice["victim_rate"] == 0.0
    assert 0 < voice["victim_rate_upper"] < 1
    assert not math.isnan(voice["success_rate_lower"])


def test_dimension_names_are_checked() -> None:
    assert parse_dimensions("day, region_code") == ("day", "region_code")
    with pytest.raises(UsageError, match="unknown dimension `planet`"):
        parse_dimensions("day,planet")
    with pytest.raises(UsageError, match="more than once"):
        parse_dimensions("day,day")


def test_settings_come_from_file_then_environment(tmp_path: Path) -> None:
    config = tmp_path / "scamlens.toml"
    config.write_text("[cleaning]\ndaily_cap = 5\nmax_talk_seconds = 100\n")
    settings = load_settings(
        config=config, env={"SCAMLENS_DAILY_CAP": "7"}, data_dir=tmp_path
    )
    assert settings.cleaning.daily_cap == 7
    assert settings.cleaning.max_talk_seconds == 100.0
    with pytest.raises(ConfigError, match="unknown setting `cleaning.cap`"):
        config.write_text("[cleaning]\ncap = 5\n")
        load_settings(config=config, env={})
    with pytest.raises(ConfigError, match="`abc`"):
        load_settings(env={"SCAMLENS_DAILY_CAP": "abc"})
    with pytest.raises(ConfigError, match="cannot be switched off"):
        from scamlens.cleaning import active_rules

        active_rules(
            load_settings(env={"SCAMLENS_DISABLED_RULES": "bad_value"}).cleaning
        )


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("SCAMLENS_THREADS", "-3", "engine.threads is `-3`; it must be a number 0"),
        ("SCAMLENS_CHUNK_ROWS", "0", "engine.chunk_rows is `0`"),
        # nan would reach the rule SQL as `talk_seconds > nan`
        ("SCAMLENS_MAX_TALK_SECONDS", "nan", "max_talk_seconds is `nan`"),
        ("SCAMLENS_MAX_TALK_SECONDS", "0", "it must be a number above 0"),
        ("SCAMLENS_COMMIT_SECONDS", "inf", "commit_every_seconds is `inf`"),
        ("SCAMLENS_LLM_CONCURRENCY", "0", "llm_concurrency is `0`"),
        ("SCAMLENS_ALLOWED_LATENESS", "-1", "allowed_lateness_seconds is `-1`"),
    ],
)
def test_numeric_settings_out_of_range_are_named(
    variable: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_settings(env={variable: value})


def test_memory_limit_is_read_by_duckdb_or_named(cli, tmp_path: Path) -> None:
    source = tmp_path / "s.csv"
    made = cli("simulate", "--out", str(source), "--days", "1", "--per-day", "50")
    assert made.exit_code == 0, made.stderr
    args = ("metrics", str(source), "--by", "day", "--out", str(tmp_path / "o.csv"))
    ok = cli(*args, env={"SCAMLENS_MEMORY_LIMIT": "80%"})
    assert ok.exit_code == 0, ok.stderr
    bad = cli(*args, env={"SCAMLENS_MEMORY_LIMIT": "lots"})
    assert bad.exit_code == 1
    assert (
        bad.stderr.strip()
        .splitlines()[-1]
        .startswith(
            "error: engine.memory_limit is `lots`, which DuckDB does not read as a size"
        )
    )
    tiny = cli(*args, env={"SCAMLENS_MEMORY_LIMIT": "1KB"})
    assert tiny.exit_code == 1
    assert "Traceback" not in tiny.stderr and "internal error" not in tiny.stderr
    assert "error: DuckDB ran out of memory" in tiny.stderr


def test_a_warehouse_path_that_is_no_warehouse_is_named(cli, tmp_path: Path) -> None:
    data = tmp_path / "records.csv"
    data.write_text("outreach_id\nx\n", encoding="utf-8")
    folder = tmp_path / "folder"
    folder.mkdir()
    cases = {
        str(data): "is not a DuckDB database",
        str(folder): "is a folder; name a file",
    }
    for path, needle in cases.items():
        result = cli("--warehouse", path, "export", "--day", "2025-03-03")
        assert result.exit_code == 1
        assert needle in result.stderr.strip().splitlines()[-1], result.stderr
    assert data.read_text(encoding="utf-8") == "outreach_id\nx\n"
    out = str(tmp_path / "o.csv")
    config = cli(
        "--config", str(folder), "metrics", str(data), "--by", "day", "--out", out
    )
    assert config.exit_code == 1
    assert "is a folder; name a TOML file" in config.stderr


def test_every_setting_is_declared_with_an_environment_variable() -> None:
    _check_declared()
    assert len({s.env for s in SETTINGS}) == len(SETTINGS)


def test_data_dictionary_document_is_current() -> None:
    from scamlens.contract.dictionary import dictionary_markdown

    doc = Path(__file__).parents[2] / "docs" / "data-dictionary.md"
    assert doc.read_text(encoding="utf-8") == dictionary_markdown()


@pytest.mark.parametrize(
    "module",
    [
        "scamlens.contract",
        "scamlens.indicators",
        "scamlens.cleaning",
        "scamlens.privacy",
        "scamlens.sources",
        "scamlens.warehouse",
    ],
)
def test_public_names_are_exported(module: str) -> None:
    package = importlib.import_module(module)
    for name in package.__all__:
        assert hasattr(package, name), name


def test_command_table_matches_the_command_modules() -> None:
    import click

    from scamlens.cli.app import COMMAND_MODULES, COMMAND_TABLE, cli

    declared = set()
    for module_name in COMMAND_MODULES:
        module = importlib.import_module(module_name)
        for command in module.COMMANDS:
            assert COMMAND_TABLE[command.name] == module_name
            declared.add(command.name)
    assert declared == set(COMMAND_TABLE)
    ctx = click.Context(cli)
    assert all(cli.get_command(ctx, name) is not None for name in COMMAND_TABLE)
    assert cli.get_command(ctx, "nope") is None


def test_help_lists_every_command_with_its_own_summary_and_imports_none() -> None:
    import click

    from scamlens.cli.app import COMMAND_SUMMARIES, COMMAND_TABLE, cli

    ctx = click.Context(cli)
    assert set(COMMAND_SUMMARIES) == set(COMMAND_TABLE)
    for name, summary in COMMAND_SUMMARIES.items():
        command = cli.get_command(ctx, name)
        assert command is not None and command.help is not None
        first = " ".join(command.help.split("\n\n")[0].split())
        assert summary == first, name
    # Listing the commands must not pay for their modules (streaming, Spark, ...).
    probe = (
        "import sys\n"
        "from scamlens.cli.app import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "loaded = [m for m in sys.modules if m.startswith('scamlens.cli.')]\n"
        "print(','.join(sorted(loaded)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert "stream" in done.stdout and "metrics" in done.stdout
    loaded = set(done.stdout.strip().splitlines()[-1].split(","))
    assert loaded == {"scamlens.cli.app", "scamlens.cli.context"}


def test_an_excel_file_too_long_for_excel_is_refused_before_writing(
    tmp_path: Path,
) -> None:
    from scamlens.reports.writers import EXCEL_MAX_ROWS, write_table

    path = tmp_path / "big.xlsx"
    fits = pa.table({"n": pa.array(range(3))})
    write_table(fits, path)
    assert path.stat().st_size > 0
    too_long = pa.table({"n": pa.array(np.zeros(EXCEL_MAX_ROWS + 1, np.int8))})
    with pytest.raises(UsageError, match="Excel holds at most 1,048,575"):
        write_table(too_long, tmp_path / "huge.xlsx")
    assert not (tmp_path / "huge.xlsx").exists()
