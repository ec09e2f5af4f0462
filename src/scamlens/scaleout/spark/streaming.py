"""Structured Streaming over files landing in a folder, with exact indicators.

The stream itself only discovers files: a ``binaryFile`` file source over the folder
(without reading contents) whose checkpoint remembers which files were handed to
which micro-batch. Each micro-batch (``foreachBatch``) lands its files with the batch
reader (:mod:`.read`: same formats, same checks, same read order), appends them to
the :class:`~.store.CubeStore` and recomputes the days they affect.

What this guarantees, and what the tests check:

- After each micro-batch the cube, and every output written from it, equals
  ``scamlens metrics`` (DuckDB) over all records received so far, read in stream
  order — micro-batch by micro-batch, files by name within one, rows in file
  order — at the micro-batch's as-of time. Corrections and late records retract
  what they replace, because whole days are recomputed.
- Exactly once: the checkpoint replays an unfinished micro-batch with the same
  files and batch id; the store overwrites that batch's partitions instead of
  appending, so a replay gives the same state as one run.
- The as-of time is fixed (``as_of``) or the wall clock at each micro-batch, never
  moving backwards; days holding ``future_time`` records are re-judged once the clock
  passes them.

Kafka (documented in ``docs/spark.md``, not tested here): the same processor takes a
micro-batch of JSON message values through :meth:`StreamProcessor.process_json`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from scamlens.errors import SourceError
from scamlens.privacy import resolve_key
from scamlens.reports.writers import write_indicators
from scamlens.scaleout.spark.parse import parse_landed
from scamlens.scaleout.spark.read import inspect_file, land_files, land_json
from scamlens.scaleout.spark.session import prepare, scamlens_conf
from scamlens.scaleout.spark.store import Commit, CubeStore
from scamlens.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.streaming import StreamingQuery

__all__ = ["Output", "StreamProcessor", "start_folder_stream"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Output:
    """An indicator file rewritten after every micro-batch."""

    dims: tuple[str, ...]
    path: Path


@dataclass
class StreamProcessor:
    """Turns micro-batches into store updates and output files."""

    spark: SparkSession
    state: Path
    settings: Settings
    as_of: datetime | None = None
    """Fixed cut-off for ``future_time``; None follows the wall clock."""
    outputs: Sequence[Output] = ()
    encoding: str | None = None
    delimiter: str | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    store: CubeStore = field(init=False)

    def __post_init__(self) -> None:
        prepare(self.spark)
        self.store = CubeStore(self.spark, self.state)
        self._key = resolve_key(self.settings)

    def process_files(self, batch: DataFrame, batch_id: int) -> None:
        """``foreachBatch`` handler of the folder stream (a frame of file paths)."""
        paths = sorted(row["path"] for row in batch.select("path").collect())
        self.process_paths(paths, batch_id)

    def process_paths(self, paths: Sequence[str], batch_id: int) -> None:
        """Land ``paths`` (read in this order) as micro-batch ``batch_id``."""
        files = []
        for path in paths:
            try:
                files.append(
                    inspect_file(path, encoding=self.encoding, delimiter=self.delimiter)
                )
            except SourceError as exc:
                logger.error("micro-batch %d: skipped file %s: %s", batch_id, path, exc)
        if not files:
            logger.info("micro-batch %d: no readable files", batch_id)
            return
        with scamlens_conf(self.spark):
            landed = land_files(self.spark, files, self._key, batch=batch_id)
            self._apply(landed, batch_id)

    def process_json(
        self,
        batch: DataFrame,
        batch_id: int,
        *,
        text: str = "value",
        partition: str = "partition",
        offset: str = "offset",
    ) -> None:
        """``foreachBatch`` handler for JSON message values (e.g. from Kafka).

        Read order within the micro-batch is by ``partition``, then ``offset``.
        """
        framed = batch.selectExpr(
            f"named_struct('batch', {int(batch_id)}L, "
            f"'file', CAST({partition} AS BIGINT), 'block', 0L, "
            f"'row', CAST({offset} AS BIGINT)) AS _seq",
            f"CAST({text} AS STRING) AS value",
        )
        with scamlens_conf(self.spark):
            self._apply(land_json(framed, self._key), batch_id)

    def _as_of(self) -> tuple[datetime, datetime | None]:
        last = self.store.last_commit()
        previous = last.as_of if last else None
        if self.as_of is not None:
            return self.as_of, previous
        now = self.clock()
        return (max(now, previous) if previous else now), previous

    def _apply(self, landed: DataFrame, batch_id: int) -> None:
        started = time.monotonic()
        as_of, previous = self._as_of()
        self.store.add(parse_landed(landed), batch_id)
        rows, days = self.store.affected_days(batch_id, as_of, previous)
        stored = time.monotonic()
        self.store.recompute(days, self.settings.cleaning, as_of)
        self.store.commit(Commit(batch_id, as_of, tuple(days), rows))
        judged = time.monotonic()
        for output in self.outputs:
            write_indicators(self.store.counts(output.dims), output.path, output.dims)
        logger.info(
            "micro-batch %d: %d records, %d days recomputed; store %.1fs, "
            "recompute %.1fs, outputs %.1fs",
            batch_id,
            rows,
            len(days),
            stored - started,
            judged - stored,
            time.monotonic() - judged,
        )


def start_folder_stream(
    processor: StreamProcessor,
    folder: str | Path,
    checkpoint: str | Path,
    *,
    pattern: str = "*",
    available_now: bool = False,
    interval: str = "10 seconds",
    max_files: int | None = None,
) -> StreamingQuery:
    """Start the folder stream; ``available_now`` processes what is there and stops.

    Files must appear atomically (write elsewhere, then move into the folder).
    """
    from pyspark.sql import types as T

    schema = T.StructType(
        [
            T.StructField("path", T.StringType()),
            T.StructField("modificationTime", T.TimestampType()),
            T.StructField("length", T.LongType()),
            T.StructField("content", T.BinaryType()),
        ]
    )
    reader = processor.spark.readStream.format("binaryFile").schema(schema)
    reader = reader.option("pathGlobFilter", pattern)
    if max_files:
        reader = reader.option("maxFilesPerTrigger", int(max_files))
    files = reader.load(str(folder)).select("path")
    writer = files.writeStream.foreachBatch(processor.process_files)
    writer = writer.option("checkpointLocation", str(checkpoint))
    writer = (
        writer.trigger(availableNow=True)
        if available_now
        else writer.trigger(processingTime=interval)
    )
    return writer.start()
