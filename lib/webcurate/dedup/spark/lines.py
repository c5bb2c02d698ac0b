"""Line / paragraph dedup on Spark (C4's global line dedup, CCNet's paragraph hashes).

1. One ``mapInArrow`` pass emits ``(doc_id, rank, unit, key)`` for every unit that has words
   after normalisation (:func:`webcurate.dedup.text_units.batch_unit_keys`).
2. Keys seen more than once: a ``groupBy(key)`` with partial aggregation keeps the count and
   the first occurrence by ``(rank, doc_id, unit)``; the join back to the occurrences is
   broadcast or skew-split (a navigation line shared by millions of pages is one hot key).
   ``keep_first`` removes every occurrence but the first, ``drop_all`` every occurrence.
   The result, ``(doc_id, removed unit indices)``, is checkpointed: no text in it.
3. Only the documents that lost units are rewritten: they are picked out of the input in its
   own splits (:mod:`.removal`, no shuffle), joined with their unit lists (the one shuffle
   that carries text: these documents' rows, once), and an Arrow UDF rebuilds the text without
   those units and counts its words (and, with ``min_doc_sentences``, its sentences); the
   rewritten rows are checkpointed. Fewer than ``min_doc_words`` words (or fewer sentences)
   drops the document; the others replace the originals in ``kept/``.

C4 (TFDS ``remove_duplicate_text``) is ``key: tfds``, ``policy: keep_first`` with the survivor
rule ``url_md5`` (the page whose url has the smallest MD5 keeps a line; a line repeated inside
that page keeps its first copy) and ``min_doc_sentences: 3``. TFDS re-counts the sentences of
every page, here only those of pages that lost a line (the others passed C4's per-line count).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from webcurate.dedup.settings import LineSettings, NormalizeSettings
from webcurate.dedup.text_units import batch_unit_keys, remove_units, word_count
from webcurate.text.sentences import count_sentences

UNIT_SCHEMA = pa.schema([pa.field("doc_id", pa.string()), pa.field("rank", pa.float64()),
                         pa.field("unit", pa.int32()), pa.field("key", pa.binary())])


def unit_batches(batches: Iterator[pa.RecordBatch], unit: str, normalize: NormalizeSettings,
                 key: str = "words") -> Iterator[pa.RecordBatch]:
    """mapInArrow body: ``(doc_id, rank, text)`` -> one row per keyed unit."""
    for batch in batches:
        doc_index, unit_index, keys = batch_unit_keys(batch.column("text").to_pylist(), unit,
                                                      normalize, key)
        take = pa.array(doc_index, pa.int64())
        yield pa.RecordBatch.from_arrays(
            [batch.column("doc_id").take(take).cast(pa.string()),
             batch.column("rank").take(take).cast(pa.float64()),
             pa.array(unit_index, pa.int32()), pa.array(keys, pa.binary())], schema=UNIT_SCHEMA)


def unit_rows(docs, settings: LineSettings, normalize: NormalizeSettings):
    """``docs(doc_id, rank, text)`` -> ``(doc_id, rank, unit, key)``."""
    from pyspark.sql.pandas.types import from_arrow_schema

    body = functools.partial(unit_batches, unit=settings.unit, normalize=normalize,
                             key=settings.key)
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


def rewrite_arrays(texts: pa.Array, removed: pa.Array, unit: str,
                   count_sentences_left: bool = False) -> pa.StructArray:
    """Arrow UDF body: each text without its removed units, the words left and (when asked)
    the sentences left (else 0)."""
    new_texts = [remove_units(t or "", unit, r or [])
                 for t, r in zip(texts.to_pylist(), removed.to_pylist(), strict=True)]
    words = np.array([word_count(t) for t in new_texts], dtype=np.int64)
    sentences = np.array([count_sentences(t) if count_sentences_left and t.strip() else 0
                          for t in new_texts], dtype=np.int64)
    return pa.StructArray.from_arrays(
        [pa.array(new_texts, pa.string()), pa.array(words), pa.array(sentences)],
        names=["text", "words_left", "sentences_left"])


@dataclass
class LineEdits:
    """What line dedup decided: ``changed(doc_id)`` lost units; ``rewritten`` holds their
    input rows with the new text, ``units_removed`` and ``words_left``; ``short`` the
    too-short ones as duplicate rows."""

    changed: object
    rewritten: object
    short: object


def rewritten_rows(run, docs, removed, shared_nodes: list[int]):
    """``docs`` rows (every input column) of the documents in ``removed(doc_id, removed)``,
    with their text rewritten, plus ``units_removed`` and ``words_left``; checkpointed."""
    from pyspark.sql import functions as F
    from pyspark.sql.functions import arrow_udf

    unit, with_sentences = run.config.lines.unit, run.config.lines.min_doc_sentences > 0

    @arrow_udf("struct<text string, words_left bigint, sentences_left bigint>")
    def rewrite(texts: pa.Array, removed: pa.Array) -> pa.Array:
        return rewrite_arrays(texts, removed, unit, with_sentences)

    ids = docs.select("doc_id", F.xxhash64("doc_id").alias("node"))
    changed = run.removal(removed.select("doc_id"), ids, shared_nodes, "lines_changed").only(docs)
    joined = changed.join(removed, "doc_id", "inner")
    return run.checkpoint(
        joined.withColumn("new", rewrite(F.col("text").cast("string"), F.col("removed")))
        .select(*[F.col("new.text").alias("text") if c == "text" else F.col(c)
                  for c in docs.columns],
                F.size("removed").cast("int").alias("units_removed"),
                F.col("new.words_left").alias("words_left"),
                F.col("new.sentences_left").alias("sentences_left")))


def too_short(settings: LineSettings):
    """The rewritten documents line dedup drops: too few words, or too few sentences."""
    from pyspark.sql import functions as F

    short = F.col("words_left") < settings.min_doc_words
    if settings.min_doc_sentences:
        short = short | (F.col("sentences_left") < settings.min_doc_sentences)
    return short


def line_dedup(run, base, docs, shared_nodes: list[int]) -> LineEdits:
    """Line dedup of ``base(doc_id, rank, text)``, whose rows are among the input ``docs``."""
    from pyspark.sql import functions as F

    settings = run.config.lines
    with run.timer("lines"):
        units = run.persist(unit_rows(base, settings, run.config.normalize))
        removed = run.checkpoint(removed_units(units, settings.policy))
        rewritten = rewritten_rows(run, docs, removed, shared_nodes)
        totals = rewritten.agg(
            F.count(F.lit(1)).alias("changed"), F.sum("units_removed").alias("units"),
            F.sum(too_short(settings).cast("long")).alias("short"),
        ).first()
        run.stats.update(units_keyed=units.count(), units_removed=int(totals["units"] or 0),
                         documents_changed=int(totals["changed"]),
                         documents_too_short=int(totals["short"] or 0))
    short = rewritten.where(too_short(settings)).select(
        "doc_id", F.lit("too_short_after_lines").alias("kind"),
        F.lit(None).cast("string").alias("cluster_id"),
        F.lit(None).cast("string").alias("survivor_id"),
        F.lit(None).cast("double").alias("jaccard"))
    return LineEdits(removed.select("doc_id"), rewritten, short)
