"""The state of a Spark stream: landed records and a per-day count cube, in Parquet.

Exactly-equal streaming needs retractions: a corrected version replaces the earlier
one in every group it touched, and one late attempt can push a citizen's day over the
daily cap. Instead of retracting counts, the store recomputes whole *days*:

- ``records/`` holds every parsed record (pseudonymised, no free text), partitioned by
  local day and micro-batch, one file per partition. A micro-batch writes only its
  own partitions, with dynamic partition overwrite, so a replayed batch rewrites the
  same files.
- ``cube/`` holds, per local day, the counts of every reason and, for counted
  attempts, the five counts at the finest breakdown (:data:`.compile.CUBE_DIMENSIONS`);
  every published breakdown and the cleaning report are roll-ups of it.

A record's verdict depends only on the versions of its ``outreach_id`` and on the
attempts of its (citizen, day, module), all on its own day. So after a micro-batch
the affected days are: the days of its records, the days of earlier versions of its
ids, and (when the as-of time moved) days holding ``future_time`` records that are
no longer in the future. Those days are recomputed from the records with the batch
pipeline and their cube partitions rewritten; the others cannot have changed.

There is no transaction across partitions (no Delta Lake): a reader may see a day
rewritten while another is not yet. ``commits/<batch>.json`` is written last and
names the batch, its as-of time and the days it rewrote.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pyarrow as pa

from scamlens.cleaning.parse import PARSED_COLUMNS
from scamlens.cleaning.report import CleaningReport
from scamlens.indicators import COUNT_NAMES
from scamlens.scaleout.spark.cleaning import verdicts
from scamlens.scaleout.spark.compile import (
    CUBE_DIMENSIONS,
    count_columns,
    dimension_column,
)
from scamlens.scaleout.spark.pipeline import count_by, reason_counts
from scamlens.settings import TIMEZONE, CleaningSettings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["RECORD_COLUMNS", "Commit", "CubeStore", "day_key"]

logger = logging.getLogger(__name__)

# The parsed columns the cube needs (no free text: lead ids and transcripts are not
# stored), framed by read order and the parse verdicts.
_NOT_STORED = ("lead_id", "transcript")
RECORD_COLUMNS: tuple[str, ...] = (
    "_seq",
    "_malformed",
    *(c for c in PARSED_COLUMNS if c not in _NOT_STORED),
    "missing_field",
    "bad_field",
)
"""What the store keeps of a parsed record: what cleaning and counting read."""

NO_DAY = "none"


def day_key() -> str:
    """SQL for a record's day partition: ``d<days since 1970>``, or ``none``."""
    return (
        "coalesce(concat('d', CAST(unix_date(to_date(initiated_at)) AS STRING)), "
        f"'{NO_DAY}')"
    )


@dataclass(frozen=True)
class Commit:
    """What a finished micro-batch wrote."""

    batch: int
    as_of: datetime
    days: tuple[str, ...]
    rows: int


class CubeStore:
    """Records and the count cube of one stream, under ``root``."""

    def __init__(self, spark: SparkSession, root: str | Path) -> None:
        self.spark = spark
        self.root = Path(root)
        self.records = str(self.root / "records")
        self.cube_path = str(self.root / "cube")
        self.commits = self.root / "commits"

    def _read(self, path: str) -> DataFrame | None:
        if not Path(path).exists():
            return None
        return self.spark.read.parquet(path)

    def last_commit(self) -> Commit | None:
        """The last micro-batch that finished, if any."""
        if not self.commits.is_dir():
            return None
        files = sorted(self.commits.glob("*.json"), key=lambda p: int(p.stem))
        if not files:
            return None
        data = json.loads(files[-1].read_text(encoding="utf-8"))
        return Commit(
            data["batch"],
            datetime.fromisoformat(data["as_of"]),
            tuple(data["days"]),
            data["rows"],
        )

    def add(self, parsed: DataFrame, batch: int) -> None:
        """Write the parsed records of micro-batch ``batch`` (a replay overwrites)."""
        rows = parsed.selectExpr(
            *RECORD_COLUMNS, f"{day_key()} AS day_key", f"{int(batch)}L AS batch"
        ).repartition("day_key")
        rows.write.mode("overwrite").option(
            "partitionOverwriteMode", "dynamic"
        ).partitionBy("day_key", "batch").parquet(self.records)

    def affected_days(
        self, batch: int, as_of: datetime, previous: datetime | None
    ) -> tuple[int, list[str]]:
        """The records of micro-batch ``batch``, and the days whose verdicts it (at
        ``as_of``, the previous batch having run at ``previous``) may have changed."""
        from pyspark.sql import functions as F

        records = self.spark.read.parquet(self.records)
        new_ids = (
            records.where(f"batch = {int(batch)} AND outreach_id IS NOT NULL")
            .select("outreach_id")
            .distinct()
            .withColumn("_new_id", F.lit(True))
        )
        touched = (
            records.join(new_ids, "outreach_id", "left")
            .groupBy("day_key")
            .agg(
                F.count(F.when(F.col("batch") == int(batch), 1)).alias("new"),
                F.count(F.when(F.col("_new_id"), 1)).alias("versions"),
            )
            .where("new > 0 OR versions > 0")
            .collect()
        )
        rows = sum(int(row["new"]) for row in touched)
        days = {row["day_key"] for row in touched}
        cube = self._read(self.cube_path)
        if cube is not None and previous is not None and as_of > previous:
            local_day = as_of.astimezone(ZoneInfo(TIMEZONE)).date()
            limit = (local_day - datetime(1970, 1, 1).date()).days
            future = cube.where("reason = 'future_time'").select("day_key").distinct()
            days |= {
                k for (k,) in future.collect() if k != NO_DAY and int(k[1:]) <= limit
            }
        return rows, sorted(days)

    def recompute(
        self, days: Sequence[str], settings: CleaningSettings, as_of: datetime
    ) -> None:
        """Rebuild the cube partitions of ``days`` from the records."""
        from pyspark.sql import functions as F

        if not days:
            return
        records = self.spark.read.parquet(self.records).drop("batch")
        chosen = F.col("day_key").isin(list(days))
        on_days = records.where(chosen)
        ids = on_days.where("outreach_id IS NOT NULL").select("outreach_id").distinct()
        context = records.where(~chosen).join(ids, "outreach_id", "left_semi")
        scope = on_days.unionByName(context)
        judged = (
            verdicts(scope.drop("day_key"), settings, as_of)
            .withColumn("day_key", F.expr(day_key()))
            .where(chosen)
        )
        counted = F.col("reason").isNull()
        dims = [F.when(counted, dimension_column(d)).alias(d) for d in CUBE_DIMENSIONS]
        cube = judged.groupBy("day_key", "reason", *dims).agg(*count_columns())
        cube.repartition("day_key").write.mode("overwrite").option(
            "partitionOverwriteMode", "dynamic"
        ).partitionBy("day_key").parquet(self.cube_path)

    def commit(self, commit: Commit) -> None:
        """Record that micro-batch ``commit.batch`` finished (written last)."""
        self.commits.mkdir(parents=True, exist_ok=True)
        data = {
            "batch": commit.batch,
            "as_of": commit.as_of.isoformat(),
            "days": list(commit.days),
            "rows": commit.rows,
        }
        path = self.commits / f"{commit.batch}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        tmp.replace(path)

    def cube(self) -> DataFrame | None:
        """The count cube (None before the first micro-batch)."""
        return self._read(self.cube_path)

    def counts(self, dims: Sequence[str]) -> pa.Table:
        """Counts per group of ``dims`` over everything streamed so far."""
        cube = self.cube()
        if cube is None:
            from scamlens.scaleout.spark.compile import arrow_schema

            return arrow_schema(dims).empty_table()
        return count_by(cube.where("reason IS NULL"), dims, cube=True)

    def report(self) -> CleaningReport:
        """Records read so far and where each went."""
        cube = self.cube()
        if cube is None:
            return CleaningReport.from_reasons({})
        return reason_counts(cube, weight=COUNT_NAMES[0])
