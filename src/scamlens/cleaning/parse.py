"""SQL that turns raw contract columns into typed values, and flags what is missing
or does not parse.

A source column arrives either as text (CSV, JSON Lines, databases) or already typed
(Parquet). For text, every value is trimmed, and an empty string is the same as no
value. For typed columns the cheap path applies: a BOOLEAN, TIMESTAMP or DOUBLE is
used as it is, with no round trip through text.

The parsed relation has, per contract column, the typed value, and two extra
columns: ``missing_field`` (the first required field that is empty) and ``bad_field``
(the first field whose value is present but unusable). The cleaning rules read them.
"""

from __future__ import annotations

from collections.abc import Mapping

from scamlens.contract import ALIASES, BOOL_FALSE, BOOL_TRUE, COLUMNS, Kind, column

__all__ = ["PARSED_COLUMNS", "parsed_select", "quote", "value_sql"]

# Typed columns produced by the parse step, in this order.
PARSED_COLUMNS: tuple[str, ...] = (
    "outreach_id",
    "lead_id",
    "citizen_key",
    "channel",
    "module",
    "fraud_type",
    "region_code",
    "age",
    "gender",
    "initiated_at",
    "connected",
    "talk_seconds",
    "content_seconds",
    "played_seconds",
    "fully_played",
    "confirmed_accurate",
    "reported_defrauded",
    "transcript",
    "updated_at",
)

_TEXT_TYPES = ("VARCHAR", "JSON")
_NUMERIC_TYPES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "FLOAT",
    "DOUBLE",
    "REAL",
)


def quote(name: str) -> str:
    """Quote an identifier for DuckDB."""
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _in_list(values: tuple[str, ...] | list[str]) -> str:
    return "(" + ", ".join(_literal(v) for v in values) + ")"


def _is_text(sql_type: str) -> bool:
    return sql_type.upper() in _TEXT_TYPES


def _is_numeric(sql_type: str) -> bool:
    upper = sql_type.upper()
    return upper in _NUMERIC_TYPES or upper.startswith("DECIMAL")


def _is_timestamp(sql_type: str) -> bool:
    return sql_type.upper().startswith("TIMESTAMP") or sql_type.upper() == "DATE"


def _trimmed(ref: str, sql_type: str) -> str:
    # DuckDB's trim() strips spaces; testing the two ends first avoids copying the
    # many values that have none.
    value = ref if _is_text(sql_type) else f"CAST({ref} AS VARCHAR)"
    return (
        f"NULLIF(CASE WHEN {value} LIKE ' %' OR {value} LIKE '% ' "
        f"THEN trim({value}) ELSE {value} END, '')"
    )


def _present(ref: str, sql_type: str) -> str:
    if _is_text(sql_type):
        return f"({_trimmed(ref, sql_type)} IS NOT NULL)"
    return f"({ref} IS NOT NULL)"


def _enum_expr(name: str, ref: str, sql_type: str) -> str:
    codes = column(name).values
    mapping = {code.lower(): code for code in codes}
    mapping.update({alias.lower(): code for alias, code in ALIASES.get(name, {}).items()})
    slow = " ".join(
        f"WHEN {_literal(raw)} THEN {_literal(code)}" for raw, code in mapping.items()
    )
    value = ref if _is_text(sql_type) else f"CAST({ref} AS VARCHAR)"
    # Exact codes are the common case: test them before any trimming or lower-casing.
    return (
        f"(CASE WHEN {value} IN {_in_list(list(codes))} THEN {value} "
        f"WHEN {value} IS NULL THEN NULL "
        f"ELSE (CASE lower(trim({value})) {slow} ELSE NULL END) END)"
    )


def _bool_expr(ref: str, sql_type: str) -> str:
    if sql_type.upper() == "BOOLEAN":
        return ref
    if _is_numeric(sql_type):
        return f"(CASE WHEN {ref} = 1 THEN true WHEN {ref} = 0 THEN false END)"
    value = f"lower(trim(CAST({ref} AS VARCHAR)))"
    return (
        f"(CASE WHEN {value} IN {_in_list(BOOL_TRUE)} THEN true "
        f"WHEN {value} IN {_in_list(BOOL_FALSE)} THEN false END)"
    )


def _number_expr(ref: str, sql_type: str) -> str:
    if _is_numeric(sql_type):
        return f"CAST({ref} AS DOUBLE)"
    value = f"CAST({ref} AS VARCHAR)" if not _is_text(sql_type) else ref
    return f"TRY_CAST(trim({value}) AS DOUBLE)"


def _timestamp_expr(ref: str, sql_type: str) -> str:
    if _is_timestamp(sql_type):
        # A naive TIMESTAMP is local time: the session time zone is Asia/Shanghai.
        return f"CAST({ref} AS TIMESTAMPTZ)"
    value = f"CAST({ref} AS VARCHAR)" if not _is_text(sql_type) else ref
    return f"TRY_CAST(trim({value}) AS TIMESTAMPTZ)"


def _region_expr(ref: str, sql_type: str) -> str:
    value = _trimmed(ref, sql_type)
    # Six digits exactly: the number it casts to, written back with zero padding,
    # must be the text itself (this rejects signs, spaces, 0x, 1_000, decimals).
    number = f"TRY_CAST({value} AS UINTEGER)"
    return f"(CASE WHEN lpad(CAST({number} AS VARCHAR), 6, '0') = {value} THEN {value} END)"


def _value_expr(name: str, ref: str, sql_type: str) -> str:
    kind = column(name).kind
    if kind is Kind.TEXT:
        return _trimmed(ref, sql_type)
    if kind is Kind.ENUM:
        return _enum_expr(name, ref, sql_type)
    if kind is Kind.BOOL:
        return _bool_expr(ref, sql_type)
    if kind is Kind.NUMBER:
        return _number_expr(ref, sql_type)
    if kind is Kind.TIMESTAMP:
        return _timestamp_expr(ref, sql_type)
    if kind is Kind.REGION:
        return _region_expr(ref, sql_type)
    raise AssertionError(f"unhandled column kind {kind!r}")


def value_sql(name: str, types: Mapping[str, str]) -> str:
    """The typed value of contract column ``name`` (NULL if the relation lacks it)."""
    if name == "citizen_key":
        return _trimmed("citizen_key", "VARCHAR")
    if name not in types:
        return "NULL"
    return _value_expr(name, quote(name), types[name])


def parsed_select(relation: str, types: Mapping[str, str]) -> str:
    """SQL selecting typed contract columns and the parse verdicts from ``relation``.

    ``types`` maps each column of ``relation`` to its DuckDB type. The relation must
    carry ``_seq`` (read order) and ``citizen_key`` (the pseudonym from the door);
    absent optional contract columns are read as empty.
    """
    inner: list[str] = [
        "_seq",
        "_malformed" if "_malformed" in types else "NULL AS _malformed",
    ]
    checks_present: dict[str, str] = {}
    for col in COLUMNS:
        if col.name in ("phone", "citizen_id"):
            continue
        if col.name not in types:
            inner.append(f"NULL AS {quote(col.name)}")
            checks_present[col.name] = "false"
            continue
        ref, sql_type = quote(col.name), types[col.name]
        inner.append(f"{_value_expr(col.name, ref, sql_type)} AS {quote(col.name)}")
        inner.append(f"{_present(ref, sql_type)} AS {quote('_has_' + col.name)}")
        checks_present[col.name] = quote("_has_" + col.name)
    inner.append(f"{_trimmed('citizen_key', 'VARCHAR')} AS citizen_key")

    missing = " ".join(
        f"WHEN NOT {checks_present[c.name]} THEN {_literal(c.name)}"
        for c in COLUMNS
        if c.required
    )
    missing += " WHEN citizen_key IS NULL THEN 'phone/citizen_id'"

    bad_parts = []
    for col in COLUMNS:
        if col.name in ("phone", "citizen_id", "outreach_id", "lead_id", "transcript"):
            continue
        if checks_present[col.name] == "false":
            continue
        has = checks_present[col.name]
        bad_parts.append(
            f"WHEN {has} AND {quote(col.name)} IS NULL THEN {_literal(col.name)}"
        )
    bad_parts.append("WHEN age < 0 OR age > 120 THEN 'age'")
    bad = " ".join(bad_parts)

    fully = (
        "coalesce(fully_played, CASE WHEN played_seconds IS NOT NULL AND "
        "content_seconds IS NOT NULL THEN played_seconds >= content_seconds "
        "ELSE false END)"
    )
    outer = [
        "_seq",
        "_malformed",
        "outreach_id",
        "lead_id",
        "citizen_key",
        "channel",
        "module",
        "coalesce(fraud_type, 'unknown') AS fraud_type",
        "region_code",
        "age",
        "coalesce(gender, 'U') AS gender",
        "initiated_at",
        "connected",
        "talk_seconds",
        "content_seconds",
        "played_seconds",
        f"{fully} AS fully_played",
        "coalesce(confirmed_accurate, false) AS confirmed_accurate",
        "coalesce(reported_defrauded, false) AS reported_defrauded",
        "transcript",
        "updated_at",
        f"(CASE {missing} END) AS missing_field",
        f"(CASE {bad} END) AS bad_field",
    ]
    return (
        f"SELECT {', '.join(outer)} FROM (SELECT {', '.join(inner)} FROM {relation})"
    )
