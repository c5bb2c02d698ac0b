"""Filter parity with datatrove 0.10.1: same documents, datatrove's decisions vs ours.

Runs in the project venv. Builds the document set (the 697 Common Crawl documents of
``shared/data/text/cc`` plus the text extracted from the 181 scrapinghub pages), runs
``reference_filters.py`` inside ``.venv-datatrove`` through a subprocess, runs our filters, and
prints per-filter agreement of keep decisions and of reasons, then every disagreement with both
reasons and our signals. Everything it writes goes under ``.bench/parity/`` (git-ignored).

    make parity    (or: .venv/bin/python -m tests.parity.parity [--filters c4,...] [--words])
    .venv/bin/python -m tests.parity.parity \
        --write-fixture tests/filters/fixtures/datatrove_reference.jsonl

Add a filter to ``OUR_FILTERS`` (name -> ``text -> Verdict``) and to ``REFERENCE_FILTERS`` in
``reference_filters.py`` under the same name.
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from webcurate.filters.base import Verdict
from webcurate.filters.c4 import C4_PAPER, c4_quality
from webcurate.filters.fineweb import FineWebQualityConfig, fineweb_quality
from webcurate.filters.gopher import (
    GopherQualityConfig,
    GopherRepetitionConfig,
    gopher_quality,
    gopher_repetition,
)

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data"
CC_DOCS = SHARED / "text" / "cc" / "CC-MAIN-2019-30-697docs.jsonl.gz"
PAGES = SHARED / "pages" / "scrapinghub-aeb" / "html"
REFERENCE_PYTHON = REPO / ".venv-datatrove" / "bin" / "python"
REFERENCE_SCRIPT = Path(__file__).with_name("reference_filters.py")
OUT = REPO / ".bench" / "parity"

OUR_FILTERS: dict[str, Callable[[str], Verdict]] = {
    "gopher_quality": lambda text: gopher_quality(text, GopherQualityConfig()),
    "gopher_repetition": lambda text: gopher_repetition(text, GopherRepetitionConfig()),
    "c4": lambda text: c4_quality(text, C4_PAPER),
    "fineweb": lambda text: fineweb_quality(text, FineWebQualityConfig()),
}
#: Our reasons carry their family's prefix; datatrove's mostly do not.
FAMILY_PREFIX = {"gopher_quality": "gopher_", "gopher_repetition": "gopher_", "c4": "c4_",
                 "fineweb": "fineweb_"}
# datatrove's reason strings -> ours, where they differ (documented in each filter's module).
REASON_MAP: dict[str, str] = {
    "empty": "gopher_empty_doc",
    "gopher_below_avg_threshold": "gopher_below_avg_word_length",
    "gopher_above_avg_threshold": "gopher_above_avg_word_length",
    "gopher_too_many_hashes": "gopher_hash_word_ratio",
    "gopher_too_many_ellipsis": "gopher_ellipsis_word_ratio",
    "gopher_too_many_bullets": "gopher_bullet_lines",
    "gopher_too_many_end_ellipsis": "gopher_ellipsis_lines",
    "gopher_below_alpha_threshold": "gopher_alpha_words",
    "gopher_enough_stop_words": "gopher_stop_words",
}


def mapped_reason(filter_name: str, reason: str | None) -> str | None:
    """datatrove's reason in our vocabulary: renamed Gopher reasons, else the family prefix."""
    if reason is None:
        return None
    prefix = FAMILY_PREFIX[filter_name]
    if prefix == "gopher_" and reason in REASON_MAP:
        return REASON_MAP[reason]
    return reason if reason.startswith(prefix) else f"{prefix}{reason}"


def build_documents() -> list[dict]:
    """The CC documents, then the extracted text of every scrapinghub page (id = file stem)."""
    from webcurate.extract.html import decode_html, html_to_text
    from webcurate.extract.settings import ExtractSettings

    with gzip.open(CC_DOCS, "rt", encoding="utf-8") as f:
        docs = [{"id": d["id"], "text": d["text"]} for d in map(json.loads, f)]
    settings = ExtractSettings()
    for path in sorted(PAGES.glob("*.html.gz")):
        html, _ = decode_html(gzip.decompress(path.read_bytes()), None)
        docs.append({"id": path.name.split(".")[0][:16], "text": html_to_text(html, settings)})
    return docs


def run_reference(docs_path: Path, filters: list[str], words: bool) -> tuple[dict, dict]:
    """datatrove's decisions {(filter, id): (keep, reason)} and its timings, via the subprocess."""
    out, timings = OUT / "reference.jsonl", OUT / "reference_timings.json"
    cmd = [str(REFERENCE_PYTHON), str(REFERENCE_SCRIPT), str(docs_path), str(out),
           "--filters", ",".join(filters), "--timings", str(timings)]
    if words:
        cmd += ["--words", str(OUT / "reference_words.jsonl")]
    subprocess.run(cmd, check=True)
    with open(out, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    decisions = {(r["filter"], r["id"]): (r["keep"], r["reason"]) for r in rows}
    return decisions, json.loads(timings.read_text())


def run_ours(docs: list[dict], name: str) -> tuple[dict[str, Verdict], float]:
    """Our verdicts by id, and the CPU seconds they took."""
    fn = OUR_FILTERS[name]
    started = time.process_time()
    verdicts = {d["id"]: fn(d["text"]) for d in docs}
    return verdicts, time.process_time() - started


def compare(name: str, docs: list[dict], reference: dict, ours: dict[str, Verdict]) -> dict:
    """Agreement counts and the list of disagreeing documents for one filter."""
    same_keep = same_reason = 0
    disagreements = []
    for d in docs:
        keep, reason = reference[(name, d["id"])]
        verdict = ours[d["id"]]
        theirs = mapped_reason(name, reason)
        same_keep += keep == verdict.keep
        same_reason += theirs == verdict.reason
        if theirs != verdict.reason:
            disagreements.append({"id": d["id"], "datatrove": reason, "ours": verdict.reason,
                                  "signals": verdict.signals})
    n = len(docs)
    return {"filter": name, "docs": n, "keep_agreement": same_keep / n,
            "reason_agreement": same_reason / n, "disagreements": disagreements}


def chain_seconds(docs: list[dict]) -> float:
    """CPU seconds for the Gopher chain as a job would run it: words split once per document."""
    from webcurate.text.words import split_words

    quality, repetition = GopherQualityConfig(), GopherRepetitionConfig()
    started = time.process_time()
    for d in docs:
        words = split_words(d["text"])
        gopher_quality(d["text"], quality, words)
        gopher_repetition(d["text"], repetition, words)
    return time.process_time() - started


def compare_words(docs: list[dict]) -> None:
    """How often our words differ from datatrove's (spaCy's) words, with a few examples."""
    from webcurate.text.words import split_words

    differing = 0
    with open(OUT / "reference_words.jsonl", encoding="utf-8") as f:
        theirs = {r["id"]: r["words"] for r in map(json.loads, f)}
    for d in docs:
        ours = split_words(d["text"])
        if ours != theirs[d["id"]]:
            differing += 1
            ref = theirs[d["id"]]
            pairs = enumerate(zip(ours, ref, strict=False))
            i = next((k for k, (a, b) in pairs if a != b), min(len(ours), len(ref)))
            print(f"  words {d['id']}: ours {ours[i:i + 6]} datatrove {ref[i:i + 6]}")
    print(f"word lists identical for {len(docs) - differing}/{len(docs)} documents")


def write_fixture(path: Path, docs: list[dict], reference: dict, filters: list[str]) -> None:
    """datatrove's decisions for ``docs``, with a header line saying how they were produced."""
    from importlib.metadata import version

    tools = subprocess.run(
        [str(REFERENCE_PYTHON), "-c",
         "from importlib.metadata import version as v; print(v('datatrove'), v('spacy'))"],
        check=True, capture_output=True, text=True).stdout.split()
    header = {"produced_by": "tests/parity/parity.py --write-fixture", "source": CC_DOCS.name,
              "docs": f"first {len(docs)} documents, in file order", "filters": filters,
              "datatrove": tools[0], "spacy": tools[1], "python": sys.version.split()[0],
              "webcurate": version("webcurate")}
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps({"header": header}) + "\n")
        for d in docs:
            for name in filters:
                keep, reason = reference[(name, d["id"])]
                f.write(json.dumps({"id": d["id"], "filter": name, "keep": keep,
                                    "reason": reason}) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--filters", default=",".join(OUR_FILTERS))
    parser.add_argument("--words", action="store_true", help="also compare word lists")
    parser.add_argument("--write-fixture", type=Path,
                        help="write datatrove's decisions on the first --fixture-docs documents")
    parser.add_argument("--fixture-docs", type=int, default=200)
    args = parser.parse_args()
    filters = args.filters.split(",")
    OUT.mkdir(parents=True, exist_ok=True)
    docs = build_documents()
    docs_path = OUT / "docs.jsonl"
    with open(docs_path, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(d, ensure_ascii=False) + "\n" for d in docs)
    reference, timings = run_reference(docs_path, filters, args.words)
    if args.words:
        compare_words(docs)
    for name in filters:
        ours, seconds = run_ours(docs, name)
        result = compare(name, docs, reference, ours)
        theirs_s = timings["cpu_seconds"][name]
        print(f"{name}: {result['docs']} docs, keep agreement {result['keep_agreement']:.4f}, "
              f"reason agreement {result['reason_agreement']:.4f}; docs/s ours "
              f"{len(docs) / seconds:.0f}, datatrove {len(docs) / theirs_s:.0f}")
        for row in result["disagreements"]:
            print(f"  {row['id']}: datatrove {row['datatrove']} ours {row['ours']} "
                  f"{row['signals']}")
        (OUT / f"{name}.json").write_text(json.dumps(result, indent=1))
    print(f"chain of {len(filters)} filters: docs/s ours {len(docs) / chain_seconds(docs):.0f}, "
          f"datatrove {len(docs) / timings['cpu_seconds']['chain']:.0f}")
    if args.write_fixture:
        write_fixture(args.write_fixture, docs[: args.fixture_docs], reference, filters)


if __name__ == "__main__":
    main()
