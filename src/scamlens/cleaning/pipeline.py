"""The cleaning pipeline as SQL: parse, resolve versions, apply the rules.

Input is a landing relation (a file scan, a staging table or the warehouse's
``record_versions``) with ``_seq`` (read order) and the citizen: a stored
``citizen_key``, or, for a file scanned in place, the raw phone and ``citizen_id``
whose pseudonym is computed only where needed (:mod:`scamlens.cleaning.citizens`).
Output is the verdict of every landing row: its typed columns, the local ``_day``,
and ``reason`` — NULL for a counted attempt, ``superseded`` for an older version, or
the code of the first cleaning rule it failed. Every landing row gets exactly one
verdict, so the counts always add up.

:meth:`CleaningPlan.exact_ctes` is the reference: window functions over every row.
:class:`Verdicts` gets the same verdicts with far less work, because the two
set-based steps touch few rows:

1. :mod:`scamlens.cleaning.candidates` picks, in one narrow scan, a superset of the
   rows that may share an ``outreach_id`` or belong to a (citizen, day, module)
   group above the daily cap, and flags the rows without id or citizen. The flags
   go to a small temp table.
2. The *keys* of those candidates are read once, joined on ``_seq``: id and
   ``updated_at`` for versions, which are resolved there with the reference's window
   (over a few hundred thousand rows, not millions); the exact citizen key (the
   only place a phone is pseudonymised), day, module and time for the cap.
3. Every row then takes one streaming pass of parsing and row rules, joined to the
   flags for ``superseded``. The cap is ranked with the reference's window among
   the crowded candidates that passed the row rules, giving the few
   ``runaway_dialing`` verdicts.

:meth:`Verdicts.sql` gives per-row verdicts this way (step 3 as a query over every
row); :meth:`Verdicts.counts_sql` (in :mod:`scamlens.cleaning.counting`) counts them
by group, in a pass that reads only the columns the counts need.
``Verdicts(..., exact=True)`` sends every row through the reference instead;
tests/cleaning/test_paths_agree.py checks that both give the same verdict for every
row.

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
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from scamlens.cleaning.candidates import Special, group_hash_sql, special_rows
from scamlens.cleaning.citizens import CitizenKeys
from scamlens.cleaning.parse import local_day_sql, parsed_select, value_sql
from scamlens.cleaning.rules import SUPERSEDED, active_rules, reason_sql
from scamlens.settings import CleaningSettings

__all__ = ["CleaningPlan", "Verdicts", "relation_types"]

logger = logging.getLogger(__name__)

_instance = itertools.count()

# Winner first among the versions of one id (see the module docstring).
VERSION_ORDER = (
    "(_seq >= coalesce(_reset, -1)) DESC, (updated_at IS NOT NULL) DESC, "
    "updated_at DESC, _seq DESC"
)
RESET = (
    "max(CASE WHEN updated_at IS NULL THEN _seq END) OVER (PARTITION BY outreach_id)"
)
CAP_ORDER = "PARTITION BY citizen_key, _day, module ORDER BY initiated_at, outreach_id"
RUNAWAY = "runaway_dialing"


def relation_types(con: duckdb.DuckDBPyConnection, relation: str) -> dict[str, str]:
    """Column name → DuckDB type of ``relation``."""
    rows = con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {relation})")
    return {name: str(kind) for name, kind in rows.fetchall()}


@dataclass(frozen=True)
class CleaningPlan:
    """Renders the cleaning SQL for one landing relation.

    ``key`` is the pseudonymisation key, needed only for a relation that carries
    raw phone numbers (deferred pseudonyms).
    """

    relation: str
    types: Mapping[str, str]
    settings: CleaningSettings
    as_of: datetime
    key: bytes | None = field(default=None, repr=False, compare=False)

    @cached_property
    def citizens(self) -> CitizenKeys:
        return CitizenKeys.of(self.types, self.key)

    @property
    def runaway_on(self) -> bool:
        return any(r.code == RUNAWAY for r in active_rules(self.settings))

    def parsed(
        self,
        relation: str,
        *,
        columns: Collection[str] | None = None,
        passthrough: Mapping[str, str] | None = None,
    ) -> str:
        """:func:`parsed_select` over ``relation`` with this plan's citizen."""
        return parsed_select(
            relation,
            self.types,
            citizen=self.citizens.citizen(),
            columns=columns,
            passthrough=passthrough,
        )

    def fast_select(self, relation: str) -> str:
        """Verdicts of rows that share nothing with other rows: row rules only."""
        reason, detail = reason_sql(self.settings, self.as_of)
        return (
            f"SELECT *, {reason} AS reason, {detail} AS detail, "
            f"{local_day_sql('initiated_at')} AS _day "
            f"FROM ({self.parsed(relation)})"
        )

    def exact_ctes(self, relation: str) -> str:
        """``WITH ...`` ending in ``verdicts``: the exact pipeline over ``relation``."""
        reason, detail = reason_sql(self.settings, self.as_of)
        cap = int(self.settings.daily_cap)
        parts = [
            f"parsed AS ({self.parsed(relation)})",
            "dup_ids AS (SELECT outreach_id FROM parsed WHERE outreach_id IS NOT NULL "
            "GROUP BY outreach_id HAVING count(*) > 1)",
            f"multi AS (SELECT *, {RESET} AS _reset "
            "FROM parsed SEMI JOIN dup_ids USING (outreach_id))",
            "multi_ranked AS (SELECT * EXCLUDE (_reset), row_number() OVER ("
            f"PARTITION BY outreach_id ORDER BY {VERSION_ORDER}) AS _version "
            "FROM multi)",
            "attempts AS (SELECT *, 1 AS _version FROM parsed "
            "ANTI JOIN dup_ids USING (outreach_id) "
            "UNION ALL BY NAME SELECT * FROM multi_ranked)",
            "checked AS (SELECT * EXCLUDE (_version), "
            f"CASE WHEN _version > 1 THEN '{SUPERSEDED}' ELSE {reason} END AS reason, "
            f"CASE WHEN _version > 1 THEN NULL ELSE {detail} END AS detail, "
            f"{local_day_sql('initiated_at')} AS _day FROM attempts)",
        ]
        if self.runaway_on:
            parts += [
                "heavy AS (SELECT citizen_key, _day, module FROM checked "
                f"WHERE reason IS NULL GROUP BY ALL HAVING count(*) > {cap})",
                f"ranked AS (SELECT _seq, row_number() OVER ({CAP_ORDER}) AS _nth "
                "FROM checked SEMI JOIN heavy USING (citizen_key, _day, module) "
                "WHERE reason IS NULL)",
                "verdicts AS (SELECT c.* REPLACE (CASE WHEN r._nth > "
                f"{cap} THEN '{RUNAWAY}' ELSE c.reason END AS reason, "
                f"CASE WHEN r._nth > {cap} THEN 'citizen_key' ELSE c.detail END "
                "AS detail) FROM checked c LEFT JOIN ranked r USING (_seq))",
            ]
        else:
            parts.append("verdicts AS (SELECT * FROM checked)")
        return "WITH " + ",\n".join(parts)

    def keys_sql(self, relation: str) -> str:
        """The keys of the candidate rows in ``relation`` (which carries their flags
        ``dup`` and ``crowded``): id and ``updated_at`` for versions; citizen key (an
        HMAC for a phone, so computed for crowded rows only), module, local day and
        time for the cap."""
        types = self.types
        initiated = value_sql("initiated_at", types)
        return (
            f"SELECT _seq, dup, crowded, {value_sql('outreach_id', types)} AS "
            f"outreach_id, {value_sql('updated_at', types)} AS updated_at, "
            f"CASE WHEN crowded THEN {self.citizens.value_sql()} END AS citizen_key, "
            f"{value_sql('module', types)} AS module, "
            f"{local_day_sql(initiated)} AS _day, {initiated} AS initiated_at "
            f"FROM {relation}"
        )


class Verdicts:
    """The verdicts of one landing relation, prepared in a DuckDB connection.

    Construction runs the candidate scan and stores the flags of the candidate rows
    in a small temp table; their keys follow on first use (:meth:`ensure_keys`).
    :meth:`sql` then gives a query over every verdict; :meth:`counts_sql` counts
    them by group. Call :meth:`close` to drop the temp tables.

    ``key`` is needed for a relation with deferred pseudonyms. ``exact=True`` skips
    the candidate search and computes every verdict with the reference window
    pipeline (:meth:`CleaningPlan.exact_ctes`): slower, for checking the fast path.
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        relation: str,
        settings: CleaningSettings,
        as_of: datetime,
        *,
        key: bytes | None = None,
        exact: bool = False,
    ) -> None:
        self.con = con
        self.relation = relation
        self.exact = exact
        self.plan = CleaningPlan(
            relation, relation_types(con, relation), settings, as_of, key
        )
        n = next(_instance)
        self.flags_table = f"_special_flags_{n}"
        self.keys_table = f"_special_keys_{n}"
        self.verdict_table = f"_special_verdicts_{n}"
        self._tables = [self.flags_table, self.keys_table, self.verdict_table]
        self._ranked = False
        self._keys_ready = False
        self.special_count = 0
        if exact:
            return
        self.special = self._candidates()
        self._write_flags()

    # -- candidates ---------------------------------------------------------------

    def _run(self, sql: str) -> list[tuple[Any, ...]]:
        return self.con.execute(sql).fetchall()

    def _candidates(self) -> Special:
        types = self.plan.types
        rows, first, last = self._run(
            f"SELECT count(*), min(_seq), max(_seq) FROM {self.relation}"
        )[0]
        return special_rows(
            self.con,
            self.relation,
            id_sql=value_sql("outreach_id", types),
            citizens=self.plan.citizens,
            module_sql=value_sql("module", types),
            initiated_sql=value_sql("initiated_at", types),
            daily_cap=int(self.plan.settings.daily_cap)
            if self.plan.runaway_on
            else None,
            rows_hint=int(rows),
            seq_range=None if first is None else (int(first), int(last)),
        )

    def _write_flags(self) -> None:
        special = self.special
        self.special_count = int(special.seq.size)
        arrow = f"_special_arrow_{id(special)}"
        self.con.register(
            arrow,
            pa.table(
                {
                    "_seq": special.seq,
                    "dup": special.dup,
                    "crowded": special.crowded,
                    "missing": special.missing,
                }
            ),
        )
        try:
            self._run(
                f"CREATE OR REPLACE TEMP TABLE {self.flags_table} AS "
                f"SELECT *, false AS superseded FROM {arrow}"
            )
        finally:
            self.con.unregister(arrow)

    def ensure_keys(self) -> None:
        """Store the candidates' keys with one narrow join (once); resolve versions
        among them (the reference window, over a few rows); add the id rows that
        turn out to share a citizen with a crowded phone row
        (:mod:`scamlens.cleaning.candidates`, step 4) until none are left."""
        if self._keys_ready or self.exact:
            return
        started = time.perf_counter()
        self._run(
            f"CREATE OR REPLACE TEMP TABLE {self.keys_table} AS "
            f"{self._keys_of('dup OR crowded')}"
        )
        self._resolve_versions()
        while (partners := self._add_partners()).size:
            self._run(
                f"INSERT INTO {self.keys_table} "
                f"{self._keys_of(f'_seq IN ({_listed(partners)})')}"
            )
        self._keys_ready = True
        logger.debug(
            "candidate keys and versions: %.2f s", time.perf_counter() - started
        )

    def _resolve_versions(self) -> None:
        """Flag the older versions among the candidates in :attr:`keys_table`."""
        self._run(
            f"UPDATE {self.flags_table} SET superseded = true WHERE _seq IN ("
            f"SELECT _seq FROM (SELECT _seq, row_number() OVER (PARTITION BY "
            f"outreach_id ORDER BY {VERSION_ORDER}) AS _version FROM (SELECT *, "
            f"{RESET} AS _reset FROM {self.keys_table} WHERE dup AND outreach_id "
            "IS NOT NULL)) WHERE _version > 1)"
        )

    def _add_partners(self) -> np.ndarray:
        """Flag as crowded the id rows that may join a crowded phone row whose key
        is in :attr:`keys_table`; return their ``_seq`` (none: nothing to add).

        Their own keys are not in :attr:`keys_table` yet: the caller adds them.
        """
        partners = self._partners()
        if partners.size == 0:
            return partners
        logger.info("citizen ids that may join a crowded phone: %d rows", partners.size)
        self.special = self.special.with_crowded(partners)
        self.special_count = int(self.special.seq.size)
        rows = _listed(partners)
        self._run(f"DELETE FROM {self.keys_table} WHERE _seq IN ({rows})")
        self._run(
            f"INSERT INTO {self.flags_table} SELECT _seq, false, true, false, "
            f"false FROM (SELECT unnest([{rows}]) AS _seq) WHERE _seq NOT IN "
            f"(SELECT _seq FROM {self.flags_table})"
        )
        self._run(
            f"UPDATE {self.flags_table} SET crowded = true WHERE _seq IN ({rows})"
        )
        return partners

    def _keys_of(self, condition: str) -> str:
        rows = f"SELECT _seq, dup, crowded FROM {self.flags_table} WHERE {condition}"
        chosen = f"(SELECT * FROM {self.relation} r JOIN ({rows}) f USING (_seq))"
        return self.plan.keys_sql(chosen)

    def _partners(self) -> np.ndarray:
        if self.special.id_seq.size == 0:
            return np.zeros(0, dtype=np.int64)
        hashes = self.con.execute(
            f"SELECT {group_hash_sql('citizen_key', 'initiated_at', 'module')} AS gh "
            f"FROM {self.keys_table} WHERE citizen_key IS NOT NULL AND _seq NOT IN "
            f"(SELECT _seq FROM {self.flags_table} WHERE superseded)"
        ).fetchnumpy()["gh"]
        return self.special.id_rows_in(np.asarray(hashes, dtype=np.uint64))

    def own_table(self, name: str) -> str:
        """Register a temp table name to be dropped by :meth:`close`."""
        self._tables.append(name)
        return name

    # -- the cap ----------------------------------------------------------------------

    def rank_cap(self, passing: str) -> None:
        """Rank the cap among the crowded candidates in ``passing`` (a query of the
        ``_seq`` of those that passed the row rules and are not superseded) into
        :attr:`verdict_table`."""
        cap = int(self.plan.settings.daily_cap)
        self._run(
            f"CREATE OR REPLACE TEMP TABLE {self.verdict_table} AS "
            f"SELECT _seq, '{RUNAWAY}' AS verdict FROM (SELECT _seq, row_number() "
            f"OVER ({CAP_ORDER}) AS _nth FROM {self.keys_table} SEMI JOIN "
            f"({passing}) USING (_seq) WHERE crowded) WHERE _nth > {cap}"
        )
        self._ranked = True

    # -- results ----------------------------------------------------------------------

    def sql(self) -> str:
        """A query returning every verdict."""
        if self.exact:
            return f"{self.plan.exact_ctes(self.relation)} SELECT * FROM verdicts"
        self.ensure_keys()
        if not self._ranked:
            crowded = (
                f"(SELECT * FROM {self.relation} SEMI JOIN (SELECT _seq FROM "
                f"{self.flags_table} WHERE crowded AND NOT superseded) USING (_seq))"
            )
            self.rank_cap(
                f"SELECT _seq FROM ({self.plan.fast_select(crowded)}) "
                "WHERE reason IS NULL"
            )
        return (
            f"SELECT v.* REPLACE (CASE WHEN f.superseded THEN '{SUPERSEDED}' ELSE "
            "coalesce(x.verdict, v.reason) END AS reason, CASE WHEN f.superseded "
            "THEN NULL WHEN x.verdict IS NOT NULL THEN 'citizen_key' ELSE v.detail "
            f"END AS detail) FROM ({self.plan.fast_select(self.relation)}) v "
            f"LEFT JOIN {self.flags_table} f ON v._seq = f._seq "
            f"LEFT JOIN {self.verdict_table} x ON v._seq = x._seq"
        )

    def counts_sql(self, dims: Mapping[str, str], counts: Mapping[str, str]) -> str:
        """Counts of the verdicts: ``reason``, the ``dims``, the ``counts``.

        Equivalent to ``SELECT reason, CASE WHEN reason IS NULL THEN <dim> END ...,
        <count> ... FROM (sql()) GROUP BY ALL``, where each dim is an expression over
        the verdict columns and each count an additive aggregate (``count(*)``,
        optionally ``FILTER``ed). Runs the counting pass now; the query it returns
        reads small temp tables.
        """
        from scamlens.cleaning.counting import counts_sql

        return counts_sql(self, dims, counts)

    def close(self) -> None:
        """Drop the temp tables of this instance."""
        for table in self._tables:
            self.con.execute(f"DROP TABLE IF EXISTS {table}")


def _listed(seqs: np.ndarray) -> str:
    return ", ".join(str(int(s)) for s in seqs)
