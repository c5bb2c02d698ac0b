"""Running one stage the way every entry point does: take the output's lease, save the resolved
config, run, save the stats, print the summary. The CLI (one job) and the pipeline (its stages)
both come here, so a stage behaves the same whichever way it was started."""

from __future__ import annotations

import sys

from webcurate.config import ConfigError
from webcurate.stages import Stage


def _fail(stage: Stage, message: str) -> tuple[int, None]:
    print(f"webcurate {stage.name}: error: {message}", file=sys.stderr)
    return 2, None


def run_stage(stage: Stage, config, spark=None, wait_s: float = 0.0) -> tuple[int, object]:
    """Lease, run, save: ``(exit code, JobResult or None)``. Expected failures (a config or
    input error, another run holding or taking the output) are one line on stderr, exit 2."""
    from webcurate.lock import OutputLock, OutputLocked

    lock = OutputLock(config.output, config.storage, job=stage.name, wait_s=wait_s)
    try:
        lock.acquire()
    except OutputLocked as err:
        return _fail(stage, str(err))
    except Exception as err:
        return _fail(stage, f"cannot write to output '{config.output}': "
                            f"{type(err).__name__}: {err}")
    try:
        return _run_locked(stage, config, spark)
    finally:
        lock.release()


def _run_locked(stage: Stage, config, spark) -> tuple[int, object]:
    from webcurate.io.inputs import InputError
    from webcurate.jobs.common import OutputHoldsOtherRun, save_resolved_config, save_stats
    from webcurate.lock import LeaseLost, check_lease
    from webcurate.spark import get_spark
    from webcurate.stats import format_summary

    try:
        save_resolved_config(config, config.output, config.storage)
    except Exception as err:
        return _fail(stage, f"cannot write to output '{config.output}': "
                            f"{type(err).__name__}: {err}")
    try:
        result = stage.run(spark or get_spark(config.spark, app_suffix=f"-{stage.name}"), config)
        check_lease(config.output)  # stats.json belongs to whoever holds the output now
    except (ConfigError, LeaseLost, InputError, OutputHoldsOtherRun) as err:
        return _fail(stage, str(err))
    save_stats(result.stats, config.output, config.storage)
    if stage.format_summary:
        print(stage.format_summary(result.stats, config.output))
    else:
        print(format_summary(stage.name, result.stats, config.output))
    return (1 if result.failed else 0), result
