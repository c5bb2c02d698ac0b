"""Shuffle and I/O bytes per stage from a Spark event log (the numbers behind docs/scaling.md).

Run a job with its event log on, then read it:

    webcurate dedup ... --set 'spark.conf={"spark.eventLog.enabled": "true",
                                           "spark.eventLog.dir": "/tmp/events"}'
    python tools/shuffle_sizes.py /tmp/events/eventlog_v2_local-1234...

Prints one line per completed stage (its name, tasks, input, output, shuffle write and read
bytes) and the totals, or ``--json`` for the same as one JSON object.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

FIELDS = ("input", "output", "shuffle_write", "shuffle_read")


def stage_metrics(events: Iterable[dict]) -> list[dict]:
    """One row per completed stage attempt, summed from its ``SparkListenerStageCompleted``
    accumulables (Spark's own task-metric totals)."""
    rows = []
    for event in events:
        if event.get("Event") != "SparkListenerStageCompleted":
            continue
        info = event["Stage Info"]
        values = {a.get("Name"): a.get("Value") for a in info.get("Accumulables", [])}
        rows.append({
            "stage": info["Stage ID"], "attempt": info.get("Stage Attempt ID", 0),
            "name": info.get("Stage Name", "").split(" at ")[0],
            "site": info.get("Stage Name", "").partition(" at ")[2],
            "tasks": info.get("Number of Tasks", 0),
            "submitted_ms": info.get("Submission Time"),
            "completed_ms": info.get("Completion Time"),
            "failed": "Failure Reason" in info,
            "input": int(values.get("internal.metrics.input.bytesRead", 0) or 0),
            "output": int(values.get("internal.metrics.output.bytesWritten", 0) or 0),
            "shuffle_write": int(values.get("internal.metrics.shuffle.write.bytesWritten", 0)
                                 or 0),
            "shuffle_read": int(values.get("internal.metrics.shuffle.read.remoteBytesRead", 0)
                                or 0) + int(
                values.get("internal.metrics.shuffle.read.localBytesRead", 0) or 0),
        })
    return rows


def totals(rows: list[dict]) -> dict:
    return {field: sum(r[field] for r in rows) for field in FIELDS}


def event_files(path: str) -> list[Path]:
    """A log file, or a rolling log folder (``eventlog_v2_*``: its ``events_N_*`` in order)."""
    folder = Path(path)
    if not folder.is_dir():
        return [folder]
    files = [p for p in folder.iterdir() if p.name.startswith("events_")]
    return sorted(files, key=lambda p: int(p.name.split("_")[1]))


def read_events(path: str) -> Iterator[dict]:
    """Events from plain or compressed logs (Spark 4 writes ``.zstd`` by default)."""
    import pyarrow as pa

    for file in event_files(path):
        codec = {".zstd": "zstd", ".lz4": "lz4", ".snappy": "snappy"}.get(file.suffix)
        with pa.input_stream(str(file), compression=codec) as raw:
            for line in io.TextIOWrapper(raw, encoding="utf-8"):
                if line.strip():
                    yield json.loads(line)


def _mib(n: int) -> str:
    return f"{n / 2**20:10.1f}"


def format_table(rows: list[dict]) -> str:
    head = f"{'stage':>5} {'tasks':>5} {'input MiB':>10} {'output MiB':>10} " \
           f"{'shuf w MiB':>10} {'shuf r MiB':>10}  name"
    lines = [head]
    for r in rows:
        lines.append(f"{r['stage']:>5} {r['tasks']:>5} {_mib(r['input'])} {_mib(r['output'])} "
                     f"{_mib(r['shuffle_write'])} {_mib(r['shuffle_read'])}  {r['name']}")
    t = totals(rows)
    lines.append(f"{'total':>5} {'':>5} {_mib(t['input'])} {_mib(t['output'])} "
                 f"{_mib(t['shuffle_write'])} {_mib(t['shuffle_read'])}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("event_log", help="one application's event log (file or folder)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    rows = stage_metrics(read_events(args.event_log))
    if args.json:
        print(json.dumps({"stages": rows, "totals": totals(rows)}, indent=1))
    else:
        print(format_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
