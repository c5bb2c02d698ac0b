"""Exact-substring dedup on Spark: window hashes and ids move, text moves once for the changed.

1. **windows**: one ``mapInArrow`` pass over the documents emits ``(key, pos, hash)`` for
   every ``min_tokens``-word window (:func:`webcurate.substring.windows.batch_windows`); never
   text. ``key`` is the document's 64-bit node (``xxhash64(doc_id)``; for the few documents
   whose node another doc_id shares, a second 64-bit hash), so a window row is 20 bytes of
   fixed-width columns instead of carrying the 32-character doc_id: half the shuffled bytes.
2. **marks**: one shuffle of the window rows by ``hash`` (a window function counting each
   hash's rows, so the rows are not shuffled a second time for a join back); rows whose hash
   has two or more rows are the marked windows ``(key, pos)``. A hash shared by millions of
   pages (boilerplate) is one large, sorted, spillable window partition.
3. **positions**: the marks grouped by ``key`` (a shuffle of marked windows only) ->
   ``(key, positions)``, checkpointed; the changed doc_ids come from a semi join of the ids
   ``(doc_id, key)`` with those keys (ids only).
4. **rewrite where the documents are**: the changed documents are picked out of the input in
   its own splits by :mod:`webcurate.dedup.spark.removal` (a Bloom filter of their ids, no
   shuffle), joined with their positions (the one shuffle that carries text: the changed
   documents' rows, once), and an Arrow UDF merges the windows into spans and cuts them
   (:func:`webcurate.substring.windows.cut_marked`). ``kept/`` = the unchanged documents
   (filtered in place) + the rewritten ones with at least ``min_doc_words`` words left.

Nothing is collected to the driver but counts and the removal's Bloom filter (1.5 bytes per
changed document) and its false positives.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from webcurate.substring.settings import SubstringSettings
from webcurate.substring.windows import batch_windows, cut_marked

WINDOW_SCHEMA = pa.schema([pa.field("key", pa.int64()), pa.field("pos", pa.int32()),
                           pa.field("hash", pa.int64())])
REWRITE_DDL = ("struct<text string, spans int, chars_removed bigint, tokens_removed bigint, "
               "tokens_left bigint>")


def window_batches(batches: Iterator[pa.RecordBatch], width: int) -> Iterator[pa.RecordBatch]:
    """mapInArrow body: ``(key, text)`` -> ``(key, pos, hash)`` per window."""
    for batch in batches:
        doc_index, positions, hashes = batch_windows(batch.column("text").to_pylist(), width)
        if not len(doc_index):
            continue
        yield pa.RecordBatch.from_arrays(
            [batch.column("key").cast(pa.int64()).take(pa.array(doc_index, pa.int64())),
             pa.array(positions, pa.int32()), pa.array(hashes, pa.int64())],
            schema=WINDOW_SCHEMA)


def document_key(shared_nodes: list[int]):
    """The window rows' document key: ``xxhash64(doc_id)``, or for a doc_id whose node is
    shared with another doc_id (:func:`webcurate.dedup.spark.pipeline.check_doc_ids`, ~0 in
    10^9) a second 64-bit hash of it."""
    from pyspark.sql import functions as F

    node = F.xxhash64("doc_id")
    if not shared_nodes:
        return node
    other = F.xxhash64(F.concat(F.col("doc_id").cast("string"), F.lit("\x1fsubstring")))
    return F.when(node.isin(shared_nodes), other).otherwise(node)


def window_rows(docs, settings: SubstringSettings, key):
    """``docs(doc_id, text)`` -> ``(key, pos, hash)``."""
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    body = functools.partial(window_batches, width=settings.min_tokens)
    return (docs.select(key.alias("key"), F.col("text").cast("string").alias("text"))
            .mapInArrow(body, from_arrow_schema(WINDOW_SCHEMA)))


def marked_positions(windows):
    """``(key, positions)``: per document, the sorted starts of windows whose hash occurs
    twice or more in the corpus."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    copies = F.count(F.lit(1)).over(Window.partitionBy("hash"))
    marks = windows.withColumn("copies", copies).where(F.col("copies") > 1)
    return marks.groupBy("key").agg(F.sort_array(F.collect_list("pos")).alias("positions"))


def rewrite_arrays(texts: pa.Array, positions: pa.Array, width: int) -> pa.StructArray:
    """Arrow UDF body: each text without its marked windows, and what was cut."""
    rows = [cut_marked(t or "", p or [], width)
            for t, p in zip(texts.to_pylist(), positions.to_pylist(), strict=True)]
    return pa.StructArray.from_arrays(
        [pa.array([r["text"] for r in rows], pa.string()),
         pa.array([r["spans"] for r in rows], pa.int32()),
         *[pa.array(np.array([r[k] for r in rows], dtype=np.int64))
           for k in ("chars_removed", "tokens_removed", "tokens_left")]],
        names=["text", "spans", "chars_removed", "tokens_removed", "tokens_left"])


def rewritten_rows(changed_docs, positions, width: int, key):
    """``changed_docs`` (every input column) joined with their positions by ``key``, text
    rewritten, plus ``spans``, ``chars_removed``, ``tokens_removed`` and ``tokens_left``."""
    from pyspark.sql import functions as F
    from pyspark.sql.functions import arrow_udf

    @arrow_udf(REWRITE_DDL)
    def rewrite(texts: pa.Array, marked: pa.Array) -> pa.Array:
        return rewrite_arrays(texts, marked, width)

    columns = changed_docs.columns
    joined = changed_docs.withColumn("key", key).join(positions, "key", "inner")
    return (joined.withColumn("cut", rewrite(F.col("text").cast("string"), F.col("positions")))
            .select(*[F.col("cut.text").alias("text") if c == "text" else F.col(c)
                      for c in columns],
                    *[F.col(f"cut.{k}").alias(k) for k in
                      ("spans", "chars_removed", "tokens_removed", "tokens_left")]))


def rewritten_totals(rewritten, min_doc_words: int) -> dict:
    """The stats of the rewrite, from one aggregation."""
    from pyspark.sql import functions as F

    dropped = F.col("tokens_left") < F.lit(min_doc_words)
    row = rewritten.agg(
        F.count(F.lit(1)).alias("documents_changed"),
        F.sum("spans").alias("spans_removed"),
        F.sum("tokens_removed").alias("tokens_removed"),
        F.sum("chars_removed").alias("chars_removed"),
        F.sum((F.col("tokens_left") == 0).cast("long")).alias("documents_emptied"),
        F.sum(dropped.cast("long")).alias("documents_dropped")).first()
    return {k: int(row[k] or 0) for k in row.asDict()}
