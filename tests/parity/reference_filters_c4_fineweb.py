"""datatrove's decisions for the C4 and FineWeb quality filters, as the parity reference.

Runs INSIDE ``.venv-datatrove`` (datatrove 0.10.1, plus spaCy, which datatrove's English word
tokenizer and sentence splitter need); it imports nothing from webcurate. For every input
document it calls ``C4QualityFilter().filter`` and ``FineWebQualityFilter().filter`` with default
settings (English, as datatrove defaults) on a fresh ``Document`` each, and writes one JSONL line
per document and filter::

    {"id": ..., "filter": "c4" | "fineweb", "keep": bool, "reason": str | None}

``reason`` is datatrove's own reason string (``too_few_sentences``, ``line_punct_ratio``, ...);
webcurate maps it to its prefixed constants on the comparing side. A filter that raises is
recorded as ``keep: false, reason: "error:<ExceptionType>"`` instead of stopping the run.

Usage::

    .venv-datatrove/bin/python tests/parity/reference_filters_c4_fineweb.py \\
        docs.jsonl[.gz] out.jsonl [--limit N] [--header]

``--header`` writes a first line ``{"_header": ...}`` naming the tool versions. The seconds spent
inside each filter's ``filter`` calls go to stderr as one JSON object.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from importlib.metadata import version


def read_docs(path: str, limit: int | None) -> list[dict]:
    opener = gzip.open if path.endswith(".gz") else open
    docs = []
    with opener(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                docs.append(json.loads(line))
            if limit is not None and len(docs) >= limit:
                break
    return docs


def decide(filter_step, doc_id: str, text: str) -> tuple[bool, str | None]:
    from datatrove.data import Document

    try:
        result = filter_step.filter(Document(text=text, id=doc_id))
    except Exception as err:  # recorded, never fatal
        return False, f"error:{type(err).__name__}"
    if isinstance(result, tuple):
        return bool(result[0]), result[1]
    return bool(result), None


def header(source: str, limit: int | None) -> dict:
    return {
        "_header": "datatrove decisions, default settings, one fresh Document per filter call",
        "made_by": "tests/parity/reference_filters_c4_fineweb.py in .venv-datatrove",
        "source": source,
        "limit": limit,
        "datatrove": version("datatrove"),
        "spacy": version("spacy"),
        "python": sys.version.split()[0],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("docs")
    parser.add_argument("out")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--header", action="store_true")
    args = parser.parse_args(argv)

    from datatrove.pipeline.filters import C4QualityFilter, FineWebQualityFilter

    filters = {"c4": C4QualityFilter(), "fineweb": FineWebQualityFilter()}
    docs = read_docs(args.docs, args.limit)
    rows, seconds = [], dict.fromkeys(filters, 0.0)
    for step in filters.values():  # warm up: spaCy loads lazily on first use
        decide(step, "warmup", "Warm up the tokenizer. It loads lazily.\nSecond line here.")
    for doc in docs:
        for name, step in filters.items():
            start = time.perf_counter()
            keep, reason = decide(step, doc["id"], doc["text"])
            seconds[name] += time.perf_counter() - start
            rows.append({"id": doc["id"], "filter": name, "keep": keep, "reason": reason})
    with open(args.out, "w", encoding="utf-8") as out:
        if args.header:
            out.write(json.dumps(header(args.docs, args.limit)) + "\n")
        for row in rows:
            out.write(json.dumps(row) + "\n")
    timing = {name: {"seconds": round(s, 4), "docs_per_s": round(len(docs) / s, 1) if s else None}
              for name, s in seconds.items()}
    print(json.dumps({"docs": len(docs), "timing": timing}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
