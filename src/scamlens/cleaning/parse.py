"""SQL that turns raw contract columns into typed values, and flags what is missing
or does not parse.

A source column arrives either as text (CSV, JSON Lines, databases) or already typed
(Parquet). For text, every value is trimmed, and an empty string is the same as no
value. For typed columns the cheap path applies: a BOOLEAN, TIMESTAMP or DOUBLE is
used as it is, with no round trip through text, and the checks that cannot fail for
it (a present BOOLEAN always "parses") are not rendered at all. A time, typed or
not, is usable only in the range and with the zone names of
:mod:`scamlens.cleaning.times`.

The parsed relation has, per contract column, the typed value, and two extra
columns: ``missing_field`` (the first required field that is empty) and ``bad_field``
(the first field whose value is present but unusable). The cleaning rules read them.

Speed notes (the batch benchmark runs this over every row of a file):

* DuckDB evaluates a scalar function of a dictionary-encoded column (enum codes and
  region codes in Parquet) once per distinct value, but evaluates ``IN`` lists and
  ``CASE`` comparisons once per row. Enum and bool spellings are therefore looked up
  in a ``MAP`` keyed by ``lower(trim(value))`` (one scalar chain), and region codes
  take a fast path when the raw value already is six digits.
* The local day is plain arithmetic (UTC+8) for instants since 1992, when
  Asia/Shanghai time has had a fixed offset; the time-zone cast is kept for older
  ones. Both give the same date.
* Callers that check some required fields elsewhere (the counting pass checks the id
  and the citizen in its narrow candidate scan) can leave those columns out; the
  columns that are not asked for are not read at all.
* ``regexp_full_match`` in a condition is evaluated per row, ``GLOB`` is cheap: the
  six-digit test of region codes is a GLOB.
* A text enum value and its presence come from one ``MAP`` lookup, a chain of
  scalar functions DuckDB also runs once per distinct value: every trimmed,
  lower-case spelling maps to its code and the empty string to ``''``, so the result
  is the code, ``''`` for an empty value, or NULL for a present but unknown one. The
  presence of a text region code is the length of its trimmed text. A ``CASE`` or
  ``LIKE`` per row (the general presence test) costs several times more over ten
  million rows.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from scamlens.cleaning.times import in_range_sql, known_zone_sql
from scamlens.contract import ALIASES, BOOL_FALSE, BOOL_TRUE, COLUMNS, Kind, column

__all__ = [
    "PARSED_COLUMNS",
    "Citizen",
    "can_be_bad",
    "local_day_sql",
    "parsed_select",
    "quote",
    "stored_citizen",
    "value_sql",
]

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
# Asia/Shanghai has kept UTC+8 since September 1991.
_FIXED_OFFSET_SINCE = "TIMESTAMPTZ '1992-01-01 00:00:00+08'"
_NOT_CHECKED = ("phone", "citizen_id", "outreach_id", "lead_id", "transcript")


def quote(name: str) -> str:
    """Quote an identifier for DuckDB."""
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _is_text(sql_type: str) -> bool:
    return sql_type.upper() in _TEXT_TYPES


def _is_numeric(sql_type: str) -> bool:
    upper = sql_type.upper()
    return upper in _NUMERIC_TYPES or upper.startswith("DECIMAL")


def _is_float(sql_type: str) -> bool:
    return sql_type.upper() in ("FLOAT", "DOUBLE", "REAL")


def _is_timestamp(sql_type: str) -> bool:
    return sql_type.upper().startswith("TIMESTAMP") or sql_type.upper() == "DATE"


def local_day_sql(ts: str) -> str:
    """The Asia/Shanghai date of the TIMESTAMPTZ ``ts`` (same as a cast to DATE)."""
    return (
        f"(CASE WHEN {ts} >= {_FIXED_OFFSET_SINCE} AND isfinite({ts}) THEN "
        f"DATE '1970-01-01' + CAST((epoch_us({ts}) + 28800000000) // 86400000000 "
        f"AS INTEGER) ELSE CAST({ts} AS DATE) END)"
    )


def _as_text(ref: str, sql_type: str) -> str:
    return ref if _is_text(sql_type) else f"CAST({ref} AS VARCHAR)"


def _trimmed(ref: str, sql_type: str) -> str:
    # DuckDB's trim() strips spaces; testing the two ends first avoids copying the
    # many values that have none.
    value = _as_text(ref, sql_type)
    return (
        f"NULLIF(CASE WHEN {value} LIKE ' %' OR {value} LIKE '% ' "
        f"THEN trim({value}) ELSE {value} END, '')"
    )


def _present(ref: str, sql_type: str) -> str:
    if _is_text(sql_type):
        return f"({_trimmed(ref, sql_type)} IS NOT NULL)"
    return f"({ref} IS NOT NULL)"


def _enum_mapping(name: str) -> dict[str, str]:
    """Every accepted spelling of enum column ``name`` (trimmed, lower-case) → the
    SQL literal of its code."""
    codes = column(name).values
    mapping = {code.lower(): _literal(code) for code in codes}
    mapping.update(
        {alias.lower(): _literal(code) for alias, code in ALIASES.get(name, {}).items()}
    )
    return mapping


def _enum_or_empty(name: str, ref: str, sql_type: str) -> str:
    """One lookup giving both the code of a text enum value and its presence: the
    code, ``''`` for an empty value, NULL for a present but unknown one (see the
    module docstring)."""
    text = f"trim(concat({_as_text(ref, sql_type)}, ''))"
    mapping = {**_enum_mapping(name), "": _literal("")}
    return f"map_extract_value({_map(mapping)}, lower({text}))"


def _region_present(ref: str, sql_type: str) -> str:
    """Presence of a text region code, from scalar functions only."""
    return f"(strlen(trim(concat({_as_text(ref, sql_type)}, ''))) > 0)"


def _map(mapping: Mapping[str, str]) -> str:
    pairs = ", ".join(f"{_literal(k)}: {v}" for k, v in mapping.items())
    return f"MAP {{{pairs}}}"


def _enum_expr(name: str, ref: str, sql_type: str) -> str:
    # Codes match in any case and after trimming; an exact code maps to itself.
    value = _as_text(ref, sql_type)
    return f"map_extract_value({_map(_enum_mapping(name))}, lower(trim({value})))"


def _bool_expr(ref: str, sql_type: str) -> str:
    if sql_type.upper() == "BOOLEAN":
        return ref
    if _is_numeric(sql_type):
        return f"(CASE WHEN {ref} = 1 THEN true WHEN {ref} = 0 THEN false END)"
    words = {w: "true" for w in BOOL_TRUE} | {w: "false" for w in BOOL_FALSE}
    return f"map_extract_value({_map(words)}, lower(trim(CAST({ref} AS VARCHAR))))"


def _number_expr(ref: str, sql_type: str) -> str:
    if _is_numeric(sql_type):
        return f"CAST({ref} AS DOUBLE)"
    return f"TRY_CAST(trim({_as_text(ref, sql_type)}) AS DOUBLE)"


def _nan_sql(value: str) -> str:
    """Whether the DOUBLE ``value`` is NaN, which is no number: a bad value (DuckDB
    orders NaN above every number, so it would pass for an outlier, or for "played
    to the end"). The test looks through a one-element list on purpose: DuckDB
    folds ``isnan(column)`` to false when the Parquet statistics, which pyarrow
    writes without NaN, show finite bounds."""
    return f"isnan([{value}][1])"


def _timestamp_expr(ref: str, sql_type: str) -> str:
    # Usable instants only, and zone names the IANA database knows too
    # (scamlens.cleaning.times). DuckDB computes the repeated cast once.
    if _is_timestamp(sql_type):
        # A naive TIMESTAMP is local time: the session time zone is Asia/Shanghai.
        value = f"CAST({ref} AS TIMESTAMPTZ)"
        return f"(CASE WHEN {in_range_sql(value)} THEN {value} END)"
    text = f"trim({_as_text(ref, sql_type)})"
    value = f"TRY_CAST({text} AS TIMESTAMPTZ)"
    return (
        f"(CASE WHEN {in_range_sql(value)} AND {known_zone_sql(text)} THEN {value} END)"
    )


def _region_expr(ref: str, sql_type: str) -> str:
    raw = _as_text(ref, sql_type)
    value = _trimmed(ref, sql_type)
    # Six digits exactly: the number it casts to, written back with zero padding,
    # must be the text itself (this rejects signs, spaces, 0x, 1_000, decimals).
    # A raw value of six digits needs no trimming and passes: the fast path.
    number = f"TRY_CAST({value} AS UINTEGER)"
    return (
        f"(CASE WHEN {raw} GLOB '{'[0-9]' * 6}' THEN {raw} "
        f"WHEN lpad(CAST({number} AS VARCHAR), 6, '0') = {value} THEN {value} END)"
    )


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


def can_be_bad(name: str, sql_type: str) -> bool:
    """Whether a present value of column ``name`` stored as ``sql_type`` may not parse.

    A value that is natively a BOOLEAN, an integer or a decimal always parses into
    its typed column; text, numbers standing for booleans, floating-point numbers
    (NaN) and timestamps (infinite or out of range, see
    :mod:`scamlens.cleaning.times`) may not.
    """
    kind = column(name).kind
    upper = sql_type.upper()
    if kind is Kind.BOOL:
        return upper != "BOOLEAN"
    if kind is Kind.NUMBER:
        return not _is_numeric(sql_type) or _is_float(sql_type)  # NaN
    if kind is Kind.TIMESTAMP:
        return True  # a native timestamp may lie outside the usable range
    return kind is not Kind.TEXT


def value_sql(name: str, types: Mapping[str, str], ref: str | None = None) -> str:
    """The typed value of contract column ``name`` (NULL if the relation lacks it).

    ``ref`` is the SQL holding the raw value (default: the column itself).
    """
    if name == "citizen_key":
        return _trimmed(ref or "citizen_key", "VARCHAR")
    if name not in types:
        return "NULL"
    return _value_expr(name, ref or quote(name), types[name])


@dataclass(frozen=True)
class Citizen:
    """How a relation gives the citizen key: its value and a cheap presence test.

    Landing tables store the pseudonym in ``citizen_key``. A Parquet file scanned in
    place defers pseudonymisation (see :mod:`scamlens.cleaning.citizens`): there the
    value is an HMAC, far dearer than the presence test, and computed only for the
    rows that select it.
    """

    value: str
    present: str


def stored_citizen() -> Citizen:
    """The citizen of a relation with a stored ``citizen_key`` column."""
    value = _trimmed("citizen_key", "VARCHAR")
    return Citizen(value, f"({value} IS NOT NULL)")


def parsed_select(
    relation: str,
    types: Mapping[str, str],
    *,
    citizen: Citizen | None = None,
    columns: Collection[str] | None = None,
    passthrough: Mapping[str, str] | None = None,
) -> str:
    """SQL selecting typed contract columns and the parse verdicts from ``relation``.

    ``types`` maps each column of ``relation`` to its DuckDB type. The relation must
    carry ``_seq`` (read order) and the citizen (``citizen_key``, or the columns
    ``citizen`` reads); absent optional contract columns are read as empty.

    ``columns`` (default: all of :data:`PARSED_COLUMNS`) limits the output to those
    parsed columns; the others are not read and their checks are left out (a caller
    leaving out a required column checks it elsewhere). ``passthrough`` maps output
    names to columns of ``relation`` passed on as they are.

    Three levels: the typed values (with the raw text of text columns alongside),
    then presence — a text value that parsed is present, so the trimming test runs
    only for the few that did not — then the defaults and the two verdict columns.
    """
    citizen = citizen or stored_citizen()
    wanted = set(PARSED_COLUMNS if columns is None else columns)
    carried = ["_seq", "_malformed", *(quote(a) for a in (passthrough or {}))]
    values = [
        "_seq",
        "_malformed" if "_malformed" in types else "NULL AS _malformed",
        *(
            f"{quote(raw)} AS {quote(alias)}"
            for alias, raw in (passthrough or {}).items()
        ),
    ]
    presence: list[str] = []
    present: dict[str, str] = {}
    bad_parts: list[str] = []
    for col in COLUMNS:
        if col.name in ("phone", "citizen_id") or col.name not in wanted:
            continue
        name = quote(col.name)
        carried.append(name)
        if col.name not in types:
            values.append(f"NULL AS {name}")
            present[col.name] = "false"
            continue
        sql_type = types[col.name]
        has = quote("_has_" + col.name)
        if _is_text(sql_type) and col.kind is Kind.ENUM:
            # Code or '' (empty) from one lookup; split in the middle level.
            values.append(f"{_enum_or_empty(col.name, name, sql_type)} AS {name}")
            carried[-1] = f"NULLIF({name}, '') AS {name}"
            presence.append(f"{name} IS DISTINCT FROM '' AS {has}")
        elif _is_text(sql_type) and col.kind is Kind.REGION:
            values.append(f"{_value_expr(col.name, name, sql_type)} AS {name}")
            values.append(f"{_region_present(name, sql_type)} AS {has}")
            carried.append(has)
        elif not _is_text(sql_type) and can_be_bad(col.name, sql_type):
            # A native value that parses to NULL (a time out of range, a number 2
            # standing for a bool) is present, but a bad value: the raw column,
            # not the parsed alias, is tested here.
            values.append(f"{_value_expr(col.name, name, sql_type)} AS {name}")
            values.append(f"{name} IS NOT NULL AS {has}")
            carried.append(has)
        elif _is_text(sql_type) and col.kind is not Kind.TEXT:
            values.append(f"{_value_expr(col.name, name, sql_type)} AS {name}")
            raw = quote("_raw_" + col.name)
            values.append(f"{name} AS {raw}")
            present_raw = _present(raw, sql_type)
            presence.append(
                f"CASE WHEN {name} IS NOT NULL THEN true ELSE {present_raw} END "
                f"AS {has}"
            )
        else:
            # A native value is present when not NULL; a text column's value is its
            # trimmed text, NULL exactly when absent.
            values.append(f"{_value_expr(col.name, name, sql_type)} AS {name}")
            presence.append(f"{name} IS NOT NULL AS {has}")
        present[col.name] = has
        if col.name not in _NOT_CHECKED and can_be_bad(col.name, sql_type):
            bad = f"{has} AND {name} IS NULL"
            if col.kind is Kind.NUMBER:
                bad = f"({bad}) OR {_nan_sql(name)}"
            bad_parts.append(f"WHEN {bad} THEN {_literal(col.name)}")
    if "citizen_key" in wanted:
        values.append(f"{citizen.value} AS citizen_key")
        values.append(f"{citizen.present} AS _has_citizen")
        carried += ["citizen_key", "_has_citizen"]

    missing = [
        f"WHEN NOT {present[c.name]} THEN {_literal(c.name)}"
        for c in COLUMNS
        if c.required and c.name in present
    ]
    if "citizen_key" in wanted:
        missing.append("WHEN NOT _has_citizen THEN 'phone/citizen_id'")
    if "age" in present:
        bad_parts.append("WHEN age < 0 OR age > 120 THEN 'age'")

    outer = ["_seq", "_malformed", *(quote(a) for a in (passthrough or {}))]
    for name in PARSED_COLUMNS:
        if name in wanted:
            outer.append(_outer_value(name))
    outer.append(
        f"(CASE {' '.join(missing) or 'WHEN false THEN NULL'} END) AS missing_field"
    )
    outer.append(
        f"(CASE {' '.join(bad_parts) or 'WHEN false THEN NULL'} END) AS bad_field"
    )
    middle = ", ".join([*carried, *presence])
    return (
        f"SELECT {', '.join(outer)} FROM (SELECT {middle} FROM "
        f"(SELECT {', '.join(values)} FROM {relation}))"
    )


_DEFAULTS = {
    "fraud_type": "coalesce(fraud_type, 'unknown') AS fraud_type",
    "gender": "coalesce(gender, 'U') AS gender",
    "fully_played": (
        "coalesce(fully_played, CASE WHEN played_seconds IS NOT NULL AND "
        "content_seconds IS NOT NULL THEN played_seconds >= content_seconds "
        "ELSE false END) AS fully_played"
    ),
    "confirmed_accurate": "coalesce(confirmed_accurate, false) AS confirmed_accurate",
    "reported_defrauded": "coalesce(reported_defrauded, false) AS reported_defrauded",
}


def _outer_value(name: str) -> str:
    return _DEFAULTS.get(name, name)
