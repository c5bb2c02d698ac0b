"""The Spark side of decontamination: the benchmark n-gram table as a dataset, the index that
reaches executors, matching, GPT-3's too-common rule, and routing every document.

**The benchmark table** is built by executors, one task per benchmark file
(:func:`webcurate.decontam.core.file_ngrams`): ``(h bigint, benchmark, item)`` rows, one per
distinct n-gram hash of each benchmark with the first item it came from. The driver only ever
sees counts, never the n-grams, unless the set is small enough to broadcast.

**The index** (``index: auto`` picks by the number N of distinct benchmark n-grams):

- ``broadcast`` (N <= ``broadcast_max_ngrams``, 4 M by default: 32 MB): the sorted int64
  array is collected and broadcast; each executor looks up all n-grams of a batch of documents
  with one ``searchsorted``. Exact, no shuffle of document n-grams at all.
- ``bloom`` (N <= ``bloom_max_ngrams``, 20 M: 30 MB of filter): a Bloom filter (12 bits and 8
  probes per n-gram, ~0.3% false positives; :mod:`webcurate.dedup.bloom`) built segment by
  segment by executors from the table, so the driver holds 1.5 bytes per n-gram, not the
  n-grams; executors keep only the document n-grams the filter passes, and the join below
  drops its false positives.
- ``join`` (larger): no filter on executors; every document n-gram is emitted as ``(doc_id,
  pos, h)`` (never the text) and joined with the table on ``h``: the plan that scales with the
  cluster, at the price of shuffling 3 values per document word.

In every mode the candidate hits are joined with the table on the 64-bit hash (which also
names the benchmark and item), n-grams found in more than ``max_documents_per_ngram``
documents are set aside, and the remaining matches are grouped per document: its matched
positions, benchmarks and n-gram count. A second pass over the documents joins that (small)
table by ``doc_id`` and routes each document: untouched to ``kept/``, or removed (``removed/``
with the reason), or in redact mode re-tokenised and cut (:mod:`.redact`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from webcurate.decontam.benchmarks import BenchmarkSpec
from webcurate.decontam.core import (
    BenchmarkSummary,
    batch_hits,
    decide,
    file_ngrams,
    match_spans,
)
from webcurate.decontam.normalize import words_with_spans
from webcurate.decontam.settings import RedactSettings
from webcurate.io.storage import StorageConfig

TABLE_SCHEMA = "h bigint, benchmark string, item string, meta string"
HITS_SCHEMA = "doc_id string, pos int, h bigint"
BENCHMARKS_COLUMN = "decontam_benchmarks"
NGRAMS_COLUMN = "decontam_ngrams"
REASON_COLUMN = "decontam_reason"
ROUTE_COLUMN = "_route"
OUR_COLUMNS = (BENCHMARKS_COLUMN, NGRAMS_COLUMN, REASON_COLUMN, ROUTE_COLUMN)
EXCERPT_CONTEXT = 160  # characters shown on each side of an example match


# --- the benchmark table ---------------------------------------------------------------------

def _file_tasks(batches: Iterator[pa.RecordBatch], tasks: list[dict], n: int,
                storage: StorageConfig) -> Iterator[pa.RecordBatch]:
    """mapInArrow body over ``spark.range``: task i reads benchmark file i; its n-gram rows,
    then one row with h = null whose ``meta`` holds the file's counts."""
    for batch in batches:
        for task_id in batch.column("id").to_pylist():
            task = tasks[task_id]
            found = file_ngrams(task["uri"], task["fields"], task["id_field"], n, storage)
            count = len(found.hashes)
            yield pa.RecordBatch.from_arrays(
                [pa.array(found.hashes, pa.int64()), pa.array([task["name"]] * count, pa.string()),
                 pa.array(found.items, pa.string()), pa.nulls(count, pa.string())],
                names=["h", "benchmark", "item", "meta"])
            meta = {"items": found.counts.items, "items_without_ngrams": found.items_without_ngrams,
                    "malformed_rows": found.counts.malformed_rows,
                    "rows_missing_fields": found.counts.rows_missing_fields,
                    "problems": found.counts.examples}
            yield pa.RecordBatch.from_arrays(
                [pa.nulls(1, pa.int64()), pa.array([task["name"]], pa.string()),
                 pa.array([task["uri"]], pa.string()), pa.array([json.dumps(meta)], pa.string())],
                names=["h", "benchmark", "item", "meta"])


@dataclass
class BenchmarkTable:
    """``table(h, benchmark, item)``: distinct (h, benchmark), persisted; and the summaries."""

    table: object  # DataFrame
    summaries: list[BenchmarkSummary]
    distinct_ngrams: int

    def unpersist(self) -> None:
        self.table.unpersist()


def benchmark_table(spark, specs: list[BenchmarkSpec], files: dict[str, list[str]], n: int,
                    storage: StorageConfig) -> BenchmarkTable:
    """Read every benchmark file on executors (one task each) into the n-gram table."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    tasks = [{"name": spec.name, "uri": uri, "fields": list(spec.fields),
              "id_field": spec.id_field} for spec in specs for uri in files[spec.name]]
    raw = (spark.range(0, len(tasks), 1, numPartitions=max(1, len(tasks)))
           .mapInArrow(lambda batches: _file_tasks(batches, tasks, n, storage), TABLE_SCHEMA)
           .persist(StorageLevel.MEMORY_AND_DISK))
    metas = raw.where(F.col("h").isNull()).select("benchmark", "item", "meta").collect()
    table = (raw.where(F.col("h").isNotNull())
             .groupBy("h", "benchmark").agg(F.min("item").alias("item"))
             .persist(StorageLevel.MEMORY_AND_DISK))
    per_benchmark = {r["benchmark"]: r["count"]
                     for r in table.groupBy("benchmark").count().collect()}
    distinct = table.select("h").distinct().count()
    raw.unpersist()
    summaries = []
    for spec in specs:
        summary = BenchmarkSummary(spec.name, list(files[spec.name]),
                                   ngrams=per_benchmark.get(spec.name, 0))
        for row in sorted((r for r in metas if r["benchmark"] == spec.name),
                          key=lambda r: r["item"]):
            meta = json.loads(row["meta"])
            summary.items += meta["items"]
            summary.items_without_ngrams += meta["items_without_ngrams"]
            summary.malformed_rows += meta["malformed_rows"]
            summary.rows_missing_fields += meta["rows_missing_fields"]
            summary.problems += meta["problems"]
        summaries.append(summary)
    return BenchmarkTable(table, summaries, distinct)


# --- the index ---------------------------------------------------------------------------------

@dataclass
class IndexChoice:
    kind: str  # broadcast, bloom, join
    ngrams: int
    bytes: int
    why: str

    def as_stats(self) -> dict:
        return {"kind": self.kind, "ngrams": self.ngrams, "bytes": self.bytes, "why": self.why}


def choose_index(wanted: str, ngrams: int, broadcast_max: int, bloom_max: int) -> IndexChoice:
    """The size-based choice (see the module doc); ``wanted`` other than auto forces one."""
    from webcurate.dedup.bloom import BITS_PER_ID

    array_bytes, bloom_bytes = 8 * ngrams, (ngrams * BITS_PER_ID + 7) // 8
    if wanted == "broadcast" or (wanted == "auto" and ngrams <= broadcast_max):
        why = (f"{ngrams:,} benchmark n-grams <= broadcast_max_ngrams ({broadcast_max:,}): the "
               f"sorted array ({array_bytes:,} bytes) is broadcast and every executor looks up "
               f"document n-grams exactly; nothing is shuffled")
        return IndexChoice("broadcast", ngrams, array_bytes,
                           why if wanted == "auto" else "index: broadcast (forced)")
    if wanted == "bloom" or (wanted == "auto" and ngrams <= bloom_max):
        why = (f"{ngrams:,} benchmark n-grams > broadcast_max_ngrams ({broadcast_max:,}) and <= "
               f"bloom_max_ngrams ({bloom_max:,}): a Bloom filter ({bloom_bytes:,} bytes, built "
               f"by executors) is broadcast; only document n-grams it passes are joined with "
               f"the benchmark table, which drops its false positives")
        return IndexChoice("bloom", ngrams, bloom_bytes,
                           why if wanted == "auto" else "index: bloom (forced)")
    why = (f"{ngrams:,} benchmark n-grams > bloom_max_ngrams ({bloom_max:,}): every document "
           f"n-gram hash is joined with the benchmark table (a shuffle of doc_id, position and "
           f"hash; no text)")
    return IndexChoice("join", ngrams, 0, why if wanted == "auto" else "index: join (forced)")


def _sorted_hashes(table) -> np.ndarray:
    """The distinct hashes on the driver, sorted (broadcast mode only: N is bounded)."""
    arrow = table.select("h").distinct().toArrow()
    return np.sort(arrow.column("h").to_numpy().astype(np.int64))


def build_filter(spark, table, choice: IndexChoice):
    """``(kind, broadcast handle or None)`` for :func:`hit_batches`."""
    from pyspark.sql import functions as F

    if choice.kind == "broadcast":
        return "broadcast", spark.sparkContext.broadcast(_sorted_hashes(table))
    if choice.kind == "bloom":
        from webcurate.dedup.spark.removal import build_bloom

        nodes = table.select(F.col("h").alias("node")).distinct()
        return "bloom", spark.sparkContext.broadcast(build_bloom(nodes, max(1, choice.ngrams)))
    return "join", None


def _contains(kind: str, handle):
    if kind == "broadcast":
        hashes = handle.value

        def exact(values: np.ndarray) -> np.ndarray:
            if not len(hashes):
                return np.zeros(len(values), dtype=bool)
            at = np.minimum(np.searchsorted(hashes, values), len(hashes) - 1)
            return hashes[at] == values

        return exact
    if kind == "bloom":
        bloom = handle.value
        return bloom.might_contain
    return lambda values: np.ones(len(values), dtype=bool)


def hit_batches(batches: Iterator[pa.RecordBatch], n: int, kind: str, handle
                ) -> Iterator[pa.RecordBatch]:
    """mapInArrow body: ``(doc_id, text)`` -> ``(doc_id, pos, h)`` for every n-gram the index
    lets through (all of them in join mode)."""
    contains = _contains(kind, handle)
    for batch in batches:
        texts = batch.column("text").to_pylist()
        doc, position, hashes = batch_hits(texts, n, contains)
        ids = batch.column("doc_id").take(pa.array(doc, pa.int64()))
        yield pa.RecordBatch.from_arrays(
            [ids.cast(pa.string()), pa.array(position, pa.int32()), pa.array(hashes, pa.int64())],
            names=["doc_id", "pos", "h"])


def find_matches(docs, table, n: int, kind: str, handle, max_documents_per_ngram: int | None):
    """``(matches(doc_id, pos, h, benchmark, item), too-common n-grams set aside)``."""
    from pyspark.sql import functions as F

    hits = docs.select("doc_id", "text").mapInArrow(
        lambda batches: hit_batches(batches, n, kind, handle), HITS_SCHEMA)
    matches = hits.join(table, "h")
    common = 0
    if max_documents_per_ngram is not None:
        per_hash = (matches.groupBy("h").agg(F.countDistinct("doc_id").alias("docs"))
                    .where(F.col("docs") > max_documents_per_ngram).select("h"))
        common = per_hash.count()
        if common:
            matches = matches.join(F.broadcast(per_hash) if common < 1_000_000 else per_hash,
                                   "h", "left_anti")
    return matches, common


def per_document(matches):
    """One row per contaminated document: matched positions, benchmarks and n-gram count."""
    from pyspark.sql import functions as F

    return (matches.groupBy("doc_id")
            .agg(F.array_sort(F.collect_set("pos")).alias("_positions"),
                 F.array_sort(F.collect_set("benchmark")).alias(BENCHMARKS_COLUMN),
                 F.countDistinct("h").cast("int").alias(NGRAMS_COLUMN)))


# --- routing ---------------------------------------------------------------------------------

def route_batches(batches: Iterator[pa.RecordBatch], n: int, action: str,
                  redact_settings: RedactSettings, names: list[str]
                  ) -> Iterator[pa.RecordBatch]:
    """mapInArrow body: documents joined with their matches -> text (redacted where needed),
    the reason of a removal and the route (0 kept, 1 removed)."""
    for batch in batches:
        texts = batch.column("text").to_pylist()
        positions = batch.column("_positions").to_pylist()
        out_texts, reasons, routes = [], [], []
        changed = False
        for text, pos in zip(texts, positions, strict=True):
            if not pos:
                out_texts.append(text)
                reasons.append(None)
                routes.append(0)
                continue
            decision = decide(text or "", pos, n, action, redact_settings)
            if decision.keep:
                out_texts.append(decision.text)
                changed = changed or decision.text != text
                reasons.append(None)
                routes.append(0)
            else:
                out_texts.append(text)
                reasons.append(decision.reason)
                routes.append(1)
        string = batch.schema.field("text").type
        columns = []
        for name in names:
            if name == "text" and changed:
                columns.append(pa.array(out_texts, string))
            elif name == REASON_COLUMN:
                columns.append(pa.array(reasons, pa.string()))
            elif name == ROUTE_COLUMN:
                columns.append(pa.array(routes, pa.int32()))
            else:
                columns.append(batch.column(name))
        yield pa.RecordBatch.from_arrays(columns, names=names)


def routed_frame(docs, contaminated, contaminated_count: int, n: int, action: str,
                 redact_settings: RedactSettings, broadcast_max_documents: int):
    """``docs`` with the decontamination columns and the route column."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import IntegerType, StringType, StructField, StructType

    docs = docs.drop(*[c for c in OUR_COLUMNS if c in docs.columns])
    side = (F.broadcast(contaminated) if contaminated_count <= broadcast_max_documents
            else contaminated)
    joined = docs.join(side, "doc_id", "left")
    names = [*docs.columns, BENCHMARKS_COLUMN, NGRAMS_COLUMN, REASON_COLUMN, ROUTE_COLUMN]
    fields = {f.name: f for f in joined.schema.fields}
    schema = StructType([*(fields[c] for c in [*docs.columns, BENCHMARKS_COLUMN, NGRAMS_COLUMN]),
                         StructField(REASON_COLUMN, StringType(), True),
                         StructField(ROUTE_COLUMN, IntegerType(), True)])
    return joined.mapInArrow(
        lambda batches: route_batches(batches, n, action, redact_settings, names), schema)


# --- stats -------------------------------------------------------------------------------------

def benchmark_counts(matches) -> dict[str, dict]:
    """Per benchmark: contaminated documents, items and n-grams matched."""
    from pyspark.sql import functions as F

    rows = (matches.groupBy("benchmark")
            .agg(F.countDistinct("doc_id").alias("documents"),
                 F.countDistinct("item").alias("items"), F.countDistinct("h").alias("ngrams"))
            .collect())
    return {r["benchmark"]: {"contaminated_documents": r["documents"], "items_matched": r["items"],
                             "ngrams_matched": r["ngrams"]} for r in rows}


def example_matches(docs, matches, n: int, per_benchmark: int) -> dict[str, list[dict]]:
    """Up to ``per_benchmark`` contaminated documents per benchmark (smallest xxhash64 of the
    doc_id: deterministic, spread over the corpus), each with its first match: the item, the
    normalised n-gram and an excerpt of the document around it."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    if per_benchmark <= 0:
        return {}
    first = (matches.groupBy("benchmark", "doc_id")
             .agg(F.min(F.struct("pos", "item")).alias("first"),
                  F.countDistinct("h").alias("ngrams")))
    window = Window.partitionBy("benchmark").orderBy(F.xxhash64("doc_id"), "doc_id")
    picked = (first.withColumn("rank", F.row_number().over(window))
              .where(F.col("rank") <= per_benchmark).collect())
    if not picked:
        return {}
    ids = sorted({r["doc_id"] for r in picked})
    columns = ["doc_id", "text", *(["url"] if "url" in docs.columns else [])]
    texts = {r["doc_id"]: r for r in docs.where(F.col("doc_id").isin(ids)).select(*columns)
             .collect()}
    found: dict[str, list[dict]] = {}
    for row in sorted(picked, key=lambda r: (r["benchmark"], r["rank"])):
        doc = texts.get(row["doc_id"])
        example = {"doc_id": row["doc_id"], "item": row["first"]["item"],
                   "url": doc["url"] if doc is not None and "url" in columns else None,
                   "matched_ngrams": row["ngrams"]}
        if doc is not None:
            example.update(describe_match(doc["text"] or "", row["first"]["pos"], n))
        found.setdefault(row["benchmark"], []).append(example)
    return found


def describe_match(text: str, position: int, n: int) -> dict:
    """The normalised n-gram at ``position`` and the document text around it."""
    found, _spans = words_with_spans(text)
    if position + n > len(found):
        return {}
    (start, end), = match_spans(text, [position], n)
    before = text[max(0, start - EXCERPT_CONTEXT):start]
    after = text[end:end + EXCERPT_CONTEXT]
    return {"ngram": b" ".join(found[position:position + n]).decode("utf-8", "replace"),
            "excerpt": f"{'…' if start > EXCERPT_CONTEXT else ''}{before}[[{text[start:end]}]]"
                       f"{after}{'…' if end + EXCERPT_CONTEXT < len(text) else ''}"}
