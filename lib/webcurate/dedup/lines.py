"""Line / paragraph dedup on Spark (C4's global line dedup, CCNet's paragraph hashes).

1. One ``mapInArrow`` pass emits ``(doc_id, rank, unit, key)`` for every unit that has words
   after normalisation (:func:`webcurate.dedup.text_units.batch_unit_keys`).
2. Keys seen more than once: a ``groupBy(key)`` with partial aggregation keeps the count and
   the first occurrence by ``(rank, doc_id, unit)``; the join back to the occurrences is
   broadcast or skew-split (a navigation line shared by millions of pages is one hot key).
   ``keep_first`` removes every occurrence but the first, ``drop_all`` every occurrence.
3. Only the documents that lost units go through Python again: their text is rebuilt without
   those units and its words are counted; fewer than ``min_doc_words`` drops the document.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from webcurate.dedup.settings import LineSettings, NormalizeSettings
from webcurate.dedup.text_units import batch_unit_keys, remove_units, word_count

UNIT_SCHEMA = pa.schema([pa.field("doc_id", pa.string()), pa.field("rank", pa.float64()),
                         pa.field("unit", pa.int32()), pa.field("key", pa.binary())])
REWRITE_SCHEMA = pa.schema([pa.field("doc_id", pa.string()), pa.field("new_text", pa.string()),
                            pa.field("units_removed", pa.int32()),
                            pa.field("words_left", pa.int64())])


def unit_batches(batches: Iterator[pa.RecordBatch], unit: str,
                 normalize: NormalizeSettings) -> Iterator[pa.RecordBatch]:
    """mapInArrow body: ``(doc_id, rank, text)`` -> one row per keyed unit."""
    for batch in batches:
        doc_index, unit_index, keys = batch_unit_keys(batch.column("text").to_pylist(), unit,
                                                      normalize)
        take = pa.array(doc_index, pa.int64())
        yield pa.RecordBatch.from_arrays(
            [batch.column("doc_id").take(take).cast(pa.string()),
             batch.column("rank").take(take).cast(pa.float64()),
             pa.array(unit_index, pa.int32()), pa.array(keys, pa.binary())], schema=UNIT_SCHEMA)


def unit_rows(docs, settings: LineSettings, normalize: NormalizeSettings):
    """``docs(doc_id, rank, text)`` -> ``(doc_id, rank, unit, key)``."""
    from pyspark.sql.pandas.types import from_arrow_schema

    body = functools.partial(unit_batches, unit=settings.unit, normalize=normalize)
    return docs.select("doc_id", "rank", "text").mapInArrow(body, from_arrow_schema(UNIT_SCHEMA))


def removed_units(units, policy: str):
    """``(doc_id, removed)``: the sorted unit indices each document loses."""
    from pyspark.sql import functions as F

    repeated = (units.groupBy("key")
                .agg(F.count(F.lit(1)).alias("copies"),
                     F.min(F.struct("rank", "doc_id", "unit")).alias("first"))
                .where(F.col("copies") > 1))
    hits = units.join(repeated, "key", "inner")
    if policy == "keep_first":
        hits = hits.where((F.col("doc_id") != F.col("first.doc_id"))
                          | (F.col("unit") != F.col("first.unit")))
    return hits.groupBy("doc_id").agg(F.sort_array(F.collect_list("unit")).alias("removed"))


def rewrite_batches(batches: Iterator[pa.RecordBatch], unit: str) -> Iterator[pa.RecordBatch]:
    """mapInArrow body: ``(doc_id, text, removed)`` -> the text without those units."""
    for batch in batches:
        texts = batch.column("text").to_pylist()
        removed = batch.column("removed").to_pylist()
        new_texts = [remove_units(t or "", unit, r) for t, r in zip(texts, removed, strict=True)]
        yield pa.RecordBatch.from_arrays(
            [batch.column("doc_id").cast(pa.string()), pa.array(new_texts, pa.string()),
             pa.array([len(r) for r in removed], pa.int32()),
             pa.array(np.array([word_count(t) for t in new_texts], dtype=np.int64))],
            schema=REWRITE_SCHEMA)


def rewritten_texts(docs, removed, unit: str):
    """``(doc_id, new_text, units_removed, words_left)`` for the documents that lost units."""
    from pyspark.sql.pandas.types import from_arrow_schema

    changed = docs.select("doc_id", "text").join(removed, "doc_id", "inner")
    return changed.mapInArrow(functools.partial(rewrite_batches, unit=unit),
                              from_arrow_schema(REWRITE_SCHEMA))


def apply_rewrites(kept, rewrites, columns: list[str]):
    """``kept`` with the rewritten texts put in place; column order as ``columns``."""
    from pyspark.sql import functions as F

    new = rewrites.select("doc_id", "new_text")
    return (kept.join(new, "doc_id", "left")
            .withColumn("text", F.coalesce(F.col("new_text"), F.col("text")))
            .select(*columns))


def line_dedup(run, docs):
    """Line dedup of ``docs(doc_id, rank, text)``: ``(rewrites, too-short duplicates)``."""
    from pyspark.sql import functions as F

    settings = run.config.lines
    with run.timer("lines"):
        units = run.persist(unit_rows(docs, settings, run.config.normalize))
        removed = removed_units(units, settings.policy)
        rewrites = run.checkpoint(rewritten_texts(docs, removed, settings.unit))
        totals = rewrites.agg(
            F.count(F.lit(1)).alias("changed"), F.sum("units_removed").alias("units"),
            F.sum((F.col("words_left") < settings.min_doc_words).cast("long")).alias("short"),
        ).first()
        run.stats.update(units_keyed=units.count(), units_removed=int(totals["units"] or 0),
                         documents_changed=int(totals["changed"]),
                         documents_too_short=int(totals["short"] or 0))
    short = rewrites.where(F.col("words_left") < settings.min_doc_words).select(
        "doc_id", F.lit("too_short_after_lines").alias("kind"),
        F.lit(None).cast("string").alias("cluster_id"),
        F.lit(None).cast("string").alias("survivor_id"),
        F.lit(None).cast("double").alias("jaccard"))
    return rewrites, short
