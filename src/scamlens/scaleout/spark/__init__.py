"""The batch core's contract, cleaning rules and indicators, on Apache Spark.

Nothing is redefined here: the record contract (:mod:`scamlens.contract`), the rules
and their thresholds (:mod:`scamlens.cleaning.rules`) and the indicator declarations
(:mod:`scamlens.indicators`) are compiled to Spark SQL; rates come from
:func:`scamlens.indicators.with_rates` on the collected counts. The numbers equal the
DuckDB engine's, to the last count (``tests/scaleout`` checks it).

Importing this package does not import pyspark; the functions do, when called.

Library use::

    from scamlens.scaleout.spark import local_session, spark_metrics

    spark = local_session("local[*]")
    result = spark_metrics(spark, "records.csv", ["day"], settings, as_of)
    result.counts, result.report          # as scamlens.jobs.metrics.compute_metrics

See ``docs/spark.md`` for the streaming path and the Kafka recipe.
"""

from scamlens.scaleout.spark.pipeline import SparkCleaning, spark_metrics
from scamlens.scaleout.spark.read import SparkFile, inspect_file, land_files, land_json
from scamlens.scaleout.spark.session import local_session, prepare, scamlens_conf
from scamlens.scaleout.spark.store import CubeStore
from scamlens.scaleout.spark.streaming import (
    Output,
    StreamProcessor,
    start_folder_stream,
)

__all__ = [
    "CubeStore",
    "Output",
    "SparkCleaning",
    "SparkFile",
    "StreamProcessor",
    "inspect_file",
    "land_files",
    "land_json",
    "local_session",
    "prepare",
    "scamlens_conf",
    "spark_metrics",
    "start_folder_stream",
]
