"""The two reference queries of the batch benchmark, over a typed Parquet file.

``bare_sql``: the floor. A plain ``GROUP BY day, region_code`` with the five counts
and the four rates, no cleaning at all.

``naive_sql``: the whole record contract written the straightforward way, as one SQL
statement: every phone pseudonymised, versions resolved with window functions over
every row, the row rules as one CASE, the daily cap with ``row_number()`` over every
passing attempt. It is written for typed files (timestamps, booleans and numbers
arrive typed; ids, enums and region codes arrive as text) and independently of
``scamlens.cleaning``, so the benchmark also checks that both give the same counts.
"""

from __future__ import annotations

from scamlens.contract import ALIASES, column
from scamlens.privacy import pseudonym_sql

__all__ = ["bare_sql", "naive_sql"]

_COUNTS = (
    "count(*) AS initiated, count(*) FILTER (WHERE connected) AS succeeded, "
    "count(*) FILTER (WHERE connected AND confirmed_accurate) AS accurate, "
    "count(*) FILTER (WHERE connected AND reported_defrauded) AS victims, "
    "count(*) FILTER (WHERE connected AND fully_played) AS publicity"
)
_RATES = (
    "succeeded / initiated AS success_rate, "
    "CASE WHEN succeeded > 0 THEN accurate / succeeded END AS accuracy_rate, "
    "CASE WHEN succeeded > 0 THEN victims / succeeded END AS victim_rate, "
    "CASE WHEN succeeded > 0 THEN publicity / succeeded END AS publicity_rate"
)


def _scan(path: str) -> str:
    return "read_parquet('" + path.replace("'", "''") + "', file_row_number = true)"


def bare_sql(path: str) -> str:
    """Counts and rates by local day and region, straight from the file."""
    return (
        "SELECT day, region_code, initiated, succeeded, accurate, victims, publicity, "
        f"{_RATES} FROM (SELECT CAST(initiated_at AS DATE) AS day, region_code, "
        f"{_COUNTS} FROM {_scan(path)} GROUP BY ALL)"
    )


def _text(col: str) -> str:
    return f"NULLIF(trim({col}), '')"


def _enum(name: str) -> str:
    codes = column(name).values
    table = {c.lower(): c for c in codes}
    table.update({a.lower(): c for a, c in ALIASES.get(name, {}).items()})
    cases = " ".join(f"WHEN '{raw}' THEN '{code}'" for raw, code in table.items())
    return f"(CASE lower(trim({name})) {cases} END)"


def naive_sql(
    path: str,
    key: bytes,
    as_of: str,
    *,
    phone: bool = True,
    cap: int = 20,
    max_talk: float = 3600.0,
) -> str:
    """The contract in one statement; same output columns as :func:`bare_sql`.

    ``phone`` False: the file has no ``phone`` column (citizens by ``citizen_id``).
    """
    digits = "regexp_replace(coalesce(phone, ''), '[^0-9]', '', 'g')"
    citizen = (
        f"CASE WHEN {digits} <> '' THEN {pseudonym_sql(key, 'phone')} "
        f"ELSE {_text('citizen_id')} END"
        if phone
        else _text("citizen_id")
    )
    enums = ("channel", "module", "fraud_type", "gender")
    parsed = ", ".join(
        [
            "file_row_number AS _seq",
            f"{_text('outreach_id')} AS oid",
            f"{citizen} AS citizen",
            *(f"{_enum(e)} AS {e}_v, {_text(e)} IS NOT NULL AS {e}_has" for e in enums),
            f"CASE WHEN regexp_full_match({_text('region_code')}, '[0-9]{{6}}') "
            f"THEN {_text('region_code')} END AS region_v",
            f"{_text('region_code')} IS NOT NULL AS region_has",
            "age",
            "initiated_at",
            "connected",
            "talk_seconds",
            "content_seconds",
            "played_seconds",
            "coalesce(fully_played, CASE WHEN played_seconds IS NOT "
            "NULL AND content_seconds IS NOT NULL THEN played_seconds >= "
            "content_seconds ELSE false END) AS is_full",
            "coalesce(confirmed_accurate, false) AS confirmed",
            "coalesce(reported_defrauded, false) AS reported",
            "updated_at",
        ]
    )
    rule = (
        "CASE WHEN oid IS NULL OR NOT channel_has OR NOT module_has OR NOT region_has "
        "OR initiated_at IS NULL OR connected IS NULL OR citizen IS NULL "
        "THEN 'missing_required' "
        "WHEN channel_v IS NULL OR module_v IS NULL OR region_v IS NULL "
        "OR (fraud_type_has AND fraud_type_v IS NULL) OR (gender_has AND gender_v IS "
        "NULL) OR age < 0 OR age > 120 THEN 'bad_value' "
        f"WHEN initiated_at > TIMESTAMPTZ '{as_of}' THEN 'future_time' "
        "WHEN talk_seconds < 0 OR content_seconds < 0 OR played_seconds < 0 "
        "THEN 'negative_duration' "
        "WHEN NOT connected AND (is_full OR confirmed OR reported OR "
        "coalesce(talk_seconds, 0) > 0) THEN 'outcome_without_connection' "
        f"WHEN talk_seconds > {max_talk!r} THEN 'duration_outlier' END"
    )
    return f"""
WITH parsed AS (SELECT {parsed} FROM {_scan(path)}),
reset AS (SELECT *, max(CASE WHEN updated_at IS NULL THEN _seq END)
    OVER (PARTITION BY oid) AS _reset FROM parsed),
versioned AS (SELECT *, CASE WHEN oid IS NULL THEN 1 ELSE row_number() OVER (
    PARTITION BY oid ORDER BY (_seq >= coalesce(_reset, -1)) DESC,
    (updated_at IS NOT NULL) DESC, updated_at DESC, _seq DESC) END AS _version
    FROM reset),
checked AS (SELECT *, CASE WHEN _version > 1 THEN 'superseded' ELSE {rule} END
    AS reason FROM versioned),
passing AS (SELECT *, row_number() OVER (PARTITION BY citizen,
    CAST(initiated_at AS DATE), module_v ORDER BY initiated_at, oid) AS _nth
    FROM checked WHERE reason IS NULL),
counted AS (SELECT CAST(initiated_at AS DATE) AS day, region_v AS region_code,
    connected, confirmed AS confirmed_accurate, reported AS reported_defrauded,
    is_full AS fully_played FROM passing WHERE _nth <= {int(cap)})
SELECT day, region_code, initiated, succeeded, accurate, victims, publicity, {_RATES}
FROM (SELECT day, region_code, {_COUNTS} FROM counted GROUP BY ALL)
"""
