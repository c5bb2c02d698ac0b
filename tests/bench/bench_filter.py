"""The filter benchmark: the fineweb recipe in webcurate against datatrove's same chain, per core.

Corpus (:mod:`tests.bench.filter_corpus`): real documents, the parity set (697 CC-MAIN-2019-30
documents + the text of 181 scrapinghub pages) with their urls and webcurate's extract-time
language labels, cycled to ``--docs`` documents with distinct ids. Every side reads the same
documents and runs one after the other as its own measured process tree
(``bench_extract.run_measured``):

- ``datatrove``: ``reference_datatrove_filters.py`` in ``.venv-datatrove``: JsonlReader -> the
  chain's datatrove filters, each with its exclusion writer -> JsonlWriter, one task, one worker.
- ``chain``: webcurate's pure chain (``run_chain``, steps built as executors build them, lists
  loaded) over the Parquet corpus in one Python process, no Spark, no output; every filter
  measures its signals even after an earlier one rejected (``measure_after_reject=true``, what
  an annotated re-decision needs).
- ``chain-first-reject``: the same with ``measure_after_reject=false`` (the job's default): stop
  at the first rejecting filter, as datatrove does.
- ``spark``: the real job, ``webcurate filter`` with ``spark.master=local[2]`` (kept/ and
  rejected/ Parquet, commit, counts by groupBy); per core = per 2 cores.

The chain (:mod:`tests.bench.filter_chain`) is the ``fineweb`` recipe (``--recipe``) when it
loads; else, with a printed note, the four text filters (gopher_repetition, gopher_quality, c4
without the terminal-punctuation rule, fineweb). ``--filters`` names another chain of filters
datatrove also has. The decisions of the sides are compared document by document
(:mod:`tests.bench.filter_report`), so speed never hides a fidelity loss.

Usage: ``python -m tests.bench.bench_filter --datatrove-python .venv-datatrove/bin/python
[--docs 20000] [--sides ...] [--recipe fineweb | --filters a,b] [--set KEY=VALUE]``
(``run_bench.sh filter`` passes the first option). Results: ``.bench/filter/results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from tests.bench import filter_corpus as corpus
from tests.bench.bench_extract import (
    BENCH_DIR,
    ROOT,
    _become_subreaper,
    _side,
    _webcurate_env,
    add_ratios,
    check_sides,
    default_lid_model,
    run_measured,
    run_sides,
)
from tests.bench.filter_chain import assets_env, chain_main, datatrove_chain_args, resolve_chain
from tests.bench.filter_report import agreement, format_table, removed_by_filter, step_seconds

OUT = BENCH_DIR / "filter"
SELF_MODULE = "tests.bench.bench_filter"
DEFAULT_SIDES = ("datatrove", "chain", "chain-first-reject", "spark")
SPARK_CORES = 2
DEFAULT_RECIPE = "fineweb"


# --- the sides --------------------------------------------------------------------------------


def run_datatrove(args, chain: dict) -> dict:
    out = OUT / "datatrove-out"
    script = Path(__file__).with_name("reference_datatrove_filters.py")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1",
               HF_ASSETS_CACHE=str(OUT / "hf-assets"))
    base = [args.datatrove_python, str(script)]
    if "url_blocklist" in chain["filters"]:  # unpack the packaged lists once, unmeasured
        import subprocess

        subprocess.run([*base, "--prepare"], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
    command = [*base, "--input", str(args.corpus["jsonl"]), "--output-dir", str(out),
               *datatrove_chain_args(chain["config"]), "--language-mode", args.datatrove_language,
               "--lid-model", str(args.lid_model)]
    measured = run_measured("filter-datatrove", command, env)
    language = (f", language from {args.datatrove_language}"
                if "language" in chain["filters"] else "")
    side = _side("datatrove", f"datatrove 0.10.1 filters, 1 task{language}", measured)
    side["decisions"] = corpus.read_datatrove_decisions(out)
    return side


def run_chain(args, chain: dict, name: str = "chain", measure_after_reject: bool = True) -> dict:
    decisions = OUT / f"{name}-decisions.jsonl"
    command = [sys.executable, "-m", SELF_MODULE, "chain", "--corpus",
               str(args.corpus["parquet"]), "--decisions", str(decisions),
               "--measure-after-reject", str(measure_after_reject).lower(), *chain["job_args"]]
    env = {**_webcurate_env(), **assets_env(chain["config"])}
    measured = run_measured(f"filter-{name}", command, env)
    how = "every filter measures" if measure_after_reject else "stops at first reject"
    side = _side(name, f"webcurate run_chain, no Spark ({how})", measured)
    side["decisions"] = corpus.read_decisions(decisions)
    return side


def run_spark(args, chain: dict) -> dict:
    out = OUT / "spark-out"
    console = Path(sys.executable).with_name("webcurate")
    command = [str(console)] if console.exists() else [sys.executable, "-m", "webcurate.cli"]
    command += ["filter", *chain["job_args"], "--set", f"input={args.corpus['parquet']}"]
    for override in (f"output={out}", "overwrite=true", f"spark.master=local[{SPARK_CORES}]",
                     "spark.show_progress=false"):
        command += ["--set", override]
    env = {**_webcurate_env(), **assets_env(chain["config"])}
    measured = run_measured("filter-spark", command, env)
    stats = json.loads((out / "stats.json").read_text())
    measured["reported"] = {"docs_in": stats["documents_in"], "docs_out": stats["documents_kept"],
                            "work_seconds": stats["run"]["seconds"], "run": stats["run"],
                            "removed_by_filter": stats["removed_by_filter"]}
    side = _side("spark", f"webcurate filter, Spark local[{SPARK_CORES}]", measured,
                 cores=SPARK_CORES)
    side["decisions"] = corpus.read_spark_decisions(out)
    return side


SIDES = {
    "datatrove": run_datatrove,
    "chain": run_chain,
    "chain-first-reject": lambda args, chain: run_chain(args, chain, "chain-first-reject", False),
    "spark": run_spark,
}


# --- main -------------------------------------------------------------------------------------


def run_main(args) -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    check_sides(args, SIDES)
    chain = resolve_chain(args)
    if chain["note"]:
        print(f"[bench] note: {chain['note']}", file=sys.stderr, flush=True)
    args.corpus = corpus.ensure_corpus(OUT, args.docs, args.seed, args.lid_model)
    meta = {"filters": chain["filters"], "job_args": chain["job_args"], "note": chain["note"],
            "settings_notes": chain["settings_notes"], "corpus": args.corpus["meta"],
            "datatrove_language": args.datatrove_language, "lid_model": str(args.lid_model),
            "nproc": os.cpu_count(), "load_before": round(os.getloadavg()[0], 2),
            "subreaper": _become_subreaper(), "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    sides = run_sides(args.sides, lambda name: SIDES[name](args, chain))
    meta["load_after"] = round(os.getloadavg()[0], 2)
    add_ratios(sides)
    decisions = {side["side"]: side.pop("decisions") for side in sides}
    meta["removed_by_filter"] = removed_by_filter(decisions, chain["filters"])
    meta["agreement"] = agreement(decisions)
    meta["step_seconds"] = step_seconds(sides, chain["filters"])
    results = OUT / "results.json"
    results.write_text(json.dumps({"meta": meta, "sides": sides}, indent=2) + "\n")
    print(format_table(meta, sides))
    print(f"results: {results.relative_to(ROOT)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="filter benchmark: webcurate vs datatrove")
    parser.add_argument("command", nargs="?", choices=("run", "chain"), default="run",
                        help="run: every side and the table; chain: (internal) one chain run")
    parser.add_argument("--datatrove-python", help="python of .venv-datatrove")
    parser.add_argument("--docs", type=int, default=20000,
                        help="documents in the corpus (the Spark job's ~7.5 s fixed cost needs a "
                             "few ten thousand to amortise; 5,000 shows mostly JVM start)")
    parser.add_argument("--seed", type=int, default=0, help="order of the corpus")
    parser.add_argument("--sides", default=",".join(DEFAULT_SIDES),
                        help=f"comma list of {', '.join(SIDES)}")
    parser.add_argument("--recipe", help="recipe of the chain (default: fineweb, unless "
                                         "--filters)")
    parser.add_argument("--filters", help="comma list of filters instead of the recipe")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="filter job config override for the webcurate sides")
    parser.add_argument("--datatrove-language", choices=("metadata", "model"), default="metadata",
                        help="datatrove's language step: the stored labels, or its own fastText "
                             "LanguageFilter on the same model file")
    parser.add_argument("--lid-model", type=Path, help="fastText model (default: webcurate's)")
    parser.add_argument("--corpus", type=Path, help="(chain) the Parquet corpus")
    parser.add_argument("--decisions", type=Path, help="(chain) where to write decisions")
    parser.add_argument("--measure-after-reject", choices=("true", "false"), default="true")
    args = parser.parse_args(argv)
    if args.command == "chain":
        print(json.dumps(chain_main(args)))
        return 0
    if args.docs < 1:
        parser.error("--docs must be at least 1")
    args.recipe = args.recipe or (None if args.filters else DEFAULT_RECIPE)
    args.lid_model = (args.lid_model or default_lid_model()).resolve()
    args.sides = [name.strip() for name in args.sides.split(",") if name.strip()]
    return run_main(args)


if __name__ == "__main__":
    sys.exit(main())
