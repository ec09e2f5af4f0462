"""One local Spark session for the whole scale-out suite (the JVM starts once).

Every test here needs pyspark and a Java runtime; without them the tests are
skipped with the reason, never failed.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

pytestmark = pytest.mark.spark


def _skip_reason() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install 'scamlens[spark]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java runtime: `java` is not on PATH and JAVA_HOME is unset"
    return None


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    from scamlens.scaleout.spark.session import local_session

    session = local_session(
        "local[2]",
        app_name="scamlens-tests",
        conf={
            "spark.sql.shuffle.partitions": "2",
            "spark.default.parallelism": "2",
            "spark.driver.memory": "1g",
            "spark.sql.adaptive.coalescePartitions.enabled": "true",
            # short test runs: the quick JIT tier warms up far sooner
            "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1",
        },
    )
    yield session
    session.stop()
