"""tools/shuffle_sizes.py sums Spark's own stage metrics from an event log."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

TOOL = Path(__file__).resolve().parents[1] / "tools" / "shuffle_sizes.py"


def _tool():
    spec = importlib.util.spec_from_file_location("shuffle_sizes", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _stage(stage_id: int, name: str, **metrics: int) -> dict:
    keys = {"input": "internal.metrics.input.bytesRead",
            "shuffle_write": "internal.metrics.shuffle.write.bytesWritten",
            "local_read": "internal.metrics.shuffle.read.localBytesRead",
            "remote_read": "internal.metrics.shuffle.read.remoteBytesRead"}
    return {"Event": "SparkListenerStageCompleted",
            "Stage Info": {"Stage ID": stage_id, "Stage Attempt ID": 0, "Number of Tasks": 4,
                           "Stage Name": f"{name} at NativeMethodAccessorImpl.java:0",
                           "Accumulables": [{"Name": keys[k], "Value": v}
                                            for k, v in metrics.items()]}}


def test_stage_rows_and_totals_come_from_the_completed_stages_only(tmp_path):
    tool = _tool()
    log = tmp_path / "app-1"
    events = [{"Event": "SparkListenerApplicationStart"},
              _stage(0, "mapInArrow", input=1000, shuffle_write=300),
              {"Event": "SparkListenerTaskEnd"},
              _stage(1, "save", local_read=200, remote_read=100)]
    log.write_text("\n".join(json.dumps(e) for e in events) + "\n")
    rows = tool.stage_metrics(tool.read_events(str(log)))
    assert [(r["stage"], r["name"], r["tasks"]) for r in rows] == [(0, "mapInArrow", 4),
                                                                  (1, "save", 4)]
    assert tool.totals(rows) == {"input": 1000, "output": 0, "shuffle_write": 300,
                                 "shuffle_read": 300}
    table = tool.format_table(rows)
    assert table.splitlines()[-1].startswith("total") and "mapInArrow" in table
