"""Spark adapter of :mod:`webcurate.urls`: URL keys as a column, the scored URL table, and the
selection join.

The join is on the 64-bit key of the normalised URL (:func:`webcurate.urls.url_key`), never on
URL strings. The URL table is reduced first to one row per key (its best score, so variants of
one URL that normalise alike count once) and to the keys at or above the threshold, which is
what the documents are matched against:

* ``broadcast`` (default while the table has at most ``broadcast_max_urls`` selected keys):
  Spark broadcasts (key, score) pairs, 16 bytes each (WebText's ~45 M links: well under 1 GB),
  and every task keeps its documents where they are read: no document moves.
* ``shuffle``: a sort-merge join on the key; the documents move once through the shuffle,
  partitioned by an 8-byte key, and the table once; nothing is collected to the driver.

A left join keeps every document, so the ones not selected go to ``rejected/`` with their
reason (no URL, not listed, score below the threshold).
"""

from __future__ import annotations

import pyarrow as pa

from webcurate.urls import UrlNormalization, normalize_url, url_key

URL_KEY = "_url_key"
URL_NORMALIZED = "url_normalized"


def _key_batches(url_column: str, rules: UrlNormalization, keep_normalized: bool):
    def add_keys(batches):
        for batch in batches:
            normalized = [normalize_url(u, rules) for u in batch.column(url_column).to_pylist()]
            keys = [None if n is None else url_key(n) for n in normalized]
            columns = [*batch.columns, pa.array(keys, pa.int64())]
            names = [*batch.schema.names, URL_KEY]
            if keep_normalized:
                columns.append(pa.array(normalized, pa.string()))
                names.append(URL_NORMALIZED)
            yield pa.RecordBatch.from_arrays(columns, names=names)
    return add_keys


def with_url_key(df, url_column: str, rules: UrlNormalization, keep_normalized: bool = False):
    """``df`` with ``_url_key`` (int64; null where the URL does not normalise) and, if asked,
    ``url_normalized``: one ``mapInArrow`` pass, the other columns untouched."""
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    fields = [*df.schema.fields, StructField(URL_KEY, LongType())]
    if keep_normalized:
        fields.append(StructField(URL_NORMALIZED, StringType()))
    return df.mapInArrow(_key_batches(url_column, rules, keep_normalized), StructType(fields))


TABLE_SUFFIXES = {"parquet": (".parquet", ".pq"), "csv": (".csv", ".csv.gz", ".tsv"),
                  "jsonl": (".jsonl", ".jsonl.gz", ".json", ".json.gz", ".jsonl.zst", ".ndjson")}


def table_format(uri: str) -> str:
    name = uri.lower()
    for kind, suffixes in TABLE_SUFFIXES.items():
        if name.endswith(suffixes):
            return kind
    raise ValueError(f"not a Parquet, CSV or JSONL URL table file: {uri}")


def read_url_table(spark, files: list[str], url_column: str, score_column: str, storage):
    """The URL table files as one frame of (url, score): Parquet (any store), JSONL (any
    store, webcurate's reader) or CSV with a header (Spark's reader: local or s3a)."""
    from pyspark.sql import functions as F

    from webcurate.io.datasets import read_jsonl, read_parquet

    by_format: dict[str, list[str]] = {}
    for uri in files:
        by_format.setdefault(table_format(uri), []).append(uri)
    frames = []
    if by_format.get("parquet"):
        frames.append(read_parquet(spark, by_format["parquet"], storage))
    if by_format.get("jsonl"):
        frames.append(read_jsonl(spark, by_format["jsonl"], storage,
                                 f"`{url_column}` string, `{score_column}` double"))
    if by_format.get("csv"):
        frames.append(spark.read.option("header", True)
                      .option("sep", "\t" if by_format["csv"][0].endswith(".tsv") else ",")
                      .csv(by_format["csv"]))
    out = None
    for frame in frames:
        missing = [c for c in (url_column, score_column) if c not in frame.columns]
        if missing:
            raise ValueError(f"the URL table has no column {missing[0]!r} "
                             f"(columns: {', '.join(frame.columns)})")
        pairs = frame.select(F.col(url_column).cast("string").alias("url"),
                             F.col(score_column).cast("double").alias("score"))
        out = pairs if out is None else out.unionByName(pairs)
    return out


def scored_keys(table, rules: UrlNormalization):
    """(key, score) per distinct normalised URL, its best score; and the table's counts as
    expressions to aggregate: rows, rows whose URL does not normalise, rows without a score."""
    from pyspark.sql import functions as F

    keyed = with_url_key(table, "url", rules)
    best = (keyed.where(F.col(URL_KEY).isNotNull() & F.col("score").isNotNull())
            .groupBy(URL_KEY).agg(F.max("score").alias("url_score")))
    return keyed, best


def select_documents(docs, best, min_score: float, broadcast: bool, route_column: str,
                     reason_column: str):
    """Every document with ``url_score`` (null when not listed), a route (0 selected,
    1 rejected) and its reason; the key column dropped."""
    from pyspark.sql import functions as F

    table = F.broadcast(best) if broadcast else best  # every listed key, for the reason
    joined = docs.join(table, on=URL_KEY, how="left")
    reason = (F.when(F.col(URL_KEY).isNull(), F.lit("url_missing_or_invalid"))
              .when(F.col("url_score").isNull(), F.lit("url_not_listed"))
              .when(F.col("url_score") < F.lit(float(min_score)), F.lit("url_score_below_min"))
              .otherwise(F.lit(None).cast("string")))
    out = (joined.withColumn(reason_column, reason)
           .withColumn(route_column, F.when(F.col(reason_column).isNull(), 0).otherwise(1)))
    return out.select(*[c for c in docs.columns if c != URL_KEY], "url_score", reason_column,
                      route_column)
