"""The language commands through the real CLI entry point and error boundary."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb

from .conftest import CLASSIFY_SET, DIALOGUE_SET


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_classify_writes_rows_in_order_with_added_columns(cli, tmp_path: Path) -> None:
    src = _write(
        tmp_path / "in.csv",
        [
            {"id": "1", "msg": "诚招兼职，点赞关注一单3元，日结"},
            {"id": "2", "msg": ""},
            {"id": "3", "msg": "<b>hello</b> 😀"},
            {"id": "4", "msg": "你名下银行卡涉嫌洗钱，请转到安全账户" * 2000},
        ],
    )
    out = tmp_path / "out.csv"
    result = cli("classify", str(src), "--text-column", "msg", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    with out.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["id"] for r in rows] == ["1", "2", "3", "4"]
    assert [r["fraud_type"] for r in rows] == [
        "order_brushing",
        "none",
        "none",
        "impersonate_police",
    ]
    assert json.loads(rows[0]["evidence"]) and rows[0]["script_id"].startswith("OB-")
    assert rows[1]["language_note"] == "empty text"
    assert rows[2]["language_note"] == "no Chinese characters"
    assert rows[3]["language_note"].startswith("truncated from")


def test_classify_unknown_column_is_a_one_line_error(cli, tmp_path: Path) -> None:
    src = _write(tmp_path / "in.csv", [{"id": "1", "msg": "x"}])
    result = cli(
        "classify", str(src), "--text-column", "text", "--out", str(tmp_path / "o.csv")
    )
    assert result.exit_code == 1
    assert result.stderr.strip().startswith("error: text column `text`")


def test_writing_over_the_input_is_refused(cli, tmp_path: Path) -> None:
    src = _write(tmp_path / "in.csv", [{"id": "1", "transcript": "我已经被骗了"}])
    before = src.read_bytes()
    for args in (
        ("classify", str(src), "--text-column", "transcript", "--out", str(src)),
        ("label", str(src), "--out", str(tmp_path / "x" / ".." / "in.csv")),
    ):
        result = cli(*args)
        assert result.exit_code == 2, result.stderr
        assert "is the same file as INPUT" in result.stderr.strip().splitlines()[-1]
    assert src.read_bytes() == before


def test_eval_classify_prints_report_and_binary_mapping(cli) -> None:
    result = cli(
        "eval",
        "classify",
        str(CLASSIFY_SET),
        "--text-column",
        "text",
        "--label-column",
        "label",
        "--json",
        "--map",
        "binary",
    )
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["labels"] == ["fraud", "none"]
    assert report["macro_f1"] > 0.85
    table = cli(
        "eval",
        "classify",
        str(CLASSIFY_SET),
        "--text-column",
        "text",
        "--label-column",
        "label",
    )
    assert "macro-F1" in table.stdout and "confusion" in table.stdout


def test_eval_labels_prints_flag_f1(cli) -> None:
    result = cli("eval", "labels", str(DIALOGUE_SET), "--intent-column", "intent")
    assert result.exit_code == 0, result.stderr
    assert "confirmed_accurate" in result.stdout and "intents" in result.stdout


def test_label_fills_flags_and_raises_alert(
    cli, tmp_path: Path, data_dir: Path
) -> None:
    src = _write(
        tmp_path / "records.csv",
        [
            {
                "outreach_id": "a",
                "transcript": "我已经被骗了转了三万",
                "confirmed_accurate": "",
                "reported_defrauded": "",
            },
            {
                "outreach_id": "b",
                "transcript": "他现在让我转账电话还没挂",
                "confirmed_accurate": "",
                "reported_defrauded": "",
            },
            {
                "outreach_id": "c",
                "transcript": "没有",
                "confirmed_accurate": "true",
                "reported_defrauded": "false",
            },
            {
                "outreach_id": "d",
                "transcript": "对，刚才确实有人打电话",
                "confirmed_accurate": "",
                "reported_defrauded": "",
            },
        ],
    )
    out = tmp_path / "labelled.csv"
    result = cli("label", str(src), "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert "1 victim_now alert" in result.stdout
    with out.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["reported_defrauded"] for r in rows] == [
        "true",
        "false",
        "false",
        "false",
    ]
    assert [r["label_backend"] for r in rows] == ["rules", "rules", "", "rules"]
    # Confidences are written as the rules make them, not as float sums
    # (0.55 + 0.1 * 3 was written 0.8500000000000001).
    assert rows[3]["label_confidence"] == "0.85"
    assert all(len(r["label_confidence"]) <= 4 for r in rows), rows
    con = duckdb.connect(str(data_dir / "warehouse.duckdb"))
    assert con.execute(
        "SELECT count(*) FROM alerts WHERE kind='victim_now'"
    ).fetchone() == (1,)
    con.close()


def test_scripts_import_export_history_diff(cli, tmp_path: Path) -> None:
    assert (
        cli("scripts", "import", "--author", "alice", "--reason", "seed").exit_code == 0
    )
    exported = tmp_path / "lib.yaml"
    assert cli("scripts", "export", str(exported)).exit_code == 0
    text = exported.read_text(encoding="utf-8")
    exported.write_text(
        text.replace("  - 刷单\n", "  - 刷单\n    - 新刷单暗语\n", 1), encoding="utf-8"
    )
    assert (
        cli(
            "scripts",
            "import",
            str(exported),
            "--author",
            "bob",
            "--reason",
            "new slang",
        ).exit_code
        == 0
    )
    history = cli("scripts", "history")
    assert "alice" in history.stdout and "new slang" in history.stdout
    diff = cli("scripts", "diff", "1", "2")
    assert "新刷单暗语" in diff.stdout
    listing = cli("scripts", "list", "--type", "romance")
    assert "RO-001" in listing.stdout and "OB-001" not in listing.stdout
    unknown = cli("scripts", "list", "--type", "planet")
    assert unknown.exit_code == 2 and "--type `planet` is no fraud type" in (
        unknown.stderr
    )
    missing = cli("scripts", "diff", "1", "9")
    assert missing.exit_code == 1 and "version `9`" in missing.stderr


def test_scripts_discover_review_coverage(cli, tmp_path: Path) -> None:
    from .test_discovery import KNOWN, METER

    src = _write(
        tmp_path / "texts.csv",
        [
            {"text": t, "day": f"2026-11-0{i % 3 + 1}"}
            for i, t in enumerate(METER + KNOWN)
        ],
    )
    found = cli("scripts", "discover", str(src), "--text-column", "text")
    assert found.exit_code == 0, found.stderr
    assert "1 proposals stored" in found.stdout
    pending = cli("scripts", "review", "--list")
    proposal = next(w for w in pending.stdout.split() if w.startswith("P2"))
    refused = cli("scripts", "review", "--accept", proposal)
    assert refused.exit_code == 2 and "--reviewer" in refused.stderr
    accepted = cli(
        "scripts",
        "review",
        "--accept",
        proposal,
        "--reviewer",
        "carol",
        "--reason",
        "meter scam",
        "--type",
        "other",
    )
    assert accepted.exit_code == 0 and "library version 1" in accepted.stdout
    cov = cli(
        "scripts", "coverage", str(src), "--text-column", "text", "--time-column", "day"
    )
    assert cov.exit_code == 0 and "2026-11-01" in cov.stdout
    assert "coverage history" in cli("scripts", "coverage", "--history").stdout


def test_train_writes_model_into_data_dir(cli, tmp_path: Path, data_dir: Path) -> None:
    extra = _write(
        tmp_path / "extra.csv",
        [
            {"text": "电表更换先交押金", "label": "其他"},
            {"text": "供电局说要换电表交押金", "label": "other"},
        ],
    )
    result = cli("train", "--examples", str(extra), "--no-cv")
    assert result.exit_code == 0, result.stderr
    model = data_dir / "models" / "language_model.joblib"
    assert model.is_file()
    meta = json.loads(model.with_suffix(".json").read_text(encoding="utf-8"))
    assert meta["n_extra"] == 2
    bad = _write(tmp_path / "bad.csv", [{"text": "x", "label": "weird"}])
    refused = cli("train", "--examples", str(bad), "--no-cv")
    assert refused.exit_code == 2 and "`weird`" in refused.stderr
