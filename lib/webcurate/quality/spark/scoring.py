"""Spark adapter: add ``quality_score`` (and optionally ``language``/``language_score``) to a
DataFrame of documents, batch by batch through ``mapInArrow``.

Each Arrow batch's texts are normalised (:mod:`.normalize`) and predicted in one call to
fastText's multi-line predict (the loop runs in C++); the model comes from the per-process
cache (:mod:`.model`), so a Python worker loads it once. Every input column passes through with
the Arrow type Spark gave it, and the new columns are built with exactly the declared types
(mapInArrow does not cast). Pyspark is imported inside functions only.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from webcurate.io import storage as st
from webcurate.quality.decide import pareto_draw
from webcurate.quality.normalize import TextNormalization, normalize_for_fasttext

SCORE_COLUMN = "quality_score"
LANGUAGE_COLUMNS = ("language", "language_score")
#: Internal column with GPT-3's Pareto draw; used for the decision, never written out.
PARETO_DRAW_COLUMN = "_quality_pareto_draw"


@dataclass(frozen=True)
class ScoringPlan:
    """Plain values the executors need (no loaded model, no job object)."""

    model: str
    model_version: str
    positive_label: str
    normalization: TextNormalization
    storage: st.StorageConfig
    lid: bool = False
    lid_model: str | None = None
    lid_max_chars: int = 20_000
    pareto_alpha: float | None = None  # set: add the per-document Pareto draw column
    pareto_seed: int = 0


def added_fields(plan: ScoringPlan) -> list[pa.Field]:
    """The Arrow fields scoring appends, in order."""
    fields = [pa.field(SCORE_COLUMN, pa.float64())]
    if plan.lid:
        fields += [pa.field("language", pa.string()), pa.field("language_score", pa.float64())]
    if plan.pareto_alpha is not None:
        fields.append(pa.field(PARETO_DRAW_COLUMN, pa.float64()))
    return fields


def _language_arrays(texts: list[str | None], plan: ScoringPlan) -> list[pa.Array]:
    from webcurate.extract.language import get_language_identifier

    identifier = get_language_identifier(
        plan.lid_model, fetch=functools.partial(st.local_copy, storage=plan.storage))
    predictions = [identifier.predict((text or "")[: plan.lid_max_chars]) for text in texts]
    return [pa.array([p[0] for p in predictions], pa.string()),
            pa.array([p[1] for p in predictions], pa.float64())]


def score_texts(texts: list[str | None], plan: ScoringPlan) -> np.ndarray:
    """P(positive) per text; NaN where the normalised text is empty."""
    from webcurate.resources.models import get_quality_model

    model = get_quality_model(plan.model, plan.storage, plan.positive_label, plan.model_version)
    return model.positive_probabilities(
        [normalize_for_fasttext(text, plan.normalization) for text in texts])


def score_batch(batch: pa.RecordBatch, plan: ScoringPlan) -> pa.RecordBatch:
    """``batch`` with the scoring columns (see :func:`merged_columns` for their places)."""
    texts = batch.column("text").to_pylist()
    scores = score_texts(texts, plan)
    new_arrays = [pa.array(scores, pa.float64(), mask=np.isnan(scores))]
    if plan.lid:
        new_arrays += _language_arrays(texts, plan)
    if plan.pareto_alpha is not None:
        doc_ids = batch.column("doc_id").to_pylist()
        draws = [pareto_draw(doc_id, plan.pareto_alpha, plan.pareto_seed) for doc_id in doc_ids]
        new_arrays.append(pa.array(draws, pa.float64()))
    fields, arrays = merged_columns(
        [(f, batch.column(i)) for i, f in enumerate(batch.schema)],
        list(zip(added_fields(plan), new_arrays, strict=True)))
    return pa.RecordBatch.from_arrays(arrays, schema=pa.schema(fields))


def merged_columns(existing: list[tuple], added: list[tuple]) -> tuple[list, list]:
    """Input columns in their order, a same-named added column taking an input column's place
    (``language`` from lid keeps extract's position); other added columns at the end."""
    by_name = {field.name: (field, column) for field, column in added}
    merged = [by_name.pop(field.name, (field, column)) for field, column in existing]
    merged += [(field, column) for field, column in added if field.name in by_name]
    return [f for f, _ in merged], [c for _, c in merged]


def score_batches(batches: Iterator[pa.RecordBatch], plan: ScoringPlan) -> Iterator[pa.RecordBatch]:
    """mapInArrow body."""
    for batch in batches:
        if batch.num_rows:
            yield score_batch(batch, plan)


def scored_schema(df, plan: ScoringPlan):
    """The Spark schema of ``score_documents``' output (the same order as :func:`score_batch`)."""
    from pyspark.sql.pandas.types import from_arrow_type
    from pyspark.sql.types import StructField, StructType

    added = [(StructField(f.name, from_arrow_type(f.type), True), None)
             for f in added_fields(plan)]
    fields, _ = merged_columns([(f, None) for f in df.schema.fields], added)
    return StructType(fields)


def score_documents(df, plan: ScoringPlan):
    """``df`` (with ``doc_id`` and ``text``) plus the scoring columns, one fastText pass. Batches
    hold ``spark.sql.execution.arrow.maxRecordsPerBatch`` rows (Spark's default: 10,000)."""
    return df.mapInArrow(lambda batches: score_batches(batches, plan), scored_schema(df, plan))
