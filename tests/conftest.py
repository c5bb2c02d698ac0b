"""Shared test fixtures: one session-scoped local SparkSession, the real data, the S3 server."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"

sys.path.insert(0, str(ROOT / "lib"))
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")

pytest_plugins = ["s3_fixtures"]


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long end-to-end runs, excluded from `make test`")
    config.addinivalue_line("markers", "spark: needs the local SparkSession")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``; tests that need it skip loudly when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real test data not found at {SHARED_DATA} (see its README)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def spark(s3_server):
    """One local[2] session for the whole run; failed tasks are retried (local[2,4]).

    It depends on the S3 server so that the dummy AWS credentials are in the environment before
    the JVM (and with it every Python worker) starts.
    """
    from webcurate.spark import SparkConfig, get_spark

    session = get_spark(SparkConfig(master="local[2]", driver_memory="2g", show_progress=False,
                                    shuffle_partitions=4), app_suffix="-tests")
    yield session
    session.stop()
