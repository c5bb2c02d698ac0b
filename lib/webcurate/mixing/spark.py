"""Spark adapter of :mod:`webcurate.mixing`: units, rates, thresholds and the mixed output.

Per source, a frame of ids and counts only, (doc_id, tokens, units), is persisted: ``tokens``
from the documents' own column when they have one (a tokenize output), else counted on the fly
with the configured tokenizer (:mod:`webcurate.tokens.spark`, the text is not kept); ``units``
the rehydration repetitions from the dedup output's ``duplicates/`` (cluster size = 1 + rows
whose ``survivor_id`` is the document, a ``groupBy`` then a join on ``doc_id``). Each unit has
a uniform key ``u = xxhash64(seed, source, doc_id, unit) / 2^64 + 1/2``. Two aggregations
by key bucket find each source's key ranges (:func:`webcurate.mixing.fractional_ranges`);
only bucket totals (4,096 rows per source) reach the driver.

The output pass reads the documents again and explodes each into its copies with Spark
expressions (the same keys), then spreads them by ``xxhash64(seed, doc_id of the copy)`` into
``output_files`` partitions, sorted by that key within each: a deterministic shuffle of the
mix, which is the one time the text moves.
"""

from __future__ import annotations

from webcurate.mixing import KEY_BUCKETS

UNIT = "_unit"
KEY = "_mix_key"


def unit_key_column(seed: int, source: str):
    """``u`` in [0, 1): the unit's uniform key (a Spark expression over doc_id and _unit)."""
    from pyspark.sql import functions as F

    hashed = F.xxhash64(F.lit(int(seed)), F.lit(source), F.col("doc_id"), F.col(UNIT))
    return hashed.cast("double") / F.lit(2.0 ** 64) + F.lit(0.5)


def cluster_units(duplicates, schedule: list[tuple[int, int]]):
    """(doc_id, _units) for every survivor with duplicates: the schedule's repetitions of
    1 + its rows in ``duplicates`` (survivor_id)."""
    from pyspark.sql import functions as F

    sizes = (duplicates.where(F.col("survivor_id").isNotNull()).groupBy("survivor_id")
             .agg((F.count("*") + 1).alias("_cluster_size"))
             .withColumnRenamed("survivor_id", "doc_id"))
    return sizes.select("doc_id", "_cluster_size",
                        schedule_column(F.col("_cluster_size"), schedule).alias("_units"))


def schedule_column(size, schedule: list[tuple[int, int]]):
    from pyspark.sql import functions as F

    reps = F.lit(1)
    for min_size, weight in schedule:
        reps = F.when(size >= min_size, F.lit(weight)).otherwise(reps)
    return reps


def with_units(docs, units):
    """``docs`` with ``_units`` (the schedule's weight for size 1 where not a survivor) and
    ``_cluster_size``."""
    from pyspark.sql import functions as F

    if units is None:
        return docs.withColumn("_units", F.lit(1)).withColumn("_cluster_size", F.lit(1))
    return (docs.join(units, on="doc_id", how="left")
            .withColumn("_cluster_size", F.coalesce("_cluster_size", F.lit(1)))
            .withColumn("_units", F.coalesce("_units", F.lit(1))))


def explode_units(df):
    from pyspark.sql import functions as F

    return df.where(F.col("_units") > 0).withColumn(
        UNIT, F.explode(F.sequence(F.lit(0), F.col("_units") - 1)))


def bucket_totals(counted, seed: int, source: str, level1: int | None = None) -> dict[int, int]:
    """Tokens per key bucket of the units (level 1), or per sub-bucket of one level-1 bucket."""
    from pyspark.sql import functions as F

    units = explode_units(counted).withColumn(KEY, unit_key_column(seed, source))
    scaled = F.col(KEY) * F.lit(KEY_BUCKETS)
    if level1 is None:
        bucket = F.floor(scaled).cast("int")
    else:
        units = units.where(F.floor(scaled) == F.lit(level1))
        bucket = F.floor((scaled - F.lit(level1)) * F.lit(KEY_BUCKETS)).cast("int")
    rows = (units.select(bucket.alias("_b"), "tokens").groupBy("_b")
            .agg(F.sum("tokens").alias("tokens")).collect())
    return {int(r["_b"]): int(r["tokens"] or 0) for r in rows}


def mixed_copies(docs, seed: int, source: str, whole: int, ranges: list[tuple[float, float]]):
    """Each document's copies: for every unit, ``whole`` copies plus one when its key is in
    one of ``ranges`` ([low, high)). Adds source, source_doc_id, copy (0, 1, ...: unit-major)
    and a new doc_id (the source's for copy 0 of a document, ``<doc_id>~<copy>`` after)."""
    from pyspark.sql import functions as F

    units = explode_units(docs).withColumn(KEY, unit_key_column(seed, source))
    extra = F.lit(False)
    for low, high in ranges:
        extra = extra | ((F.col(KEY) >= F.lit(float(low))) & (F.col(KEY) < F.lit(float(high))))
    per_unit = F.lit(whole) + F.when(extra, 1).otherwise(0)
    stride = whole + 1
    copies = (units.withColumn("_copies", per_unit).where(F.col("_copies") > 0)
              .withColumn("_c", F.explode(F.sequence(F.lit(0), F.col("_copies") - 1)))
              .withColumn("copy", (F.col(UNIT) * F.lit(stride) + F.col("_c")).cast("int")))
    return (copies.withColumn("source", F.lit(source))
            .withColumn("source_doc_id", F.col("doc_id"))
            .withColumn("doc_id", F.when(F.col("copy") == 0, F.col("doc_id"))
                        .otherwise(F.concat(F.col("doc_id"), F.lit("~"),
                                            F.col("copy").cast("string"))))
            .drop(UNIT, KEY, "_copies", "_c", "_units"))


def shuffled(df, seed: int, partitions: int):
    """The deterministic shuffle: hash-partitioned and sorted by ``xxhash64(seed, doc_id)``."""
    from pyspark.sql import functions as F

    keyed = df.withColumn(KEY, F.xxhash64(F.lit(int(seed)), F.col("doc_id")))
    return (keyed.repartition(partitions, KEY).sortWithinPartitions(KEY, "doc_id").drop(KEY))
