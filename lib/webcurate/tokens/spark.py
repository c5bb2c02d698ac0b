"""Spark adapter of :mod:`webcurate.tokens`: token counts as a column, and training shards.

* :func:`with_token_counts`: one ``mapInArrow`` pass adds ``tokens`` (int64; null when the
  document cannot be encoded), ``token_error`` (the one-line reason, else null) and a route
  column (0 encoded, 1 not). The tokenizer is a per-worker singleton
  (:func:`webcurate.tokens.get_tokenizer`): executors receive the spec string, never an object.
* :func:`write_shards`: token ids of every encoded document into Megatron-style ``.bin`` /
  ``.idx`` shards (:mod:`webcurate.tokens.shards`). Documents are spread and ordered by
  ``xxhash64(seed, doc_id)``: hash-partitioned by that key into the shard count, sorted by it
  within each shard, so the order is a deterministic shuffle that depends on neither
  the input's partitioning nor retries (never ``rand``). What moves through the shuffle is
  (key, doc_id, token ids), not the documents' text and metadata. Each task writes its shard to
  local scratch, then streams it to the output: no shard passes through the driver.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pyarrow as pa

from webcurate.io import storage as st
from webcurate.tokens import encode_safe, get_tokenizer
from webcurate.tokens.stats import HISTOGRAM_BUCKETS

TOKENS = "tokens"
TOKEN_ERROR = "token_error"
TOKEN_BUCKET = "_token_bucket"
SHARD_KEY = "_shard_key"
TOKEN_IDS = "_token_ids"


def token_count_schema(schema, route_column: str):
    from pyspark.sql.types import IntegerType, LongType, StringType, StructField, StructType

    fields = [f for f in schema.fields if f.name not in (TOKENS, TOKEN_ERROR, route_column)]
    return StructType([*fields, StructField(TOKENS, LongType()),
                       StructField(TOKEN_ERROR, StringType()),
                       StructField(route_column, IntegerType(), False)])


def _count_batches(spec: str, eos, route_column: str):
    def count(batches):
        tokenizer = get_tokenizer(spec, eos)
        for raw in batches:
            names = [n for n in raw.schema.names if n not in (TOKENS, TOKEN_ERROR, route_column)]
            batch = raw.select(names)
            ids, errors = encode_safe(batch.column("text").to_pylist(), tokenizer)
            counts = [None if i is None else len(i) for i in ids]
            routes = [0 if e is None else 1 for e in errors]
            yield pa.RecordBatch.from_arrays(
                [*batch.columns, pa.array(counts, pa.int64()), pa.array(errors, pa.string()),
                 pa.array(routes, pa.int32())],
                names=[*names, TOKENS, TOKEN_ERROR, route_column])
    return count


def with_token_counts(df, spec: str, eos, route_column: str):
    """``df`` with ``tokens``, ``token_error`` and ``route_column`` (0 encoded, 1 not)."""
    return df.mapInArrow(_count_batches(spec, eos, route_column),
                         token_count_schema(df.schema, route_column))


def token_stats(kept, errors, languages_top: int = 200) -> dict:
    """Totals from the committed outputs with two ``groupBy`` aggregations (no collect that
    grows with the data: languages and histogram buckets are bounded)."""
    from pyspark.sql import functions as F

    from webcurate.tokens.stats import TokenHistogram

    language = F.coalesce(F.col("language"), F.lit("unknown")) if "language" in kept.columns \
        else F.lit("unknown")
    bucket = F.lit(0)  # histogram_bucket as an expression (no Python UDF): 1 + floor(log2 n)
    for i in range(1, HISTOGRAM_BUCKETS):
        bucket = F.when(F.col(TOKENS) >= (1 << (i - 1)), i).otherwise(bucket)
    rows = (kept.select(language.alias("language"), F.col(TOKENS),
                        F.length("text").alias("_chars"))
            .groupBy("language")
            .agg(F.count("*").alias("documents"), F.sum(TOKENS).alias("tokens"),
                 F.sum("_chars").alias("characters"))
            .collect())
    by_language = sorted(((r["language"], int(r["tokens"] or 0), r["documents"],
                           int(r["characters"] or 0)) for r in rows), key=lambda x: -x[1])
    histogram = TokenHistogram({r[TOKEN_BUCKET]: r["documents"] for r in (
        kept.select(bucket.alias(TOKEN_BUCKET)).groupBy(TOKEN_BUCKET)
        .agg(F.count("*").alias("documents")).collect())})
    tokens = sum(x[1] for x in by_language)
    documents = sum(x[2] for x in by_language)
    characters = sum(x[3] for x in by_language)
    failed = errors.select("doc_id", TOKEN_ERROR).limit(20).collect()
    unencodable = errors.count()
    return {
        "documents_in": documents + unencodable, "documents_kept": documents,
        "documents_unencodable": unencodable,
        "unencodable_examples": [{"doc_id": r["doc_id"], "error": r[TOKEN_ERROR]}
                                 for r in failed],
        "tokens": tokens, "characters": characters,
        "tokens_per_document": round(tokens / documents, 3) if documents else None,
        "characters_per_token": round(characters / tokens, 4) if tokens else None,
        "tokens_by_language": {lang: t for lang, t, _, _ in by_language[:languages_top]},
        "documents_by_language": {lang: d for lang, _, d, _ in by_language[:languages_top]},
        "tokens_histogram": histogram.as_dict(),
    }


# --- shards -----------------------------------------------------------------------------------

def shard_key_column(seed: int, doc_id_column: str = "doc_id"):
    """The deterministic shuffle key: ``xxhash64(seed, doc_id)`` (a Spark expression)."""
    from pyspark.sql import functions as F

    return F.xxhash64(F.lit(int(seed)), F.col(doc_id_column))


def _encode_ids(spec: str, eos):
    def encode(batches):
        tokenizer = get_tokenizer(spec, eos)
        for batch in batches:
            ids, _ = encode_safe(batch.column("text").to_pylist(), tokenizer)
            yield pa.RecordBatch.from_arrays(
                [batch.column(SHARD_KEY), batch.column("doc_id"),
                 pa.array([i if i is not None else [] for i in ids], pa.list_(pa.int32()))],
                names=[SHARD_KEY, "doc_id", TOKEN_IDS])
    return encode


def _write_shard_partitions(spec: str, eos, shards_uri: str, file_prefix: str,
                            storage: st.StorageConfig):
    def write(batches):
        from pyspark import TaskContext

        tokenizer = get_tokenizer(spec, eos)
        part = TaskContext.get().partitionId()
        name = f"{file_prefix}-{part:05d}"
        from webcurate.tokens.shards import SUFFIXES, ShardWriter

        scratch = tempfile.mkdtemp(prefix="webcurate-shard-")
        try:
            writer = ShardWriter(os.path.join(scratch, name), tokenizer.vocab_size,
                                 tokenizer.eos_id)
            for batch in batches:
                for doc_id, ids in zip(batch.column("doc_id").to_pylist(),
                                       batch.column(TOKEN_IDS).to_pylist(), strict=True):
                    writer.add(doc_id, ids)
            summary = writer.close()
            if summary["documents"]:
                for suffix in SUFFIXES:
                    _upload(os.path.join(scratch, name + suffix),
                            st.join_uri(shards_uri, name + suffix), storage)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        yield pa.RecordBatch.from_pylist(
            [{"shard": name if summary["documents"] else None,
              "documents": summary["documents"], "tokens": summary["tokens"],
              "bytes": summary["bytes"]}], schema=SHARD_SUMMARY)
    return write


SHARD_SUMMARY = pa.schema([("shard", pa.string()), ("documents", pa.int64()),
                          ("tokens", pa.int64()), ("bytes", pa.int64())])


def _upload(local_path: str, uri: str, storage: st.StorageConfig) -> None:
    """Stream a local file to ``uri`` (local path or object store), never whole in memory."""
    filesystem, path = st.arrow_filesystem(uri, storage)
    parent = path.rsplit("/", 1)[0]
    if st.is_local(uri):
        os.makedirs(parent, exist_ok=True)
    with open(local_path, "rb") as source, filesystem.open_output_stream(path) as target:
        shutil.copyfileobj(source, target, 8 << 20)


def write_shards(kept, spec: str, eos, shard_count: int, seed: int, shards_uri: str,
                 file_prefix: str, storage: st.StorageConfig) -> dict:
    """Write ``shard_count`` shards of ``kept``'s documents under ``shards_uri``; return
    {shards, documents, tokens, bytes} from the tasks' own summaries (one row per shard)."""
    from pyspark.sql import functions as F

    keyed = kept.select(shard_key_column(seed).alias(SHARD_KEY), "doc_id", "text")
    ids = keyed.mapInArrow(_encode_ids(spec, eos),
                           f"{SHARD_KEY} long, doc_id string, {TOKEN_IDS} array<int>")
    placed = (ids.repartition(shard_count, F.col(SHARD_KEY))
              .sortWithinPartitions(SHARD_KEY, "doc_id"))
    rows = placed.mapInArrow(
        _write_shard_partitions(spec, eos, shards_uri, file_prefix, storage),
        "shard string, documents long, tokens long, bytes long").collect()  # one row per shard
    written = [r for r in rows if r["shard"]]
    return {"shards": len(written), "documents": sum(r["documents"] for r in rows),
            "tokens": sum(r["tokens"] for r in rows), "bytes": sum(r["bytes"] for r in rows)}
