"""The dedup benchmark: the job in Spark local mode at growing sizes, against datasketch.

``python -m tests.bench.bench_dedup [--sizes 10000,100000,1000000]`` (``make bench-dedup``):

1. **Corpus** per size (cached under ``.bench/dedup-corpus-<size>-s<seed>/``, Parquet): ~3 KB
   documents of real prose (sentence runs from ``../shared/data/text/reference``, see
   tests/dedup/planted_corpus.py) with planted duplicates: 10% of the documents are variants of
   another at edit rates 0.5%..5% of words, 1% are exact copies.
2. **webcurate**: ``webcurate dedup`` (FineWeb defaults, exact dedup on) as its own process
   tree, ``spark.master=local[N]``. Per stage (from the job's own stats: signatures, banding,
   components, filtering) documents / second / core; peak PSS of the driver's Python, of the
   JVM (driver and executor in local mode) and of the Python workers, sampled every 0.1 s.
3. **core**: the pure signature function (``batch_features``) in one process, no Spark: what
   one core does without the JVM round trip.
4. **datasketch**: ``MinHash`` (112 permutations, its default sha1 hash) + ``MinHashLSH`` with
   14 x 8 bands in one process, the usual query-then-insert loop, on the first
   ``--datasketch-max-docs`` documents of the same corpus (the cap is printed).

Time ratios compare each size with the previous one (goal: 10x the documents <= 12x the time).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH_DIR = ROOT / ".bench"
SHARED_DATA = ROOT.parent / "shared" / "data"
RATES = (0.005, 0.01, 0.02, 0.03, 0.05)
DOCS_PER_FILE = 50_000
WORDS_PER_DOC = 480  # ~3 KB of English prose
SELF = "tests.bench.bench_dedup"


def _planted():
    sys.path.insert(0, str(ROOT / "tests" / "dedup"))
    import planted_corpus

    return planted_corpus


RECENT_DOCS = 1000  # variants and copies are of one of the last RECENT_DOCS new documents


def planted_rows(count: int, seed: int, pool: list[str], new_text, rates, url_base: str):
    """Rows ``doc_id, url, text``, streamed: ``new_text(rng)`` documents, 10% variants of a recent
    one (``rates`` of its words edited, in turn) and 1% exact copies. The recent documents are
    a ring (copying a 1,000-item list per document made a 10M corpus a 45-minute build); the
    draws are the same as with a list, so the corpora are too."""
    planted = _planted()
    rng = random.Random(seed)
    vocabulary = sorted({w for s in pool[:5000] for w in s.split()})
    recent: list[str] = []
    start = 0  # position j of the window is recent[(start + j) % len(recent)]

    def pick() -> str:
        return recent[(start + rng.randrange(len(recent))) % len(recent)]

    for i in range(count):
        roll = rng.random()
        if recent and roll < 0.10:
            text = planted.edit_words(pick(), rates[i % len(rates)], vocabulary, rng)
        elif recent and roll < 0.11:
            text = pick()
        else:
            text = new_text(rng)
            if len(recent) < RECENT_DOCS:
                recent.append(text)
            else:
                recent[start] = text
                start = (start + 1) % RECENT_DOCS
        yield {"doc_id": f"{rng.getrandbits(64):016x}", "url": f"{url_base}{i}", "text": text}


def write_parquet_parts(rows, target: Path, rows_per_file: int) -> None:
    """``rows`` as ``target/part-NNNNN.parquet`` files of ``rows_per_file``, then ``_DONE``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    batch, part, written = [], 0, 0
    for row in rows:
        batch.append(row)
        if len(batch) == rows_per_file:
            pq.write_table(pa.Table.from_pylist(batch), target / f"part-{part:05d}.parquet")
            written, batch, part = written + len(batch), [], part + 1
    if batch:
        pq.write_table(pa.Table.from_pylist(batch), target / f"part-{part:05d}.parquet")
        written += len(batch)
    (target / "_DONE").write_text(str(written))


def build_corpus(size: int, seed: int) -> Path:
    """``.bench/dedup-corpus-<size>-s<seed>/`` (Parquet parts), built once."""
    target = BENCH_DIR / f"dedup-corpus-{size}-s{seed}"
    if (target / "_DONE").exists():
        return target
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    pool = _planted().sentence_pool(SHARED_DATA)
    planted = _planted()
    write_parquet_parts(
        planted_rows(size, seed, pool, lambda rng: planted.base_text(pool, WORDS_PER_DOC, rng),
                     RATES, "https://bench.example/"), target, DOCS_PER_FILE)
    return target


# --- measuring a process tree ------------------------------------------------------------------

class RoleSampler(threading.Thread):
    """Peak PSS of the measured process (driver), the JVM and other Pythons (workers)."""

    def __init__(self, root_pid: int, interval_s: float = 0.1):
        super().__init__(daemon=True)
        self.root_pid, self.interval_s = root_pid, interval_s
        self.stopped = threading.Event()
        self.peak_kib = {"driver": 0, "jvm": 0, "workers": 0, "total": 0}

    def sample(self) -> None:
        from tests.bench.bench_extract import (
            _distinct_address_spaces,
            _memory_kib,
            descendants,
        )

        pids = _distinct_address_spaces([self.root_pid, *descendants(self.root_pid)])
        now = {"driver": 0, "jvm": 0, "workers": 0}
        for pid in pids:
            comm, _, pss = _memory_kib(pid)
            role = "driver" if pid == self.root_pid else "jvm" if comm == "java" else "workers"
            now[role] += pss
        now["total"] = sum(now.values())
        for role, value in now.items():
            self.peak_kib[role] = max(self.peak_kib[role], value)

    def run(self) -> None:
        while not self.stopped.wait(self.interval_s):
            self.sample()


def run_measured(command: list[str], log_name: str) -> dict:
    """Run ``command``; wall seconds, peak memory by role (MiB), its last stdout JSON line."""
    log = BENCH_DIR / f"dedup-{log_name}.log"
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'lib'}:{ROOT}"}
    started = time.perf_counter()
    with open(log, "wb") as log_file:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                   stderr=log_file)
        sampler = RoleSampler(process.pid)
        sampler.start()
        stdout, _ = process.communicate()
        sampler.stopped.set()
        sampler.join()
    wall = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"{log_name} failed (exit {process.returncode}); see {log}")
    lines = [x for x in stdout.decode().splitlines() if x.startswith("{")]
    return {"wall_seconds": round(wall, 2),
            "peak_mib": {k: round(v / 1024, 1) for k, v in sampler.peak_kib.items()},
            "reported": json.loads(lines[-1]) if lines else {}, "log": str(log)}


# --- the sides ---------------------------------------------------------------------------------

def _texts(corpus: Path, max_docs: int, batch_rows: int = 10_000):
    """``(doc_ids, texts)`` batches of the corpus, at most ``max_docs`` documents in all."""
    import pyarrow.parquet as pq

    left = max_docs
    for part in sorted(corpus.glob("part-*.parquet")):
        for whole in pq.ParquetFile(part).iter_batches(batch_size=batch_rows,
                                                       columns=["doc_id", "text"]):
            batch = whole.slice(0, left)
            yield batch.column(0), batch.column(1)
            left -= batch.num_rows
            if left <= 0:
                return


def core_main(corpus: Path, max_docs: int) -> dict:
    """The pure signature function over the corpus in this one process (no Spark)."""
    from webcurate.dedup.settings import NormalizeSettings
    from webcurate.dedup.signatures import SignatureSpec, batch_features

    spec = SignatureSpec(normalize=NormalizeSettings())
    docs, spent = 0, 0.0
    for _, texts in _texts(corpus, max_docs):
        started = time.perf_counter()
        batch_features(texts, spec)
        spent += time.perf_counter() - started
        docs += len(texts)
    return {"docs": docs, "seconds": round(spent, 3)}


def datasketch_main(corpus: Path, max_docs: int) -> dict:
    """datasketch's MinHash + MinHashLSH(14 x 8) in one process: query, then insert if new."""
    import re

    from datasketch import MinHash, MinHashLSH

    template = MinHash(num_perm=112, seed=42)  # permutations made once, shared by every sketch
    lsh = MinHashLSH(num_perm=112, params=(14, 8))
    punctuation = re.compile(r"[^\w\s]+")
    docs = duplicates = 0
    started = time.perf_counter()
    for doc_ids, texts in _texts(corpus, max_docs):
        for doc_id, text in zip(doc_ids.to_pylist(), texts.to_pylist(), strict=True):
            words = punctuation.sub(" ", text.lower()).split()
            shingles = {" ".join(words[i:i + 5]).encode() for i in range(max(len(words) - 4, 1))}
            sketch = MinHash(num_perm=112, scheme=template.scheme,
                             permutations=template.permutations)
            sketch.update_batch(list(shingles))
            if lsh.query(sketch):
                duplicates += 1
            else:
                lsh.insert(doc_id, sketch)
            docs += 1
    return {"docs": docs, "duplicates": duplicates,
            "seconds": round(time.perf_counter() - started, 3)}


def run_spark(corpus: Path, size: int, args) -> dict:
    out = BENCH_DIR / f"dedup-out-{size}"
    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, "-m", "webcurate.cli", "dedup", "--conf", "conf/dedup.yaml",
               "--set", f"input={corpus}", "--set", f"output={out}",
               "--set", f"spark.master=local[{args.cores}]",
               "--set", f"spark.driver_memory={args.driver_memory}",
               "--set", "spark.show_progress=false", *args.set]
    measured = run_measured(command, f"spark-{size}")
    measured["stats"] = json.loads((out / "stats.json").read_text())
    return measured


def run_side(side: str, corpus: Path, max_docs: int, size: int) -> dict:
    command = [sys.executable, "-m", SELF, side, "--corpus", str(corpus),
               "--max-docs", str(max_docs)]
    return run_measured(command, f"{side}-{size}")


# --- report ------------------------------------------------------------------------------------

STAGES = ("signatures", "banding", "components", "filtering")


def _rate(docs: int, seconds: float | None, cores: int = 1) -> str:
    return f"{docs / seconds / cores:,.0f}" if seconds else "-"


def spark_table(results: list[dict], cores: int) -> str:
    head = (f"| docs | job s | {' | '.join(f'{s} docs/s/core' for s in STAGES)} | "
            "job docs/s/core | time x (docs x) | driver MiB | JVM MiB | workers MiB | "
            "exact / near dups |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    previous = None
    for r in results:
        stats, size = r["spark"]["stats"], r["size"]
        seconds, job = stats["seconds"], stats["run"]["seconds"]
        growth = (f"{job / previous[1]:.1f}x ({size / previous[0]:.0f}x)" if previous else "-")
        peak = r["spark"]["peak_mib"]
        lines.append(
            f"| {size:,} | {job:.1f} | "
            + " | ".join(_rate(size, seconds.get(s), cores) for s in STAGES)
            + f" | {_rate(size, job, cores)} | {growth} | {peak['driver']:,.0f} | "
              f"{peak['jvm']:,.0f} | {peak['workers']:,.0f} | "
              f"{stats['exact_duplicates']:,} / {stats['near_duplicates']:,} |")
        previous = (size, job)
    return "\n".join(lines)


def single_process_table(results: list[dict]) -> str:
    lines = ["| corpus | side | docs | seconds | docs/s (1 core) | peak MiB | duplicates |",
             "|---|---|---|---|---|---|---|"]
    for r in results:
        for side in ("core", "datasketch"):
            if side not in r:
                continue
            rep, peak = r[side]["reported"], r[side]["peak_mib"]["total"]
            lines.append(f"| {r['size']:,} | {side} | {rep['docs']:,} | {rep['seconds']:.1f} | "
                         f"{_rate(rep['docs'], rep['seconds'])} | {peak:,.0f} | "
                         f"{rep.get('duplicates', '-')} |")
    return "\n".join(lines)


def bench_main(args) -> int:
    BENCH_DIR.mkdir(exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",")]
    results = []
    for size in sizes:
        started = time.perf_counter()
        corpus = build_corpus(size, args.seed)
        print(f"[bench] corpus {size:,} docs ready ({time.perf_counter() - started:.0f} s): "
              f"{corpus}", file=sys.stderr)
        result = {"size": size, "load_before": os.getloadavg()[0]}
        result["spark"] = run_spark(corpus, size, args)
        result["core"] = run_side("core", corpus, min(size, args.core_max_docs), size)
        if args.datasketch_max_docs > 0:
            result["datasketch"] = run_side("datasketch", corpus,
                                            min(size, args.datasketch_max_docs), size)
        results.append(result)
        print(f"[bench] {size:,} done", file=sys.stderr)
    (BENCH_DIR / "dedup-results.json").write_text(json.dumps(results, indent=2))
    print(f"webcurate dedup, Spark local[{args.cores}], FineWeb defaults (5-grams, 14 x 8), "
          f"exact dedup on; stage rates are documents / stage seconds / {args.cores} cores")
    print(spark_table(results, args.cores))
    print(f"\nSingle process on the same corpus (datasketch capped at "
          f"{args.datasketch_max_docs:,} docs, core at {args.core_max_docs:,}):")
    print(single_process_table(results))
    loads = ", ".join(f"{r['load_before']:.2f}" for r in results)
    print(f"\nload average before each size: {loads}; after: {os.getloadavg()[0]:.2f}. "
          f"Results: {BENCH_DIR / 'dedup-results.json'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=SELF)
    parser.add_argument("side", nargs="?", default="bench", choices=("bench", "core", "datasketch"))
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--driver-memory", default="6g")
    parser.add_argument("--datasketch-max-docs", type=int, default=100_000,
                        help="datasketch runs on at most this many documents (0: skip it)")
    parser.add_argument("--core-max-docs", type=int, default=200_000)
    parser.add_argument("--set", action="append", default=[],
                        help="extra --set KEY=VALUE for the job (repeatable)")
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--max-docs", type=int, default=0)
    args = parser.parse_args(argv)
    args.set = [item for pair in (("--set", s) for s in args.set) for item in pair]
    if args.side == "core":
        print(json.dumps(core_main(args.corpus, args.max_docs)))
        return 0
    if args.side == "datasketch":
        print(json.dumps(datasketch_main(args.corpus, args.max_docs)))
        return 0
    return bench_main(args)


if __name__ == "__main__":
    sys.exit(main())
