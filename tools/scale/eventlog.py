"""What a run's Spark event log says: stages per pipeline stage, single-task stages, shuffle bytes.

The per-stage numbers are tools/shuffle_sizes.py's (Spark's own task-metric totals from
``SparkListenerStageCompleted``). A Spark stage belongs to the pipeline stage (``phase``) that
was running when it was submitted, from the driver's phase markers (tools/scale/driver.py).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

SHUFFLE_SIZES = Path(__file__).resolve().parents[1] / "shuffle_sizes.py"
#: A stage that reads at least this much (input or shuffle) is "data-sized".
SINGLE_TASK_BYTES = 2**20


def _shuffle_sizes():
    spec = importlib.util.spec_from_file_location("shuffle_sizes", SHUFFLE_SIZES)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def application_logs(event_dir: Path) -> list[Path]:
    """The event logs (files or Spark 4's rolling ``eventlog_v2_*`` folders) in ``event_dir``."""
    return sorted(p for p in event_dir.iterdir() if not p.name.startswith("."))


def stage_rows(event_log: Path) -> list[dict]:
    tool = _shuffle_sizes()
    return tool.stage_metrics(tool.read_events(str(event_log)))


def executor_events(event_log: Path) -> list[dict]:
    """Executors added and removed, in order: ``{"event", "id", "t" (epoch s), "reason"}``."""
    kinds = {"SparkListenerExecutorAdded": "added", "SparkListenerExecutorRemoved": "removed"}
    tool = _shuffle_sizes()
    return [{"event": kinds[e["Event"]], "id": e.get("Executor ID"),
             "t": e.get("Timestamp", 0) / 1000, "reason": e.get("Removed Reason")}
            for e in tool.read_events(str(event_log)) if e.get("Event") in kinds]


def phase_windows(markers: list[dict]) -> list[tuple[str, float, float]]:
    """``(phase, start, end)`` in epoch seconds for every phase that started and ended."""
    starts, windows = {}, []
    for marker in markers:
        if marker["event"] == "start":
            starts[marker["phase"]] = marker["t"]
        elif marker["phase"] in starts:
            windows.append((marker["phase"], starts.pop(marker["phase"]), marker["t"]))
    return windows


def attribute(rows: list[dict], markers: list[dict]) -> list[dict]:
    """Each row with ``phase``: the innermost pipeline phase running at its submission
    (``components`` is inside ``dedup``); ``other`` outside any (the report, start-up)."""
    windows = phase_windows(markers)
    out = []
    for row in rows:
        t = (row.get("submitted_ms") or 0) / 1000
        inside = [(end - start, phase) for phase, start, end in windows if start <= t <= end]
        out.append({**row, "phase": min(inside)[1] if inside else "other"})
    return out


def single_task_stages(rows: list[dict], threshold_bytes: int = SINGLE_TASK_BYTES) -> list[dict]:
    """Stages that ran as one task while reading at least ``threshold_bytes`` (input or
    shuffle): one core doing what the cluster should share, growing with the data."""
    return [r for r in rows
            if r["tasks"] == 1 and max(r["input"], r["shuffle_read"]) >= threshold_bytes]


def shuffle_by_phase(rows: list[dict], phase_of=lambda phase: phase) -> dict[str, dict]:
    """Shuffle bytes written and read, and stages, per phase (``phase_of`` may merge phases,
    e.g. components into dedup)."""
    totals: dict[str, dict] = {}
    for row in rows:
        entry = totals.setdefault(phase_of(row["phase"]), {"shuffle_write": 0, "shuffle_read": 0,
                                                           "input": 0, "stages": 0, "tasks": 0})
        for key in ("shuffle_write", "shuffle_read", "input", "tasks"):
            entry[key] += row[key]
        entry["stages"] += 1
    return totals


def largest_stage(rows: list[dict]) -> dict | None:
    return max(rows, key=lambda r: r["shuffle_write"], default=None)
