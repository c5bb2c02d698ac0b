"""Spark adapter of the long-context job: tokenize and select, then pack within partitions.

- **Select** (one ``mapInArrow`` pass, the tokenizer loaded once per Python worker with
  :func:`webcurate.tokens.get_tokenizer`): documents outside the configured sources or below
  the quality score are not tokenized; with a byte-level BPE (tiktoken) a document with fewer
  UTF-8 bytes than ``min_tokens`` cannot reach it and is not tokenized either. The others get
  their paragraph-aligned tokens (:func:`webcurate.longctx.packing.encode_paragraphs`), and a
  route: selected, or skipped with a reason. Skipped rows keep only id, source, count, reason.
- **Pack**: the committed selected documents (ids and tokens only, no text) are hash-partitioned
  by ``doc_id`` into a fixed number of partitions and sorted inside each by
  ``xxhash64(seed, doc_id)``; every partition packs its own documents in that order
  (:mod:`webcurate.longctx.packing`), so no task sees more than its partition, and the output
  depends on the inputs, ``seq_len``, the partition count and the seed only.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc

from webcurate.longctx.packing import encode_paragraphs, pack_bins, pack_concat
from webcurate.tokens import get_tokenizer

SELECTED = 0
SKIPPED = 1
TOO_SHORT = "longctx_too_short"
TOO_LONG = "longctx_too_long"
UNENCODABLE = "longctx_unencodable"
OTHER_SOURCE = "longctx_other_source"
LOW_QUALITY = "longctx_low_quality"
TOKEN_FIELDS = [pa.field("n_tokens", pa.int64()), pa.field("tokens", pa.list_(pa.int32())),
                pa.field("paragraph_ends", pa.list_(pa.int64())),
                pa.field("reason", pa.string()), pa.field("_route", pa.int32())]
SEQUENCE_SCHEMA = pa.schema([
    pa.field("seq_id", pa.string()), pa.field("n_tokens", pa.int32()),
    pa.field("tokens", pa.list_(pa.int32())), pa.field("doc_ids", pa.list_(pa.string())),
    pa.field("doc_starts", pa.list_(pa.int64())), pa.field("lengths", pa.list_(pa.int64())),
    pa.field("separated", pa.list_(pa.bool_()))])


def text_file_rows(items: Iterator[tuple[str, str]], storage) -> Iterator[tuple]:
    """``(uri, source)`` -> one document per plain-text file (books, LaTeX sources)."""
    from webcurate.io import storage as st

    for uri, source in items:
        text = st.read_bytes(uri, storage).decode("utf-8", errors="replace")
        doc_id = hashlib.sha1(f"file\x1f{uri}".encode()).hexdigest()[:32]
        yield doc_id, source, uri, None, text


def _tokenize_batch(batch: pa.RecordBatch, spec: str, min_tokens: int,
                    max_tokens: int | None, byte_prefilter: bool) -> dict:
    tokenizer = get_tokenizer(spec)
    out = {"n_tokens": [], "tokens": [], "paragraph_ends": [], "reason": [], "_route": []}
    for text, excluded in zip(batch.column("text").to_pylist(),
                              batch.column("_excluded").to_pylist(), strict=True):
        tokens = ends = count = reason = None
        if excluded:
            reason = excluded
        elif text is None or (
                byte_prefilter and len(text.encode("utf-8", "surrogatepass")) < min_tokens):
            reason = TOO_SHORT
        else:
            try:
                tokens, ends = encode_paragraphs(text, tokenizer)
                count = len(tokens)
            except Exception:  # one document that cannot be encoded is counted, never fatal
                reason = UNENCODABLE
            if reason is None and count < min_tokens:
                reason = TOO_SHORT
            elif reason is None and max_tokens is not None and count > max_tokens:
                reason = TOO_LONG
        keep = reason is None
        out["n_tokens"].append(count)
        out["tokens"].append(tokens if keep else None)
        out["paragraph_ends"].append(ends if keep else None)
        out["reason"].append(reason)
        out["_route"].append(SELECTED if keep else SKIPPED)
    return out


def token_batches(batches, spec: str, min_tokens: int, max_tokens: int | None,
                  byte_prefilter: bool, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        added = _tokenize_batch(batch, spec, min_tokens, max_tokens, byte_prefilter)
        selected = pa.array([r == SELECTED for r in added["_route"]])
        columns = []
        for f in schema:
            if f.name in added:
                columns.append(pa.array(added[f.name], f.type))
            elif f.name in ("text", "url"):  # skipped rows keep no text
                columns.append(pc.if_else(selected, batch.column(f.name),
                                                  pa.nulls(batch.num_rows, f.type)))
            else:
                columns.append(batch.column(f.name).cast(f.type))
        yield pa.RecordBatch.from_arrays(columns, schema=schema)


def tokenized(docs, spec: str, min_tokens: int, max_tokens: int | None, byte_prefilter: bool):
    """``docs`` (doc_id, source, url, quality_score, text, _excluded) -> routed rows."""
    from pyspark.sql.pandas.types import from_arrow_schema, to_arrow_schema

    base = list(to_arrow_schema(docs.drop("_excluded").schema, timezone="UTC"))
    schema = pa.schema([*base, *TOKEN_FIELDS])
    return docs.mapInArrow(functools.partial(
        token_batches, spec=spec, min_tokens=min_tokens, max_tokens=max_tokens,
        byte_prefilter=byte_prefilter, schema=schema), from_arrow_schema(schema))


def _sequence_batch(sequences: list, partition: int, first: int) -> pa.RecordBatch:
    return pa.RecordBatch.from_pydict({
        "seq_id": [f"{partition:05d}-{first + i:09d}" for i in range(len(sequences))],
        "n_tokens": [len(s.tokens) for s in sequences],
        "tokens": [s.tokens for s in sequences], "doc_ids": [s.doc_ids for s in sequences],
        "doc_starts": [s.starts for s in sequences], "lengths": [s.lengths for s in sequences],
        "separated": [s.separated for s in sequences]}, schema=SEQUENCE_SCHEMA)


def pack_batches(batches, mode: str, seq_len: int, separator: int | None,
                 rows_per_batch: int = 64) -> Iterator[pa.RecordBatch]:
    """mapInArrow body: one partition's documents, in order, into sequences."""
    from pyspark import TaskContext

    partition = TaskContext.get().partitionId()

    def docs():
        for batch in batches:
            for doc_id, tokens, ends in zip(batch.column("doc_id").to_pylist(),
                                            batch.column("tokens").to_pylist(),
                                            batch.column("paragraph_ends").to_pylist(),
                                            strict=True):
                yield (doc_id, tokens) if mode == "concat" else (doc_id, tokens, ends)

    packed = (pack_concat(docs(), seq_len, separator) if mode == "concat"
              else pack_bins(docs(), seq_len, separator, {}))
    pending, done = [], 0
    for sequence in packed:
        pending.append(sequence)
        if len(pending) == rows_per_batch:
            yield _sequence_batch(pending, partition, done)
            done, pending = done + len(pending), []
    if pending:
        yield _sequence_batch(pending, partition, done)


def packed(documents, mode: str, seq_len: int, separator: int | None, partitions: int,
           seed: int):
    """Sequences of the committed selected documents, packed within hash partitions."""
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    ordered = (documents.select("doc_id", "tokens", "paragraph_ends")
               .repartition(partitions, "doc_id")
               .sortWithinPartitions(F.xxhash64(F.lit(seed), "doc_id"), "doc_id"))
    return ordered.mapInArrow(
        functools.partial(pack_batches, mode=mode, seq_len=seq_len, separator=separator),
        from_arrow_schema(SEQUENCE_SCHEMA))


def document_frame(spark, config, docs: list[str], texts: list[tuple[str, str]]):
    """Documents and text files as ``(doc_id, source, url, quality_score, text, _excluded)``
    (the reason a document is not even tokenized), and the document inputs' malformed rows."""
    from pyspark.sql import functions as F

    from webcurate.config import ConfigError
    from webcurate.documents import malformed_stats, read_document_files, well_formed

    columns = "doc_id string, source string, url string, quality_score double, text string"
    frames, malformed = [], {"malformed_rows": 0}
    if docs:
        read = read_document_files(spark, docs, config.storage, keep_malformed=True)
        malformed = malformed_stats(read)
        read = well_formed(read)
        if config.select.min_quality_score is not None and "quality_score" not in read.columns:
            raise ConfigError("config key 'select.min_quality_score': the documents have no "
                              "quality_score column (run the quality job first)")

        def column(name, kind, default):
            return (F.col(name).cast(kind) if name in read.columns else F.lit(default).cast(kind))

        frames.append(read.select("doc_id", column("source", "string", "web").alias("source"),
                                  column("url", "string", None).alias("url"),
                                  column("quality_score", "double", None).alias("quality_score"),
                                  "text"))
    if texts:
        rows = spark.sparkContext.parallelize(texts, numSlices=len(texts)).mapPartitions(
            functools.partial(text_file_rows, storage=config.storage))
        frames.append(spark.createDataFrame(rows, columns))
    frame = frames[0]
    for other in frames[1:]:
        frame = frame.unionByName(other)
    excluded = F.lit(None).cast("string")
    if config.select.min_quality_score is not None:
        low = F.coalesce(F.col("quality_score") < config.select.min_quality_score, F.lit(True))
        excluded = F.when(low, F.lit(LOW_QUALITY)).otherwise(excluded)
    if config.select.sources:
        other = ~F.coalesce(F.col("source").isin(list(config.select.sources)), F.lit(False))
        excluded = F.when(other, F.lit(OTHER_SOURCE)).otherwise(excluded)
    return frame.withColumn("_excluded", excluded), malformed


def _bucket(column):
    from pyspark.sql import functions as F

    from webcurate.tokens.stats import HISTOGRAM_BUCKETS

    return (F.when(column <= 0, 0)
            .otherwise(F.least(F.floor(F.log2(column)).cast("int") + 1,
                               F.lit(HISTOGRAM_BUCKETS - 1))))


def histogram(df, column: str) -> dict:
    """``{bucket label: count}`` in power-of-two token buckets, one groupBy."""
    from pyspark.sql import functions as F

    from webcurate.tokens.stats import bucket_label

    rows = (df.where(F.col(column).isNotNull()).groupBy(_bucket(F.col(column)).alias("b"))
            .agg(F.count(F.lit(1)).alias("n")).collect())
    return {bucket_label(r["b"]): int(r["n"]) for r in sorted(rows, key=lambda r: r["b"])}


def produce(spark, config, docs, texts, separator, file_prefix: str) -> dict:
    """Select, write documents/ and skipped/, pack the committed selection, count."""
    from pyspark.sql import functions as F

    from webcurate.io import storage as st
    from webcurate.io.datasets import read_parquet, write_dataset_files
    from webcurate.io.routed import write_routed_datasets
    from webcurate.tokens import parse_spec

    frame, malformed = document_frame(spark, config, docs, texts)
    byte_prefilter = parse_spec(config.tokenizer)[0] == "tiktoken"  # tokens <= UTF-8 bytes
    rows = tokenized(frame, config.tokenizer, config.select.min_tokens,
                     config.select.max_tokens, byte_prefilter)
    routes = {SELECTED: st.join_uri(config.output, "documents"),
              SKIPPED: st.join_uri(config.output, "skipped")}
    write_routed_datasets(rows, "_route", routes, file_prefix, config.storage)
    selected = read_parquet(spark, routes[SELECTED], config.storage)
    skipped = read_parquet(spark, routes[SKIPPED], config.storage)
    by_source = {r["source"]: (int(r["n"]), int(r["t"])) for r in selected.groupBy("source").agg(
        F.count(F.lit(1)).alias("n"), F.sum("n_tokens").alias("t")).collect()}
    reasons = {r["reason"]: int(r["n"]) for r in skipped.groupBy("reason").agg(
        F.count(F.lit(1)).alias("n")).collect()}
    n_selected = sum(n for n, _ in by_source.values())
    stats = {"documents_in": n_selected + sum(reasons.values()),
             "documents_selected": n_selected,
             "tokens_selected": sum(t for _, t in by_source.values()),
             "selected_by_source": {s: {"documents": n, "tokens": t}
                                    for s, (n, t) in sorted(by_source.items())},
             "skipped_by_reason": dict(sorted(reasons.items())),
             "selected_token_histogram": histogram(selected, "n_tokens"),
             "skipped_token_histogram": histogram(skipped, "n_tokens"),
             "separator_id": separator, **malformed}
    if config.pack.mode == "none":
        return stats
    target = st.join_uri(config.output, "sequences")
    pack = config.pack
    write_dataset_files(packed(selected, pack.mode, pack.seq_len, separator, pack.partitions,
                               pack.seed), target, file_prefix, config.storage)
    sequences = read_parquet(spark, target, config.storage)
    row = sequences.agg(F.count(F.lit(1)).alias("n"), F.sum("n_tokens").alias("t")).first()
    pieces = sequences.select(F.explode("doc_ids").alias("doc_id")).groupBy("doc_id").count()
    pieces = pieces.agg(F.count(F.lit(1)).alias("docs"),
                        F.sum((F.col("count") > 1).cast("long")).alias("several")).first()
    stats.update({
        "sequences": int(row["n"]), "tokens_packed": int(row["t"] or 0),
        "fill_rate": round(int(row["t"] or 0) / (int(row["n"]) * pack.seq_len), 6)
        if row["n"] else None,
        "documents_packed": int(pieces["docs"]),
        "documents_in_several_sequences": int(pieces["several"] or 0),
        "sequence_token_histogram": histogram(sequences, "n_tokens")})
    return stats
