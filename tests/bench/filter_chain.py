"""The filter benchmark's chain: which filters every side runs, and webcurate's in-process run.

The chain is the filter job's own config (recipe, then ``--set`` overrides, built as the CLI
builds it); the datatrove side gets the matching ``reference_datatrove_filters.py`` options, and
a note says where it cannot mirror a setting. ``chain_main`` is the ``chain`` side's process:
``run_chain`` over the Parquet corpus with the steps an executor builds (lists loaded), timing
each filter.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.bench import filter_corpus as corpus
from tests.bench.bench_extract import ROOT

FALLBACK_FILTERS = ("gopher_repetition", "gopher_quality", "c4", "fineweb")
FALLBACK_SETS = ("settings.c4.require_terminal_punct=false",)
DATATROVE_FILTERS = ("url_blocklist", "language", "gopher_repetition", "gopher_quality", "c4",
                     "fineweb")
SHARED_LISTS = ROOT.parent / "shared" / "data" / "lists"


# --- the chain --------------------------------------------------------------------------------


def load_chain(recipe: str | None, sets: list[str]):
    """The filter job's config for ``recipe`` (or none) and ``sets``, as the CLI builds it."""
    from webcurate.config import load_config
    from webcurate.jobs.filter import FilterJobConfig
    from webcurate.recipes import recipe_section

    base = recipe_section(recipe, "filter") if recipe else None
    return load_config(FilterJobConfig, [], ["input=unused", "output=unused", *sets], base=base)


def resolve_chain(args) -> dict:
    """The chain every side runs: ``job_args`` for the webcurate CLI and internal runs, the
    resolved config, and a note when the recipe could not be used."""
    from webcurate.config import ConfigError

    if args.filters:
        job_args, note = ["--set", f"filters={args.filters}"], None
    else:
        job_args, note = ["--recipe", args.recipe], None
    for value in args.set:
        job_args += ["--set", value]
    try:
        config = load_chain(None if args.filters else args.recipe, job_args_sets(job_args))
    except (ConfigError, ValueError, KeyError) as err:
        if args.filters:
            raise SystemExit(f"bench_filter: the chain does not load: {err}") from err
        note = (f"recipe '{args.recipe}' does not load here ({err}); running the four text "
                f"filters instead: {', '.join(FALLBACK_FILTERS)} (c4 without the "
                f"terminal-punctuation rule)")
        job_args = ["--set", f"filters={','.join(FALLBACK_FILTERS)}"]
        for value in (*FALLBACK_SETS, *args.set):
            job_args += ["--set", value]
        config = load_chain(None, job_args_sets(job_args))
    unsupported = [name for name in config.filters if name not in DATATROVE_FILTERS]
    if unsupported and "datatrove" in args.sides:
        raise SystemExit(f"bench_filter: datatrove has no counterpart for {unsupported}")
    return {"job_args": job_args, "config": config, "filters": list(config.filters),
            "note": note, "settings_notes": settings_notes(config)}


def job_args_sets(job_args: list[str]) -> list[str]:
    return [job_args[i + 1] for i, arg in enumerate(job_args) if arg == "--set"]


def settings_notes(config) -> list[str]:
    """Where the chain's settings differ from what the datatrove side runs (its defaults, plus
    c4's terminal-punctuation switch and the language filter's languages and threshold)."""
    from webcurate.filters.registry import get_filter

    notes = []
    for name in config.filters:
        ours = getattr(config.settings, name)
        default = get_filter(name).config_class()
        if name == "c4":
            ours = type(ours)(**{**vars(ours), "require_terminal_punct": True})
        if name != "language" and ours != default:
            notes.append(f"{name}: webcurate runs non-default settings that the datatrove side "
                         f"does not mirror (compare with --print-config)")
    return notes


def datatrove_chain_args(config) -> list[str]:
    args = ["--filters", ",".join(config.filters)]
    if "c4" in config.filters:
        keep_rule = config.settings.c4.require_terminal_punct
        args += ["--c4-filter-no-terminal-punct", "true" if keep_rule else "false"]
    if "language" in config.filters:
        language = config.settings.language
        args += ["--languages", ",".join(language.allowed_languages or ())]
        if language.min_language_score is not None:
            args += ["--language-threshold", str(language.min_language_score)]
    return args


def assets_env(config) -> dict:
    """``WEBCURATE_ASSETS`` pointing at ../shared/data/lists when the chain needs list assets
    that are not installed in the venv (``make install`` fetches them)."""
    from webcurate.resources import lists

    needs_assets = any(name in config.filters for name in ("url_blocklist", "c4_badwords"))
    installed = Path(lists.assets_dir(), "fineweb").is_dir()
    if needs_assets and not installed and SHARED_LISTS.is_dir():
        return {lists.ASSETS_ENV: str(SHARED_LISTS)}
    return {}


# --- the in-process chain run (a child of the harness) ----------------------------------------


def chain_main(args) -> dict:
    """``run_chain`` over every document of the Parquet corpus, as a Spark task runs it."""
    import pyarrow.parquet as pq

    from webcurate.filters.chain import run_chain as run_one
    from webcurate.filters.registry import Document
    from webcurate.filters.spark import steps_for
    from webcurate.jobs.filter import chain_plan

    config = load_chain(args.recipe, args.set)
    started = time.perf_counter()
    steps = steps_for(json.dumps(chain_plan(config)), config.storage)
    load_seconds = time.perf_counter() - started
    step_seconds = {step.entry.name: 0.0 for step in steps}
    steps = [timed_step(step, step_seconds) for step in steps]
    table = pq.read_table(args.corpus).to_pydict()
    rows = zip(table["doc_id"], table["text"], table["url"], table["language"],
               table["language_score"], strict=True)
    decisions = []
    started = time.perf_counter()
    for doc_id, text, url, language, score in rows:
        outcome = run_one(Document(text or "", url, language, score), steps,
                          args.measure_after_reject == "true")
        decisions.append((doc_id, outcome.filter, outcome.reason))
    work_seconds = time.perf_counter() - started
    corpus.write_decisions(args.decisions, decisions)
    return {"docs_in": len(decisions), "docs_out": sum(f is None for _, f, _ in decisions),
            "filters": list(config.filters), "work_seconds": round(work_seconds, 3),
            "load_seconds": round(load_seconds, 3),
            "step_seconds": {name: round(value, 3) for name, value in step_seconds.items()}}


def timed_step(step, seconds: dict):
    """``step`` whose ``measure`` adds its time to ``seconds[name]`` (two clock reads per
    document and filter, ~0.1 us each)."""
    import dataclasses

    measure, name = step.entry.measure, step.entry.name

    def timed_measure(doc, config, resources):
        started = time.perf_counter()
        try:
            return measure(doc, config, resources)
        finally:
            seconds[name] += time.perf_counter() - started

    return dataclasses.replace(step, entry=dataclasses.replace(step.entry, measure=timed_measure))
