"""Find the few rows that need the expensive, set-based parts of cleaning.

Two cleaning steps look at more than one row: version resolution (rows sharing an
``outreach_id``) and the daily cap (rows sharing a citizen, local day and module).
On real data almost every id has one version and almost every citizen is far below
the cap, so ranking every row would waste most of the work. This module picks a
superset of the rows that can be affected, cheaply:

1. DuckDB reads only the id, the citizen, the time and the module, in one parallel
   scan, and gives per row its ``_seq`` (as a 32-bit offset when it fits), the top
   32 bits of a hash of the id, a few flag bits (id missing, citizen missing, kind
   of citizen key) and the 64-bit hash of its cap group (citizen stand-in, local
   day and module), whose top bits are the group's *bucket*; where a citizen may
   appear both by phone and by ``citizen_id`` (step 4), also the group's day and
   module. Narrow integers keep the result small: fresh memory is costly (the
   kernel zeroes every page of it).
2. Ids: numpy sorts the 32-bit id hashes (a SIMD sort of plain integers, far cheaper
   than a hash aggregate of strings); the values seen twice mark slots of a bitmap
   of :data:`ID_SLOT_BITS` bits, and every row whose hash hits a marked slot may
   share its id. At ten million rows, 32-bit collisions add some twenty thousand
   rows and the bitmap as many again: a few tenths of a percent.
3. Cap groups: ``bincount`` counts rows per bucket (in a second thread, beside
   step 2: numpy releases the GIL in both). A group over the cap puts more
   than cap rows in its bucket, so only rows in such buckets can be over the cap.
   There is about a bucket per row (more for a small cap, see :func:`bucket_bits`),
   so unrelated rows rarely crowd one; when they do, they are harmless extra
   candidates.
4. Deferred pseudonyms (see :mod:`scamlens.cleaning.citizens`): a row keyed by its
   ``citizen_id`` alone may be the same citizen as phone rows (``a`` rows) of the
   same day and module, when that ``citizen_id`` is the pseudonym of their phone.
   The ``citizen_id`` rows of one citizen share a bucket, so no more than ``b``
   of them join, ``b`` being the largest count of ``citizen_id`` rows in one bucket
   of that day and module. Their union can pass the cap only if ``a + b > cap``,
   so phone rows whose bucket count plus that ``b`` exceeds the cap are candidates
   too. Which id rows really join them is known only once those phone rows are
   pseudonymised; :class:`Special` keeps the full 64-bit group hash of the id rows
   of those days and modules, so that the pipeline can then add them (see
   :meth:`Special.id_rows_in`).

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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import duckdb
import numpy as np

from scamlens.cleaning.citizens import KIND_ID, KIND_PHONE, CitizenKeys

__all__ = [
    "ID_SLOT_BITS",
    "Special",
    "bucket_bits",
    "day_key_sql",
    "group_hash_sql",
    "special_rows",
]

logger = logging.getLogger(__name__)

ID_SLOT_BITS = 24
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
    """The 64-bit hash of a row's cap group (citizen stand-in, local day, module)."""
    return f"hash({standin}, {day_key_sql(initiated)}, {module})"


def _day_module_sql(initiated: str, module: str) -> str:
    """Local day and module as one number (0 when either is unknown)."""
    position = f"list_position({_MODULE_CODES}, {module})"
    return (
        f"CAST(coalesce({day_key_sql(initiated)} * 4 + {position}, -1) + 1 AS UINTEGER)"
    )


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


def bucket_bits(rows: int, daily_cap: int) -> int:
    """Bits of the cap-group bucket for ``rows`` rows.

    About one bucket per row for the default cap of 20 (more for a smaller cap): a
    bucket of unrelated rows then passes the cap with a chance far below 1e-12, and
    a citizen somewhat below the cap seldom shares a bucket with others (which
    matters for the probes of step 4).
    """
    per_bucket = min(1.25, max(daily_cap / 16, 0.25))
    bits = int(np.ceil(np.log2(max(rows, 1) / per_bucket)))
    return max(_MIN_BUCKET_BITS, min(_MAX_BUCKET_BITS, bits))


def _scan_sql(
    relation: str,
    *,
    id_sql: str,
    citizens: CitizenKeys,
    module_sql: str,
    initiated_sql: str,
    cap_groups: bool,
    seq_base: int | None = None,
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
    seq = "_seq" if seq_base is None else f"CAST(_seq - {seq_base} AS UINTEGER)"
    select = [
        f"{seq} AS _seq",
        "CAST(coalesce(hash(_id), 0) >> 32 AS UINTEGER) AS h",
        f"CAST({flags} AS UTINYINT) AS f",
    ]
    if cap_groups:
        # The full group hash: its top bits are the bucket (numpy shifts them in
        # place), and the citizen_id rows keep it whole (step 4).
        select.append("_gh AS g")
        if citizens.mixed:
            select.append(f"{_day_module_sql('_initiated', '_module')} AS dm")
    prepared = (
        f"SELECT {', '.join(second)} FROM (SELECT {', '.join(inner)} FROM {relation})"
    )
    if cap_groups:
        group = group_hash_sql(citizens.scan_standin(), "_initiated", "_module")
        prepared = f"SELECT *, {group} AS _gh FROM ({prepared})"
    return f"SELECT {', '.join(select)} FROM ({prepared})"


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
    """Mask of the entries whose value may occur more than once (a superset).

    ``hashes`` is an unsigned integer array; its top :data:`ID_SLOT_BITS` bits index
    the bitmap. It is overwritten (shifted in place: no second array of its size).
    """
    ordered = np.sort(hashes)
    twice = ordered[1:][ordered[1:] == ordered[:-1]]
    del ordered
    if twice.size == 0:
        return np.zeros(hashes.size, dtype=bool)
    shift = hashes.dtype.itemsize * 8 - ID_SLOT_BITS
    marked = np.zeros(1 << ID_SLOT_BITS, dtype=bool)
    marked[twice >> shift] = True
    np.right_shift(hashes, shift, out=hashes, casting="unsafe")
    return marked[hashes]


def _probes(
    bucket: np.ndarray,
    counts: np.ndarray,
    day_module: np.ndarray,
    kind: np.ndarray,
    eligible: np.ndarray,
    ids: np.ndarray,
    daily_cap: int,
) -> np.ndarray:
    """Phone rows that could share a cap group with id rows (see the docstring).

    ``counts`` are the rows per bucket, ``ids`` the positions of the eligible rows
    keyed by ``citizen_id`` alone. Wide work is one gather and two masks; the rest
    runs over the id rows and over phone rows already close to the cap.
    """
    if ids.size == 0:
        return np.zeros(0, dtype=np.int64)
    # Id rows per bucket, over the id rows only (a bincount over every bucket
    # would allocate and scan as many counters as there are buckets).
    _, inverse, per_bucket = np.unique(
        bucket[ids], return_inverse=True, return_counts=True
    )
    per_id = per_bucket[inverse]
    id_dm = day_module[ids].astype(np.int64)
    largest = np.zeros(int(id_dm.max()) + 1, dtype=np.int64)
    np.maximum.at(largest, id_dm, per_id)
    near = counts >= max(daily_cap + 1 - int(largest.max()), 0)
    phone = np.flatnonzero(near[bucket] & (kind == KIND_PHONE) & eligible)
    if phone.size == 0:
        return phone.astype(np.int64)
    phone_dm = day_module[phone].astype(np.int64)
    inside = phone_dm < largest.size
    extra = np.where(inside, largest[np.where(inside, phone_dm, 0)], 0)
    return phone[counts[bucket[phone]] + extra > daily_cap].astype(np.int64)


def _versions(id_hashes: np.ndarray, flags: np.ndarray) -> np.ndarray:
    """Rows that may share their id with another row (``id_hashes`` is consumed)."""
    dup = _repeated(id_hashes)
    dup &= (flags & _ID_MISSING) == 0
    return dup


def _cap_groups(
    groups: np.ndarray,
    flags: np.ndarray,
    eligible: np.ndarray,
    day_module: np.ndarray | None,
    bits: int,
    daily_cap: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows that may be in a cap group over the cap; and, where citizens appear
    both ways (``day_module`` given), the positions and group hashes of the id rows
    that may join one (step 4).

    ``groups`` (the 64-bit group hashes) is consumed: shifted in place into the
    buckets. Rows without id or citizen (not ``eligible``) are counted in their
    bucket, which only widens the superset, but are never candidates.
    """
    ids = np.zeros(0, dtype=np.int64)
    id_hash = np.zeros(0, dtype=np.uint64)
    kind = flags & (KIND_PHONE | KIND_ID)
    if day_module is not None:
        ids = np.flatnonzero(eligible & (kind == KIND_ID))
        id_hash = groups[ids]
    # The top bits, as the BIGINT bincount counts in, without a second array.
    bucket = np.right_shift(groups, 64 - bits, out=groups).view(np.int64)
    counts = np.bincount(bucket, minlength=1 << bits)
    crowded = (counts > daily_cap)[bucket] & eligible
    if day_module is not None:
        probes = _probes(bucket, counts, day_module, kind, eligible, ids, daily_cap)
        crowded[probes] = True
        # An id row can only join a probed phone row of its own day and module.
        keep = np.isin(day_module[ids], np.unique(day_module[probes]))
        ids, id_hash = ids[keep], id_hash[keep]
    return crowded, ids, id_hash


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
    seq_range: tuple[int, int] | None = None,
) -> Special:
    """The rows that may share an id or be in a cap group over the cap, and the
    rows without id or citizen.

    ``*_sql`` are expressions over ``relation`` giving the parsed values;
    ``daily_cap`` None skips the cap groups. ``seq_range`` (the least and greatest
    ``_seq``) lets the scan send ``_seq`` as a 32-bit offset when it fits.
    """
    started = time.perf_counter()
    bits = None if daily_cap is None else bucket_bits(rows_hint or 0, daily_cap)
    base = None
    if seq_range is not None and seq_range[1] - seq_range[0] < 2**32:
        base = seq_range[0]
    sql = _scan_sql(
        relation,
        id_sql=id_sql,
        citizens=citizens,
        module_sql=module_sql,
        initiated_sql=initiated_sql,
        cap_groups=bits is not None,
        seq_base=base,
    )
    result = _fetch(con, sql, rows_hint)
    logger.debug("candidate scan: %.2f s", time.perf_counter() - started)
    started = time.perf_counter()
    seq = result["_seq"]
    flags = result["f"]
    missing = (flags & (_ID_MISSING | _CITIZEN_MISSING)) != 0
    crowded = np.zeros(seq.size, dtype=bool)
    ids = np.zeros(0, dtype=np.int64)
    id_hash = np.zeros(0, dtype=np.uint64)
    # Versions and cap groups are independent: numpy releases the GIL in the
    # sort, the gathers and the masks, so the two analyses share the cores.
    with ThreadPoolExecutor(max_workers=1) as pool:
        versions = pool.submit(_versions, result.pop("h"), flags)
        if daily_cap is not None and bits is not None:
            crowded, ids, id_hash = _cap_groups(
                result.pop("g"),
                flags,
                ~missing,
                result.get("dm") if citizens.mixed else None,
                bits,
                daily_cap,
            )
        dup = versions.result()
    id_seq = seq[ids].astype(np.int64) + (base or 0)
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
        seq[chosen].astype(np.int64) + (base or 0),
        dup[chosen],
        crowded[chosen],
        missing[chosen],
        id_seq,
        id_hash,
        int(seq.size),
    )
