"""The dedup-only variant: ``python -m tools.scale --dedup-docs 1000000,10000000``
(``make scale-dedup-10m``).

Parquet corpora of short documents (~200-400 characters: runs of real sentences from
``../shared/data/text/reference``), 10% near duplicates of a recent document (words edited at
0.5-5%) and 1% exact copies, ``DOCS_PER_FILE`` per file, built once under
``.bench/scale/corpus/``. Each size runs ``webcurate dedup`` (FineWeb's MinHash settings) on the
harness's standalone cluster with its event log; the checks: time ratio of each size to the
previous one against the issue's goal (10x the documents in <= 11x the time), driver memory
flat, no one-task stage on data.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from tests.bench.bench_dedup import planted_rows, write_parquet_parts
from tools.scale import report, runs
from tools.scale.corpus import EDIT_RATES, SHARED_DATA, _planted
from tools.scale.eventlog import shuffle_by_phase, single_task_stages

DOCS_PER_FILE = 100_000
MIN_CHARS, MAX_CHARS = 200, 400
TIME_RATIO_GOAL = 11.0
MIN_WORKER_MEMORY_MIB = 3072


def short_rows(count: int, seed: int, pool: list[str]):
    """Rows ``doc_id, url, text``: new short documents, or a variant or copy of a recent one."""
    short = [s for s in pool if len(s) < MAX_CHARS // 2]

    def new_text(rng) -> str:
        chosen, size, limit = [], 0, rng.randrange(MIN_CHARS, MAX_CHARS)
        while size < limit:
            sentence = short[rng.randrange(len(short))]
            chosen.append(sentence)
            size += len(sentence) + 1
        return " ".join(chosen)

    return planted_rows(count, seed, pool, new_text, EDIT_RATES, "https://scale.example/")


def build_short_corpus(size: int, seed: int, base: Path) -> Path:
    target = base / f"short-{size}-s{seed}"
    if (target / "_DONE").exists():
        return target
    target.mkdir(parents=True, exist_ok=True)
    pool = _planted().sentence_pool(SHARED_DATA)
    write_parquet_parts(short_rows(size, seed, pool), target, DOCS_PER_FILE)
    return target


def dedup_main(args) -> int:
    from tools.scale.__main__ import write_figures

    settings = runs.Settings(base=args.out, workers=args.workers,
                             worker_memory_mib=max(args.worker_memory, MIN_WORKER_MEMORY_MIB))
    sizes = [int(s) for s in args.dedup_docs.split(",")]
    results = {}
    for size in sizes:
        corpus = build_short_corpus(size, args.seed, args.out / "corpus")
        print(f"[scale] dedup corpus {size:,} docs: {corpus}", flush=True)
        settings.shuffle_partitions = max(8, size // 250_000)
        name = f"dedup-{size}"
        output = args.out / "runs" / name / "out"
        run = runs.Run(name, settings.cluster_master,
                       ["dedup", "--conf", str(runs.ROOT / "conf" / "dedup.yaml"),
                        "--set", f"input={corpus}", "--set", f"output={output}",
                        "--set", "spark.show_progress=false"],
                       stages=["dedup"])
        results[name] = runs.execute(run, settings)
        stats_path = output / "stats.json"
        results[name]["dedup_stats"] = (json.loads(stats_path.read_text())
                                        if stats_path.exists() else {})
        results[name]["docs"] = size
    checks = dedup_checks(results, sizes, args)
    print("\n== dedup alone on the cluster (peak RSS MiB) ==")
    print(dedup_table(results))
    print("\n== checks ==")
    print(report.checks_table(checks))
    write_figures(args.out, {"sizes": sizes, "results": results,
                             "checks": [c.__dict__ for c in checks]}, "dedup-figures.json")
    return report.exit_code(checks)


def dedup_checks(results: dict, sizes: list[int], args) -> list[report.Check]:
    checks = [report.Check(f"{name} exits 0", "PASS" if r["exit_code"] == 0 else "FAIL",
                           f"exit {r['exit_code']}, log {r['log']}") for name, r in results.items()]
    for small, big in itertools.pairwise(sizes):
        a, b = results[f"dedup-{small}"], results[f"dedup-{big}"]
        checks.append(report.ratio_check(f"dedup time {small:,} -> {big:,}", a["wall_seconds"],
                                         b["wall_seconds"], big / small, TIME_RATIO_GOAL))
        for role in ("driver_python", "driver_jvm"):
            checks.append(report.flat_check(f"{role} peak RSS flat {small:,} -> {big:,}",
                                            a["peak_mib"][role], b["peak_mib"][role],
                                            round(big / small)))
    for name, r in results.items():
        checks.append(report.single_task_check(
            f"no one-task stage on data ({name})",
            single_task_stages(r["stages"], args.single_task_bytes), args.single_task_bytes))
    return checks


def dedup_table(results: dict) -> str:
    rows = []
    for r in results.values():
        stats, peak = r.get("dedup_stats", {}), r["peak_mib"]
        shuffle = sum(t["shuffle_write"] for t in shuffle_by_phase(r["stages"]).values())
        seconds = stats.get("seconds", {})
        rows.append([r["docs"], r["wall_seconds"], stats.get("run", {}).get("seconds"),
                     seconds.get("signatures"), seconds.get("banding"), seconds.get("components"),
                     stats.get("exact_duplicates"), stats.get("near_duplicates"),
                     peak["driver_python"], peak["driver_jvm"], peak["executor_jvm"],
                     peak["executor_python"], shuffle / 2**20,
                     round(shuffle / r["docs"]) if r["docs"] else None])
    return report.table(["docs", "wall s", "job s", "signatures s", "banding s", "components s",
                         "exact dups", "near dups", "driver py", "driver JVM", "executor JVMs",
                         "executor py", "shuffle w MiB", "shuffle B/doc"], rows)
