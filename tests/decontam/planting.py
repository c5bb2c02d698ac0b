"""Benchmark items planted inside real web documents: the decontamination tests' ground truth
(and the benchmark's, tests/bench/bench_decontaminate.py).

The documents are the 697 CC-MAIN-2019-30 documents (dolma's test set: 55 languages); none of
them shares a 13-gram with the GSM8K, HumanEval or PIQA test splits (checked by the tests).
An item is planted as a web page would quote it: its text placed at a paragraph break in the
middle of a long, mostly-ASCII document, the rest of the page unchanged.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path

CC_DOCS = "text/cc/CC-MAIN-2019-30-697docs.jsonl.gz"
BENCHMARKS = "benchmarks"


def read_jsonl(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def cc_documents(shared_data: Path) -> list[dict]:
    return read_jsonl(shared_data / CC_DOCS)


def benchmark_config(shared_data: Path) -> list[dict]:
    from webcurate.decontam.benchmarks import shared_benchmarks

    return shared_benchmarks(str(shared_data / BENCHMARKS))


@dataclass(frozen=True)
class Planted:
    doc_index: int
    benchmark: str
    item: str  # the item's id as the job reports it
    text: str  # what was planted


def items_to_plant(shared_data: Path) -> list[tuple[str, str, str]]:
    """``(benchmark, item id, text)``: 3 GSM8K problems (question and worked answer), 2
    HumanEval problems (prompt and solution), 2 PIQA items (goal and the first solution)."""
    root = shared_data / BENCHMARKS
    gsm8k = read_jsonl(root / "gsm8k" / "test.jsonl")
    humaneval = read_jsonl(root / "humaneval" / "HumanEval.jsonl.gz")
    piqa = read_jsonl(root / "piqa" / "valid.jsonl")
    found = [("gsm8k", f"test.jsonl:{i}", f"{gsm8k[i]['question']}\n{gsm8k[i]['answer']}")
             for i in (3, 400, 1200)]
    found += [("humaneval", humaneval[i]["task_id"],
               humaneval[i]["prompt"] + humaneval[i]["canonical_solution"]) for i in (7, 120)]
    found += [("piqa", f"valid.jsonl:{i}", f"{piqa[i]['goal']} {piqa[i]['sol1']}")
              for i in (0, 42)]
    return found


def host_documents(docs: list[dict], count: int, min_chars: int = 3000) -> list[int]:
    """The first ``count`` long, mostly-ASCII documents (English-like pages)."""
    chosen = []
    for i, doc in enumerate(docs):
        text = doc["text"]
        if len(text) >= min_chars and sum(c.isascii() for c in text) / len(text) > 0.97:
            chosen.append(i)
        if len(chosen) == count:
            return chosen
    raise ValueError(f"only {len(chosen)} host documents of {min_chars}+ characters")


def plant(text: str, item_text: str) -> str:
    """``item_text`` as its own paragraph at the paragraph break nearest the middle."""
    middle = len(text) // 2
    cut = text.find("\n", middle)
    cut = middle if cut < 0 else cut
    return f"{text[:cut]}\n{item_text}\n{text[cut:]}"


def planted_documents(shared_data: Path) -> tuple[list[dict], list[Planted]]:
    """The 697 documents, with one benchmark item planted in each of 7 of them."""
    docs = [dict(d) for d in cc_documents(shared_data)]
    items = items_to_plant(shared_data)
    hosts = host_documents(docs, len(items))
    planted = []
    for host, (benchmark, item, text) in zip(hosts, items, strict=True):
        docs[host]["text"] = plant(docs[host]["text"], text)
        planted.append(Planted(host, benchmark, item, text))
    return docs, planted


def write_jsonl(docs: list[dict], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        for doc in docs:
            handle.write(json.dumps(doc, ensure_ascii=False) + "\n")
    return path
