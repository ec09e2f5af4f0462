"""Bad input gets a one-line error or a quarantine entry, never a traceback."""

from __future__ import annotations

import csv
import gzip
import json
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from scamlens.contract import COLUMN_NAMES
from tests.core.strategies import read_csv, write_csv

GOOD = {
    "outreach_id": "g1",
    "lead_id": "L1",
    "phone": "13800138000",
    "citizen_id": None,
    "channel": "voice",
    "module": "warning",
    "fraud_type": "fake_loan",
    "region_code": "330106",
    "age": "66",
    "gender": "F",
    "initiated_at": "2026-12-01 09:00:00",
    "connected": "true",
    "talk_seconds": "42",
    "content_seconds": "30",
    "played_seconds": "30",
    "fully_played": None,
    "confirmed_accurate": "是",
    "reported_defrauded": "否",
    "transcript": "对，刚才确实有人让我下载APP",
    "updated_at": "2026-12-01 09:05:00",
}


def bad_rows() -> list[tuple[str, dict[str, str | None]]]:
    """One row per quarantine reason, each with exactly one defect."""

    def variant(i: int, **changes: str | None) -> dict[str, str | None]:
        return {**GOOD, "outreach_id": f"b{i}", **changes}

    rows = [
        ("missing_required", variant(1, channel=None)),
        ("missing_required", variant(2, phone=None, citizen_id=None)),
        ("missing_required", variant(3, initiated_at="  ")),
        ("bad_value", variant(4, initiated_at="2026-02-30 08:00")),
        ("bad_value", variant(5, connected="maybe")),
        ("bad_value", variant(6, talk_seconds="forty")),
        ("bad_value", variant(7, channel="fax")),
        ("bad_value", variant(8, region_code="33010")),
        ("bad_value", variant(9, age="150")),
        ("future_time", variant(10, initiated_at="2027-01-01 00:00:00")),
        ("negative_duration", variant(11, played_seconds="-5")),
        (
            "outcome_without_connection",
            variant(12, connected="false", talk_seconds="0", confirmed_accurate="true"),
        ),
        ("duration_outlier", variant(13, talk_seconds="3601")),
    ]
    for k in range(22):
        rows.append(
            (
                "runaway_dialing" if k >= 20 else "counted",
                variant(
                    100 + k,
                    phone="13911112222",
                    initiated_at=f"2026-12-02 08:{k:02d}:00",
                ),
            )
        )
    return rows


def _one_error_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, stderr
    return errors[0]


def _by_day(cli, source: Path, tmp_path: Path, quarantine_suffix: str = ".csv"):
    """``metrics SOURCE --by day`` with a quarantine file, as of 2026-12-03 (the
    test rows' times are before it): the run, the output and the quarantine paths."""
    out, quarantine = tmp_path / "out.csv", tmp_path / f"q{quarantine_suffix}"
    result = cli(
        "metrics",
        str(source),
        "--by",
        "day",
        "--out",
        str(out),
        "--quarantine",
        str(quarantine),
        "--as-of",
        "2026-12-03",
    )
    assert result.exit_code == 0, result.stderr
    return result, out, quarantine


def test_every_bad_row_kind_is_quarantined_with_its_reason(cli, tmp_path: Path) -> None:
    planted = bad_rows()
    source = write_csv([GOOD] + [row for _, row in planted], tmp_path / "bad.csv")
    with source.open("a", encoding="utf-8") as handle:
        handle.write("x1,L9,13800138000,voice,warning\n")  # too few fields
    result, out, quarantine = _by_day(cli, source, tmp_path)
    rows = read_csv(quarantine)
    expected = {f"b{i}": reason for i, (reason, _) in enumerate(planted[:13], 1)}
    expected.update({f"b{100 + k}": "runaway_dialing" for k in (20, 21)})
    got = {r["outreach_id"]: r["reason"] for r in rows if r["outreach_id"]}
    assert got == expected
    malformed = [r for r in rows if r["reason"] == "malformed_record"]
    assert len(malformed) == 1
    assert "13800138000" not in quarantine.read_text(encoding="utf-8")
    counted = read_csv(out)
    assert sum(int(r["initiated"]) for r in counted) == 1 + 20
    summary = {
        m.group(1).strip(): int(m.group(2))
        for m in re.finditer(r"│ ([^│]+?)\s+│\s+([0-9,]+) │", result.stdout)
    }
    assert summary["read 读取"] == 37
    assert summary["superseded 旧版本"] == 0
    assert summary["quarantined 隔离合计"] == 16
    assert summary["counted 计入指标"] == 21


def test_empty_file(cli, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    result = cli("metrics", str(empty), "--by", "day", "--out", str(tmp_path / "o.csv"))
    assert result.exit_code == 1
    assert "is empty" in _one_error_line(result.stderr)


def test_header_only_file_gives_an_empty_table(cli, tmp_path: Path) -> None:
    source = write_csv([], tmp_path / "header.csv")
    out = tmp_path / "o.csv"
    result = cli("metrics", str(source), "--by", "day,channel", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert out.read_text().splitlines() == [
        "day,channel,initiated,succeeded,success_rate,accurate,accuracy_rate,"
        "victims,victim_rate,publicity,publicity_rate"
    ]


def test_missing_required_column(cli, tmp_path: Path) -> None:
    source = tmp_path / "nocol.csv"
    with source.open("w", newline="") as handle:
        writer = csv.writer(handle)
        names = [c for c in COLUMN_NAMES if c != "connected"]
        writer.writerow(names)
        writer.writerow([GOOD[c] or "" for c in names])
    result = cli(
        "metrics", str(source), "--by", "day", "--out", str(tmp_path / "o.csv")
    )
    assert result.exit_code == 1
    line = _one_error_line(result.stderr)
    assert "`connected`" in line and "nocol.csv" in line


def test_a_column_twice(cli, tmp_path: Path) -> None:
    names = [*COLUMN_NAMES, "channel"]
    source = tmp_path / "twice.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(names)
        writer.writerow([GOOD[c] or "" for c in COLUMN_NAMES] + ["sms"])
    parquet = tmp_path / "twice.parquet"
    pq.write_table(
        pa.Table.from_arrays(
            [pa.array([GOOD[c]], pa.string()) for c in names], names=names
        ),
        parquet,
    )
    for path in (source, parquet):
        out = str(tmp_path / "o.csv")
        result = cli("metrics", str(path), "--by", "day", "--out", out)
        assert result.exit_code == 1
        line = _one_error_line(result.stderr)
        assert "column `channel` twice" in line and path.name in line


def _semicolon_file(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(COLUMN_NAMES)
        writer.writerow([GOOD[c] or "" for c in COLUMN_NAMES])
    return path


def test_semicolon_delimiter_is_detected(cli, tmp_path: Path) -> None:
    comma = write_csv([GOOD], tmp_path / "comma.csv")
    semi = _semicolon_file(tmp_path / "semi.csv")
    outs = []
    for source in (comma, semi):
        out = tmp_path / f"{source.stem}.out.csv"
        result = cli("metrics", str(source), "--by", "day,channel", "--out", str(out))
        assert result.exit_code == 0, result.stderr
        outs.append(out.read_text())
    assert outs[0] == outs[1] and "voice,1,1,1.000000,1" in outs[0]


def test_wrong_delimiter_given_explicitly(cli, tmp_path: Path) -> None:
    semi = _semicolon_file(tmp_path / "semi.csv")
    result = cli(
        "metrics",
        str(semi),
        "--by",
        "day",
        "--delimiter",
        ",",
        "--out",
        str(tmp_path / "o.csv"),
    )
    assert result.exit_code == 1
    assert "delimiter" in _one_error_line(result.stderr)


def test_gb18030_file_is_detected(cli, tmp_path: Path) -> None:
    rows = [
        {**GOOD, "channel": "短信", "transcript": "我已经被骗了，转了三万块，怎么办"},
        {**GOOD, "outreach_id": "g2", "module": "回访"},
    ]
    utf8 = write_csv(rows, tmp_path / "utf8.csv")
    gb = tmp_path / "gb.csv"
    gb.write_bytes(utf8.read_text(encoding="utf-8").encode("gb18030"))
    outs = []
    for source, extra in ((utf8, []), (gb, []), (gb, ["--encoding", "gb18030"])):
        out = tmp_path / f"o{len(outs)}.csv"
        result = cli(
            "metrics", str(source), "--by", "channel,module", "--out", str(out), *extra
        )
        assert result.exit_code == 0, result.stderr
        outs.append(out.read_text())
    assert outs[0] == outs[1] == outs[2]
    assert "sms,warning,1" in outs[0] and "voice,follow_up,1" in outs[0]


def test_wrong_encoding_given_explicitly(cli, tmp_path: Path) -> None:
    gb = tmp_path / "gb.csv"
    text = write_csv([{**GOOD, "channel": "短信"}], tmp_path / "u.csv").read_text()
    gb.write_bytes(text.encode("gb18030"))
    result = cli(
        "metrics",
        str(gb),
        "--by",
        "day",
        "--encoding",
        "utf-8",
        "--out",
        str(tmp_path / "o.csv"),
    )
    assert result.exit_code == 1
    assert "encoding" in _one_error_line(result.stderr)


def test_truncated_parquet(cli, tmp_path: Path) -> None:
    good = tmp_path / "good.parquet"
    pq.write_table(
        pa.table({c: pa.array([GOOD[c]], pa.string()) for c in COLUMN_NAMES}), good
    )
    data = good.read_bytes()
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(data[: len(data) // 2])
    result = cli("metrics", str(cut), "--by", "day", "--out", str(tmp_path / "o.csv"))
    assert result.exit_code == 1
    assert "truncated" in _one_error_line(result.stderr)


def test_gzipped_csv_reads_like_the_plain_file(cli, tmp_path: Path) -> None:
    rows = [dict(GOOD, outreach_id=f"OR-{i}", phone=f"138{i:08d}") for i in range(3000)]
    plain = write_csv(rows, tmp_path / "r.csv")
    packed = tmp_path / "r.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    outs = []
    for source in (plain, packed):
        out = tmp_path / f"{source.name}.out.csv"
        result = cli("metrics", str(source), "--by", "day", "--out", str(out))
        assert result.exit_code == 0, result.stderr
        outs.append(out.read_text(encoding="utf-8"))
    assert outs[0] == outs[1] and ",3000," in outs[0]

    # Cut inside the header's sample, and far beyond it.
    data = packed.read_bytes()
    for size in (len(data) // 20, len(data) // 2):
        cut = tmp_path / f"cut{size}.csv.gz"
        cut.write_bytes(data[:size])
        result = cli(
            "metrics", str(cut), "--by", "day", "--out", str(tmp_path / "x.csv")
        )
        assert result.exit_code == 1
        assert "check that the file is complete" in _one_error_line(result.stderr)
    fake = tmp_path / "fake.csv.gz"
    fake.write_bytes(plain.read_bytes())
    result = cli("metrics", str(fake), "--by", "day", "--out", str(tmp_path / "y.csv"))
    assert result.exit_code == 1
    assert "Not a gzipped file" in _one_error_line(result.stderr)


@pytest.mark.parametrize("indent", [None, 2])
def test_a_json_array_file_is_named_not_one_malformed_record(
    cli, tmp_path: Path, indent: int | None
) -> None:
    path = tmp_path / "dump.json"
    path.write_text(json.dumps([GOOD, GOOD], indent=indent), encoding="utf-8")
    result = cli("metrics", str(path), "--by", "day", "--out", str(tmp_path / "o.csv"))
    assert result.exit_code == 1
    assert "holds a JSON array, not JSON Lines" in _one_error_line(result.stderr)


def test_a_first_line_that_is_an_array_of_no_records_is_one_malformed_record(
    cli, tmp_path: Path
) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text("[1, 2]\n" + json.dumps(GOOD) + "\n", encoding="utf-8")
    _, out, quarantine = _by_day(cli, path, tmp_path)
    assert [r["reason"] for r in read_csv(quarantine)] == ["malformed_record"]
    assert [r["initiated"] for r in read_csv(out)] == ["1"]


UNUSABLE_TIMES = {
    "infinity": "not an instant",
    "-infinity": "not an instant; counted on no day, it once crashed the CSV writer",
    "1900-12-31 23:59:59": "before 1901",
    "10000-01-01 00:00:00": "after 9999",
    "2026-12-01 09:00:00 CST": "CST: US Central to DuckDB, China to the platform",
    "2026-12-01 09:00 CTT": "an ICU-only zone id",
}
USABLE_TIMES = {
    "1901-01-01 00:00:00": "1901-01-01",
    "2026-12-01 09:00:00 UTC": "2026-12-01",
    "2026-12-01 20:00:00 Asia/Shanghai": "2026-12-01",
    "2026-12-01T20:00:00 prc": "2026-12-01",
}


def _metrics_by_day(cli, source: Path, tmp_path: Path) -> tuple[dict, dict]:
    _, out, quarantine = _by_day(cli, source, tmp_path)
    days = {r["day"]: int(r["initiated"]) for r in read_csv(out)}
    reasons = {
        r["outreach_id"]: (r["reason"], r["detail"]) for r in read_csv(quarantine)
    }
    return days, reasons


def test_unusable_times_in_text_are_bad_values(cli, tmp_path: Path) -> None:
    texts = [*UNUSABLE_TIMES, *USABLE_TIMES]
    rows = [
        {**GOOD, "outreach_id": f"t{i}", "initiated_at": text, "updated_at": None}
        for i, text in enumerate(texts)
    ]
    days, reasons = _metrics_by_day(cli, write_csv(rows, tmp_path / "t.csv"), tmp_path)
    assert reasons == {
        f"t{i}": ("bad_value", "initiated_at") for i in range(len(UNUSABLE_TIMES))
    }
    assert days == {"1901-01-01": 1, "2026-12-01": 3}


def test_unusable_native_times_are_bad_values(cli, tmp_path: Path) -> None:
    """A typed Parquet file (or a database) can hold infinite timestamps too."""
    import duckdb

    path = tmp_path / "t.parquet"
    con = duckdb.connect()
    con.execute("SET TimeZone = 'Asia/Shanghai'")
    con.execute(
        "COPY (SELECT *, '13800138000' AS phone, 'voice' AS channel, "
        "'warning' AS module, '330106' AS region_code, true AS connected FROM "
        "(VALUES ('n0', TIMESTAMPTZ '-infinity', TIMESTAMPTZ '2026-12-01 10:00+08'), "
        "('n1', TIMESTAMPTZ '2026-12-01 09:00:00+08', TIMESTAMPTZ 'infinity'), "
        "('n2', TIMESTAMPTZ '1900-06-01 09:00:00+08', NULL), "
        "('n3', TIMESTAMPTZ '2026-12-01 09:00:00+08', NULL)) "
        f"t(outreach_id, initiated_at, updated_at)) TO '{path}'"
    )
    con.close()
    days, reasons = _metrics_by_day(cli, path, tmp_path)
    assert reasons == {
        "n0": ("bad_value", "initiated_at"),
        "n1": ("bad_value", "updated_at"),
        "n2": ("bad_value", "initiated_at"),
    }
    assert days == {"2026-12-01": 1}


def test_nan_is_no_number(cli, tmp_path: Path) -> None:
    """NaN orders above every number in DuckDB and Spark: taken as a value, a NaN
    talk time would read as an outlier and a NaN played time as "played to the
    end". It is a bad value, in text and in a typed file alike."""
    text = [
        {**GOOD, "outreach_id": "t1", "talk_seconds": "NaN"},
        {**GOOD, "outreach_id": "t2", "played_seconds": "nan", "fully_played": None},
        {**GOOD, "outreach_id": "t3"},
    ]
    days, reasons = _metrics_by_day(cli, write_csv(text, tmp_path / "n.csv"), tmp_path)
    assert reasons == {
        "t1": ("bad_value", "talk_seconds"),
        "t2": ("bad_value", "played_seconds"),
    }
    assert days == {"2026-12-01": 1}
    nan = float("nan")
    typed = pa.table(
        {
            "outreach_id": ["n1", "n2", "n3", "n4"],
            "phone": ["13800138000"] * 4,
            "channel": ["voice"] * 4,
            "module": ["publicity"] * 4,
            "region_code": ["330106"] * 4,
            "initiated_at": pa.array(
                [datetime(2026, 12, 1, 9, tzinfo=ZoneInfo("Asia/Shanghai"))] * 4,
                pa.timestamp("us", tz="Asia/Shanghai"),
            ),
            "connected": pa.array([1, 1, 2, 1], pa.int8()),
            "content_seconds": [30.0, 30.0, 30.0, 30.0],
            "played_seconds": [nan, 10.0, 30.0, 30.0],
            "age": [40.0, nan, 40.0, 40.0],
        }
    )
    pq.write_table(typed, tmp_path / "n.parquet")
    days, reasons = _metrics_by_day(cli, tmp_path / "n.parquet", tmp_path)
    assert reasons == {
        "n1": ("bad_value", "played_seconds"),
        "n2": ("bad_value", "age"),
        "n3": ("bad_value", "connected"),  # 2 is no bool; it is not missing
    }
    assert days == {"2026-12-01": 1}


def test_jsonl_bad_lines_are_quarantined(cli, tmp_path: Path) -> None:
    source = tmp_path / "r.jsonl"
    lines = [
        json.dumps(GOOD, ensure_ascii=False),
        "{not json",
        "[1, 2]",
        json.dumps({**GOOD, "outreach_id": "g2", "age": 33}),
    ]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _, out, quarantine = _by_day(cli, source, tmp_path, quarantine_suffix=".json")
    reasons = [r["reason"] for r in json.loads(quarantine.read_text())]
    assert reasons == ["malformed_record", "malformed_record"]
    assert read_csv(out)[0]["initiated"] == "2"


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["metrics", "nope.csv", "--by", "day", "--out", "o.csv"], 1, "does not exist"),
        (
            ["metrics", "{src}", "--by", "day,planet", "--out", "o.csv"],
            2,
            "unknown dimension `planet`",
        ),
        (["metrics", "{src}", "--by", "day", "--out", "o.txt"], 2, "extension"),
        (["metrics", "sqlite:///x.db", "--by", "day", "--out", "o.csv"], 2, "--table"),
        (
            [
                "metrics",
                "postgresql+psycopg://nobody@127.0.0.1:1/x",
                "--table",
                "t",
                "--by",
                "day",
                "--out",
                "o.csv",
            ],
            1,
            "cannot connect",
        ),
        (
            [
                "metrics",
                "sqlite:///{tmp}/empty.db",
                "--table",
                "missing",
                "--by",
                "day",
                "--out",
                "o.csv",
            ],
            1,
            "does not exist",
        ),
        (
            ["metrics", "{src}", "--by", "day", "--out", "o.csv", "--as-of", "soon"],
            2,
            "--as-of",
        ),
        (
            # a file where a folder must be made: the environment, not a bug
            ["simulate", "--out", "{src}/x.csv", "--days", "1", "--per-day", "10"],
            1,
            "File exists: `",
        ),
        (
            # SQLAlchemy's default MySQL driver (MySQLdb) is not installed
            ["metrics", "mysql://root@127.0.0.1/test", "--table", "t", "--by", "day"]
            + ["--out", "o.csv"],
            2,
            "asks for a database driver that is not installed",
        ),
        (
            ["metrics", "sqlite:///{src}", "--table", "t", "--by", "day"]
            + ["--out", "o.csv"],
            1,
            "file is not a database",
        ),
        (
            ["metrics", "{src}", "--by", "day", "--out", "o.csv", "--quarantine", "q"],
            2,
            "--quarantine `q` has extension",
        ),
        (
            [
                "metrics",
                "{src}",
                "--by",
                "day",
                "--out",
                "o.csv",
                "--quarantine",
                "o.csv",
            ],
            2,
            "--quarantine `o.csv` is the same file as --out",
        ),
        (
            ["metrics", "{src}", "--by", "day", "--out", "{tmp}/sub/../good.csv"],
            2,
            "is the same file as SOURCE",
        ),
    ],
)
def test_usage_and_source_errors(
    cli, tmp_path, monkeypatch, args, code, needle
) -> None:
    monkeypatch.chdir(tmp_path)
    src = write_csv([GOOD], tmp_path / "good.csv")
    args = [a.format(src=src, tmp=tmp_path) for a in args]
    before = src.read_bytes()
    result = cli(*args)
    assert result.exit_code == code, result.stderr
    assert needle in _one_error_line(result.stderr)
    assert src.read_bytes() == before  # the source is never written over
