"""Text to an instant exactly as DuckDB's ``TRY_CAST(text AS TIMESTAMPTZ)`` reads it.

The batch core lets DuckDB decide what a timestamp is, and DuckDB's reader is
generous: ``2025-3-1 8:0``, ``2025/03/01``, ``24:00:00``, ``+08``, ``+0800``, a
trailing `` UTC``, ``epoch``. Spark's own parser accepts a different set (``2025``
alone, ``T08:00`` alone), so Spark must not be asked. Instead the DuckDB grammar is
written out below as one regular expression; the fields it captures are checked
(month 1-12, day within the month, hour below 24 except ``24:00:00``) and turned into
epoch microseconds with integer arithmetic, which holds for any year.

Times without an offset are local: Spark's ``to_utc_timestamp`` reads the wall time
in Asia/Shanghai, taking the earlier offset in a DST overlap and the offset before
the change in a DST gap (China's 1986-1991 summer time), which is what DuckDB's ICU
does. Offsets are applied as written, however large (DuckDB takes ``+25:00``).

A zone *name* after a space (``2025-03-01 08:00 Europe/Berlin``, any letter case) is
read when DuckDB, the IANA database and Java all know it; each engine applies its own
copy of the zone rules. Both engines then keep only the usable times of
:mod:`scamlens.cleaning.times`: a zone name ICU alone knows (``CST``, which DuckDB
would read as US Central time) and an instant outside 1901..9999 (``infinity``, year
0, year 10000) make the value unparseable (:func:`usable_instant` here).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from scamlens.cleaning.times import (
    EARLIEST,
    LATEST,
    epoch_micros,
    shared_zone_names,
)
from scamlens.scaleout.spark.text import ASCII_SPACE, literal, split_groups
from scamlens.settings import TIMEZONE

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = [
    "TIMESTAMP_PATTERN",
    "timestamp_fields",
    "timestamp_instant",
    "timestamp_parts",
    "usable_instant",
    "zone_names",
]

logger = logging.getLogger(__name__)

_DATE = r"(-)?0*([0-9]{1,6})([-/\\ ])([0-9]{1,2})\4([0-9]{1,2})( \([Bb][Cc]\))?"
_TIME = (
    rf"[ T]?{ASCII_SPACE}*0*([0-9]{{1,2}}):([0-9]{{1,2}})"
    r"(?::([0-9]{1,2})(?:\.([0-9]*))?)?"
)
_ZONE = (
    r"(?:(Z)|([+-])([0-9]{2})(?::([0-9]{2})(?::([0-9]{2}))?|([0-9]{2}))?"
    r"| ([A-Za-z0-9/_+-]+))?"
)
_SPECIAL = r"(?i:(-?epoch|-infinity|infinity))"
TIMESTAMP_PATTERN = (
    rf"^{ASCII_SPACE}*(?:{_SPECIAL}{ASCII_SPACE}*|{_DATE}(?:{_TIME}{_ZONE})?)$"
)
"""The DuckDB timestamp grammar. Groups: 1 special word; 2 minus, 3 year, 4 date
separator, 5 month, 6 day, 7 ``(BC)``; 8 hour, 9 minute, 10 second, 11 fraction;
12 ``Z``, 13 offset sign, 14 offset hours, 15 offset minutes after ``:``, 16 offset
seconds, 17 offset minutes without ``:``; 18 zone name."""


def zone_names(spark: SparkSession | None = None) -> dict[str, str]:
    """Zone names (lower case, as DuckDB matches them in any case) and their ids.

    Only zones DuckDB, the IANA database and, when ``spark`` runs a JVM, Java all know
    are listed, so Spark never meets a zone id it cannot load.
    """
    names = set(shared_zone_names())
    if spark is not None:
        try:
            jvm: Any = spark.sparkContext._jvm
            listed = jvm.java.lang.String.join(
                "\n", jvm.java.time.ZoneId.getAvailableZoneIds()
            )
            names &= set(str(listed).split("\n"))
        except Exception:  # Spark Connect has no JVM handle: keep the shared list
            logger.debug("no JVM zone list; using %d shared zone names", len(names))
    return {name.lower(): name for name in sorted(names)}


_GROUPS = 18
_MIN_YEAR, _MAX_YEAR = -290_000, 294_246
_MICROS_PER_DAY = 86_400_000_000


def _days_from_civil(year: str, month: str, day: str) -> str:
    """SQL: days since 1970-01-01 of a proleptic Gregorian date (any year)."""
    y = f"({year} - CASE WHEN {month} <= 2 THEN 1 ELSE 0 END)"
    era = f"floor({y} / 400)"
    yoe = f"({y} - {era} * 400)"
    mp = f"(CASE WHEN {month} > 2 THEN {month} - 3 ELSE {month} + 9 END)"
    doy = f"(floor((153 * {mp} + 2) / 5) + {day} - 1)"
    doe = f"({yoe} * 365 + floor({yoe} / 4) - floor({yoe} / 100) + {doy})"
    return f"({era} * 146097 + {doe} - 719468)"


def _days_in_month(year: str, month: str) -> str:
    leap = (
        f"((pmod({year}, 4) = 0 AND pmod({year}, 100) <> 0) OR pmod({year}, 400) = 0)"
    )
    return (
        f"(CASE WHEN {month} = 2 THEN CASE WHEN {leap} THEN 29 ELSE 28 END "
        f"WHEN {month} IN (4, 6, 9, 11) THEN 30 ELSE 31 END)"
    )


def _int(text: str) -> str:
    """SQL: a captured group of digits as a BIGINT; 0 when the group is empty."""
    return f"(CASE WHEN {text} = '' THEN 0L ELSE CAST({text} AS BIGINT) END)"


def timestamp_parts(text: str) -> str:
    """Stage 1 (SQL): the captured groups of ``text`` as an array, NULL if no match.

    ``text`` is expected trimmed of Unicode spaces already, as in the parse step.
    """
    return split_groups(text, TIMESTAMP_PATTERN, _GROUPS)


def timestamp_fields(parts: str, zones: Mapping[str, str]) -> str:
    """Stage 2 (SQL): a struct of the numbers the groups stand for.

    ``zones`` maps lower-case zone names to zone ids (see :func:`zone_names`).
    """

    def group(i: int) -> str:
        return f"{parts}[{i - 1}]"

    signed = (
        f"(CASE WHEN {group(2)} = '-' THEN -{_int(group(3))} ELSE {_int(group(3))} END)"
    )
    year = f"(CASE WHEN {group(7)} <> '' THEN 1 - {signed} ELSE {signed} END)"
    fraction = f"CAST(rpad(substring({group(11)}, 1, 6), 6, '0') AS BIGINT)"
    minutes = f"({_int(group(15))} + {_int(group(17))})"
    offset = (
        f"(({_int(group(14))} * 3600 + {minutes} * 60 + {_int(group(16))}) * 1000000)"
    )
    pairs = ", ".join(
        f"{literal(name)}, {literal(zone)}" for name, zone in sorted(zones.items())
    )
    zone = f"lower({group(18)})"
    zone_id = (
        f"(CASE WHEN {zone} = '' THEN {literal(TIMEZONE)} "
        f"ELSE element_at(map({pairs}), {zone}) END)"
    )
    fields = {
        "matched": f"({parts} IS NOT NULL)",
        "special": f"coalesce(lower({group(1)}), '')",
        "year": year,
        "month": _int(group(5)),
        "day": _int(group(6)),
        "hour": _int(group(8)),
        "minute": _int(group(9)),
        "second": _int(group(10)),
        "fraction": fraction,
        "offset": f"(CASE WHEN {group(13)} = '-' THEN -{offset} ELSE {offset} END)",
        "fixed": f"({group(12)} <> '' OR {group(13)} <> '')",
        "zone_id": zone_id,
    }
    return "named_struct(" + ", ".join(f"'{k}', {v}" for k, v in fields.items()) + ")"


def timestamp_instant(fields: str) -> str:
    """Stage 3 (SQL): the instant (NULL when the text is not a valid time)."""

    def f(name: str) -> str:
        return f"{fields}.{name}"

    year, month, day = f("year"), f("month"), f("day")
    hour, minute, second, fraction = f("hour"), f("minute"), f("second"), f("fraction")
    end_of_day = f"({hour} = 24 AND {minute} = 0 AND {second} = 0 AND {fraction} = 0)"
    valid = (
        f"({year} BETWEEN {_MIN_YEAR} AND {_MAX_YEAR} AND {month} BETWEEN 1 AND 12 "
        f"AND {day} BETWEEN 1 AND {_days_in_month(year, month)} "
        f"AND ({hour} < 24 OR {end_of_day}) AND {minute} < 60 AND {second} < 60)"
    )
    wall = (
        f"({_days_from_civil(year, month, day)} * {_MICROS_PER_DAY} "
        f"+ {hour} * 3600000000 + {minute} * 60000000 + {second} * 1000000 "
        f"+ {fraction})"
    )
    instant = (
        f"CASE WHEN {f('fixed')} THEN timestamp_micros({wall} - {f('offset')}) "
        f"WHEN {f('zone_id')} IS NOT NULL "
        f"THEN to_utc_timestamp(timestamp_micros({wall}), {f('zone_id')}) END"
    )
    special = f("special")
    # DuckDB reads the infinities, but no usable time is infinite.
    special_instant = (
        f"CASE WHEN endswith({special}, 'epoch') THEN timestamp_micros(0) END"
    )
    return (
        f"(CASE WHEN NOT {f('matched')} THEN NULL "
        f"WHEN {special} <> '' THEN {special_instant} "
        f"WHEN {valid} THEN {instant} END)"
    )


def usable_instant(ref: str) -> str:
    """SQL: the TIMESTAMP ``ref`` if it lies in the usable range of
    :mod:`scamlens.cleaning.times`, else NULL."""
    earliest, latest = epoch_micros(EARLIEST), epoch_micros(LATEST)
    return (
        f"(CASE WHEN {ref} BETWEEN timestamp_micros({earliest}L) "
        f"AND timestamp_micros({latest}L) THEN {ref} END)"
    )
