"""datatrove's own decisions on a set of documents: the reference side of the filter parity check.

Runs INSIDE ``.venv-datatrove`` (datatrove 0.10.1 + spaCy, which its English word tokenizer needs);
never imported by webcurate. Reads JSONL ``{"id", "text"}`` and writes one JSONL line per document
and filter: ``{"id", "filter", "keep", "reason"}``, each filter built with its default settings.
Add a filter by adding a line to ``REFERENCE_FILTERS`` (name -> constructor).

    .venv-datatrove/bin/python tests/parity/reference_filters.py docs.jsonl out.jsonl \
        [--filters gopher_quality,gopher_repetition] [--timings timings.json] [--words words.jsonl]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

from datatrove.data import Document
from datatrove.pipeline.filters import (
    C4QualityFilter,
    FineWebQualityFilter,
    GopherQualityFilter,
    GopherRepetitionFilter,
)

REFERENCE_FILTERS: dict[str, Callable[[], object]] = {
    "gopher_quality": GopherQualityFilter,
    "gopher_repetition": GopherRepetitionFilter,
    "c4": C4QualityFilter,
    "fineweb": FineWebQualityFilter,
}


def decide(flt: object, doc_id: str, text: str) -> tuple[bool, str | None]:
    """(keep, reason) from a datatrove filter, whose ``filter`` returns a bool or (bool, str)."""
    result = flt.filter(Document(text=text, id=doc_id))
    if isinstance(result, tuple):
        return bool(result[0]), result[1]
    return bool(result), None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("docs")
    parser.add_argument("out")
    parser.add_argument("--filters", default=",".join(REFERENCE_FILTERS))
    parser.add_argument("--timings", help="write {filter: cpu seconds} here")
    parser.add_argument("--words", help="write datatrove's English words per document here")
    args = parser.parse_args()
    with open(args.docs, encoding="utf-8") as f:
        docs = [json.loads(line) for line in f]
    timings = {}
    with open(args.out, "w", encoding="utf-8") as out:
        for name in args.filters.split(","):
            flt = REFERENCE_FILTERS[name]()
            decide(flt, "warmup", "warm up the tokenizer " * 60)  # spaCy loads lazily
            started = time.process_time()
            rows = [(d["id"], *decide(flt, d["id"], d["text"])) for d in docs]
            timings[name] = time.process_time() - started
            for doc_id, keep, reason in rows:
                row = {"id": doc_id, "filter": name, "keep": keep, "reason": reason}
                out.write(json.dumps(row) + "\n")
    flts = [REFERENCE_FILTERS[name]() for name in args.filters.split(",")]
    started = time.process_time()
    for d in docs:  # one document through every filter: datatrove caches its words per text
        for flt in flts:
            decide(flt, d["id"], d["text"])
    timings["chain"] = time.process_time() - started
    if args.timings:
        with open(args.timings, "w") as f:
            json.dump({"docs": len(docs), "cpu_seconds": timings}, f)
    if args.words:
        from datatrove.utils.word_tokenizers import load_word_tokenizer

        tokenizer = load_word_tokenizer("en")
        with open(args.words, "w", encoding="utf-8") as f:
            for d in docs:
                words = tokenizer.word_tokenize(d["text"])
                f.write(json.dumps({"id": d["id"], "words": words}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
