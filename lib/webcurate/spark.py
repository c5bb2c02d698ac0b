"""One way to start Spark: take the session spark-submit gives, or build a local one.

Under ``spark-submit`` the Python driver is launched by the JVM (``PYSPARK_GATEWAY_PORT`` is set)
and the master, resources and conf come from the submit command: the job takes that session and
only adds what it must. Anywhere else (``webcurate <job>``, tests, a laptop) it starts local mode
with defaults that work from the project virtualenv.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass

from webcurate.config import option


@dataclass(frozen=True)
class SparkConfig:
    """The ``spark:`` section of every job config."""

    master: str | None = option(
        None, help="Spark master for local runs, e.g. local[4]; null = local[*]; "
                   "under spark-submit its --master wins")
    app_name: str = option("webcurate", help="Spark application name prefix")
    driver_memory: str = option("4g", help="driver memory for local runs (JVM -Xmx)")
    task_max_failures: int = option(
        4, min=1, max=100, help="attempts per task before the job fails (local mode too)")
    shuffle_partitions: int | None = option(
        None, min=1, help="spark.sql.shuffle.partitions; null = 2 x cores in local mode")
    log_level: str = option(
        "WARN", choices=("ERROR", "WARN", "INFO", "DEBUG"), help="Spark's own log level")
    show_progress: bool = option(True, help="Spark's console progress bar")
    conf: dict[str, str] = option({}, help="extra Spark settings, e.g. spark.executor.memory: 8g")


def under_spark_submit() -> bool:
    """True when this Python process was started by spark-submit (the JVM came first)."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def local_master(config: SparkConfig) -> str:
    """``local[N,F]``: local mode only retries failed tasks when F (max failures) is given."""
    cores = "*"
    if config.master:
        if not config.master.startswith("local"):
            return config.master
        inside = config.master[len("local"):].strip("[]")
        cores = inside.split(",")[0] or "*"
    return f"local[{cores},{config.task_max_failures}]"


def prepare_local_environment() -> None:
    """Workers must run the same Python as the driver (the venv), bound to loopback by default."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")


def get_spark(config: SparkConfig | None = None, app_suffix: str = ""):
    """Return the active session, spark-submit's, or a new local one configured from ``config``."""
    from pyspark.sql import SparkSession

    config = config or SparkConfig()
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    builder = SparkSession.builder.appName(f"{config.app_name}{app_suffix}")
    if not under_spark_submit():
        prepare_local_environment()
        cores = os.cpu_count() or 2
        builder = (
            builder.master(local_master(config))
            .config("spark.driver.memory", config.driver_memory)
            .config("spark.sql.shuffle.partitions", str(config.shuffle_partitions or 2 * cores))
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", str(config.show_progress).lower())
            .config("spark.driver.host", os.environ.get("SPARK_LOCAL_IP", "127.0.0.1"))
        )
    builder = builder.config("spark.sql.session.timeZone", "UTC")
    builder = builder.config("spark.task.maxFailures", str(config.task_max_failures))
    for key, value in config.conf.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel(config.log_level)
    return spark


@contextmanager
def scan_at_least(spark, partitions: int | None):
    """Let Spark's file scan plan at least ``partitions`` splits while the block runs.

    Spark packs small files into splits sized for ``spark.sql.files.minPartitionNum`` (by default
    the core count), so 16 files of 19 MB became 3 tasks on 2 cores and a job had to shuffle all
    the text to use its cores. Asking the scan for more splits spreads whole files without a
    shuffle. ``None`` leaves the setting alone; so does a value the user set in ``spark.conf``.
    """
    key = "spark.sql.files.minPartitionNum"
    before = spark.conf.get(key, None)
    if partitions is None or before is not None:
        yield
        return
    spark.conf.set(key, str(partitions))
    try:
        yield
    finally:
        spark.conf.unset(key)
