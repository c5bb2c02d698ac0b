"""``webcurate <job> [--conf FILE]... [--set key=value]...``: every job, one entry point.

The same function runs under ``spark-submit jobs/<job>.py`` (taking the session spark-submit
made) and as the ``webcurate`` console script (starting Spark in local mode).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from dataclasses import dataclass

from webcurate.config import ConfigError, describe, load_config


@dataclass(frozen=True)
class JobSpec:
    module: str
    config_class: str
    run: str
    summary: str
    preflight: str | None = None  # checks that need no Spark, run before the session starts
    format_summary: str | None = None  # the job's own printed summary (default: key = value)


JOBS = {
    "extract": JobSpec("webcurate.jobs.extract", "ExtractJobConfig", "run_extract",
                       "Common Crawl WARC/WET/ARC files -> documents (docs/, errors/)",
                       preflight="preflight_extract"),
    "filter": JobSpec("webcurate.jobs.filter", "FilterJobConfig", "run_filter",
                      "documents -> kept/ and rejected/ (reason per document) by heuristic "
                      "recipes", preflight="preflight_filter",
                      format_summary="format_filter_summary"),
    "dedup": JobSpec("webcurate.jobs.dedup", "DedupJobConfig", "run_dedup",
                     "documents -> kept/ and duplicates/ by exact and MinHash-LSH dedup",
                     preflight="preflight_dedup"),
    "train-quality": JobSpec("webcurate.jobs.train_quality", "TrainQualityConfig",
                             "run_train_quality",
                             "positives + negatives -> a fastText quality classifier and its "
                             "held-out metrics", preflight="preflight_train_quality"),
    "quality": JobSpec("webcurate.jobs.quality", "QualityJobConfig", "run_quality",
                       "documents -> quality_score, percentile thresholds, kept/ (and buckets)",
                       preflight="preflight_quality"),
    "pipeline": JobSpec("webcurate.jobs.pipeline", "PipelineConfig", "run_pipeline",
                        "extract -> filter -> dedup -> quality as a recipe describes, resumable, "
                        "with a report", preflight="preflight_pipeline",
                        format_summary="format_pipeline_summary"),
}


def _parser(job: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"webcurate {job}" if job else "webcurate",
        description=JOBS[job].summary if job else "webcurate: Spark jobs for LLM data curation",
    )
    if job is None:
        parser.add_argument("job", choices=sorted(JOBS))
        return parser
    parser.add_argument("--recipe", metavar="NAME",
                        help="a recipe in conf/recipes/ (or a YAML path): its section for this "
                             "job is the base config")
    parser.add_argument("--conf", action="append", default=[], metavar="FILE",
                        help="YAML config file (repeatable; later files win)")
    parser.add_argument("--set", action="append", default=[], dest="overrides",
                        metavar="KEY=VALUE", help="override one config key (repeatable)")
    parser.add_argument("--wait-for-output", type=float, default=0.0, metavar="SECONDS",
                        help="if another run is writing the same output prefix, wait this long "
                             "for it (default: fail at once)")
    if job == "filter":
        parser.add_argument("--sample", type=int, metavar="N",
                            help="decide the first N input documents in this process, without "
                                 "Spark, print each decision and write nothing")
        parser.add_argument("--dry-run", action="store_true",
                            help="--sample 20 unless --sample is given")
    parser.add_argument("--print-config", action="store_true",
                        help="print the resolved config and exit without running")
    parser.add_argument("--help-config", action="store_true",
                        help="list every config key with its default and help")
    return parser


def _load_job(job: str):
    spec = JOBS[job]
    module = importlib.import_module(spec.module)
    preflight = getattr(module, spec.preflight) if spec.preflight else (lambda config: None)
    return getattr(module, spec.config_class), getattr(module, spec.run), preflight


def run_job(job: str, argv: list[str], spark=None) -> int:
    """Parse, validate (before any Spark work), run, save config and stats. Returns exit code."""
    from webcurate.config import to_yaml
    from webcurate.lock import OutputLock, OutputLocked
    from webcurate.recipes import recipe_pipeline, recipe_section

    args = _parser(job).parse_args(argv)
    config_class, run, preflight = _load_job(job)
    if args.help_config:
        for key, default, help_text in describe(config_class):
            print(f"{key:<36} {default:<22} {help_text}")
        return 0
    try:
        base = None
        if args.recipe:
            base = recipe_pipeline(args.recipe) if job == "pipeline" else recipe_section(
                args.recipe, job)
        config = load_config(config_class, args.conf, args.overrides, base=base)
        if not args.print_config:
            preflight(config)
    except ConfigError as err:
        print(f"webcurate {job}: error: {err}", file=sys.stderr)
        return 2
    if args.print_config:
        print(to_yaml(config), end="")
        return 0
    sample = getattr(args, "sample", None) or (DRY_RUN_DOCS if getattr(args, "dry_run", False)
                                               else None)
    if sample:
        return print_sample_decisions(job, config, sample)
    lock = OutputLock(config.output, config.storage, job=job, wait_s=args.wait_for_output)
    try:
        lock.acquire()
    except OutputLocked as err:
        print(f"webcurate {job}: error: {err}", file=sys.stderr)
        return 2
    except Exception as err:
        print(f"webcurate {job}: error: cannot write to output '{config.output}': "
              f"{type(err).__name__}: {err}", file=sys.stderr)
        return 2
    try:
        return _run_locked(job, config, run, spark)[0]
    finally:
        lock.release()


DRY_RUN_DOCS = 20


def print_sample_decisions(job: str, config, n: int) -> int:
    """``--sample N``: the filter chain on the first ``n`` documents, in this process
    (:mod:`webcurate.local`), one line each and the counts by reason; nothing is written."""
    from collections import Counter

    from webcurate import local
    from webcurate.io.inputs import InputError

    try:
        docs = local.read_documents(list(config.input), limit=n, storage=config.storage)
    except (InputError, OSError) as err:
        print(f"webcurate {job}: error: {err}", file=sys.stderr)
        return 2
    decisions = local.filter_documents(docs, config)
    print(f"webcurate {job} --sample {n}: {len(decisions)} documents, chain "
          f"{', '.join(config.filters)} (nothing written)")
    for doc, decision in zip(docs, decisions, strict=True):
        verdict = "kept" if decision.keep else f"{decision.filter}: {decision.reason}"
        print(f"  {decision.doc_id}  {verdict:<44} {(doc.get('url') or '')[:60]}")
    reasons = Counter("kept" if d.keep else d.reason for d in decisions)
    for reason, count in reasons.most_common():
        print(f"  {reason:<46}{count:>6}")
    return 0


def run_stage(job: str, config, spark) -> tuple[int, object]:
    """One job with a config built elsewhere (the pipeline's stages): lease, run, save.
    Returns (exit code, JobResult or None)."""
    from webcurate.lock import OutputLock, OutputLocked

    _, run, _ = _load_job(job)
    lock = OutputLock(config.output, config.storage, job=job)
    try:
        lock.acquire()
    except OutputLocked as err:
        print(f"webcurate {job}: error: {err}", file=sys.stderr)
        return 2, None
    try:
        return _run_locked(job, config, run, spark)
    finally:
        lock.release()


def _run_locked(job: str, config, run, spark) -> tuple[int, object]:
    from webcurate.jobs.common import save_resolved_config, save_stats
    from webcurate.lock import LeaseLost, check_lease
    from webcurate.spark import get_spark
    from webcurate.stats import format_summary

    try:
        save_resolved_config(config, config.output, config.storage)
    except Exception as err:
        print(f"webcurate {job}: error: cannot write to output '{config.output}': "
              f"{type(err).__name__}: {err}", file=sys.stderr)
        return 2, None
    try:
        result = run(spark or get_spark(config.spark, app_suffix=f"-{job}"), config)
    except (ConfigError, LeaseLost) as err:
        print(f"webcurate {job}: error: {err}", file=sys.stderr)
        return 2, None
    except ValueError as err:
        if type(err).__name__ not in ("InputError", "OutputHoldsOtherRun"):
            raise
        print(f"webcurate {job}: error: {err}", file=sys.stderr)
        return 2, None
    try:
        check_lease(config.output)  # stats.json belongs to whoever holds the output now
    except LeaseLost as err:
        print(f"webcurate {job}: error: {err}", file=sys.stderr)
        return 2, None
    save_stats(result.stats, config.output, config.storage)
    spec = JOBS[job]
    if spec.format_summary:
        module = importlib.import_module(spec.module)
        print(getattr(module, spec.format_summary)(result.stats, config.output))
    else:
        print(format_summary(job, result.stats, config.output))
    return (1 if result.failed else 0), result


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in JOBS:
        _parser().parse_args(argv[:1] or ["--help"])
        return 2
    return run_job(argv[0], argv[1:])


if __name__ == "__main__":
    sys.exit(main())
