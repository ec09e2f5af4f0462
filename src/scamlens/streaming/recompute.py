"""Exact verdicts, incrementally: recompute only what a micro-batch can change.

The batch layer decides every record with :meth:`CleaningPlan.exact_ctes` over all
versions at once. Streaming cannot afford that per micro-batch, but two facts bound
what new versions can change:

* a record's row rules look only at the record, and version resolution only at the
  versions of one ``outreach_id``;
* the daily cap (``runaway_dialing``) looks only at the counted attempts of one
  (citizen, local day, module) group.

So, with ``A`` the ids that received a version (plus, in live mode, the ids whose
``future_time`` verdict may have expired), ``G`` the groups of every version of those
ids, ``H`` the groups of ``G`` holding more versions than the cap (only there can the
cap bite: a group's counted attempts are some of its versions, and versions are
never removed, so a group with fewer never had a ``runaway_dialing`` verdict), and
``I`` = ``A`` plus every id with a version in ``H``: running the very same
``exact_ctes`` over all versions of ``I`` gives the exact verdict of every version
whose group is in ``G`` (in ``H`` the group is complete, and so are the versions
deciding each member; elsewhere in ``G`` no cap applies) and of every version
without a group (no cap applies to it). No other verdict can change: its id got no
version and its group no new or changed member. Versions of ``I`` outside ``G`` may
come out wrong (their group is incomplete in the relation) and are not applied.

The result is diffed against ``stream_verdicts``; only changed verdicts are written,
and each becomes a signed count delta (+1 newly counted, −1 no longer counted) that
:mod:`scamlens.streaming.apply` folds into the window tables. A version's content never
changes, so a retraction subtracts exactly what the earlier verdict added.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import duckdb

from scamlens.cleaning.parse import value_sql
from scamlens.cleaning.pipeline import CleaningPlan, relation_types
from scamlens.cleaning.rules import active_rules, reason_sql
from scamlens.indicators import FLAGS
from scamlens.indicators.duckdb_sql import dimension_sql
from scamlens.settings import CleaningSettings
from scamlens.streaming.prepare import group_hash_sql, id_hash_sql
from scamlens.streaming.tables import VERDICT_COLUMNS
from scamlens.streaming.windows import STORED_DIMS

__all__ = ["Recompute", "RecomputeStats", "new_rows_sql"]

logger = logging.getLogger(__name__)

_NEW = "_stream_new"
_IDS = "_stream_ids"
_GROUPS = "_stream_groups"
_HEAVY = "_stream_heavy"
_SEQS = "_stream_seqs"
_SPECIAL = "_stream_special"
_FRESH = "_stream_fresh"
_OLD = "_stream_old"
_DELTA = "_stream_delta"
_TEMPS = (_NEW, _IDS, _GROUPS, _HEAVY, _SEQS, _SPECIAL, _FRESH, _OLD, _DELTA)
_DELTA_COLUMNS = ("initiated_at", *STORED_DIMS, *FLAGS)


def new_rows_sql(relation: str, types: dict[str, str]) -> str:
    """Identity, cap group and event time of the landing rows in ``relation``."""
    outreach = value_sql("outreach_id", types)
    citizen = value_sql("citizen_key", types)
    module = value_sql("module", types)
    initiated = value_sql("initiated_at", types)
    return (
        f"SELECT _seq, {outreach} AS outreach_id, {citizen} AS citizen_key, "
        f"{module} AS module, {initiated} AS initiated_at, "
        f"CAST({initiated} AS DATE) AS _day FROM {relation}"
    )


_id_hash = id_hash_sql
_group_hash = group_hash_sql


@dataclass(frozen=True)
class RecomputeStats:
    """How much one recomputation touched."""

    relation_rows: int
    changed: int


class Recompute:
    """Runs the incremental exact recomputation on the caller's connection.

    Nothing is committed: the engine calls :meth:`run` inside its transaction.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, cleaning: CleaningSettings):
        self.con = con
        self.cleaning = cleaning
        self._parsed_new: str | None = None
        runaway = any(r.code == "runaway_dialing" for r in active_rules(cleaning))
        self.cap: int | None = int(cleaning.daily_cap) if runaway else None

    def _exec(self, sql: str, params: list[object] | None = None) -> None:
        self.con.execute(sql, params or []).fetchall()

    def _count(self, table: str) -> int:
        return int(self.con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])

    def run(
        self,
        new_relation: str,
        as_of: datetime,
        *,
        live_clock: bool,
        parsed: bool = False,
    ) -> RecomputeStats:
        """Recompute after the rows of ``new_relation`` joined ``stream_versions``.

        ``new_relation`` is a landing-shaped relation of the new versions (already
        inserted), or with ``parsed`` their parsed values as
        :func:`scamlens.streaming.prepare.prepare_records` gives them (then they are
        not parsed again). ``live_clock`` also re-decides ``future_time`` verdicts
        whose time has come. The signed count deltas are then in :attr:`deltas`.
        """
        if parsed:
            self._parsed_new = new_relation
            self._exec(
                f"CREATE OR REPLACE TEMP TABLE {_NEW} AS SELECT _seq, outreach_id, "
                "citizen_key, module, initiated_at, _day, _idh, _gh "
                f"FROM {new_relation}"
            )
        else:
            self._parsed_new = None
            types = relation_types(self.con, new_relation)
            self._exec(
                f"CREATE OR REPLACE TEMP TABLE {_NEW} AS SELECT *, {_id_hash()} AS "
                f"_idh, {_group_hash()} AS _gh FROM "
                f"({new_rows_sql(new_relation, types)})"
            )
        self._affected_ids(as_of, live_clock=live_clock)
        self._affected_groups()
        self._relation_seqs()
        rows = self._fresh_verdicts(as_of)
        changed = self._diff()
        self._deltas()
        logger.debug("recomputed relation=%d changed=%d", rows, changed)
        return RecomputeStats(rows, changed)

    def _affected_ids(self, as_of: datetime, *, live_clock: bool) -> None:
        """``A``: ids with a new version, and (live) ids whose future has come."""
        self._exec(
            f"CREATE OR REPLACE TEMP TABLE {_IDS} AS SELECT DISTINCT _idh, outreach_id "
            f"FROM {_NEW} WHERE outreach_id IS NOT NULL"
        )
        if live_clock:
            self._exec(
                f"INSERT INTO {_IDS} SELECT DISTINCT _idh, outreach_id FROM "
                "stream_verdicts WHERE reason = 'future_time' AND initiated_at <= ? "
                "AND outreach_id IS NOT NULL "
                f"AND _idh NOT IN (SELECT _idh FROM {_IDS})",
                [as_of],
            )

    def _affected_groups(self) -> None:
        """``G``: cap groups of the new rows and of every stored version of ``A``."""
        self._exec(
            f"CREATE OR REPLACE TEMP TABLE {_GROUPS} AS SELECT DISTINCT citizen_key, "
            f"_day, module, _gh FROM ("
            f"SELECT citizen_key, _day, module, _gh FROM {_NEW} UNION ALL "
            f"SELECT citizen_key, _day, module, _gh FROM stream_verdicts "
            f"WHERE _idh IN (SELECT _idh FROM {_IDS})) "
            "WHERE citizen_key IS NOT NULL AND _day IS NOT NULL AND module IS NOT NULL"
        )

    def _relation_seqs(self) -> None:
        """Every version of ``I`` (``A`` plus the ids of the members of the groups
        of ``G`` that may be over the cap), and the new rows."""
        if self.cap is not None:
            self._exec(
                f"CREATE OR REPLACE TEMP TABLE {_HEAVY} AS SELECT _day, _gh FROM ("
                f"SELECT v._day, v._gh FROM stream_verdicts v SEMI JOIN {_GROUPS} g "
                "ON v._day = g._day AND v._gh = g._gh UNION ALL "
                f"SELECT _day, _gh FROM {_NEW} WHERE _gh IS NOT NULL) "
                f"GROUP BY ALL HAVING count(*) > {self.cap}"
            )
            self._exec(
                f"INSERT INTO {_IDS} SELECT DISTINCT v._idh, v.outreach_id FROM "
                f"stream_verdicts v SEMI JOIN {_HEAVY} g ON v._day = g._day "
                "AND v._gh = g._gh WHERE v.outreach_id IS NOT NULL"
            )
        self._exec(
            f"CREATE OR REPLACE TEMP TABLE {_SEQS} AS SELECT _seq, _idh, _day, _gh "
            f"FROM stream_verdicts WHERE _idh IN (SELECT _idh FROM {_IDS}) "
            f"UNION ALL SELECT _seq, _idh, _day, _gh FROM {_NEW}"
        )
        # The rows set-based cleaning can touch: ids with several versions, and
        # members of groups that may be over the cap. The rest need row rules only.
        heavy = (
            f"UNION SELECT r._seq FROM {_SEQS} r SEMI JOIN {_HEAVY} h "
            "ON r._day = h._day AND r._gh = h._gh"
            if self.cap is not None
            else ""
        )
        self._exec(
            f"CREATE OR REPLACE TEMP TABLE {_SPECIAL} AS SELECT _seq FROM {_SEQS} "
            f"WHERE _idh IN (SELECT _idh FROM {_SEQS} WHERE _idh IS NOT NULL "
            f"GROUP BY _idh HAVING count(*) > 1) {heavy}"
        )

    def _fresh_verdicts(self, as_of: datetime) -> int:
        """The exact verdicts of the applicable versions of the relation.

        Like the batch layer's :class:`Verdicts`, rows that share nothing with
        other rows take the row rules alone (``fast_select``), the others the
        reference ``exact_ctes``; both give the same verdict for a lone row.
        """
        special = f"(SELECT * FROM stream_versions SEMI JOIN {_SPECIAL} USING (_seq))"
        lone_seqs = f"(SELECT _seq FROM {_SEQS} ANTI JOIN {_SPECIAL} USING (_seq))"
        types = relation_types(self.con, "stream_versions")
        new_select = None
        if self._parsed_new is None:
            lone = f"(SELECT * FROM stream_versions SEMI JOIN {lone_seqs} USING (_seq))"
            plan = CleaningPlan(special, types, self.cleaning, as_of)
            lone_select = f"SELECT * FROM ({plan.fast_select(lone)})"
        else:
            # New rows come parsed: the row rules apply to their typed values as in
            # fast_select, and a new row's group is in G by definition. The few
            # older lone versions (live: a future time come due) go with the special
            # rows; exact_ctes gives a lone row its row rules' verdict too.
            special = (
                f"(SELECT * FROM stream_versions SEMI JOIN (SELECT _seq FROM "
                f"{_SPECIAL} UNION ALL SELECT _seq FROM {lone_seqs} "
                f"ANTI JOIN {_NEW} USING (_seq)) USING (_seq))"
            )
            plan = CleaningPlan(special, types, self.cleaning, as_of)
            lone_select = "SELECT * FROM verdicts WHERE false"
            reason, detail = reason_sql(self.cleaning, as_of)
            new_select = (
                f"SELECT *, {reason} AS reason, {detail} AS detail FROM "
                f"(SELECT * EXCLUDE (_idh, _gh) FROM {self._parsed_new} "
                f"ANTI JOIN {_SPECIAL} USING (_seq))"
            )
        values = []
        for name, _kind in VERDICT_COLUMNS:
            if name == "_idh":
                values.append(f"{_id_hash('v.')} AS _idh")
            elif name == "_gh":
                values.append(f"{_group_hash('v.')} AS _gh")
            elif name == "age_band":
                values.append(f"{dimension_sql('age_band')} AS age_band")
            else:
                values.append(f"v.{name}")
        selected = ", ".join(values)
        tail = (
            f" UNION ALL SELECT {selected} FROM ({new_select}) v" if new_select else ""
        )
        self._exec(
            f"CREATE OR REPLACE TEMP TABLE {_FRESH} AS {plan.exact_ctes(special)}, "
            f"lone AS ({lone_select}) "
            f"SELECT {selected} FROM (SELECT * FROM verdicts "
            "UNION ALL BY NAME SELECT * FROM lone) v "
            "LEFT JOIN (SELECT citizen_key, _day, module, true AS _in_g "
            f"FROM {_GROUPS}) "
            "g USING (citizen_key, _day, module) WHERE (g._in_g "
            "OR v.citizen_key IS NULL OR v._day IS NULL OR v.module IS NULL)"
            f"{tail}"
        )
        return self._count(_FRESH)

    def _diff(self) -> int:
        """Write the changed verdicts; return how many changed.

        Only the versions stored before this batch have an old verdict, and they
        are few, so they are copied aside (``_OLD``) rather than the fresh ones.
        """
        names = ", ".join(f"f.{name}" for name, _kind in VERDICT_COLUMNS)
        self._exec(
            f"CREATE OR REPLACE TEMP TABLE {_OLD} AS SELECT _seq, reason, detail "
            f"FROM stream_verdicts WHERE _seq IN (SELECT _seq FROM {_FRESH})"
        )
        changed = (
            "(o._seq IS NULL OR f.reason IS DISTINCT FROM o.reason "
            "OR f.detail IS DISTINCT FROM o.detail)"
        )
        self._exec(
            f"DELETE FROM stream_verdicts WHERE _seq IN (SELECT _seq FROM {_OLD} o "
            f"JOIN {_FRESH} f USING (_seq) WHERE {changed})"
        )
        self._exec(
            f"INSERT INTO stream_verdicts SELECT {names} "
            f"FROM {_FRESH} f LEFT JOIN {_OLD} o USING (_seq) WHERE {changed}"
        )
        return self._count_where(f"{_FRESH} f LEFT JOIN {_OLD} o USING (_seq)", changed)

    def _deltas(self) -> None:
        """Materialise the signed count deltas of this run (:attr:`deltas`).

        +1 for a version counted now and not before, −1 for the reverse; versions
        whose verdict changed between two reasons contribute nothing. Only the
        columns the window tables need are kept.
        """
        counted_before = "(o._seq IS NOT NULL AND o.reason IS NULL)"
        sign = (
            "(CASE WHEN f.reason IS NULL THEN 1 ELSE 0 END) - "
            f"(CASE WHEN {counted_before} THEN 1 ELSE 0 END)"
        )
        keep = ", ".join(f"f.{c}" for c in _DELTA_COLUMNS)
        self._exec(
            f"CREATE OR REPLACE TEMP TABLE {_DELTA} AS SELECT {keep}, {sign} AS _sign "
            f"FROM {_FRESH} f LEFT JOIN {_OLD} o USING (_seq) "
            f"WHERE (f.reason IS NULL) <> {counted_before}"
        )

    @property
    def deltas(self) -> str:
        """The table of signed count deltas left by the last :meth:`run`."""
        return _DELTA

    def _count_where(self, relation: str, condition: str) -> int:
        rows = self.con.execute(
            f"SELECT count(*) FROM {relation} WHERE {condition}"
        ).fetchall()
        return int(rows[0][0])

    def drop_temps(self) -> None:
        """Drop the temp tables of the last run."""
        for table in _TEMPS:
            self._exec(f"DROP TABLE IF EXISTS {table}")
