"""Which parsed times are usable: a known time-zone name and a day that can be counted.

DuckDB decides how time text reads (``TRY_CAST(text AS TIMESTAMPTZ)``, see
:mod:`scamlens.cleaning.parse`; the Spark engine copies that grammar in
:mod:`scamlens.scaleout.spark.timestamps`). Two kinds of value it accepts are
refused, in both engines, as values that do not parse (``bad_value``):

* **A zone name only ICU knows.** DuckDB reads ``2025-03-01 08:00 CST`` as US
  Central time, 14 hours away from the China Standard Time a Chinese platform means
  by ``CST``. ICU's legacy short ids (``CST``, ``CTT``, ``IST``, ``PST``...) are
  ambiguous like that, so a zone name counts only when the IANA time-zone database
  knows it too (``UTC``, ``PRC``, ``Asia/Shanghai``...): see
  :func:`shared_zone_names`.
* **An instant outside** :data:`EARLIEST` .. :data:`LATEST`: ``infinity`` and
  ``-infinity``, year 0, year 10000 and the like. They name no local day that can
  be counted, written or read back, and no outreach record is that old: 1901 is
  when Shanghai's clocks left local mean time, before which engines and calendars
  disagree about dates. This applies to native (Parquet, database) timestamps too.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime, timedelta, timezone

__all__ = [
    "EARLIEST",
    "LATEST",
    "ZONE_WORD",
    "epoch_micros",
    "in_range_sql",
    "known_zone_sql",
    "shared_zone_names",
]

_CHINA = timezone(timedelta(hours=8))
EARLIEST = datetime(1901, 1, 1, tzinfo=_CHINA)
"""The first usable instant: midnight of 1901-01-01, Asia/Shanghai."""
LATEST = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=_CHINA)
"""The last usable instant: the end of 9999-12-31, Asia/Shanghai."""

ZONE_WORD = r" ([A-Za-z0-9/_+-]*[A-Za-z][A-Za-z0-9/_+-]*)$"
"""A zone name: the last word of the text, after a space, with a letter in it
(group 1)."""
_NAME = re.compile(r"[A-Za-z0-9/_+-]+")


def epoch_micros(moment: datetime) -> int:
    """Microseconds since 1970-01-01 UTC of the aware ``moment``."""
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


# Zone ids Java's ZoneId does not list (it keeps EST, HST and MST as short ids
# only), so Spark could not read them: refused by both engines.
_NOT_IN_JAVA = frozenset({"EST", "HST", "MST", "ROC", "Factory", "GMT+0", "GMT-0"})


@functools.cache
def shared_zone_names() -> frozenset[str]:
    """Zone names DuckDB's ICU, the IANA database (Python's zoneinfo) and Java know.

    Java's list is that of Java 17; a zone newer than the JVM's own time-zone data
    is read by DuckDB but not by Spark (:func:`scamlens.scaleout.spark.timestamps.
    zone_names` asks the running JVM).
    """
    import zoneinfo

    import duckdb

    con = duckdb.connect()
    try:
        rows = con.execute("SELECT name FROM pg_timezone_names()").fetchall()
    finally:
        con.close()
    icu = {str(row[0]) for row in rows if _NAME.fullmatch(str(row[0]))}
    return frozenset((icu & zoneinfo.available_timezones()) - _NOT_IN_JAVA)


def _literal(moment: datetime) -> str:
    return f"TIMESTAMPTZ '{moment.isoformat()}'"


def in_range_sql(value: str) -> str:
    """DuckDB: whether the TIMESTAMPTZ ``value`` lies in the usable range (NULL
    stays NULL)."""
    return f"({value} BETWEEN {_literal(EARLIEST)} AND {_literal(LATEST)})"


def known_zone_sql(text: str) -> str:
    """DuckDB: false when the (trimmed) time ``text`` ends in a zone name outside
    :func:`shared_zone_names`, else true.

    A zone name follows a space, so text without one is not searched (the common
    ISO form ``2025-03-01T08:00:00+08:00``); the list holds ``''`` for text whose
    last word is no name (``... 08:00:00``).
    """
    names = ", ".join(f"'{name.lower()}'" for name in sorted(shared_zone_names()))
    word = f"lower(regexp_extract({text}, '{ZONE_WORD}', 1))"
    return f"(NOT ({text} LIKE '% %') OR list_contains(['', {names}], {word}))"
