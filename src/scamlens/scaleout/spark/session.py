"""Getting a Spark session that computes what the DuckDB engine computes.

Two session settings change results, so they are set on every session scamlens uses,
whether it built the session or was handed one:

- ``spark.sql.session.timeZone`` is Asia/Shanghai, the contract's local time: local
  days and hours of timestamps follow it, exactly as DuckDB's ``TimeZone`` does.
- ``spark.sql.parquet.inferTimestampNTZ.enabled`` stays on, so a Parquet timestamp
  without a zone is read as local wall time (as DuckDB reads a naive TIMESTAMP).
- ``spark.sql.legacy.javaCharsets`` is on, so CSV files in GB18030 (or any charset
  Java knows) can be read, as the DuckDB path reads them.

Everything else (cores, memory, shuffle partitions) is the operator's choice; the
local builder picks defaults that suit a laptop or a CI box.

Whole-stage code generation is switched off while scamlens runs its queries
(:func:`scamlens_conf`). The parse step is a wide projection of large expressions
(the DuckDB timestamp and number grammars); fused into one Java method it exceeds the
JVM's 64 KB method limit, and Spark would compile, fail and fall back on every query.
Expression-level code generation stays on, so each expression is still compiled.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from scamlens.scaleout import require_spark
from scamlens.settings import TIMEZONE

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["LOCAL_CONF", "QUERY_CONF", "local_session", "prepare", "scamlens_conf"]

logger = logging.getLogger(__name__)

LOCAL_CONF: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "8",
    "spark.sql.adaptive.enabled": "true",
}
"""Defaults of :func:`local_session`; any of them can be overridden."""


QUERY_CONF: dict[str, str] = {"spark.sql.codegen.wholeStage": "false"}
"""Options set while scamlens queries run (see the module docstring)."""


@contextlib.contextmanager
def scamlens_conf(spark: SparkSession) -> Iterator[SparkSession]:
    """Run the enclosed actions with :data:`QUERY_CONF`, restoring the old values."""
    saved = {key: spark.conf.get(key, None) for key in QUERY_CONF}
    for key, value in QUERY_CONF.items():
        spark.conf.set(key, value)
    try:
        yield spark
    finally:
        for key, old in saved.items():
            if old is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, old)


def prepare(spark: SparkSession) -> SparkSession:
    """Set the session options results depend on; return the session."""
    spark.conf.set("spark.sql.session.timeZone", TIMEZONE)
    spark.conf.set("spark.sql.parquet.inferTimestampNTZ.enabled", "true")
    # Spark 4 reads CSV in a short list of charsets unless told to accept any Java
    # charset; exports from China are often GB18030.
    spark.conf.set("spark.sql.legacy.javaCharsets", "true")
    return spark


def local_session(
    master: str = "local[*]",
    *,
    app_name: str = "scamlens",
    conf: Mapping[str, str] | None = None,
) -> SparkSession:
    """A Spark session (created or reused) prepared for scamlens.

    ``master`` is any Spark master URL; ``conf`` adds or overrides options.
    """
    require_spark()
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master(master).appName(app_name)
    for key, value in {**LOCAL_CONF, **(conf or {})}.items():
        builder = builder.config(key, value)
    builder = builder.config("spark.sql.session.timeZone", TIMEZONE)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    logger.info("spark session %s on %s", spark.version, master)
    return prepare(spark)
