"""``python -m tools.scale`` (``make scale``): the whole fineweb pipeline at scale, checked.

1. A Common Crawl-like corpus of real text (tools/scale/corpus.py) at ``--records`` and at
   ``--factor`` times that, and a quality model (``train-quality``, once).
2. The pipeline extract -> filter -> dedup -> quality under spark-submit, four times:
   ``cluster-1x`` on a standalone cluster of ``--workers`` executors (``local-cluster``),
   ``local-1x`` in ``local[2]``, ``kills-1x`` on the cluster with an executor JVM killed
   while filter runs and while dedup's connected components run, and ``cluster-Nx`` at the
   bigger size. Event logs on; the process tree's RSS sampled.
3. Checks, printed as a table (FAIL makes the exit code 1): every stage's document ids and
   kept sets equal across local, cluster and killed runs; driver peak memory flat from 1x to
   Nx; no one-task stage reading data; plus shuffle bytes per document per stage.

``--dedup-docs 1000000,10000000`` runs the dedup-only variant instead (tools/scale/dedup_scale.py).
Figures go to ``.bench/scale/figures.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from tools.scale import cluster, report, runs
from tools.scale.corpus import CorpusSpec, build_corpus
from tools.scale.eventlog import SINGLE_TASK_BYTES, phase_windows, single_task_stages
from tools.scale.tables import phase_table, runs_table, sets_table

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_RECORDS = 200  # fixed costs dominate here; see docs/scaling.md
KILL_FRACTION = 0.3  # of the phase's duration in the clean run


def quality_model(base: Path, python: str) -> Path:
    """The GPT-3-style reference-vs-web model, trained once (deterministic: thread 1)."""
    model = base / "quality-model" / "model.bin"
    if model.exists():
        return model
    command = [python, "-m", "webcurate.cli", "train-quality", "--conf", "conf/train_quality.yaml",
               "--recipe", "quality-reference-vs-web", "--set", f"model={model}",
               "--set", "spark.master=local[2]", "--set", "spark.show_progress=false"]
    print(f"[scale] training the quality model: {model}", flush=True)
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return model


def phase_seconds(result: dict, phase: str) -> float | None:
    return next((end - start for p, start, end in phase_windows(result["markers"])
                 if p == phase), None)


def kills_for(clean: dict) -> list[cluster.Kill]:
    """Kill an executor 30% into filter and into components (durations from the clean run)."""
    kills = []
    for phase in ("filter", "components"):
        seconds = phase_seconds(clean, phase)
        kills.append(cluster.Kill(phase, KILL_FRACTION * seconds if seconds else 0.5))
    return kills


def pipeline_main(args) -> int:
    settings = runs.Settings(base=args.out, workers=args.workers,
                             worker_memory_mib=args.worker_memory, python=sys.executable)
    model = quality_model(args.out, settings.python)
    sizes = {"1x": args.records, f"{args.factor}x": args.records * args.factor}
    corpora = {}
    for label, records in sizes.items():
        started = time.time()
        corpora[label] = build_corpus(CorpusSpec(records, args.records_per_file, seed=args.seed),
                                      args.out / "corpus")
        print(f"[scale] corpus {label}: {records:,} records in {corpora[label]} "
              f"({time.time() - started:.0f} s)", flush=True)
    big = f"{args.factor}x"

    def pipeline(name: str, master: str, label: str, kills=()) -> dict:
        output = args.out / "runs" / name / "out"
        run = runs.Run(name, master, runs.pipeline_args(corpora[label], output, model),
                       kills=list(kills))
        return runs.execute(run, settings)

    results = {"cluster-1x": pipeline("cluster-1x", settings.cluster_master, "1x")}
    results["local-1x"] = pipeline("local-1x", "local[2]", "1x")
    results["kills-1x"] = pipeline("kills-1x", settings.cluster_master, "1x",
                                   kills_for(results["cluster-1x"]))
    if not args.skip_big:
        results[f"cluster-{big}"] = pipeline(f"cluster-{big}", settings.cluster_master, big)
    checks = pipeline_checks(results, args)
    print_report(results, checks, args)
    write_figures(args.out, {"args": {k: str(v) for k, v in vars(args).items()},
                             "sizes": sizes, "results": results,
                             "checks": [c.__dict__ for c in checks]})
    return report.exit_code(checks)


def pipeline_checks(results: dict, args) -> list[report.Check]:
    checks = [report.Check(f"{name} exits 0", "PASS" if r["exit_code"] == 0 else "FAIL",
                           f"exit {r['exit_code']}, {r['wall_seconds']} s; log {r['log']}")
              for name, r in results.items()]
    clean, local, killed = results["cluster-1x"], results["local-1x"], results["kills-1x"]
    checks.append(report.equality_check("cluster = local[2] (every stage)", local["digests"],
                                        clean["digests"]))
    checks.append(report.equality_check("executor killed = clean (every stage)",
                                        clean["digests"], killed["digests"]))
    checks.append(report.kill_check("kills landed in filter and components", killed["kills"],
                                    phase_windows(killed["markers"]), killed["executors"]))
    big = results.get(f"cluster-{args.factor}x")
    if big:
        for role in ("driver_python", "driver_jvm"):
            checks.append(report.flat_check(f"{role} peak RSS flat 1x -> {args.factor}x",
                                            clean["peak_mib"][role], big["peak_mib"][role],
                                            args.factor))
    for name in ("cluster-1x", f"cluster-{args.factor}x"):
        if name in results:
            flagged = single_task_stages(results[name]["stages"], args.single_task_bytes)
            checks.append(report.single_task_check(f"no one-task stage on data ({name})",
                                                   flagged, args.single_task_bytes))
    return checks


def print_report(results: dict, checks: list[report.Check], args) -> None:
    print("\n== runs (peak RSS in MiB, sampled every 0.25 s) ==")
    print(runs_table(results))
    print("\n== every stage's output: rows (distinct) per run; = when equal to cluster-1x ==")
    print(sets_table(results, ["local-1x", "cluster-1x", "kills-1x"], "cluster-1x"))
    for name in ("cluster-1x", f"cluster-{args.factor}x"):
        if name in results and results[name]["stages"]:
            print(f"\n== {name}: Spark stages per pipeline stage (event log) ==")
            print(phase_table(results[name]))
    print("\n== checks ==")
    print(report.checks_table(checks))


def report_only(args) -> int:
    """Checks and tables again from ``figures.json`` and the run folders (no Spark)."""
    from tools.scale import eventlog

    figures = json.loads((args.out / "figures.json").read_text())
    results = figures["results"]
    for result in results.values():
        logs = eventlog.application_logs(Path(result["folder"]) / "events")
        result["executors"] = [e for log in logs for e in eventlog.executor_events(log)]
    checks = pipeline_checks(results, args)
    print_report(results, checks, args)
    figures["checks"] = [c.__dict__ for c in checks]
    write_figures(args.out, figures)
    return report.exit_code(checks)


def write_figures(base: Path, figures: dict, name: str = "figures.json") -> None:
    base.mkdir(parents=True, exist_ok=True)
    path = base / name
    path.write_text(json.dumps(figures, indent=1, default=str))
    print(f"\nfigures: {path}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.scale", description=__doc__.split(
        "\n")[0])
    parser.add_argument("--records", type=int, default=DEFAULT_RECORDS,
                        help="WARC records of the 1x corpus")
    parser.add_argument("--factor", type=int, default=10, help="the big run is this many x")
    parser.add_argument("--records-per-file", type=int, default=25, help="records per WARC")
    parser.add_argument("--skip-big", action="store_true", help="no Nx run (no memory check)")
    parser.add_argument("--workers", type=int, default=2, help="executors (1 core each)")
    parser.add_argument("--worker-memory", type=int, default=1536, help="MiB per executor")
    parser.add_argument("--single-task-bytes", type=int, default=SINGLE_TASK_BYTES,
                        help="a one-task stage reading this much is flagged")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / ".bench" / "scale")
    parser.add_argument("--report-only", action="store_true",
                        help="print the checks and tables again from the last figures.json")
    parser.add_argument("--dedup-docs", default=None,
                        help="dedup-only variant at these sizes, e.g. 1000000,10000000")
    args = parser.parse_args(argv)
    args.out = args.out.resolve()
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.report_only:
        return report_only(args)
    if args.dedup_docs:
        from tools.scale.dedup_scale import dedup_main

        return dedup_main(args)
    return pipeline_main(args)


if __name__ == "__main__":
    sys.exit(main())
