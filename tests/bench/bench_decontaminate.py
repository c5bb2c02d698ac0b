"""The decontamination benchmark: documents checked per second per core against a benchmark set
of >= 1M 13-grams, three ways in the same run.

- **Benchmark set**: the shared test splits (GSM8K question + answer, HumanEval prompt +
  solution, PIQA goal + sol1 + sol2: ~251,000 distinct 13-grams), topped up to ``--ngrams``
  (1,000,000) with a fourth "benchmark" of real prose that is *not* an evaluation set: the
  Project Gutenberg books, tiny-shakespeare, the Lee news corpus and NLTK's state_union,
  inaugural and abc corpora in ``../shared/data/text/reference``, cut into 100-word items
  (written to ``.bench/decontaminate/prose.jsonl``) until the set is large enough, so the
  index has the size of a real multi-benchmark decontamination.
- **Documents**: the 697 CC-MAIN-2019-30 documents and the 20 CCNet head documents, cycled to
  ``--docs`` (10,000) with distinct ids; 1% get a GSM8K item planted and 1% a prose paragraph
  (tests/decontam/planting.py's ``plant``), written as 4 Parquet files.
- **Sides**: ``python-set``: GPT-3's method as a plain Python program would implement it (and as
  EleutherAI's lm-evaluation-harness ``Janitor`` does): the set of normalised 13-gram strings,
  each document's 13-grams joined and looked up one by one; ``pure core``:
  ``webcurate.decontam.core.find_matches`` (vectorised hashes, sorted-array lookup) in one
  process, the ceiling for one core; ``spark``: ``webcurate decontaminate`` in ``local[N]``
  (broadcast index), timed by the job's own ``stats.run.seconds`` on a warm session.
- **docs/s/core** = documents / seconds / cores. The load average is printed: the machine may
  be shared. All three must find the same contaminated documents (printed).

Usage: ``python -m tests.bench.bench_decontaminate [--docs 10000] [--ngrams 1000000]``
(``make bench-decontaminate``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import string
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
BENCH = ROOT / ".bench" / "decontaminate"
PROSE = ("pg16215-jack-sheppard.txt", "pg3261-news-from-nowhere.txt",
         "pg9198-complete-angler.txt", "pg972-devils-dictionary.txt", "tinyshakespeare.txt",
         "lee_background.cor")
ZIPPED = ("state_union.zip", "inaugural.zip", "abc.zip")


def load() -> str:
    return open("/proc/loadavg").read().split()[0]


def prose_paragraphs(words_per_item: int = 100) -> list[str]:
    """The reference prose cut into items of 100 words."""
    import zipfile

    texts = []
    for name in PROSE:
        texts.append((SHARED / "text" / "reference" / name).read_text(encoding="utf-8",
                                                                       errors="replace"))
    for name in ZIPPED:
        with zipfile.ZipFile(SHARED / "text" / "reference" / name) as archive:
            texts += [archive.read(n).decode("utf-8", "replace") for n in archive.namelist()
                      if not n.endswith("/")]
    found = []
    for text in texts:
        words = text.split()
        found += [" ".join(words[i:i + words_per_item])
                  for i in range(0, len(words) - 20, words_per_item)]
    return found


def benchmark_specs(target: int) -> tuple[list[dict], int]:
    """The shared benchmarks plus enough prose paragraphs for ``target`` distinct n-grams."""
    from webcurate.config import build
    from webcurate.decontam.benchmarks import BenchmarkSpec, shared_benchmarks
    from webcurate.decontam.core import NgramIndex
    from webcurate.decontam.ngrams import text_ngram_hashes

    specs = shared_benchmarks(str(SHARED / "benchmarks"))
    base = NgramIndex.build([build(BenchmarkSpec, s) for s in specs])
    have = set(base.hashes.tolist())
    BENCH.mkdir(parents=True, exist_ok=True)
    with open(BENCH / "prose.jsonl", "w", encoding="utf-8") as handle:
        for paragraph in prose_paragraphs():
            if len(have) >= target:
                break
            have.update(text_ngram_hashes(paragraph).tolist())
            handle.write(json.dumps({"text": paragraph}) + "\n")
    specs.append({"name": "reference-prose", "paths": [str(BENCH / "prose.jsonl")],
                  "fields": ["text"]})
    return specs, len(have)


def documents(count: int) -> tuple[list[dict], set[str]]:
    """``count`` real documents (cycled), 1% with a GSM8K item and 1% with a prose paragraph
    planted; returns them and the ids planted."""
    from tests.decontam.planting import cc_documents, plant, read_jsonl

    base = [d["text"] for d in cc_documents(SHARED)]
    for name in ("cc_en_head-0091.jsonl.gz", "cc_en_head-0174.jsonl.gz"):
        base += [d["text"] for d in read_jsonl(SHARED / "text" / "cc" / name)]
    gsm8k = read_jsonl(SHARED / "benchmarks" / "gsm8k" / "test.jsonl")
    prose = [json.loads(line)["text"] for line in open(BENCH / "prose.jsonl", encoding="utf-8")]
    docs, planted = [], set()
    for i in range(count):
        text, doc_id = base[i % len(base)], f"bench-{i:08d}"
        if i % 100 == 17:
            item = gsm8k[(i // 100) % len(gsm8k)]
            text = plant(text, f"{item['question']}\n{item['answer']}")
            planted.add(doc_id)
        elif i % 100 == 61:
            text = plant(text, prose[(i * 7) % len(prose)])
            planted.add(doc_id)
        docs.append({"doc_id": doc_id, "id": doc_id, "text": text})
    return docs, planted


def write_parquet(docs: list[dict], folder: Path, files: int = 4) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    step = (len(docs) + files - 1) // files
    for n in range(files):
        pq.write_table(pa.Table.from_pylist(docs[n * step:(n + 1) * step]),
                       folder / f"part-{n:05d}.parquet")


def python_set_side(specs: list[dict], docs: list[dict]) -> tuple[set[str], float, int]:
    """GPT-3's method as a plain program: a set of normalised 13-gram strings (the Janitor's
    ``translate`` normalisation: ASCII lowercase, ASCII punctuation deleted)."""
    from webcurate.config import build
    from webcurate.decontam.benchmarks import BenchmarkSpec, ItemCounts, benchmark_files, iter_items
    from webcurate.io.storage import StorageConfig

    table = str.maketrans(string.ascii_uppercase, string.ascii_lowercase, string.punctuation)
    grams: set[str] = set()
    for raw in specs:
        spec = build(BenchmarkSpec, raw)
        for uri in benchmark_files(spec, StorageConfig()):
            for _, text in iter_items(uri, spec.fields, spec.id_field, StorageConfig(),
                                      ItemCounts()):
                words = text.translate(table).split()
                grams.update(" ".join(words[i:i + 13]) for i in range(len(words) - 12))
    started = time.perf_counter()
    found = set()
    for doc in docs:
        words = doc["text"].translate(table).split()
        if any(" ".join(words[i:i + 13]) in grams for i in range(len(words) - 12)):
            found.add(doc["doc_id"])
    return found, time.perf_counter() - started, len(grams)


def pure_side(specs: list[dict], docs: list[dict]) -> tuple[set[str], float, float]:
    from webcurate.config import build
    from webcurate.decontam.benchmarks import BenchmarkSpec
    from webcurate.decontam.core import NgramIndex, find_matches

    started = time.perf_counter()
    index = NgramIndex.build([build(BenchmarkSpec, s) for s in specs])
    built = time.perf_counter() - started
    started = time.perf_counter()
    found = set()
    for at in range(0, len(docs), 1000):
        chunk = docs[at:at + 1000]
        for doc, match in zip(chunk, find_matches([d["text"] for d in chunk], index, None),
                              strict=True):
            if match.positions:
                found.add(doc["doc_id"])
    return found, time.perf_counter() - started, built


def spark_side(specs: list[dict], cores: int, index: str) -> tuple[set[str], dict]:
    import pyarrow.dataset as ds

    from webcurate.cli import run_job
    from webcurate.spark import SparkConfig, get_spark

    spark = get_spark(SparkConfig(master=f"local[{cores}]", driver_memory="3g",
                                  show_progress=False), app_suffix="-bench")
    results = {}
    for run in ("warm-up", "timed"):
        out = BENCH / f"out-{index}-{run}"
        shutil.rmtree(out, ignore_errors=True)
        code = run_job("decontaminate", [
            f"--set=input={BENCH / 'docs'}", f"--set=output={out}",
            f"--set=benchmarks={json.dumps(specs)}", "--set=max_documents_per_ngram=null",
            f"--set=index={index}"], spark=spark)
        if code != 0:
            raise SystemExit(f"the decontaminate job failed ({code})")
        results[run] = json.loads((out / "stats.json").read_text())
    removed = ds.dataset(str(BENCH / f"out-{index}-timed" / "removed"), format="parquet")
    return set(removed.to_table(columns=["doc_id"]).column("doc_id").to_pylist()), results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--ngrams", type=int, default=1_000_000)
    parser.add_argument("--cores", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--index", default="auto", choices=("auto", "broadcast", "bloom", "join"))
    args = parser.parse_args()
    before = float(load())
    print(f"[bench] load average before: {before}", flush=True)
    specs, ngrams = benchmark_specs(args.ngrams)
    docs, planted = documents(args.docs)
    write_parquet(docs, BENCH / "docs")
    chars = sum(len(d["text"]) for d in docs)
    print(f"[bench] {len(docs):,} documents ({chars / 1e6:.1f} M characters), {len(planted)} "
          f"planted; benchmark set: {ngrams:,} distinct 13-grams (shared test splits + "
          f"reference prose)", flush=True)
    set_found, set_s, set_grams = python_set_side(specs, docs)
    pure_found, pure_s, pure_build = pure_side(specs, docs)
    spark_found, spark_stats = spark_side(specs, args.cores, args.index)
    timed = spark_stats["timed"]
    spark_s = timed["run"]["seconds"]
    rows = [("python-set (GPT-3 as a plain program)", set_s, 1, set_found),
            ("webcurate pure core, one process", pure_s, 1, pure_found),
            (f"webcurate decontaminate, Spark local[{args.cores}] ({timed['index']['kind']})",
             spark_s, args.cores, spark_found)]
    print(f"\n{'side':<58}{'seconds':>9}{'docs/s/core':>13}{'found':>7}{'= planted':>10}")
    for name, seconds, cores, found in rows:
        print(f"{name:<58}{seconds:>9.1f}{len(docs) / seconds / cores:>13.0f}{len(found):>7}"
              f"{found == planted!s:>10}")
    print(f"\nindex: {timed['index']['why']}")
    print(f"pure core index build {pure_build:.1f} s; python-set holds {set_grams:,} strings; "
          f"Spark job seconds include reading the benchmarks, the index, both passes over the "
          f"documents and writing kept/ and removed/")
    print(f"[bench] load average after: {load()}")
    result = {"docs": len(docs), "characters": chars, "planted": len(planted),
              "benchmark_ngrams": ngrams, "cores": args.cores, "load_after": load(),
              "sides": {name: {"seconds": round(s, 3), "docs_per_s_per_core":
                               round(len(docs) / s / c, 1), "found": len(f),
                               "equals_planted": f == planted} for name, s, c, f in rows},
              "spark_index": timed["index"]}
    reference = len(docs) / set_s
    result["summary"] = [
        {"stage": "decontaminate", "side": side, "docs": len(docs),
         "docs_per_s_per_core": round(len(docs) / s / c, 1), "reference": "python-set",
         "x_reference": round(len(docs) / s / c / reference, 2), "cpu_seconds": None,
         "peak_mib": None, "load": before,
         "note": f"{ngrams:,} benchmark 13-grams; found = planted: {f == planted}"}
        for side, s, c, f in [("python-set", set_s, 1, set_found),
                              ("pure core", pure_s, 1, pure_found),
                              (f"spark local[{args.cores}]", spark_s, args.cores,
                               spark_found)]]
    (ROOT / ".bench" / "decontaminate-results.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
