"""The quality benchmark: documents scored per second per core through the Spark job, and
fastText's own ``predict`` over the same texts in a plain Python loop, in the same run.

- **Corpus**: ~3 KB documents cut at paragraph breaks (:mod:`webcurate.quality.corpus`, at
  most 3,000 characters, at least 2,500) from the real texts in ``../shared/data/text``
  (reference prose, NLTK webtext, the 697 CC-MAIN-2019-30 documents), cycled to ``--docs``
  documents with distinct ids, written as Parquet (4 files) under ``.bench/quality/``.
- **Model**: trained once per run on those texts with the job's default fastText settings
  (``dim 64``, ``bucket 200,000``, word bigrams), so its size is what a user gets.
- **Sides**:
  ``predict``: ``model.predict(line, k=2)`` per document in a Python loop, texts normalised
  beforehand (fastText's own speed); ``normalise+predict``: the same with the job's
  normalisation inside the loop; ``spark none``: ``webcurate quality`` with
  ``spark.master=local[N]`` scoring and writing ``kept/`` (one pass), run twice: ``(cold)`` is
  the session's first job (JIT warm-up, Python worker start, model load), the second is the
  steady state a long job sees; ``spark top+buckets``:
  top 10% plus head / middle / tail buckets and ``rejected/``, i.e. the persisted plan that
  computes percentiles over the scores and writes five datasets from them.
- **docs/s/core** = documents / wall seconds / cores. For Spark the wall time is the job's own
  (``stats.run.seconds``: reading, Python workers, model load, scoring, Parquet writing,
  commit), on a session started before timing (JVM start excluded). **docs/cpu-s** divides by
  the user + system CPU seconds of the whole process tree meanwhile (this process, the JVM,
  pyspark's Python workers; from /proc), which a busy machine inflates far less than wall
  time; a local[1] job uses more than its one task slot (JVM threads beside the worker).

Usage: ``python -m tests.bench.bench_quality [--docs 20000] [--cores 1]`` (``make
bench-quality``). The machine may be shared: the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED_TEXT = ROOT.parent / "shared" / "data" / "text"
BENCH_DIR = ROOT / ".bench" / "quality"
GOAL_DOCS_PER_SECOND_PER_CORE = 2000
MIN_DOC_CHARS, MAX_DOC_CHARS = 2500, 3000


def tree_cpu_seconds() -> float:
    """User + system CPU seconds of this process and every live descendant (the JVM, pyspark's
    daemon and its reused Python workers), read from /proc; deltas measure one side."""
    tick = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    stats: dict[int, list[bytes]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                raw = Path(f"/proc/{entry.name}/stat").read_bytes()
            except OSError:
                continue
            fields = raw[raw.rindex(b")") + 2:].split()
            stats[int(entry.name)] = fields
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    total, stack = 0.0, [os.getpid()]
    while stack:
        pid = stack.pop()
        if pid in stats:
            total += (int(stats[pid][11]) + int(stats[pid][12])) / tick
        stack.extend(children.get(pid, ()))
    return total


def load_average() -> str:
    return Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"


def real_texts() -> tuple[list[str], list[str]]:
    """(~3 KB reference documents, ~3 KB web documents) from ../shared/data/text."""
    from webcurate.quality.corpus import iter_file_documents, split_into_documents

    def cut(paths):
        docs = []
        for path in paths:
            with open(path, "rb") as raw:
                docs += [t for _, _, t in iter_file_documents(path.name, raw, MAX_DOC_CHARS)]
        return docs

    reference = cut(sorted((SHARED_TEXT / "reference").iterdir()))
    web = cut(sorted((SHARED_TEXT / "lowquality").iterdir()))
    with gzip.open(SHARED_TEXT / "cc/CC-MAIN-2019-30-697docs.jsonl.gz", "rt") as lines:
        for line in lines:
            web += split_into_documents(json.loads(line)["text"].split("\n"), MAX_DOC_CHARS)
    return ([t for t in reference if len(t) >= MIN_DOC_CHARS],
            [t for t in web if len(t) >= MIN_DOC_CHARS])


def build_corpus(texts: list[str], count: int, out: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    rows = [{"doc_id": f"bench-{i:08d}", "text": texts[i % len(texts)]} for i in range(count)]
    for part in range(4):
        pq.write_table(pa.Table.from_pylist(rows[part::4]), out / f"part-{part}.parquet")


def train_model(reference: list[str], web: list[str], path: Path) -> None:
    from webcurate.quality.normalize import TextNormalization, normalize_for_fasttext
    from webcurate.quality.training import FastTextParams, fasttext_line, train_in_subprocess

    norm = TextNormalization()
    lines = [fasttext_line("hq", normalize_for_fasttext(t, norm)) for t in reference[:len(web)]]
    lines += [fasttext_line("cc", normalize_for_fasttext(t, norm)) for t in web]
    import random

    random.Random(0).shuffle(lines)
    train_file = path.with_suffix(".txt")
    train_file.write_text("".join(lines))
    train_in_subprocess(str(train_file), FastTextParams(), str(path))


def python_loop(model_path: Path, texts: list[str]) -> dict:
    """fastText's own predict per document, without and with the job's normalisation:
    ``{side: (wall seconds, cpu seconds)}``."""
    import fasttext

    from webcurate.quality.normalize import TextNormalization, normalize_for_fasttext

    model = fasttext.load_model(str(model_path))
    norm = TextNormalization()
    lines = [normalize_for_fasttext(t, norm) for t in texts]
    started, cpu = time.perf_counter(), time.process_time()
    for line in lines:
        model.predict(line, k=2)
    predict = (time.perf_counter() - started, time.process_time() - cpu)
    started, cpu = time.perf_counter(), time.process_time()
    for text in texts:
        model.predict(normalize_for_fasttext(text, norm), k=2)
    both = (time.perf_counter() - started, time.process_time() - cpu)
    return {"predict": predict, "normalise+predict": both}


def spark_job(spark, docs: Path, model: Path, out: Path, extra: list[str]) -> tuple:
    """``(job seconds, CPU seconds of the whole process tree meanwhile)``."""
    from webcurate.cli import run_job

    shutil.rmtree(out, ignore_errors=True)
    cpu = tree_cpu_seconds()
    argv = [f"--set=input={docs}", f"--set=output={out}", f"--set=model={model}",
            *[f"--set={e}" for e in extra]]
    if run_job("quality", argv, spark=spark) != 0:
        raise RuntimeError(f"quality job failed: {argv}")
    seconds = json.loads((out / "stats.json").read_text())["run"]["seconds"]
    return seconds, tree_cpu_seconds() - cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=20_000, help="documents to score")
    parser.add_argument("--cores", type=int, default=1, help="Spark local[N]")
    args = parser.parse_args(argv)
    from webcurate.spark import SparkConfig, get_spark

    load_before = load_average()
    reference, web = real_texts()
    texts = reference + web
    docs_dir, model = BENCH_DIR / "docs", BENCH_DIR / "model.bin"
    build_corpus(texts, args.docs, docs_dir)
    train_model(reference, web, model)
    corpus = [texts[i % len(texts)] for i in range(args.docs)]
    mean_chars = sum(map(len, corpus)) / len(corpus)
    spark = get_spark(SparkConfig(master=f"local[{args.cores}]", driver_memory="2g",
                                  show_progress=False, log_level="ERROR"), app_suffix="-bench")
    seconds = python_loop(model, corpus)
    # The first job of a session also pays JIT compilation, Python worker start and model load.
    seconds["spark none (cold)"] = spark_job(spark, docs_dir, model, BENCH_DIR / "out-cold", [])
    seconds["spark none"] = spark_job(spark, docs_dir, model, BENCH_DIR / "out-none", [])
    seconds["spark top+buckets"] = spark_job(
        spark, docs_dir, model, BENCH_DIR / "out-top",
        ["decision.mode=top_percent", "decision.top_percent=10", "buckets.enabled=true",
         "write_rejected=true"])
    spark.stop()
    cores = {"predict": 1, "normalise+predict": 1}
    print(f"\nquality scoring: {args.docs} documents, mean {mean_chars:.0f} characters, model "
          f"{os.path.getsize(model) / 2**20:.1f} MiB; load average {load_before} before, "
          f"{load_average()} after")
    print(f"{'side':<20} {'cores':>5} {'seconds':>9} {'docs/s/core':>12} {'cpu s':>8} "
          f"{'docs/cpu-s':>11}")
    results = {}
    for side, (secs, cpu_s) in seconds.items():
        n = cores.get(side, args.cores)
        rate = args.docs / secs / n
        results[side] = {"seconds": round(secs, 3), "cores": n, "docs_per_s_per_core": round(rate),
                         "cpu_seconds": round(cpu_s, 3), "docs_per_cpu_s": round(args.docs / cpu_s)}
        print(f"{side:<20} {n:>5} {secs:>9.2f} {rate:>12,.0f} {cpu_s:>8.2f} "
              f"{args.docs / cpu_s:>11,.0f}")
    spark_rate = results["spark none"]["docs_per_s_per_core"]
    print(f"goal: >= {GOAL_DOCS_PER_SECOND_PER_CORE:,} docs/s/core through Spark: "
          f"{'met' if spark_rate >= GOAL_DOCS_PER_SECOND_PER_CORE else 'NOT met'} ({spark_rate:,})")
    (BENCH_DIR / "results.json").write_text(json.dumps(
        {"docs": args.docs, "mean_chars": mean_chars, "load_before": load_before,
         "load_after": load_average(), "sides": results}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
