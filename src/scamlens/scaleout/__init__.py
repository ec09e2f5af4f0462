"""Scale-out engines: the same record contract, rules and indicators on a cluster.

The batch core runs on DuckDB on one machine. A province-wide deployment may already
run Apache Spark; :mod:`scamlens.scaleout.spark` compiles the shared declarations
(contract, cleaning rules, indicator counts and dimensions) into Spark expressions so
the numbers are the same, to the last count, whichever engine produced them.

Spark is an optional extra (``pip install 'scamlens[spark]'``). Nothing here imports
pyspark at module load; :func:`require_spark` checks for it (and for Java) with a
one-line message a user can act on.
"""

from __future__ import annotations

import logging
import shutil

from scamlens.errors import UserError

__all__ = ["JAVA_MISSING", "SPARK_MISSING", "require_spark", "spark_available"]

logger = logging.getLogger(__name__)

SPARK_MISSING = "pyspark is not installed; pip install 'scamlens[spark]'"
JAVA_MISSING = (
    "Java was not found (no `java` on PATH and JAVA_HOME unset); install Java 17 "
    "to run Spark"
)


def spark_available() -> bool:
    """True when pyspark can be imported (Java is not checked)."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return False
    return True


def require_spark() -> None:
    """Raise :class:`UserError` unless pyspark and a Java runtime are present."""
    import os

    if not spark_available():
        raise UserError(SPARK_MISSING)
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise UserError(JAVA_MISSING)
