"""Task failures mid-write: the committed output equals the fault-free run exactly.

The injector (``webcurate.faults``) fails every task's first attempt after it has handed rows to
the writer: by raising, or by killing the Python worker. Spark retries (the session is
``local[2,4]``); the commit protocol must publish each row exactly once.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from webcurate.cli import run_job
from webcurate.faults import CONF_KEY, parse_plan

pytestmark = pytest.mark.spark

CC_DOCS = "text/cc/CC-MAIN-2019-30-697docs.jsonl.gz"


def test_plans_parse_and_bad_plans_fail_clearly():
    assert parse_plan(None) is None and parse_plan("off") is None
    plan = parse_plan("exit:after_rows=5;record=/tmp/x")
    assert (plan.mode, plan.after_rows, plan.record_dir) == ("exit", 5, "/tmp/x")
    with pytest.raises(ValueError, match="unknown fault mode"):
        parse_plan("explode")


def _rows(prefix: Path) -> list[tuple]:
    rows = []
    for name in ("kept", "rejected"):
        table = ds.dataset(str(prefix / name), format="parquet", partitioning="hive").to_table(
            columns=["doc_id", "reason", "text"])
        rows += [tuple(r.values()) for r in table.to_pylist()]
    return sorted(rows, key=lambda r: r[0])


@pytest.fixture
def faults(spark, tmp_path):
    """Arm the injector for one test; always disarmed afterwards."""
    record = tmp_path / "injected"

    def arm(mode: str, after_rows: int) -> Path:
        spark.conf.set(CONF_KEY, f"{mode}:after_rows={after_rows};record={record}")
        return record

    yield arm
    spark.conf.unset(CONF_KEY)


@pytest.mark.parametrize("mode", ["raise", "exit"])
def test_filter_output_is_exact_after_tasks_fail_mid_write(spark, shared_data, tmp_path, faults,
                                                           mode):
    args = [f"--set=input={shared_data / CC_DOCS}", "--set=filters=gopher_quality",
            "--set=partitions=4"]
    clean = tmp_path / "clean"
    assert run_job("filter", [*args, f"--set=output={clean}"], spark=spark) == 0
    record = faults(mode, 20)
    faulty = tmp_path / "faulty"
    assert run_job("filter", [*args, f"--set=output={faulty}"], spark=spark) == 0
    spark.conf.unset(CONF_KEY)

    injected = list(record.iterdir())
    assert len(injected) >= 4  # every write task failed once (count, kept, rejected stages)
    rows = _rows(faulty)
    assert rows == _rows(clean)
    assert len({r[0] for r in rows}) == len(rows) == 697  # no duplicate, nothing missing
    clean_stats = json.loads((clean / "stats.json").read_text())
    faulty_stats = json.loads((faulty / "stats.json").read_text())
    assert faulty_stats["removed_by_reason"] == clean_stats["removed_by_reason"]
