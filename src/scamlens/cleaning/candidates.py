"""Find the few rows that need the expensive, set-based parts of cleaning.

Two cleaning steps look at more than one row: version resolution (rows sharing an
``outreach_id``) and the daily cap (rows sharing a citizen, local day and module).
On real data almost every id has one version and almost every citizen is far below
the cap, so ranking every row would waste most of the work. This module picks a
superset of the rows that can be affected, cheaply:

1. DuckDB computes, in one parallel scan, a 64-bit hash of each row's id and a
   20-bit bucket of the hash of its cap group (citizen, local day, module).
2. Ids: numpy sorts the id hashes (a radix-like sort of plain integers, far cheaper
   than a hash aggregate of strings); hashes seen twice mark their rows.
3. Cap groups: ``bincount`` counts rows per bucket. A group over the cap puts more
   than cap rows in its bucket, so only rows in such buckets can be over the cap.
   With 2**20 buckets a few unrelated rows share a bucket; they are harmless.

Hash collisions can only add rows to the result, never remove one, so the exact
cleaning that runs on the result stays exact. The local-day part of the group key
is UTC+8 arithmetic, which equals Asia/Shanghai time since 1992; older timestamps
share one key, which again only widens the superset.
"""

from __future__ import annotations

import logging

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["BUCKET_BITS", "day_key_sql", "special_rows"]

logger = logging.getLogger(__name__)

BUCKET_BITS = 20
_SHANGHAI_FIXED_SINCE = "TIMESTAMPTZ '1992-01-01 00:00:00+08'"


def day_key_sql(ts: str) -> str:
    """Integer local-day number of ``ts`` for grouping (0 before 1992)."""
    return (
        f"(CASE WHEN {ts} >= {_SHANGHAI_FIXED_SINCE} THEN "
        f"(epoch_us({ts}) + 28800000000) // 86400000000 ELSE 0 END)"
    )


def _repeated(hashes: np.ndarray) -> np.ndarray:
    """Boolean mask of the entries whose value occurs more than once."""
    ordered = np.sort(hashes)
    repeated = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
    if repeated.size == 0:
        return np.zeros(hashes.size, dtype=bool)
    mask = pc.is_in(pa.array(hashes), value_set=pa.array(repeated))
    return np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool)


def _crowded(buckets: np.ndarray, more_than: int) -> np.ndarray:
    """Boolean mask of the entries whose bucket holds more than ``more_than``."""
    counts = np.bincount(buckets, minlength=1 << BUCKET_BITS)
    return np.asarray(counts[buckets] > more_than)


def special_rows(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    *,
    id_sql: str,
    citizen_sql: str,
    module_sql: str,
    initiated_sql: str,
    daily_cap: int | None,
) -> np.ndarray:
    """``_seq`` of the rows that may share an id, or a cap group over the cap.

    ``*_sql`` are expressions over ``relation`` giving the parsed values;
    ``daily_cap`` None skips the cap groups.
    """
    group = (
        f"CAST(hash({citizen_sql}, {day_key_sql(initiated_sql)}, {module_sql}) "
        f">> {64 - BUCKET_BITS} AS UINTEGER)"
        if daily_cap is not None
        else "CAST(0 AS UINTEGER)"
    )
    result = con.sql(
        f"SELECT _seq, hash({id_sql}) AS h, {group} AS g FROM {relation}"
    ).fetchnumpy()
    seq = np.asarray(result["_seq"], dtype=np.int64)
    chosen = _repeated(np.asarray(result["h"], dtype=np.uint64))
    if daily_cap is not None:
        chosen |= _crowded(np.asarray(result["g"], dtype=np.int64), daily_cap)
    logger.info("rows for set-based rules: %d of %d", int(chosen.sum()), seq.size)
    return seq[chosen]
