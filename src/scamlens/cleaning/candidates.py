"""Find the few rows that need the expensive, set-based parts of cleaning.

Two cleaning steps look at more than one row: version resolution (rows sharing an
``outreach_id``) and the daily cap (rows sharing a citizen, local day and module).
On real data almost every id has one version and almost every citizen is far below
the cap, so ranking every row would waste most of the work. This module picks a
superset of the rows that can be affected, cheaply:

1. DuckDB reads only the id, the citizen, the time and the module, in one parallel
   scan, and gives per row a 64-bit hash of the id, the 64-bit hash of its cap
   group (citizen stand-in, local day, module) and a few flag bits (id missing,
   citizen missing, kind of citizen key).
2. Ids: numpy sorts the id hashes (a SIMD sort of plain integers, far cheaper than a
   hash aggregate of strings); the hashes seen twice go into a bitmap of
   :data:`ID_BITMAP_BITS` bits, and every row whose hash hits the bitmap may share
   its id.
3. Cap groups: the top bits of the group hash are a bucket; ``bincount`` counts rows
   per bucket. A group over the cap puts more than cap rows in its bucket, so only
   rows in such buckets can be over the cap. There is a bucket for about every two
   rows, so unrelated rows rarely crowd one; when they do, they are harmless extra
   candidates.
4. Deferred pseudonyms (see :mod:`scamlens.cleaning.citizens`): a row keyed by its
   ``citizen_id`` alone (``b`` such rows in its bucket, counted apart from the
   others) may be the same citizen as phone rows (``a`` rows) of the same day and
   module, when that ``citizen_id`` is the pseudonym of their phone. Their union
   can pass the cap only if ``a + b > cap``, so phone rows whose bucket count plus
   the largest such ``b`` of their day and module exceeds the cap are candidates
   too. Which id rows really join them is known only once those phone rows are
   pseudonymised; :class:`Special` keeps the group hash of every id row so that
   the pipeline can then add them (see :meth:`Special.id_rows_in`).

Hash collisions and shared buckets can only add rows to the result, never remove
one, so the exact cleaning that runs on the result stays exact. The local-day part
of the group key is UTC+8 arithmetic, which equals Asia/Shanghai time since 1992;
older timestamps share one key, which again only widens the superset.

Rows with no id or no citizen (``missing``) are flagged too: the counting pass then
needs neither column.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace

import duckdb
import numpy as np

from scamlens.cleaning.citizens import KIND_ID, KIND_PHONE, CitizenKeys

__all__ = ["ID_BITMAP_BITS", "Special", "day_key_sql", "group_hash_sql", "special_rows"]

logger = logging.getLogger(__name__)

ID_BITMAP_BITS = 27
_MIN_BUCKET_BITS, _MAX_BUCKET_BITS = 16, 24
_SHANGHAI_FIXED_SINCE = "TIMESTAMPTZ '1992-01-01 00:00:00+08'"
_ID_MISSING, _CITIZEN_MISSING = 1, 2
_MODULE_CODES = "['warning', 'publicity', 'follow_up']"


def day_key_sql(ts: str) -> str:
    """Integer local-day number of ``ts`` for grouping (0 before 1992)."""
    return (
        f"(CASE WHEN {ts} >= {_SHANGHAI_FIXED_SINCE} THEN "
        f"(epoch_us({ts}) + 28800000000) // 86400000000 ELSE 0 END)"
    )


def group_hash_sql(standin: str, initiated: str, module: str) -> str:
    """The 64-bit cap-group hash the candidate scan gives a row."""
    return f"hash({standin}, {day_key_sql(initiated)}, {module})"


@dataclass(frozen=True)
class Special:
    """Rows that need set-based cleaning, by ``_seq``, with why (boolean arrays)."""

    seq: np.ndarray
    dup: np.ndarray
    """May share its ``outreach_id`` with another row."""
    crowded: np.ndarray
    """May belong to a cap group above the cap."""
    missing: np.ndarray
    """Has no ``outreach_id`` or no citizen: ``missing_required`` for sure."""
    id_seq: np.ndarray
    """Rows keyed by ``citizen_id`` alone (deferred pseudonyms only) ..."""
    id_hash: np.ndarray
    """... and their cap-group hashes (:func:`group_hash_sql`)."""
    rows: int
    """Rows scanned."""

    def id_rows_in(self, hashes: np.ndarray) -> np.ndarray:
        """``_seq`` of the id rows whose group hash is one of ``hashes``, and that
        are not crowded candidates yet."""
        if self.id_seq.size == 0 or hashes.size == 0:
            return np.zeros(0, dtype=np.int64)
        found = self.id_seq[np.isin(self.id_hash, hashes.astype(np.uint64))]
        return np.setdiff1d(found, self.seq[self.crowded])

    def with_crowded(self, seqs: np.ndarray) -> Special:
        """A copy where the rows ``seqs`` are crowded candidates too."""
        seqs = np.setdiff1d(seqs, self.seq[self.crowded])
        if seqs.size == 0:
            return self
        crowded = self.crowded | np.isin(self.seq, seqs)
        new = np.setdiff1d(seqs, self.seq)
        pad = np.zeros(new.size, dtype=bool)
        return replace(
            self,
            seq=np.concatenate([self.seq, new]),
            dup=np.concatenate([self.dup, pad]),
            crowded=np.concatenate([crowded, ~pad]),
            missing=np.concatenate([self.missing, pad]),
        )


def _bucket_bits(rows: int) -> int:
    # About one bucket per two rows: a bucket of unrelated rows then reaches a cap
    # of 20 with a chance below 1e-12, and the counts stay small in memory.
    bits = int(np.ceil(np.log2(max(rows, 1)))) - 1
    return max(_MIN_BUCKET_BITS, min(_MAX_BUCKET_BITS, bits))


def _scan_sql(
    relation: str,
    *,
    id_sql: str,
    citizens: CitizenKeys,
    module_sql: str,
    initiated_sql: str,
    with_groups: bool,
) -> str:
    inner = [
        "_seq",
        f"{id_sql} AS _id",
        f"{module_sql} AS _module",
        f"{initiated_sql} AS _initiated",
        *citizens.scan_columns(),
    ]
    second = ["_seq", "_id", "_module", "_initiated", *citizens.scan_prepare()]
    flags = (
        f"(CASE WHEN _id IS NULL THEN {_ID_MISSING} ELSE 0 END + "
        f"CASE WHEN {citizens.scan_present()} THEN 0 ELSE {_CITIZEN_MISSING} END + "
        f"{citizens.scan_kind()})"
    )
    select = ["_seq", "coalesce(hash(_id), 0) AS h", f"CAST({flags} AS UTINYINT) AS f"]
    if with_groups:
        standin = citizens.scan_standin()
        select.append(f"{group_hash_sql(standin, '_initiated', '_module')} AS gh")
        if citizens.deferred:
            module = f"list_position({_MODULE_CODES}, _module)"
            select.append(
                f"CAST(coalesce({day_key_sql('_initiated')} * 4 + {module}, -1) "
                "AS INTEGER) AS dm"
            )
    return (
        f"SELECT {', '.join(select)} FROM (SELECT {', '.join(second)} FROM "
        f"(SELECT {', '.join(inner)} FROM {relation}))"
    )


def _fetch(
    con: duckdb.DuckDBPyConnection, sql: str, rows_hint: int | None
) -> dict[str, np.ndarray]:
    """The result of ``sql`` as numpy arrays, streamed into arrays of the expected
    size: one copy of the data in memory instead of two."""
    reader = con.sql(sql).to_arrow_reader(1 << 20)
    size = rows_hint or 0
    out = {
        field.name: np.empty(size, dtype=field.type.to_pandas_dtype())
        for field in reader.schema
    }
    done = 0
    for batch in reader:
        end = done + batch.num_rows
        if end > size:  # more rows than announced: grow
            size = max(end, 2 * size)
            out = {k: np.resize(v, size) for k, v in out.items()}
        for name, column in zip(reader.schema.names, batch.columns, strict=True):
            out[name][done:end] = column.to_numpy(zero_copy_only=False)
        done = end
    return {k: v[:done] for k, v in out.items()}


def _repeated(hashes: np.ndarray) -> np.ndarray:
    """Mask of the entries whose value may occur more than once (a superset)."""
    ordered = np.sort(hashes)
    twice = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
    del ordered
    result = np.zeros(hashes.size, dtype=bool)
    if twice.size == 0:
        return result
    shift = np.uint64(64 - ID_BITMAP_BITS)
    bitmap = np.zeros(1 << (ID_BITMAP_BITS - 3), dtype=np.uint8)
    slots = twice >> shift
    np.bitwise_or.at(
        bitmap,
        slots >> np.uint64(3),
        np.left_shift(1, slots & np.uint64(7)).astype(np.uint8),
    )
    step = 1 << 20  # in slices, to keep the temporaries small
    for start in range(0, hashes.size, step):
        slots = hashes[start : start + step] >> shift
        byte = bitmap[slots >> np.uint64(3)]
        result[start : start + step] = (
            byte >> (slots & np.uint64(7)).astype(np.uint8)
        ) & 1
    return result


def _saturated(counts: np.ndarray, cap: int) -> np.ndarray:
    """Bucket counts in a small type, saturated just above ``cap`` (cache-friendly)."""
    dtype = np.uint8 if cap < 255 else np.uint32
    return np.minimum(counts, cap + 1).astype(dtype)


def _probes(
    buckets: np.ndarray,
    per_row: np.ndarray,
    dm: np.ndarray,
    kind: np.ndarray,
    eligible: np.ndarray,
    daily_cap: int,
    bits: int,
) -> np.ndarray:
    """Phone rows that could share a cap group with id rows (see the docstring).

    Linear in the rows: the largest ``b`` of each day and module is needed only
    where some id bucket holds more than one id row; everywhere else it is at most 1.
    """
    phone = eligible & (kind == KIND_PHONE)
    ids = eligible & (kind == KIND_ID)
    if not phone.any() or not ids.any():
        return np.zeros(0, dtype=np.int64)
    # Id rows counted apart, so that a busy phone bucket they happen to share does
    # not inflate their ``b``.
    id_buckets = buckets[ids]
    b = _saturated(np.bincount(id_buckets, minlength=1 << bits), daily_cap)[id_buckets]
    several = b > 1
    heavy_dm, heavy_b = dm[ids][several], b[several].astype(np.int64)
    order = np.lexsort((heavy_b, heavy_dm))
    keys, last = np.unique(heavy_dm[order][::-1], return_index=True)
    largest = heavy_b[order][::-1][last]
    # Only phone rows whose own count is close to the cap can qualify.
    threshold = daily_cap + 1 - max(int(largest.max(initial=1)), 1)
    where = np.flatnonzero(phone & (per_row >= max(threshold, 0)))
    extra = np.ones(where.size, dtype=np.int64)
    if keys.size:
        slot = np.minimum(np.searchsorted(keys, dm[where]), keys.size - 1)
        extra = np.where(keys[slot] == dm[where], largest[slot], 1)
    return where[per_row[where].astype(np.int64) + extra > daily_cap]


def special_rows(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    *,
    id_sql: str,
    citizens: CitizenKeys,
    module_sql: str,
    initiated_sql: str,
    daily_cap: int | None,
    rows_hint: int | None = None,
) -> Special:
    """The rows that may share an id or be in a cap group over the cap, and the
    rows without id or citizen.

    ``*_sql`` are expressions over ``relation`` giving the parsed values;
    ``daily_cap`` None skips the cap groups.
    """
    started = time.perf_counter()
    sql = _scan_sql(
        relation,
        id_sql=id_sql,
        citizens=citizens,
        module_sql=module_sql,
        initiated_sql=initiated_sql,
        with_groups=daily_cap is not None,
    )
    result = _fetch(con, sql, rows_hint)
    logger.debug("candidate scan: %.2f s", time.perf_counter() - started)
    started = time.perf_counter()
    seq = np.asarray(result["_seq"], dtype=np.int64)
    flags = np.asarray(result["f"], dtype=np.uint8)
    missing = (flags & (_ID_MISSING | _CITIZEN_MISSING)) != 0
    has_id = np.flatnonzero((flags & _ID_MISSING) == 0)
    dup = np.zeros(seq.size, dtype=bool)
    dup[has_id] = _repeated(np.asarray(result["h"], dtype=np.uint64)[has_id])
    crowded = np.zeros(seq.size, dtype=bool)
    id_seq = np.zeros(0, dtype=np.int64)
    id_hash = np.zeros(0, dtype=np.uint64)
    if daily_cap is not None:
        bits = _bucket_bits(rows_hint or seq.size)
        group = np.asarray(result["gh"], dtype=np.uint64)
        buckets = (group >> np.uint64(64 - bits)).astype(np.int64)
        eligible = ~missing
        # Rows without id or citizen never count; counting them anyway only
        # widens the superset, and saves a copy of the bucket array.
        counts = _saturated(np.bincount(buckets, minlength=1 << bits), daily_cap)
        per_row = counts[buckets]
        crowded = eligible & (per_row > daily_cap)
        if citizens.deferred:
            kind = flags & (KIND_PHONE | KIND_ID)
            dm = np.asarray(result["dm"], dtype=np.int64)
            probes = _probes(buckets, per_row, dm, kind, eligible, daily_cap, bits)
            crowded[probes] = True
            # An id row can only join a probed phone row of its own day and module.
            keyed_by_id = eligible & (kind == KIND_ID) & np.isin(dm, dm[probes])
            id_seq, id_hash = seq[keyed_by_id], group[keyed_by_id]
    chosen = dup | crowded | missing
    logger.debug("candidate analysis (numpy): %.2f s", time.perf_counter() - started)
    logger.info(
        "candidates: %d of %d rows (versions %d, cap %d, missing %d)",
        int(chosen.sum()),
        seq.size,
        int(dup.sum()),
        int(crowded.sum()),
        int(missing.sum()),
    )
    return Special(
        seq[chosen],
        dup[chosen],
        crowded[chosen],
        missing[chosen],
        id_seq,
        id_hash,
        int(seq.size),
    )
