"""The reference side of the filter benchmark: FineWeb's filter chain in datatrove, on one core.

Runs INSIDE ``.venv-datatrove`` (datatrove 0.10.1 + spaCy, see ``requirements-datatrove.txt``);
it imports nothing from webcurate. The steps are the filtering part of FineWeb's processing
script (datatrove's ``examples/fineweb.py``), in its order, each with an exclusion writer for its
rejects and a JSONL writer for the kept documents, run by ``LocalPipelineExecutor(tasks=1,
workers=1)``:

    JsonlReader -> URLFilter -> language -> GopherRepetitionFilter -> GopherQualityFilter
        -> C4QualityFilter(filter_no_terminal_punct=False) -> FineWebQualityFilter -> JsonlWriter

``--filters`` names the steps with webcurate's filter names (``url_blocklist``, ``language``,
``gopher_repetition``, ``gopher_quality``, ``c4``, ``fineweb``), so the harness runs exactly the
chain the webcurate sides run. Only FineWeb's extraction (Trafilatura) is left out: the input is
already text, as the filter job's input is.

The language step, ``--language-mode``:

- ``metadata`` (default): datatrove's ``LambdaFilter`` keeping a document whose
  ``metadata.language`` is allowed and whose ``metadata.language_score`` is above the threshold.
  The labels come with the input: webcurate's extract-time language ID (``lid.176.ftz``), which is
  what webcurate's ``language`` filter reads too. Both sides decide on the same labels, and
  neither pays for language ID in this stage (both pay it once, at extraction).
- ``model``: datatrove's own ``LanguageFilter`` (fastText over the whole text, every label), with
  the model read from ``--lid-model`` (``local_lid_model`` from ``reference_datatrove.py``)
  instead of downloaded: FineWeb's pipeline as written, which identifies the language here.

Offline by construction: datatrove's download helpers are replaced by one that raises, every
TCP connection attempt raises, and the URL filter's ``TLDExtract`` is built on the Public Suffix
List snapshot inside ``tldextract`` (its default would try to fetch the live list first; webcurate
uses the same snapshot). ``--prepare`` unpacks the URL filter's packaged blocklists into the
Hugging Face assets cache (what datatrove does on first use) so the measured run does not.

Prints one JSON object: counts, per-step seconds and drops from datatrove's own stats, and the
seconds spent inside ``executor.run()``.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import socket
import sys
import time
from pathlib import Path

# The extract benchmark's reference script, beside this one (both run as scripts, so their folder
# is on sys.path): its download guard, document counter and offline model loader.
from reference_datatrove import _no_download, counting_step, local_lid_model

STEPS = ("url_blocklist", "language", "gopher_repetition", "gopher_quality", "c4", "fineweb")


def _no_network(sock, address, *args, **kwargs):
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        raise RuntimeError(f"the benchmark must not use the network (connect to {address})")
    return _CONNECT(sock, address, *args, **kwargs)


_CONNECT = socket.socket.connect


def go_offline() -> None:
    import datatrove.io
    import datatrove.pipeline.filters.c4_filters
    import datatrove.utils.lid

    for module in (datatrove.io, datatrove.utils.lid, datatrove.pipeline.filters.c4_filters):
        module.cached_asset_path_or_download = _no_download
    socket.socket.connect = _no_network


def url_filter(exclusion_writer=None):
    """datatrove's ``URLFilter`` with its integrated lists, on the packaged suffix list."""
    from datatrove.pipeline.filters import URLFilter
    from tldextract import TLDExtract

    step = URLFilter(exclusion_writer=exclusion_writer)
    step.tldextractor = TLDExtract(cache_dir=None, suffix_list_urls=())
    return step


def language_step(args, exclusion_writer):
    from datatrove.pipeline.filters import LambdaFilter, LanguageFilter

    languages = [code for code in args.languages.split(",") if code] or None
    threshold = args.language_threshold
    if args.language_mode == "metadata":
        def allowed(doc) -> bool:  # webcurate's language filter's rules, on the stored labels
            language, score = doc.metadata.get("language"), doc.metadata.get("language_score")
            if not language or (languages is not None and language not in languages):
                return False
            return threshold is None or (score is not None and score > threshold)

        return LambdaFilter(allowed, exclusion_writer=exclusion_writer)

    step = LanguageFilter(languages=languages, language_threshold=threshold or 0.0,
                          exclusion_writer=exclusion_writer)
    step.model = local_lid_model(args.lid_model, step.languages)
    return step


def filter_step(name: str, args, exclusion_writer):
    from datatrove.pipeline.filters import (
        C4QualityFilter,
        FineWebQualityFilter,
        GopherQualityFilter,
        GopherRepetitionFilter,
    )

    if name == "url_blocklist":
        return url_filter(exclusion_writer)
    if name == "language":
        return language_step(args, exclusion_writer)
    if name == "c4":
        return C4QualityFilter(filter_no_terminal_punct=args.c4_filter_no_terminal_punct,
                               exclusion_writer=exclusion_writer)
    constructors = {"gopher_repetition": GopherRepetitionFilter,
                    "gopher_quality": GopherQualityFilter, "fineweb": FineWebQualityFilter}
    return constructors[name](exclusion_writer=exclusion_writer)


def build_pipeline(args, counts: dict) -> list:
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    out = args.output_dir
    steps = [JsonlReader(str(args.input.parent), glob_pattern=args.input.name, recursive=False),
             counting_step(counts, "docs_in")]
    for name in args.filters:
        steps.append(filter_step(name, args, JsonlWriter(str(out / "removed" / name))))
    return [*steps, counting_step(counts, "docs_kept"), JsonlWriter(str(out / "output"))]


def _step_stats(stats) -> dict:
    """Per datatrove step: seconds and its drop counters (``dropped``, ``dropped_<reason>``)."""
    result = {}
    for step in stats.stats:
        counters = {key: int(value.total) for key, value in step.stats.items()
                    if key.startswith("dropped")}
        result[step.name] = {"seconds": round(step.time_stats.total, 3), **counters}
    return result


def run(args) -> dict:
    from datatrove.executor import LocalPipelineExecutor

    if args.output_dir.exists():
        shutil.rmtree(args.output_dir)
    counts = {"docs_in": 0, "docs_kept": 0}
    executor = LocalPipelineExecutor(
        pipeline=build_pipeline(args, counts), tasks=1, workers=1,
        logging_dir=str(args.output_dir / "logs"), skip_completed=False)
    started = time.perf_counter()
    stats = executor.run()
    seconds = time.perf_counter() - started
    return {
        "tool": "datatrove",
        "versions": _versions(),
        "filters": list(args.filters),
        "language_mode": args.language_mode if "language" in args.filters else None,
        "c4_filter_no_terminal_punct": args.c4_filter_no_terminal_punct,
        "docs_in": counts["docs_in"],
        "docs_out": counts["docs_kept"],
        "steps": _step_stats(stats),
        "work_seconds": round(seconds, 3),
        "ru_maxrss_self_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


def _versions() -> dict:
    from importlib.metadata import version

    return {name: version(name) for name in ("datatrove", "spacy", "tldextract")}


def _flag(text: str) -> bool:
    if text.lower() not in ("true", "false"):
        raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")
    return text.lower() == "true"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="datatrove reference run (FineWeb's filters)")
    parser.add_argument("--input", type=Path, help="documents, JSONL(.gz): id, text, metadata")
    parser.add_argument("--output-dir", type=Path, help="scratch output folder")
    parser.add_argument("--filters", default=",".join(STEPS),
                        help=f"comma list, in order, of {', '.join(STEPS)}")
    parser.add_argument("--c4-filter-no-terminal-punct", type=_flag, default=True,
                        help="C4QualityFilter's filter_no_terminal_punct (FineWeb: false)")
    parser.add_argument("--language-mode", choices=("metadata", "model"), default="metadata")
    parser.add_argument("--languages", default="en",
                        help="comma list of allowed languages; empty: any")
    parser.add_argument("--language-threshold", type=float,
                        help="minimum score (strictly above); none: no score rule")
    parser.add_argument("--lid-model", type=Path, help="fastText lid.176 model (mode model)")
    parser.add_argument("--prepare", action="store_true",
                        help="only unpack the URL filter's packaged lists, then exit")
    args = parser.parse_args(argv)
    go_offline()
    if args.prepare:
        url_filter().download_data()
        print(json.dumps({"prepared": "url_filter"}))
        return 0
    args.filters = [name.strip() for name in args.filters.split(",") if name.strip()]
    unknown = [name for name in args.filters if name not in STEPS]
    if unknown:
        parser.error(f"unknown filter(s) {unknown}; known: {', '.join(STEPS)}")
    if args.input is None or not args.input.is_file() or args.output_dir is None:
        parser.error("--input (an existing file) and --output-dir are required")
    if "language" in args.filters and args.language_mode == "model" and \
            (args.lid_model is None or not args.lid_model.is_file()):
        parser.error("--language-mode model needs --lid-model (an existing file)")
    args.input, args.output_dir = args.input.resolve(), args.output_dir.resolve()
    print(json.dumps(run(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
