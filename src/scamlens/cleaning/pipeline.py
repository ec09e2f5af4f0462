"""The cleaning pipeline as SQL: parse, resolve versions, apply the rules.

Input is a landing relation (a file scan, a staging table or the warehouse's
``record_versions``) with ``_seq`` (read order) and ``citizen_key`` (the pseudonym made
at the door). Output is the verdict of every landing row: its typed columns, the local
``_day``, and ``reason`` — NULL for a counted attempt, ``superseded`` for an older
version, or the code of the first cleaning rule it failed. Every landing row gets
exactly one verdict, so the counts always add up.

Rows travel one of two paths. :mod:`scamlens.cleaning.candidates` picks the few rows
that may share an ``outreach_id`` or belong to a (citizen, day, module) group above
the daily cap; those take the exact *slow path* (window functions, materialised in a
small temp table). All other rows take the *fast path*: one streaming pass of parsing
and row rules, with nothing to rank.

Winning version. Versions are folded in read order: a version replaces the current
winner unless both carry an ``updated_at`` and the winner's is later. Hence the
winner is found among the versions read since the last version without a usable
``updated_at`` (or among all, when every version has one): the one with the greatest
``updated_at``, ties going to the one read later; a version without ``updated_at``
wins only when nothing was read after it.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pyarrow as pa

from scamlens.cleaning.candidates import special_rows
from scamlens.cleaning.parse import parsed_select, value_sql
from scamlens.cleaning.rules import SUPERSEDED, active_rules, reason_sql
from scamlens.settings import CleaningSettings

__all__ = ["CleaningPlan", "Verdicts", "relation_types"]

logger = logging.getLogger(__name__)

_instance = itertools.count()


def relation_types(con: duckdb.DuckDBPyConnection, relation: str) -> dict[str, str]:
    """Column name → DuckDB type of ``relation``."""
    rows = con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {relation})")
    return {name: str(kind) for name, kind in rows.fetchall()}


@dataclass(frozen=True)
class CleaningPlan:
    """Renders the cleaning SQL for one landing relation."""

    relation: str
    types: Mapping[str, str]
    settings: CleaningSettings
    as_of: datetime

    @property
    def runaway_on(self) -> bool:
        return any(r.code == "runaway_dialing" for r in active_rules(self.settings))

    def fast_select(self, relation: str) -> str:
        """Verdicts of rows that share nothing with other rows: row rules only."""
        reason, detail = reason_sql(self.settings, self.as_of)
        return (
            f"SELECT *, {reason} AS reason, {detail} AS detail, "
            f"CAST(initiated_at AS DATE) AS _day "
            f"FROM ({parsed_select(relation, self.types)})"
        )

    def exact_ctes(self, relation: str) -> str:
        """``WITH ...`` ending in ``verdicts``: the exact pipeline over ``relation``."""
        reason, detail = reason_sql(self.settings, self.as_of)
        cap = int(self.settings.daily_cap)
        parts = [
            f"parsed AS ({parsed_select(relation, self.types)})",
            "dup_ids AS (SELECT outreach_id FROM parsed WHERE outreach_id IS NOT NULL "
            "GROUP BY outreach_id HAVING count(*) > 1)",
            "multi AS (SELECT *, max(CASE WHEN updated_at IS NULL THEN _seq END) "
            "OVER (PARTITION BY outreach_id) AS _reset "
            "FROM parsed SEMI JOIN dup_ids USING (outreach_id))",
            "multi_ranked AS (SELECT * EXCLUDE (_reset), row_number() OVER ("
            "PARTITION BY outreach_id ORDER BY (_seq >= coalesce(_reset, -1)) DESC, "
            "(updated_at IS NOT NULL) DESC, updated_at DESC, _seq DESC) AS _version "
            "FROM multi)",
            "attempts AS (SELECT *, 1 AS _version FROM parsed "
            "ANTI JOIN dup_ids USING (outreach_id) "
            "UNION ALL BY NAME SELECT * FROM multi_ranked)",
            "checked AS (SELECT * EXCLUDE (_version), "
            f"CASE WHEN _version > 1 THEN '{SUPERSEDED}' ELSE {reason} END AS reason, "
            f"CASE WHEN _version > 1 THEN NULL ELSE {detail} END AS detail, "
            "CAST(initiated_at AS DATE) AS _day FROM attempts)",
        ]
        if self.runaway_on:
            parts += [
                "heavy AS (SELECT citizen_key, _day, module FROM checked "
                f"WHERE reason IS NULL GROUP BY ALL HAVING count(*) > {cap})",
                "ranked AS (SELECT _seq, row_number() OVER (PARTITION BY citizen_key, "
                "_day, module ORDER BY initiated_at, outreach_id) AS _nth "
                "FROM checked SEMI JOIN heavy USING (citizen_key, _day, module) "
                "WHERE reason IS NULL)",
                "verdicts AS (SELECT c.* REPLACE (CASE WHEN r._nth > "
                f"{cap} THEN 'runaway_dialing' ELSE c.reason END AS reason, "
                f"CASE WHEN r._nth > {cap} THEN 'citizen_key' ELSE c.detail END "
                "AS detail) FROM checked c LEFT JOIN ranked r USING (_seq))",
            ]
        else:
            parts.append("verdicts AS (SELECT * FROM checked)")
        return "WITH " + ",\n".join(parts)


class Verdicts:
    """The verdicts of one landing relation, prepared in a DuckDB connection.

    Construction runs the candidate scan and the slow path (a small temp table);
    :meth:`sql` then gives a query over every verdict, which streams the fast path.
    Call :meth:`close` to drop the temp tables.
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        relation: str,
        settings: CleaningSettings,
        as_of: datetime,
    ) -> None:
        self.con = con
        self.relation = relation
        self.plan = CleaningPlan(relation, relation_types(con, relation), settings, as_of)
        n = next(_instance)
        self._seqs = f"_special_seq_{n}"
        self._slow = f"_special_verdicts_{n}"
        types = self.plan.types
        seqs = special_rows(
            con,
            relation,
            id_sql=value_sql("outreach_id", types),
            citizen_sql=value_sql("citizen_key", types),
            module_sql=value_sql("module", types),
            initiated_sql=value_sql("initiated_at", types),
            daily_cap=int(settings.daily_cap) if self.plan.runaway_on else None,
        )
        con.execute(f"CREATE OR REPLACE TEMP TABLE {self._seqs} (_seq BIGINT)")
        con.register("_seq_arrow", pa.table({"_seq": pa.array(seqs, pa.int64())}))
        try:
            con.execute(f"INSERT INTO {self._seqs} SELECT _seq FROM _seq_arrow")
        finally:
            con.unregister("_seq_arrow")
        special = f"(SELECT * FROM {relation} SEMI JOIN {self._seqs} USING (_seq))"
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {self._slow} AS "
            f"{self.plan.exact_ctes(special)} SELECT * FROM verdicts"
        )
        self.special_count = int(seqs.size)

    def sql(self) -> str:
        """A query returning every verdict (fast path streamed, slow path stored)."""
        fast_input = f"(SELECT * FROM {self.relation} ANTI JOIN {self._seqs} USING (_seq))"
        return (
            f"SELECT * FROM ({self.plan.fast_select(fast_input)}) "
            f"UNION ALL BY NAME SELECT * FROM {self._slow}"
        )

    def close(self) -> None:
        """Drop the temp tables of this instance."""
        for table in (self._slow, self._seqs):
            self.con.execute(f"DROP TABLE IF EXISTS {table}")
