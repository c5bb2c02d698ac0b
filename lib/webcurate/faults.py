"""Fault injection for the reliability suite: off unless the Spark conf names a fault.

``spark.webcurate.faults`` (settable per job: ``--set spark.conf.spark.webcurate.faults=...``)
makes every dataset write fail in its tasks' first attempt, after part of the output is written,
so that Spark's retry and the commit protocol are exercised for real:

- ``raise:after_rows=N``: the task raises once it has passed N rows to the writer;
- ``exit:after_rows=N``: the Python worker process exits (``os._exit``) at that point, as an
  out-of-memory kill or a crashed interpreter would;
- ``;record=DIR`` (optional, local) leaves one file per injected fault, so a suite can count them.

Only attempt 0 of a task is hit, so a job with ``spark.task.maxFailures >= 2`` must succeed and
commit exactly what a fault-free run commits. The injection is a pass-through ``mapInArrow``
placed right before the writer, in the same stage, so the writer has already consumed (and
written) the rows before the fault.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa

CONF_KEY = "spark.webcurate.faults"
MODES = ("raise", "exit")


class InjectedFault(RuntimeError):
    """Raised by the injector; never by real code."""


@dataclass(frozen=True)
class FaultPlan:
    mode: str
    after_rows: int = 0
    record_dir: str | None = None


def parse_plan(text: str | None) -> FaultPlan | None:
    """``mode[:after_rows=N][;record=DIR]`` -> FaultPlan; empty or ``off`` -> None."""
    if not text or text.strip() in ("", "off", "none"):
        return None
    head, _, tail = text.partition(";")
    mode, _, args = head.partition(":")
    if mode not in MODES:
        raise ValueError(f"{CONF_KEY}: unknown fault mode {mode!r} (known: {', '.join(MODES)})")
    after_rows = 0
    if args:
        key, _, value = args.partition("=")
        if key != "after_rows" or not value.isdigit():
            raise ValueError(f"{CONF_KEY}: expected after_rows=N, got {args!r}")
        after_rows = int(value)
    record_dir = tail.partition("=")[2] if tail.startswith("record=") else None
    return FaultPlan(mode, after_rows, record_dir)


def plan_for(spark) -> FaultPlan | None:
    return parse_plan(spark.conf.get(CONF_KEY, None))


def _record(plan: FaultPlan, partition: int, stage: int) -> None:
    if plan.record_dir:
        os.makedirs(plan.record_dir, exist_ok=True)
        name = f"{plan.mode}-stage{stage}-part{partition}-{os.getpid()}"
        open(os.path.join(plan.record_dir, name), "w").close()


def inject(batches: Iterator[pa.RecordBatch], plan: FaultPlan) -> Iterator[pa.RecordBatch]:
    """Pass batches through; on a task's first attempt, fail once ``after_rows`` have passed."""
    from pyspark import TaskContext

    context = TaskContext.get()
    armed = context is not None and context.attemptNumber() == 0
    passed = 0
    for batch in batches:
        yield batch
        passed += batch.num_rows
        if armed and passed >= plan.after_rows:
            _record(plan, context.partitionId(), context.stageId())
            if plan.mode == "exit":
                os._exit(13)
            raise InjectedFault(f"injected fault after {passed} rows "
                                f"(partition {context.partitionId()}, attempt 0)")
    if armed and passed < plan.after_rows and passed:
        _record(plan, context.partitionId(), context.stageId())
        if plan.mode == "exit":
            os._exit(13)
        raise InjectedFault(f"injected fault at the end of {passed} rows (attempt 0)")


def with_faults(df):
    """``df`` itself, or with the injector in front of the writer when a fault is configured."""
    plan = plan_for(df.sparkSession)
    if plan is None:
        return df
    return df.mapInArrow(lambda batches: inject(batches, plan), df.schema)
