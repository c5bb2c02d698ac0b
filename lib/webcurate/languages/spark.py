"""The Spark side of ``language-stats``: per-language signal quantiles and stop-word counts.

Documents are measured in a ``mapInArrow`` task (their language's words, once per document);
quantiles come from ``percentile_approx`` grouped by language and stop words from a
``groupBy(language, word)`` count, so what reaches the driver is one row per language and
``stop_words`` rows per language, never rows per document.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa

from webcurate.languages.derive import (
    MEASURED,
    document_signals,
    document_stop_word_candidates,
    stop_word_candidates,
)
from webcurate.text.segmenters import words_of

_CANDIDATES: dict[str | None, frozenset[str] | None] = {}


def _column(batch: pa.RecordBatch, name: str) -> list:
    if name in batch.schema.names:
        return batch.column(name).to_pylist()
    return [None] * batch.num_rows


def _measure(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        languages = _column(batch, "language")
        rows = [document_signals(text or "", language, score) for text, language, score in zip(
            _column(batch, "text"), languages, _column(batch, "language_score"), strict=True)]
        columns = [pa.array(languages, pa.string())]
        columns += [pa.array([None if r[n] is None else float(r[n]) for r in rows], pa.float64())
                    for n in MEASURED]
        yield pa.RecordBatch.from_arrays(columns, names=["language", *MEASURED])


def _candidate_words(batches: Iterator[pa.RecordBatch], limit: int
                     ) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        out_languages, out_words = [], []
        for text, language in zip(_column(batch, "text"), _column(batch, "language"),
                                  strict=True):
            if language not in _CANDIDATES:
                _CANDIDATES[language] = stop_word_candidates(language)
            words = document_stop_word_candidates(words_of(text or "", language),
                                                  _CANDIDATES[language], limit)
            out_languages += [language] * len(words)
            out_words += words
        yield pa.RecordBatch.from_arrays(
            [pa.array(out_languages, pa.string()), pa.array(out_words, pa.string())],
            names=["language", "word"])


def signal_quantiles(docs, percentiles: list[float], accuracy: int
                     ) -> dict[str, tuple[int, dict[str, dict[float, float | None]]]]:
    """``{language: (documents, {signal: {percentile: value}})}`` (one row per language)."""
    from pyspark.sql import functions as F

    measured = docs.select("text", "language", "language_score").mapInArrow(
        _measure, "language string, " + ", ".join(f"{n} double" for n in MEASURED))
    fractions = [p / 100 for p in percentiles]
    rows = (measured.where(F.col("language").isNotNull())
            .groupBy("language")
            .agg(F.count("*").alias("_documents"),
                 *[F.percentile_approx(n, fractions, accuracy).alias(n) for n in MEASURED])
            .collect())
    out = {}
    for row in rows:
        per_signal = {n: dict(zip(percentiles, row[n] or [None] * len(percentiles),
                                  strict=True)) for n in MEASURED}
        out[row["language"]] = (row["_documents"], per_signal)
    return out


def top_stop_words(docs, count: int, per_document: int) -> dict[str, list[str]]:
    """Each language's ``count`` candidate words found in the most documents (ties: by word)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    words = docs.select("text", "language").where(F.col("language").isNotNull()).mapInArrow(
        lambda batches: _candidate_words(batches, per_document), "language string, word string")
    ranked = (words.groupBy("language", "word").agg(F.count("*").alias("documents"))
              .withColumn("rank", F.row_number().over(
                  Window.partitionBy("language").orderBy(F.desc("documents"), "word")))
              .where(F.col("rank") <= count).collect())
    out: dict[str, list[tuple[int, str]]] = {}
    for row in ranked:
        out.setdefault(row["language"], []).append((row["rank"], row["word"]))
    return {language: [w for _, w in sorted(pairs)] for language, pairs in out.items()}
