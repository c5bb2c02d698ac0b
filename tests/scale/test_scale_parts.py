"""The scale harness's pure parts (tools/scale): no Spark, milliseconds each."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools.scale import cluster, compare, eventlog, report  # noqa: E402

# Four SparkListenerStageCompleted events recorded from a harness run (200 records, the
# cluster-1x run), trimmed to the accumulables tools/shuffle_sizes.py reads: two one-task
# stages of dedup's connected components, and the report's sample collect (2 tasks, then 1).
ANON = "$anonfun$withThreadLocalCaptured$1 at CompletableFuture.java:1768"
RECORDED = [
    {"Stage ID": 47, "Stage Name": ANON,
     "Number of Tasks": 1, "Submission Time": 1796319228965, "Completion Time": 1796319229864,
     "Accumulables": [{"Name": "internal.metrics.shuffle.write.bytesWritten", "Value": 360},
                      {"Name": "internal.metrics.input.bytesRead", "Value": 1926}]},
    {"Stage ID": 49, "Stage Name": ANON,
     "Number of Tasks": 1, "Submission Time": 1796319230229, "Completion Time": 1796319231216,
     "Accumulables": [{"Name": "internal.metrics.shuffle.read.remoteBytesRead", "Value": 360},
                      {"Name": "internal.metrics.shuffle.read.localBytesRead", "Value": 0}]},
    {"Stage ID": 124, "Stage Name": "collect at /work/main/lib/webcurate/report/samples.py:116",
     "Number of Tasks": 2, "Submission Time": 1796319337141, "Completion Time": 1796319339193,
     "Accumulables": [{"Name": "internal.metrics.shuffle.write.bytesWritten", "Value": 12908},
                      {"Name": "internal.metrics.input.bytesRead", "Value": 234428}]},
    {"Stage ID": 126, "Stage Name": "collect at /work/main/lib/webcurate/report/samples.py:116",
     "Number of Tasks": 1, "Submission Time": 1796319339816, "Completion Time": 1796319340759,
     "Accumulables": [{"Name": "internal.metrics.shuffle.read.remoteBytesRead", "Value": 8534},
                      {"Name": "internal.metrics.shuffle.read.localBytesRead", "Value": 4374}]},
]
MARKERS = [{"event": "start", "phase": "dedup", "t": 1796319157.70},
           {"event": "start", "phase": "components", "t": 1796319227.77},
           {"event": "end", "phase": "components", "t": 1796319239.93, "ok": True},
           {"event": "end", "phase": "dedup", "t": 1796319302.53, "ok": True}]


def _recorded_rows(tmp_path: Path) -> list[dict]:
    log = tmp_path / "events_1_app"
    lines = [{"Event": "SparkListenerApplicationStart"},
             *({"Event": "SparkListenerStageCompleted", "Stage Info": info} for info in RECORDED)]
    log.write_text("\n".join(json.dumps(e) for e in lines) + "\n")
    return eventlog.attribute(eventlog.stage_rows(log), MARKERS)


def test_stages_are_attributed_to_the_innermost_running_phase(tmp_path):
    rows = _recorded_rows(tmp_path)
    assert [(r["stage"], r["phase"], r["tasks"]) for r in rows] == [
        (47, "components", 1), (49, "components", 1), (124, "other", 2), (126, "other", 1)]
    assert rows[3]["site"] == "/work/main/lib/webcurate/report/samples.py:116"
    assert rows[3]["shuffle_read"] == 12908


def test_single_task_detector_flags_one_task_stages_reading_data(tmp_path):
    rows = _recorded_rows(tmp_path)
    assert eventlog.single_task_stages(rows) == []  # all far below the 1 MiB default
    flagged = eventlog.single_task_stages(rows, threshold_bytes=10_000)
    assert [r["stage"] for r in flagged] == [126]  # 12,908 bytes in one task; 124 had two
    check = report.single_task_check("one-task", flagged, 10_000)
    assert check.status == "FAIL" and "samples.py:116" in check.detail
    assert report.single_task_check("one-task", [], 10_000).status == "PASS"


def test_shuffle_is_summed_per_phase(tmp_path):
    totals = eventlog.shuffle_by_phase(_recorded_rows(tmp_path))
    assert totals["components"] == {"shuffle_write": 360, "shuffle_read": 360, "input": 1926,
                                    "stages": 2, "tasks": 2}
    assert totals["other"]["shuffle_write"] == 12908


def test_table_aligns_numbers_right_and_text_left():
    text = report.table(["run", "wall s", "docs"], [["cluster-1x", 12.345, 1234],
                                                    ["local-1x", None, 5]])
    lines = text.splitlines()
    assert lines[0].split() == ["run", "wall", "s", "docs"]
    assert lines[2] == "cluster-1x    12.3  1,234"
    assert lines[3] == "local-1x         -      5"


def _digests(kept_sha="a"):
    return {"filter": {"kept": {"rows": 3, "distinct": 3, "sha": kept_sha},
                       "rejected": {"rows": 2, "distinct": 2, "sha": "b"}},
            "quality": {"head": {"rows": None, "distinct": None, "sha": None}}}


def test_equality_check_names_the_sets_that_differ_or_repeat_rows():
    assert report.equality_check("eq", _digests(), _digests()).status == "PASS"
    differ = report.equality_check("eq", _digests(), _digests("z"))
    assert differ.status == "FAIL" and "filter/kept" in differ.detail
    repeated = _digests()
    repeated["filter"]["rejected"] = {"rows": 3, "distinct": 2, "sha": "b"}
    assert "duplicated rows: filter/rejected" in report.equality_check(
        "eq", repeated, repeated).detail


def test_flat_and_ratio_checks():
    assert report.flat_check("driver", 100.0, 150.0, 10).status == "PASS"  # <= 100*1.25+64
    assert report.flat_check("driver", 100.0, 200.0, 10).status == "FAIL"
    assert report.ratio_check("time", 100.0, 1090.0, 10, 11).status == "PASS"
    assert report.ratio_check("time", 100.0, 1200.0, 10, 11).status == "FAIL"
    assert report.exit_code([report.Check("a", "PASS", ""), report.Check("b", "FAIL", "")]) == 1


def test_kill_check_wants_the_kill_inside_its_phase_and_a_new_executor():
    windows = [("filter", 100.0, 110.0), ("components", 200.0, 202.0)]
    kills = [{"phase": "filter", "pid": 7, "killed_at": 103.0, "executors_before": [7, 8]},
             {"phase": "components", "pid": 9, "killed_at": 201.0, "executors_before": [8, 9]}]
    added = [{"event": "added", "id": str(i), "t": t, "reason": None}
             for i, t in enumerate((1.0, 1.0, 104.0, 201.5))]
    assert report.kill_check("k", kills, windows, added).status == "PASS"
    late = [{**kills[0]}, {**kills[1], "killed_at": 205.0}]
    assert "kill missed components" in report.kill_check("k", late, windows, added).detail
    shutdown_churn = [*added[:3], {**added[3], "t": 300.0}]  # after the last phase: no proof
    assert "no executor added after the kill in components" in report.kill_check(
        "k", kills, windows, shutdown_churn).detail
    none = [{**kills[0], "killed_at": None, "pid": None}]
    assert report.kill_check("k", none, windows, added).status == "FAIL"


def test_processes_are_classified_by_their_place_in_the_tree():
    table = {10: (1, "java org.apache.spark.deploy.SparkSubmit", 500_000),
             11: (10, "/venv/bin/python /x/tools/scale/driver.py pipeline", 90_000),
             12: (10, "java ... org.apache.spark.executor.CoarseGrainedExecutorBackend", 400_000),
             13: (12, "/venv/bin/python -m pyspark.daemon", 60_000),
             14: (13, "/venv/bin/python -m pyspark.daemon", 70_000),
             20: (1, "java ... CoarseGrainedExecutorBackend (someone else's)", 1)}
    assert cluster.classify(10, table) == {10: "driver_jvm", 11: "driver_python",
                                           12: "executor_jvm", 13: "executor_python",
                                           14: "executor_python"}


def test_digests_read_every_parquet_file_and_skip_underscore_folders(tmp_path):
    kept = tmp_path / "filter" / "kept"
    kept.mkdir(parents=True)
    pq.write_table(pa.table({"doc_id": ["b", "a"]}), kept / "part-0.parquet")
    (kept / "_temporary").mkdir()
    pq.write_table(pa.table({"doc_id": ["zz"]}), kept / "_temporary" / "part-9.parquet")
    rejected = tmp_path / "filter" / "rejected" / "filter=c4"
    rejected.mkdir(parents=True)
    pq.write_table(pa.table({"doc_id": ["c"], "reason": ["c4_curly_bracket"]}),
                   rejected / "part-0.parquet")
    first = compare.stage_digests(tmp_path, ["filter"])
    assert first["filter"]["kept"]["rows"] == 2 and first["filter"]["rejected"]["rows"] == 1
    pq.write_table(pa.table({"doc_id": ["a"]}), kept / "part-1.parquet")  # a retried task's copy
    second = compare.stage_digests(tmp_path, ["filter"])
    assert second["filter"]["kept"] == {**second["filter"]["kept"], "rows": 3, "distinct": 2}
    assert compare.differences(first, second) == ["filter/kept"]


def test_corpus_templates_refill_paragraphs_with_escaped_text():
    from tests.bench.build_warc import Page
    from tools.scale.corpus import draw_paragraphs, fill, make_template

    page = Page("t", "http://t.test/", b"<html><nav>menu</nav><p class=a>one two</p>"
                                       b"<p>three</p><div><p>four <b>five</b></p></div></html>")
    template = make_template(page)
    assert template.paragraph_words == [25, 25, 25]  # at least MIN_PARAGRAPH_WORDS each
    body = fill(template, ["a < b", "c & d", "e"])
    assert body == (b"<html><nav>menu</nav><p class=a>a &lt; b</p><p>c &amp; d</p><div><p>e</p>"
                    b"</div></html>")
    pool = ["The cat sat on the mat today.", "A dog ran far away from home."]
    paragraphs = draw_paragraphs(template, pool, random.Random(0))
    assert all(len(p.split()) >= 25 for p in paragraphs)
    assert make_template(Page("t", "u", b"<p>only</p><p>two</p>")) is None
