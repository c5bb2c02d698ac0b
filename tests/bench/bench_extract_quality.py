"""Extraction quality beside speed: word-level precision / recall / F1 of each extractor on
real labelled pages, and its pages/s per core on the same pages.

Pages (``../shared/data/pages``): scrapinghub's article-extraction-benchmark (181 pages; the
gold is ``ground-truth.json``'s ``articleBody``) and mozilla/readability's test pages (130;
the gold is the visible text of ``expected.html``). Words are ``\\w+`` runs, lower-cased,
counted with multiplicity (as ``tests/extract/test_html.py`` scores them); per page,
precision = shared words / extracted words, recall = shared words / gold words; the table
gives the mean over pages and F1 of those two means (the AEB's way). Speed: CPU seconds of
``html_to_text`` alone over the decoded pages (no WARC reading, no language id), pages per
CPU-second; the extract job adds its own fixed costs on top (``bench_extract``).

Usage: ``python -m tests.bench.bench_extract_quality [--extractors a,b] [--repeat N]``;
results: ``.bench/extract-quality-results.json``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sys
import tarfile
import time
from collections import Counter
from pathlib import Path

from tests.bench.bench_extract import BENCH_DIR, ROOT

PAGES = ROOT.parent / "shared" / "data" / "pages"
_WORD = re.compile(r"\w+")


def words(text: str) -> Counter:
    return Counter(_WORD.findall(text.lower()))


def scrapinghub_pages() -> list[tuple[str, str, str]]:
    """(id, html, gold text) of every scrapinghub page."""
    from webcurate.extract.html import decode_html

    root = PAGES / "scrapinghub-aeb"
    truth = json.loads((root / "ground-truth.json").read_text())
    pages = []
    for path in sorted((root / "html").glob("*.html.gz")):
        stem = path.name.split(".")[0]
        html, _ = decode_html(gzip.decompress(path.read_bytes()), None)
        pages.append((stem, html, truth[stem]["articleBody"]))
    return pages


def readability_pages() -> list[tuple[str, str, str]]:
    """(id, html, gold text) of every readability test page; gold = expected.html's text."""
    from resiliparse.extract.html2text import extract_plain_text

    from webcurate.extract.html import decode_html

    members: dict[str, dict[str, bytes]] = {}
    with tarfile.open(PAGES / "readability" / "readability-test-pages.tar.xz") as tar:
        for member in tar:
            name = Path(member.name)
            if member.isfile() and name.name in ("source.html", "expected.html"):
                members.setdefault(name.parent.name, {})[name.name] = tar.extractfile(
                    member).read()
    pages = []
    for key in sorted(members):
        files = members[key]
        if len(files) < 2:
            continue
        html, _ = decode_html(files["source.html"], None)
        expected, _ = decode_html(files["expected.html"], None)
        gold = extract_plain_text(expected, main_content=False, links=False, alt_texts=False)
        if gold.strip():
            pages.append((key, html, gold))
    return pages


def score(extracted: str, gold: str) -> tuple[float, float]:
    got, want = words(extracted), words(gold)
    shared = sum((got & want).values())
    precision = shared / sum(got.values()) if got else (1.0 if not want else 0.0)
    recall = shared / sum(want.values()) if want else 1.0
    return precision, recall


def evaluate(extractor: str, pages: list[tuple[str, str, str]], repeat: int = 1) -> dict:
    from webcurate.extract.html import ExtractionSkipped, html_to_text
    from webcurate.extract.settings import ExtractSettings

    settings = ExtractSettings(extractor=extractor)
    texts = {}
    started = time.process_time()
    for _ in range(repeat):
        for key, html, _gold in pages:
            try:
                texts[key] = html_to_text(html, settings)
            except ExtractionSkipped:
                texts[key] = ""
    cpu = (time.process_time() - started) / repeat
    scores = [score(texts[key], gold) for key, _html, gold in pages]
    precision = sum(p for p, _ in scores) / len(scores)
    recall = sum(r for _, r in scores) / len(scores)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"extractor": extractor, "pages": len(pages), "precision": round(precision, 4),
            "recall": round(recall, 4), "f1": round(f1, 4), "cpu_seconds": round(cpu, 3),
            "pages_per_cpu_second": round(len(pages) / cpu, 1) if cpu else None}


def main(argv: list[str] | None = None) -> int:
    from webcurate.extract.settings import EXTRACTORS

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--extractors", default=",".join(EXTRACTORS))
    parser.add_argument("--repeat", type=int, default=1, help="timing passes per extractor")
    args = parser.parse_args(argv)
    sets = {"scrapinghub": scrapinghub_pages(), "readability": readability_pages()}
    rows = []
    load_before = os.getloadavg()[0]
    for extractor in args.extractors.split(","):
        for name, pages in sets.items():
            row = {"pages_set": name, **evaluate(extractor, pages, args.repeat)}
            rows.append(row)
            print(f"{extractor:<14}{name:<13}P {row['precision']:.3f}  R {row['recall']:.3f}  "
                  f"F1 {row['f1']:.3f}  {row['pages_per_cpu_second']:>7} pages/cpu-s",
                  flush=True)
    meta = {"load_before": round(load_before, 2), "load_after": round(os.getloadavg()[0], 2),
            "nproc": os.cpu_count(), "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    out = BENCH_DIR / "extract-quality-results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    summary = [{"stage": "extract quality", "side": f"{row['extractor']} {row['pages_set']}",
                "docs": row["pages"], "docs_per_s_per_core": row["pages_per_cpu_second"],
                "cpu_seconds": row["cpu_seconds"], "load": meta["load_before"],
                "note": f"P {row['precision']:.3f} R {row['recall']:.3f} F1 {row['f1']:.3f}"}
               for row in rows]
    out.write_text(json.dumps({"meta": meta, "rows": rows, "summary": summary}, indent=2) + "\n")
    print(f"load average {meta['load_before']} -> {meta['load_after']}; results: "
          f"{out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
