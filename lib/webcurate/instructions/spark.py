"""Spark adapter of the instructions job: task files spread over tasks, rendered in Python.

A task file is the unit of work: each Spark task reads its files whole (an SNI task is at most a
few MB; the per-task cap bounds the records), parses them (:mod:`.sni`) and renders them
(:mod:`.render`). Nothing is shuffled and nothing reaches the driver but counts. Every row has
a ``kind``: ``record`` (written), ``skipped`` (a few-shot item without exemplars) or
``malformed`` (a task file that could not be read: counted, never fatal).
"""

from __future__ import annotations

from collections.abc import Iterator

from webcurate.instructions.render import render_task
from webcurate.instructions.settings import RenderSettings
from webcurate.instructions.sni import TaskError, parse_task, task_name_from_uri
from webcurate.io import storage as st

RECORD = "record"
SKIPPED = "skipped"
MALFORMED = "malformed"

ROW_SCHEMA = (
    "kind string, reason string, source_file string, doc_id string, task string, "
    "instance_id string, repetition int, variant string, template string, "
    "exemplar_ids array<string>, prompt string, completion string, "
    "messages array<struct<role:string,content:string>>, text string, "
    "categories array<string>, input_language string")
RECORD_COLUMNS = ("doc_id", "task", "instance_id", "repetition", "variant", "template",
                  "exemplar_ids", "prompt", "completion", "messages", "text", "categories",
                  "input_language")
_EMPTY = {c: None for c in RECORD_COLUMNS}


def _row(kind: str, reason: str | None, uri: str, values: dict) -> tuple:
    merged = {**_EMPTY, **values}
    return (kind, reason, uri, *(merged[c] for c in RECORD_COLUMNS))


def task_file_rows(uris: Iterator[str], settings: RenderSettings,
                   storage: st.StorageConfig) -> Iterator[tuple]:
    """The rows of every task file of one partition."""
    for uri in uris:
        name = task_name_from_uri(uri)
        try:
            task = parse_task(st.read_bytes(uri, storage), name)
        except TaskError as err:
            yield _row(MALFORMED, str(err), uri, {"task": name})
            continue
        for out in render_task(task, settings):
            if isinstance(out, dict):
                yield _row(RECORD, None, uri, out)
            else:
                variant, reason = out
                yield _row(SKIPPED, reason, uri, {"task": name, "variant": variant})


def rendered_rows(spark, files: list[str], settings: RenderSettings,
                  storage: st.StorageConfig, partitions: int):
    """Every row (records, skips, malformed files) as one DataFrame of ``ROW_SCHEMA``."""
    slices = max(1, min(len(files), partitions))
    tasks = spark.sparkContext.parallelize(sorted(files), numSlices=slices)
    rows = tasks.mapPartitions(lambda uris: task_file_rows(uris, settings, storage))
    return spark.createDataFrame(rows, ROW_SCHEMA)


def records(rows):
    from pyspark.sql import functions as F

    return rows.where(F.col("kind") == RECORD).select(*RECORD_COLUMNS)


def counted(df, *columns: str) -> dict:
    """``{"a/b": n}`` from one groupBy (a handful of keys: tasks x variants)."""
    from pyspark.sql import functions as F

    rows = df.groupBy(*columns).agg(F.count(F.lit(1)).alias("n")).collect()
    return {"/".join(str(r[c]) for c in columns): int(r["n"])
            for r in sorted(rows, key=lambda r: tuple(str(r[c]) for c in columns))}


def side_stats(rows) -> dict:
    """Skipped items and malformed task files, one aggregation each."""
    from pyspark.sql import functions as F

    skipped = counted(rows.where(F.col("kind") == SKIPPED), "variant", "reason")
    bad = (rows.where(F.col("kind") == MALFORMED).select("source_file", "reason")
           .orderBy("source_file").limit(20).collect())
    malformed = rows.where(F.col("kind") == MALFORMED).count()
    return {"skipped": skipped, "malformed_tasks": malformed,
            "malformed_examples": {r["source_file"]: r["reason"] for r in bad}}
