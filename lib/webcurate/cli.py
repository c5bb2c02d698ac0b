"""``webcurate <job> [--conf FILE]... [--set key=value]...``: every job, one entry point.

The same function runs under ``spark-submit jobs/<job>.py`` (taking the session spark-submit
made) and as the ``webcurate`` console script (starting Spark in local mode).
"""

from __future__ import annotations

import argparse
import sys

from webcurate.config import ConfigError, describe, load_config
from webcurate.stages import all_stages, get_stage


def _parser(job: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"webcurate {job}" if job else "webcurate",
        description=get_stage(job).summary if job else "webcurate: Spark jobs for LLM data "
                                                       "curation",
    )
    if job is None:
        parser.add_argument("job", choices=[*sorted(all_stages()), "recipes"],
                            help="a job, or 'recipes' to list the recipes")
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


def run_job(job: str, argv: list[str], spark=None) -> int:
    """Parse, validate (before any Spark work), run, save config and stats. Returns exit code."""
    from webcurate.config import to_yaml
    from webcurate.running import run_stage

    stage = get_stage(job)
    args = _parser(job).parse_args(argv)
    if args.help_config:
        for key, default, help_text in describe(stage.config_class):
            print(f"{key:<36} {default:<22} {help_text}")
        return 0
    try:
        base = stage.recipe_base(args.recipe) if args.recipe else None
        config = load_config(stage.config_class, args.conf, args.overrides, base=base)
        if not args.print_config:
            stage.preflight(config)
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
    return run_stage(stage, config, spark, wait_s=args.wait_for_output)[0]


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


def print_recipes(argv: list[str]) -> int:
    """``webcurate recipes``: every recipe with its description and source."""
    from webcurate.recipes import format_recipes, list_recipes

    argparse.ArgumentParser(prog="webcurate recipes",
                            description="list the recipes (conf/recipes/*.yaml)").parse_args(argv)
    try:
        print(format_recipes(list_recipes()))
    except ConfigError as err:
        print(f"webcurate recipes: error: {err}", file=sys.stderr)
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["recipes"]:
        return print_recipes(argv[1:])
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in all_stages():
        _parser().parse_args(argv[:1] or ["--help"])
        return 2
    return run_job(argv[0], argv[1:])


if __name__ == "__main__":
    sys.exit(main())
