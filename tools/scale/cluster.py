"""A standalone cluster inside spark-submit, its processes measured, an executor killed on cue.

The master is ``local-cluster[W,C,M]``: spark-submit's JVM runs the driver, a standalone
master and W workers; each worker launches its executor as a separate JVM
(``CoarseGrainedExecutorBackend``), whose Python workers are its children. When an executor
dies the master asks the worker for a new one, and the driver reschedules the lost tasks (and
recomputes lost shuffle output): the path a real standalone or YARN cluster takes. As in
tests/dist, SPARK_HOME is a folder of links into the pyspark package, so the workers' ``work/``
folders land in the run's own directory, not in the shared package.

Every process found is ours: the sampler only walks the descendants of the spark-submit it
started, so executors of other people's clusters on the same machine are never measured or
killed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

EXECUTOR_CLASS = "CoarseGrainedExecutorBackend"
ROLES = ("driver_jvm", "driver_python", "executor_jvm", "executor_python", "local_workers")


def cluster_spark_home(target: Path) -> Path:
    """A SPARK_HOME of links into the installed pyspark package (all but its ``work/``)."""
    package = Path(importlib.util.find_spec("pyspark").origin).parent
    if target.is_dir():
        return target
    target.mkdir(parents=True)
    for entry in package.iterdir():
        if entry.name != "work":
            (target / entry.name).symlink_to(entry)
    return target


def _read(path: str) -> str | None:
    try:
        with open(path, "rb") as stream:
            return stream.read().decode("utf-8", errors="replace")
    except OSError:
        return None


def process_table() -> dict[int, tuple[int, str, int]]:
    """pid -> (parent pid, command line, RSS KiB) for every process readable now."""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        stat = _read(f"/proc/{name}/stat")
        status = _read(f"/proc/{name}/status")
        if not stat or not status:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        cmdline = (_read(f"/proc/{name}/cmdline") or "").replace("\0", " ")
        rss = next((int(line.split()[1]) for line in status.splitlines()
                    if line.startswith("VmRSS:")), 0)
        table[int(name)] = (ppid, cmdline, rss)
    return table


def descendants(root: int, table: dict[int, tuple[int, str, int]]) -> list[int]:
    children: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def classify(root: int, table: dict[int, tuple[int, str, int]]) -> dict[int, str]:
    """Each process of the tree -> its role (see ``ROLES``)."""
    roles = {root: "driver_jvm"} if root in table else {}
    executors = {pid for pid in descendants(root, table) if EXECUTOR_CLASS in table[pid][1]}
    executor_children = {c for e in executors for c in descendants(e, table)}
    for pid in descendants(root, table):
        cmdline = table[pid][1]
        if pid in executors:
            roles[pid] = "executor_jvm"
        elif pid in executor_children:
            roles[pid] = "executor_python"
        elif "tools/scale/driver.py" in cmdline:
            roles[pid] = "driver_python"
        elif "python" in cmdline:
            roles[pid] = "local_workers"
    return roles


@dataclass
class Kill:
    """An executor to kill ``delay_s`` after the phase starts, and what happened."""

    phase: str
    delay_s: float
    pid: int | None = None
    killed_at: float | None = None
    executors_before: list[int] = field(default_factory=list)


class Watcher(threading.Thread):
    """Samples the tree's RSS by role every ``interval_s``, and kills executors on cue."""

    def __init__(self, root: int, markers: Path, kills: list[Kill], interval_s: float = 0.25):
        super().__init__(daemon=True)
        self.root, self.markers, self.kills, self.interval_s = root, markers, kills, interval_s
        self.stopped = threading.Event()
        self.peak_kib = dict.fromkeys(ROLES, 0)
        self.peak_total_kib = 0
        self.executor_pids: list[int] = []

    def sample(self) -> None:
        table = process_table()
        now = dict.fromkeys(ROLES, 0)
        for pid, role in classify(self.root, table).items():
            now[role] += table[pid][2]
            if role == "executor_jvm" and pid not in self.executor_pids:
                self.executor_pids.append(pid)
        for role, kib in now.items():
            self.peak_kib[role] = max(self.peak_kib[role], kib)
        self.peak_total_kib = max(self.peak_total_kib, sum(now.values()))
        self._maybe_kill(table)

    def _maybe_kill(self, table) -> None:
        started = {m["phase"]: m["t"] for m in read_markers(self.markers) if m["event"] == "start"}
        for kill in self.kills:
            if kill.killed_at is not None or kill.phase not in started:
                continue
            if time.time() < started[kill.phase] + kill.delay_s:
                continue
            alive = sorted(p for p in descendants(self.root, table)
                           if EXECUTOR_CLASS in table[p][1])
            if not alive:
                continue
            kill.executors_before, kill.pid = alive, alive[0]
            try:
                os.kill(kill.pid, signal.SIGKILL)
            except ProcessLookupError:
                kill.pid = None
                continue
            kill.killed_at = time.time()

    def run(self) -> None:
        while not self.stopped.wait(self.interval_s):
            try:
                self.sample()
            except Exception as err:  # a vanished process mid-read: the next sample retries
                print(f"[scale] sampler: {type(err).__name__}: {err}", flush=True)


def read_markers(path: Path) -> list[dict]:
    text = _read(str(path)) or ""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def submit_command(spark_home: Path, master: str, python: str, event_dir: Path | None,
                   confs: dict[str, str], args: list[str]) -> list[str]:
    """``spark-submit tools/scale/driver.py ARGS`` on ``master``."""
    settings = {"spark.pyspark.python": python, "spark.pyspark.driver.python": python,
                "spark.ui.enabled": "false", **confs}
    if event_dir is not None:
        settings.update({"spark.eventLog.enabled": "true",
                         "spark.eventLog.dir": event_dir.resolve().as_uri()})
    command = [str(spark_home / "bin" / "spark-submit"), "--master", master]
    for key, value in settings.items():
        command += ["--conf", f"{key}={value}"]
    return [*command, str(Path(__file__).with_name("driver.py")), *args]


def run_measured(command: list[str], env: dict[str, str], log: Path, markers: Path,
                 kills: list[Kill], cwd: Path) -> dict:
    """Run a spark-submit; wall seconds, peak RSS by role (MiB), markers, kills."""
    markers.unlink(missing_ok=True)
    env = {**env, "WEBCURATE_SCALE_MARKERS": str(markers)}
    started = time.time()
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        watcher = Watcher(process.pid, markers, kills)
        watcher.start()
        code = process.wait()
        watcher.stopped.set()
        watcher.join()
    return {"exit_code": code, "wall_seconds": round(time.time() - started, 1), "log": str(log),
            "peak_mib": {role: round(kib / 1024, 1) for role, kib in watcher.peak_kib.items()},
            "peak_total_mib": round(watcher.peak_total_kib / 1024, 1),
            "executors_seen": len(watcher.executor_pids), "markers": read_markers(markers),
            "kills": [kill.__dict__ for kill in kills]}
