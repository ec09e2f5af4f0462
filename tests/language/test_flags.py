"""label_flags: the batch core's hook, and victim_now alerts."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pyarrow as pa

from scamlens.language import label_flags
from scamlens.settings import Settings
from scamlens.warehouse import connect


def _records(flag_type: pa.DataType) -> pa.Table:
    missing = None if pa.types.is_boolean(flag_type) else ""
    given = True if pa.types.is_boolean(flag_type) else "true"
    return pa.table(
        {
            "outreach_id": ["o1", "o2", "o3", "o4", "o5"],
            "citizen_id": ["c1", "c2", "c3", "c4", "c5"],
            "phone": ["p1", "p2", "p3", "p4", "p5"],
            "initiated_at": pa.array(
                [datetime(2026, 12, 1, 9, tzinfo=UTC)] * 5, pa.timestamp("us", tz="UTC")
            ),
            "transcript": [
                "我已经被骗了，转了五千块",
                "没有，没接到过这种电话",
                "他现在让我转账，电话还没挂，我正准备去银行",
                "对，我被骗了",
                None,
            ],
            "confirmed_accurate": pa.array(
                [missing, missing, missing, given, missing], flag_type
            ),
            "reported_defrauded": pa.array(
                [missing, None, missing, given, None], flag_type
            ),
        }
    )


def test_string_flags_are_filled_as_strings(settings: Settings) -> None:
    out = label_flags(_records(pa.string()), settings)
    assert out.column("confirmed_accurate").to_pylist() == [
        "true",
        "false",
        "true",
        "true",
        "",
    ]
    assert out.column("reported_defrauded").to_pylist() == [
        "true",
        "false",
        "false",
        "true",
        None,
    ]
    assert out.column("label_backend").to_pylist() == [
        "rules",
        "rules",
        "rules",
        None,
        None,
    ]
    assert out.column_names[:7] == _records(pa.string()).column_names


def test_bool_flags_are_filled_as_bools(settings: Settings) -> None:
    out = label_flags(_records(pa.bool_()), settings, alerts=False)
    assert out.schema.field("confirmed_accurate").type == pa.bool_()
    assert out.column("confirmed_accurate").to_pylist() == [
        True,
        False,
        True,
        True,
        None,
    ]


def test_being_defrauded_now_raises_one_alert_without_phone(settings: Settings) -> None:
    con = connect(settings.warehouse_path)
    label_flags(_records(pa.string()), settings, con=con)
    label_flags(_records(pa.string()), settings, con=con)  # idempotent
    rows = con.execute(
        "SELECT kind, severity, segment, details, window_start FROM alerts"
    ).fetchall()
    con.close()
    assert len(rows) == 1
    kind, severity, segment, details, start = rows[0]
    assert (kind, severity) == ("victim_now", "critical")
    assert json.loads(segment) == {"outreach_id": "o3", "citizen_id": "c3"}
    assert json.loads(details)["intent"] == "being_defrauded_now"
    assert "p3" not in segment + details
    assert start is not None


def test_alerts_open_the_warehouse_when_no_connection_is_given(
    settings: Settings,
) -> None:
    label_flags(_records(pa.string()), settings)
    con = connect(settings.warehouse_path)
    assert con.execute("SELECT count(*) FROM alerts").fetchone() == (1,)
    con.close()


def test_missing_flag_columns_are_added(settings: Settings) -> None:
    table = pa.table({"transcript": ["是的，有人说是客服要给我退款，我没理他"]})
    out = label_flags(table, settings, details=True)
    assert out.column("confirmed_accurate").to_pylist() == [True]
    assert out.column("label_intent").to_pylist() == ["confirms"]
