"""Filter parity with datatrove 0.10.1: same documents, datatrove's decisions vs ours.

Runs in the project venv. Builds the document set (the 697 Common Crawl documents of
``shared/data/text/cc`` plus the text extracted from the 181 scrapinghub pages, each with its url
and the language lid.176 gives it), plus url-only cases for ``url_blocklist`` (``url_cases.py``),
runs ``reference_filters.py`` inside ``.venv-datatrove`` through a subprocess, runs our filters,
and prints per-filter agreement of keep decisions and of reasons, then every disagreement with
both reasons and our signals. Lists come from ``shared/data/lists`` on both sides. Everything it
writes goes under ``.bench/parity/`` (git-ignored).

    make parity    (or: .venv/bin/python -m tests.parity.parity [--filters c4,...] [--words])
    .venv/bin/python -m tests.parity.parity \
        --write-fixture tests/filters/fixtures/datatrove_reference.jsonl

Add a filter to ``OUR_FILTERS`` (name -> ``document dict -> Verdict``), to ``REASON_MAPS`` if
datatrove's reasons are not ours minus the family prefix, and to ``REFERENCE_FILTERS`` in
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

from webcurate.filters.badwords import (
    C4BadWordsConfig,
    c4_badwords,
)
from webcurate.filters.base import Verdict
from webcurate.filters.c4 import C4_PAPER, c4_quality
from webcurate.filters.fineweb import FineWebQualityConfig, fineweb_quality
from webcurate.filters.gopher import (
    GopherQualityConfig,
    GopherRepetitionConfig,
    gopher_quality,
    gopher_repetition,
)
from webcurate.filters.url_blocklist import (
    UrlBlocklistConfig,
    url_blocklist,
)
from webcurate.io.storage import StorageConfig
from webcurate.resources.filters import load_c4_badwords_resources, load_url_blocklist_resources

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data"
CC_DOCS = SHARED / "text" / "cc" / "CC-MAIN-2019-30-697docs.jsonl.gz"
PAGES = SHARED / "pages" / "scrapinghub-aeb" / "html"
LISTS = SHARED / "lists"
WARCS = SHARED / "warc"
REFERENCE_PYTHON = REPO / ".venv-datatrove" / "bin" / "python"
REFERENCE_SCRIPT = Path(__file__).with_name("reference_filters.py")
OUT = REPO / ".bench" / "parity"

FINEWEB_ARCHIVE = f"{LISTS}/fineweb/url_filterblacklistsv0_3_0.tar.gz"
URL_CONFIG = UrlBlocklistConfig(
    domains=f"{FINEWEB_ARCHIVE}#domains", urls=f"{FINEWEB_ARCHIVE}#urls",
    banned_words=f"{LISTS}/fineweb/banned_words.txt",
    banned_subwords=f"{LISTS}/fineweb/banned_subwords.txt",
    soft_banned_words=f"{LISTS}/fineweb/soft_banned_words.txt")
BADWORDS_CONFIG = C4BadWordsConfig(
    word_lists=f"{LISTS}/ldnoobw", english_list=f"{LISTS}/ldnoobw/en.c4-commit-25e679f.txt",
    fail_on_missing_language=False)


def _url_blocklist(doc: dict) -> Verdict:
    resources = load_url_blocklist_resources(URL_CONFIG, StorageConfig())
    return url_blocklist(doc.get("url"), URL_CONFIG, resources)


def _c4_badwords(doc: dict) -> Verdict:
    resources = load_c4_badwords_resources(BADWORDS_CONFIG, StorageConfig())
    return c4_badwords(doc["text"], doc.get("language"), BADWORDS_CONFIG, resources)


OUR_FILTERS: dict[str, Callable[[dict], Verdict]] = {
    "gopher_quality": lambda doc: gopher_quality(doc["text"], GopherQualityConfig()),
    "gopher_repetition": lambda doc: gopher_repetition(doc["text"], GopherRepetitionConfig()),
    "c4": lambda doc: c4_quality(doc["text"], C4_PAPER),
    "fineweb": lambda doc: fineweb_quality(doc["text"], FineWebQualityConfig()),
    "url_blocklist": _url_blocklist,
    "c4_badwords": _c4_badwords,
}
#: The document fields besides the text that a filter reads (kept in the fixture rows).
INPUT_FIELDS = {"url_blocklist": ("url",), "c4_badwords": ("language",)}
#: Filters that also run on the url-only cases.
URL_FILTERS = ("url_blocklist",)
#: Our reasons carry their family's prefix; datatrove's mostly do not.
FAMILY_PREFIX = {"gopher_quality": "gopher_", "gopher_repetition": "gopher_", "c4": "c4_",
                 "fineweb": "fineweb_", "url_blocklist": "url_blocklist_", "c4_badwords": "c4_"}
# datatrove's reason strings -> ours, where they differ (documented in each filter's module).
GOPHER_REASONS: dict[str, str] = {
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
TEXT_CHAIN = ("gopher_quality", "gopher_repetition", "c4", "fineweb")
REASON_MAPS: dict[str, dict[str, str]] = {
    "gopher_quality": GOPHER_REASONS,
    "gopher_repetition": GOPHER_REASONS,
    "url_blocklist": {"hard_blacklisted": "url_blocklist_banned_word",
                      "soft_blacklisted": "url_blocklist_soft_banned_words",
                      "blacklisted_subword": "url_blocklist_banned_subword"},
    "c4_badwords": {"document_removed_with_badwords": "c4_badwords"},
}


def mapped_reason(filter_name: str, reason: str | None) -> str | None:
    """datatrove's reason in our vocabulary: a renamed reason, else the family prefix added."""
    if reason is None:
        return None
    renamed = REASON_MAPS.get(filter_name, {})
    if reason in renamed:
        return renamed[reason]
    prefix = FAMILY_PREFIX[filter_name]
    return reason if reason.startswith(prefix) else f"{prefix}{reason}"


def build_documents() -> list[dict]:
    """The CC documents, then the extracted text of every scrapinghub page (id = file stem),
    each with its url and its lid.176 language (``None`` for a blank text)."""
    from webcurate.extract.html import decode_html, html_to_text
    from webcurate.extract.language import get_language_identifier
    from webcurate.extract.settings import ExtractSettings

    with gzip.open(CC_DOCS, "rt", encoding="utf-8") as f:
        docs = [{"id": d["id"], "text": d["text"], "url": d["metadata"]["warc_url"]}
                for d in map(json.loads, f)]
    settings = ExtractSettings()
    page_urls = json.loads((PAGES.parent / "ground-truth.json").read_text())
    for path in sorted(PAGES.glob("*.html.gz")):
        html, _ = decode_html(gzip.decompress(path.read_bytes()), None)
        stem = path.name.split(".")[0]
        docs.append({"id": stem[:16], "text": html_to_text(html, settings),
                     "url": page_urls[stem]["url"]})
    identify = get_language_identifier()
    for doc in docs:
        doc["language"] = identify.predict(doc["text"])[0]
    return docs


def build_url_cases() -> list[dict]:
    """Url-only documents (no text), run by the url filters only."""
    from .url_cases import url_cases

    return [{**case, "text": "", "only": list(URL_FILTERS)} for case in url_cases(CC_DOCS, WARCS)]


def applies(doc: dict, name: str) -> bool:
    return name in doc.get("only", (name,))


def run_reference(docs_path: Path, filters: list[str], words: bool) -> tuple[dict, dict]:
    """datatrove's decisions {(filter, id): (keep, reason)} and its timings, via the subprocess."""
    out, timings = OUT / "reference.jsonl", OUT / "reference_timings.json"
    cmd = [str(REFERENCE_PYTHON), str(REFERENCE_SCRIPT), str(docs_path), str(out),
           "--filters", ",".join(filters), "--timings", str(timings), "--lists", str(LISTS)]
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
    fn(docs[0])  # lists load lazily, once per process: not part of the timing
    started = time.process_time()
    verdicts = {d["id"]: fn(d) for d in docs}
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


def fixture_rows(docs: list[dict], reference: dict, filters: list[str], n_docs: int) -> list:
    """Per filter: datatrove's decision on the first ``n_docs`` text documents (and, for the url
    filters, on every url-only case), with the inputs besides the text that the filter reads."""
    text_docs = [d for d in docs if "only" not in d][:n_docs]
    rows = []
    for d in text_docs + [d for d in docs if "only" in d]:
        for name in filters:
            if applies(d, name):
                keep, reason = reference[(name, d["id"])]
                inputs = {key: d.get(key) for key in INPUT_FIELDS.get(name, ())}
                rows.append({"id": d["id"], "filter": name, "keep": keep, "reason": reason,
                             **inputs})
    return rows


def write_fixture(path: Path, rows: list[dict], filters: list[str], n_docs: int) -> None:
    """datatrove's decisions, with a header line saying how they were produced."""
    from collections import Counter
    from importlib.metadata import version

    tools = subprocess.run(
        [str(REFERENCE_PYTHON), "-c", "from importlib.metadata import version as v; "
         "print(v('datatrove'), v('spacy'), v('tldextract'))"],
        check=True, capture_output=True, text=True).stdout.split()
    header = {"produced_by": "tests/parity/parity.py --write-fixture", "source": CC_DOCS.name,
              "docs": f"first {n_docs} documents, in file order; url filters also on the "
                      "url-only cases of tests/parity/url_cases.py",
              "filters": filters, "rows": dict(Counter(row["filter"] for row in rows)),
              "datatrove": tools[0], "spacy": tools[1], "tldextract": tools[2],
              "python": sys.version.split()[0], "webcurate": version("webcurate")}
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps({"header": header}) + "\n")
        f.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def report(name: str, docs: list[dict], reference: dict, timings: dict) -> None:
    ours, seconds = run_ours(docs, name)
    result = compare(name, docs, reference, ours)
    theirs_s = timings["cpu_seconds"][name]
    print(f"{name}: {result['docs']} docs, keep agreement {result['keep_agreement']:.4f}, "
          f"reason agreement {result['reason_agreement']:.4f}; docs/s ours "
          f"{len(docs) / seconds:.0f}, datatrove {len(docs) / theirs_s:.0f}")
    for row in result["disagreements"]:
        print(f"  {row['id']}: datatrove {row['datatrove']} ours {row['ours']} {row['signals']}")
    (OUT / f"{name}.json").write_text(json.dumps(result, indent=1))


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
    text_docs = build_documents()
    docs = text_docs + build_url_cases()
    docs_path = OUT / "docs.jsonl"
    with open(docs_path, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(d, ensure_ascii=False) + "\n" for d in docs)
    reference, timings = run_reference(docs_path, filters, args.words)
    if args.words:
        compare_words(text_docs)
    for name in filters:
        report(name, [d for d in docs if applies(d, name)], reference, timings)
    chain = [name for name in filters if name in ("gopher_quality", "gopher_repetition")]
    if chain:
        print(f"Gopher chain ({', '.join(chain)}): docs/s ours "
              f"{len(text_docs) / chain_seconds(text_docs):.0f}, datatrove (chain of "
              f"{', '.join(n for n in filters if n in TEXT_CHAIN)}) "
              f"{len(text_docs) / timings['cpu_seconds']['chain']:.0f}")
    if args.write_fixture:
        rows = fixture_rows(docs, reference, filters, args.fixture_docs)
        write_fixture(args.write_fixture, rows, filters, args.fixture_docs)


if __name__ == "__main__":
    main()
