"""Spark adapter of the language-model domain: training text prepared per language, and
documents scored (perplexity), language-identified and bucketed on executors.

- **Training text** (:func:`sampled_training_lines`): a language's files (text files cut into
  documents, or Parquet / JSONL documents: :func:`webcurate.quality.spark.training.
  read_class_documents`), every document normalised into its lines in Python
  (:mod:`.normalize`), sampled by a deterministic per-document key (``max_docs``, CCNet takes
  the first 1,000,000 Wikipedia openings), and streamed to the driver one partition at a time
  (``toLocalIterator``): SentencePiece and ``lmplz`` are single-machine programs, so driver
  *disk* grows with the sample, driver memory does not.
- **Scoring** (:func:`score_documents`, ``mapInArrow``): optional language ID with lid.176 on the
  text with newlines removed (CCNet's ``Classifier``), then the document perplexity under its
  language's model, loaded once per Python worker (:func:`.model.get_language_models`).
- **Cut-offs** (:func:`language_cutoffs`): per-language ``percentile_approx`` over the small
  frame (language, perplexity): one row per language reaches the driver.
Pyspark is imported inside functions only.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa

from webcurate.io import storage as st
from webcurate.lm.buckets import NO_BUCKET
from webcurate.lm.normalize import normalized_lines
from webcurate.quality.training import unit_key

PERPLEXITY_COLUMN = "perplexity"
BUCKET_COLUMN = "lm_bucket"
LINES_SCHEMA = pa.schema([pa.field("doc_id", pa.string()), pa.field("lines", pa.string()),
                          pa.field("sample_key", pa.float64())])


def _lines_batches(batches: Iterator[pa.RecordBatch], language: str,
                   seed: int) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        rows = []
        for doc_id, text in zip(batch.column("doc_id").to_pylist(),
                                batch.column("text").to_pylist(), strict=True):
            lines = normalized_lines(text)
            if lines:
                rows.append({"doc_id": doc_id, "lines": "\n".join(lines),
                             "sample_key": unit_key(seed, "lm", language, doc_id)})
        yield pa.RecordBatch.from_pylist(rows, schema=LINES_SCHEMA)


def training_documents(spark, spec, storage: st.StorageConfig, language: str,
                       text_doc_chars: int, seed: int):
    """``(doc_id, lines, sample_key)``: each document's normalised lines joined by newlines."""
    from pyspark.sql.pandas.types import from_arrow_schema

    from webcurate.quality.spark.training import read_class_documents

    docs, sources = read_class_documents(spark, spec, storage, text_doc_chars)
    lines = docs.mapInArrow(lambda batches: _lines_batches(batches, language, seed),
                            from_arrow_schema(LINES_SCHEMA))
    return lines, sources


def sampled_training_lines(lines_df, max_docs: int | None) -> tuple[Iterator[str], dict]:
    """The sample's lines, in key order, streamed (one partition at a time) to the driver;
    and counts. At most ``max_docs`` documents: those of smallest key (a threshold on the key
    from an approximate quantile, never a sort of the corpus in one task)."""
    from pyspark.sql import functions as F

    persisted = lines_df.persist()
    available = persisted.count()
    selected = persisted
    if max_docs is not None and available > max_docs:
        cut = persisted.approxQuantile("sample_key", [max_docs / available], 0.0001)[0]
        selected = persisted.where(F.col("sample_key") <= F.lit(cut))
    counts = {"documents_available": available}

    def rows() -> Iterator[str]:
        try:
            for row in (selected.repartitionByRange(max(1, persisted.rdd.getNumPartitions()),
                                                    "sample_key")
                        .sortWithinPartitions("sample_key", "doc_id")
                        .select("lines").toLocalIterator()):
                yield from row["lines"].split("\n")
        finally:
            persisted.unpersist()

    return rows(), counts


@dataclass(frozen=True)
class LmScoringPlan:
    """Plain values the executors need (no loaded model, no job object)."""

    models: str
    models_version: str
    languages: tuple[str, ...]
    storage: st.StorageConfig
    lid: bool = False
    lid_model: str | None = None
    lid_max_chars: int = 20_000


def added_fields(plan: LmScoringPlan) -> list[pa.Field]:
    fields = [pa.field(PERPLEXITY_COLUMN, pa.float64())]
    if plan.lid:
        fields += [pa.field("language", pa.string()), pa.field("language_score", pa.float64())]
    return fields


def _score_batch(batch: pa.RecordBatch, plan: LmScoringPlan) -> pa.RecordBatch:
    from webcurate.lm.model import get_language_models

    fetch = functools.partial(st.local_copy, storage=plan.storage)
    models = get_language_models(plan.models, plan.models_version, list(plan.languages), fetch)
    texts = batch.column("text").to_pylist()
    arrays = {}
    if plan.lid:
        from webcurate.extract.language import get_language_identifier

        identifier = get_language_identifier(plan.lid_model, fetch=fetch)
        predicted = [identifier.predict((t or "")[: plan.lid_max_chars]) for t in texts]
        languages = [p[0] for p in predicted]
        arrays["language"] = pa.array(languages, pa.string())
        arrays["language_score"] = pa.array([p[1] for p in predicted], pa.float64())
    else:
        languages = batch.column("language").to_pylist()
    arrays[PERPLEXITY_COLUMN] = pa.array(
        [models.document_perplexity(t, lang) for t, lang in zip(texts, languages, strict=True)],
        pa.float64())
    names = [n for n in batch.schema.names if n not in arrays]
    columns = [batch.column(n) for n in names]
    fields = [batch.schema.field(n) for n in names]
    for field in added_fields(plan):
        columns.append(arrays[field.name])
        fields.append(field)
    return pa.RecordBatch.from_arrays(columns, schema=pa.schema(fields))


def score_documents(df, plan: LmScoringPlan):
    """``df`` with ``perplexity`` (and ``language`` / ``language_score`` when ``plan.lid``)."""
    from pyspark.sql.pandas.types import from_arrow_type
    from pyspark.sql.types import StructField, StructType

    added = added_fields(plan)
    names = {f.name for f in added}
    schema = StructType([f for f in df.schema.fields if f.name not in names]
                        + [StructField(f.name, from_arrow_type(f.type), True) for f in added])
    return df.mapInArrow(lambda batches: (_score_batch(b, plan) for b in batches), schema)


def language_cutoffs(scored, percentiles: list[float], accuracy: int) -> dict[str, dict]:
    """Per language: the perplexity at each percentile and the scored count (small frame)."""
    from pyspark.sql import functions as F

    quantiles = [p / 100.0 for p in percentiles]
    rows = (scored.where(F.col(PERPLEXITY_COLUMN).isNotNull())
            .groupBy("language")
            .agg(F.percentile_approx(PERPLEXITY_COLUMN, quantiles, accuracy).alias("q"),
                 F.count(F.lit(1)).alias("n"))
            .collect())
    return {row["language"]: {"cutoffs": [float(v) for v in row["q"]], "scored_docs": row["n"]}
            for row in rows}


def with_buckets(scored, cutoffs: dict[str, list[float]]):
    """``lm_bucket`` from a broadcast per-language cut-off table (one row per language)."""
    from pyspark.sql import functions as F

    spark = scored.sparkSession
    table = spark.createDataFrame([(lang, float(c[0]), float(c[1])) for lang, c in cutoffs.items()],
                                  "_lm_language string, _lm_head double, _lm_tail double")
    joined = scored.join(F.broadcast(table), scored["language"] == table["_lm_language"],
                         how="left")
    pp = F.col(PERPLEXITY_COLUMN)
    bucket = (F.when(pp.isNull() | F.col("_lm_head").isNull(), F.lit(NO_BUCKET))
              .when(pp < F.col("_lm_head"), F.lit("head"))
              .when(pp < F.col("_lm_tail"), F.lit("middle"))
              .otherwise(F.lit("tail")))
    return joined.withColumn(BUCKET_COLUMN, bucket).drop("_lm_language", "_lm_head", "_lm_tail")


def _language_passes(df, min_language_score: float):
    from pyspark.sql import functions as F

    if min_language_score <= 0.0:
        return F.lit(True)
    if "language_score" not in df.columns:
        return F.lit(False)
    return F.coalesce(F.col("language_score") >= F.lit(min_language_score), F.lit(False))


def score_and_bucket(docs, plan: LmScoringPlan, config, cutoffs: dict | None,
                     file_prefix: str) -> dict:
    """Both passes of the perplexity job (see :mod:`webcurate.jobs.perplexity`): the small frame
    for cut-offs and counts, then ``kept/`` written; returns the stats."""
    from pyspark.sql import functions as F

    from webcurate.io.datasets import write_dataset_files

    scored = score_documents(docs, plan)
    passes = _language_passes(scored, config.min_language_score)
    small = scored.select(F.col("language"), F.col(PERPLEXITY_COLUMN),
                          passes.alias("_lm_language_ok")).persist()
    try:
        kept_small = small.where(F.col("_lm_language_ok"))
        computed = None
        if cutoffs is None:
            computed = language_cutoffs(kept_small, list(config.percentiles),
                                        config.percentile_accuracy)
            cutoffs = {lang: v["cutoffs"] for lang, v in computed.items() if lang}
        rows = (with_buckets(small, cutoffs)
                .groupBy("language", "_lm_language_ok", BUCKET_COLUMN).count().collect())
    finally:
        small.unpersist()
    stats = summarise(rows, set(config.keep_buckets))
    stats["cutoffs"] = cutoffs
    stats["cutoffs_from"] = "corpus percentiles" if computed is not None else config.cutoffs
    stats["percentiles"] = list(config.percentiles)
    if computed is not None:
        stats["scored_docs_by_language"] = {k: v["scored_docs"] for k, v in computed.items()}
    kept = (with_buckets(scored.where(passes), cutoffs)
            .where(F.col(BUCKET_COLUMN).isin(list(config.keep_buckets))))
    write_dataset_files(kept, st.join_uri(config.output, "kept"), file_prefix, config.storage)
    return stats


def summarise(rows, keep_buckets: set[str]) -> dict:
    """Counts per outcome, bucket and language from the grouped rows (one per language x bucket)."""
    docs = kept = dropped_language = 0
    buckets: dict[str, int] = {}
    by_language: dict[str, dict[str, int]] = {}
    languages_kept: dict[str, int] = {}
    for row in rows:
        count, language = row["count"], row["language"] or ""
        docs += count
        if not row["_lm_language_ok"]:
            dropped_language += count
            continue
        bucket = row[BUCKET_COLUMN]
        buckets[bucket] = buckets.get(bucket, 0) + count
        per = by_language.setdefault(language, {})
        per[bucket] = per.get(bucket, 0) + count
        if bucket in keep_buckets:
            kept += count
            languages_kept[language] = languages_kept.get(language, 0) + count
    return {"docs": docs, "docs_kept": kept, "docs_dropped_language_score": dropped_language,
            "buckets": buckets,
            "buckets_by_language": dict(sorted(by_language.items(),
                                               key=lambda kv: -sum(kv[1].values()))),
            "languages_kept": dict(sorted(languages_kept.items(), key=lambda kv: -kv[1]))}
