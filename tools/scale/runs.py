"""One measured spark-submit of the pipeline (or of one job): where it runs, what it records."""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tools.scale import cluster, compare, eventlog

ROOT = Path(__file__).resolve().parents[2]
PIPELINE_STAGES = ["extract", "filter", "dedup", "quality"]


@dataclass
class Settings:
    """Cluster shape and Spark settings shared by every run of one harness invocation."""

    base: Path
    workers: int = 2
    worker_memory_mib: int = 1536
    driver_memory: str = "1g"
    shuffle_partitions: int = 4
    local_shuffle_partitions: int = 3  # differs from the cluster's on purpose
    python: str = sys.executable

    @property
    def cluster_master(self) -> str:
        return f"local-cluster[{self.workers},1,{self.worker_memory_mib}]"

    def confs(self, master: str) -> dict[str, str]:
        confs = {"spark.driver.memory": self.driver_memory}
        if master.startswith("local-cluster"):
            # Without coalescing, a one-task stage is the plan's doing, not AQE merging small
            # partitions (it does that below 64 MiB, i.e. always at these sizes): the
            # single-task check then sees at 1,000 documents what a dump would run into.
            confs.update({"spark.executor.memory": f"{self.worker_memory_mib}m",
                          "spark.sql.shuffle.partitions": str(self.shuffle_partitions),
                          "spark.sql.adaptive.coalescePartitions.enabled": "false"})
        else:
            confs["spark.sql.shuffle.partitions"] = str(self.local_shuffle_partitions)
        return confs

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("SPARK_HOME", "PYTHONPATH")}
        env.update(SPARK_HOME=str(cluster.cluster_spark_home(self.base / "spark-home")),
                   PYSPARK_PYTHON=self.python, PYSPARK_DRIVER_PYTHON=self.python,
                   SPARK_LOCAL_IP="127.0.0.1")
        return env


@dataclass
class Run:
    """A named run: the job's arguments, the master, the kills to inject."""

    name: str
    master: str
    args: list[str]
    stages: list[str] = field(default_factory=lambda: list(PIPELINE_STAGES))
    kills: list[cluster.Kill] = field(default_factory=list)
    event_log: bool = True


def pipeline_args(input_dir: Path, output: Path, model: Path) -> list[str]:
    """``webcurate pipeline --recipe fineweb`` with quality (top 50%, CCNet thirds) added; no
    HTML report (it is not a stage, and costs a minute here)."""
    sets = [f"input={input_dir}", f"output={output}", f"stages=[{','.join(PIPELINE_STAGES)}]",
            f"quality.model={model}", "quality.decision.mode=top_percent",
            "quality.decision.top_percent=50", "quality.buckets.enabled=true",
            "report=false", "spark.show_progress=false"]
    return ["pipeline", "--recipe", "fineweb", *[x for s in sets for x in ("--set", s)]]


def execute(run: Run, settings: Settings) -> dict:
    """Run it from a clean folder; its figures (see :func:`cluster.run_measured`), the
    digests of what each stage wrote, the event log's stages attributed to phases."""
    folder = settings.base / "runs" / run.name
    shutil.rmtree(folder, ignore_errors=True)
    events = folder / "events"
    events.mkdir(parents=True)
    command = cluster.submit_command(settings.base / "spark-home", run.master, settings.python,
                                     events if run.event_log else None,
                                     settings.confs(run.master), run.args)
    env = settings.env()  # makes spark-home first
    print(f"[scale] {run.name}: {run.master}, log {folder / 'submit.log'}", flush=True)
    result = cluster.run_measured(command, env, folder / "submit.log", folder / "markers.jsonl",
                                  run.kills, cwd=folder)
    result.update(name=run.name, master=run.master, folder=str(folder))
    output = folder / "out"
    stats_path = output / "stats.json"
    result["pipeline_stats"] = json.loads(stats_path.read_text()) if stats_path.exists() else {}
    result["digests"] = compare.stage_digests(output, run.stages) if output.is_dir() else {}
    logs = eventlog.application_logs(events) if run.event_log else []
    rows = [r for log in logs for r in eventlog.stage_rows(log)]
    result["stages"] = eventlog.attribute(rows, result["markers"])
    result["executors"] = [e for log in logs for e in eventlog.executor_events(log)]
    status = "ok" if result["exit_code"] == 0 else f"FAILED (exit {result['exit_code']})"
    print(f"[scale] {run.name}: {status} in {result['wall_seconds']} s", flush=True)
    return result


def _headline(result: dict, keys: dict[str, tuple[str, ...]]) -> dict[str, int | None]:
    """The first of ``keys[stage]`` present in each stage's pipeline line (the pipeline's
    headline keys changed over time: documents_in / documents_out now, per-job names before)."""
    stages = result.get("pipeline_stats", {}).get("stages", {})
    return {stage: next((stages.get(stage, {})[k] for k in names if k in stages.get(stage, {})),
                        None) for stage, names in keys.items()}


def stage_documents(result: dict) -> dict[str, int | None]:
    """Documents into each pipeline stage (extract: documents out), from the stage stats."""
    return _headline(result, {"extract": ("documents_out", "docs"),
                              "filter": ("documents_in",), "dedup": ("documents_in",),
                              "quality": ("documents_in", "docs")})


def stage_kept(result: dict) -> dict[str, int | None]:
    return _headline(result, {"extract": ("documents_out", "docs"),
                              "filter": ("documents_out", "documents_kept"),
                              "dedup": ("documents_out", "documents_kept"),
                              "quality": ("documents_out", "docs_kept")})
