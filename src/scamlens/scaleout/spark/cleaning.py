"""Versions, the named rules and the daily cap, in Spark, with the batch core's meaning.

The rules are not restated here. Their predicates come from
:func:`scamlens.cleaning.rules.reason_sql`, which renders portable SQL from
:data:`scamlens.cleaning.rules.RULES` and the thresholds in ``CleaningSettings``;
Spark parses that SQL as it is, and only the as-of literal is Spark's own
(``timestamp_micros``, exact to the microsecond). Rule order, codes and switches are
therefore the batch core's by construction.

Versions fold in read order (see :mod:`scamlens.cleaning.pipeline`): per
``outreach_id``, the winner is found among the versions read since the last one
without a usable ``updated_at``; greatest ``updated_at`` wins, ties to the later
read. One window over the rows that carry an id does it. The daily cap then ranks the
attempts that passed every row rule per (citizen, local day, module) by
``initiated_at`` then ``outreach_id`` and quarantines those beyond the cap.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from scamlens.cleaning.rules import SUPERSEDED, active_rules, reason_sql
from scamlens.settings import CleaningSettings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = ["RUNAWAY", "spark_timestamp", "verdicts"]

logger = logging.getLogger(__name__)

RUNAWAY = "runaway_dialing"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def spark_timestamp(as_of: datetime) -> str:
    """``as_of`` as an exact Spark SQL timestamp expression."""
    if as_of.tzinfo is None:
        raise ValueError("as_of must carry a time zone")
    delta = as_of - _EPOCH
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return f"timestamp_micros({micros}L)"


_VERSION = (
    "CASE WHEN outreach_id IS NULL THEN 1 ELSE row_number() OVER (PARTITION BY "
    "outreach_id ORDER BY (_reset IS NULL OR _seq >= _reset) DESC, "
    "updated_at IS NOT NULL DESC, updated_at DESC, _seq DESC) END"
)
_RESET = (
    "max(CASE WHEN updated_at IS NULL THEN _seq END) OVER (PARTITION BY outreach_id)"
)


def verdicts(
    parsed: DataFrame, settings: CleaningSettings, as_of: datetime
) -> DataFrame:
    """The verdict of every parsed row: its columns, ``_day``, ``reason`` and
    ``detail``.

    ``reason`` is NULL for a counted attempt, ``superseded`` for an older version, or
    the code of the first rule the attempt failed; ``detail`` names the field that
    failed it, as in the batch core's quarantine. Each step is one window over all
    rows (no unions), so the parse above it runs once.
    """
    reason, detail = reason_sql(settings, as_of, timestamp_literal=spark_timestamp)
    columns = [c for c in parsed.columns]
    ranked = parsed.selectExpr("*", f"{_RESET} AS _reset").selectExpr(
        *columns, f"{_VERSION} AS _version"
    )
    checked = ranked.selectExpr(
        *columns,
        f"CASE WHEN _version > 1 THEN '{SUPERSEDED}' ELSE {reason} END AS reason",
        f"CASE WHEN _version > 1 THEN NULL ELSE {detail} END AS detail",
        "to_date(initiated_at) AS _day",
    )
    if not any(rule.code == RUNAWAY for rule in active_rules(settings)):
        return checked
    cap = int(settings.daily_cap)
    nth = (
        "row_number() OVER (PARTITION BY citizen_key, _day, module, reason IS NULL "
        "ORDER BY initiated_at, outreach_id)"
    )
    beyond = f"reason IS NULL AND {nth} > {cap}"
    return checked.selectExpr(
        *columns,
        f"CASE WHEN {beyond} THEN '{RUNAWAY}' ELSE reason END AS reason",
        f"CASE WHEN {beyond} THEN 'citizen_key' ELSE detail END AS detail",
        "_day",
    )
