"""Spark adapter: percentile thresholds, keep decisions, buckets and score statistics.

Quantiles come from ``percentile_approx`` (Greenwald-Khanna, relative rank error
``1 / accuracy``; exact when a group holds fewer documents than ``accuracy``), over the whole
corpus in one aggregation, or per language / domain with a ``groupBy`` whose small result is
joined back (broadcast up to ``BROADCAST_MAX_GROUPS`` groups). The rules themselves are defined
in :mod:`.decide`. Pyspark is imported inside functions only.
"""

from __future__ import annotations

from webcurate.quality.spark_scoring import PARETO_DRAW_COLUMN, SCORE_COLUMN

GROUP_KEY = "_quality_group"
KEEP_COLUMN = "_quality_keep"
BUCKET_COLUMN = "quality_bucket"
BROADCAST_MAX_GROUPS = 1_000_000
STATS_QUANTILES = (0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99)
TOP_GROUPS_IN_STATS = 50


def group_key(df, group_by: str):
    """The grouping column: language (``""`` when unknown) or URL host without ``www.``."""
    from pyspark.sql import functions as F

    if group_by == "language":
        return F.coalesce(F.col("language"), F.lit(""))
    host = F.lower(F.coalesce(F.expr("parse_url(url, 'HOST')"), F.lit("")))
    return F.regexp_replace(host, r"^www\.", "")


def _percentiles(quantiles: list[float], accuracy: int):
    from pyspark.sql import functions as F

    return F.percentile_approx(F.col(SCORE_COLUMN), quantiles, accuracy)


def global_quantiles(df, quantiles: list[float], accuracy: int) -> tuple[list | None, int]:
    """The corpus-wide quantiles of the score (None when nothing was scored) and the number of
    scored documents, in one aggregation."""
    from pyspark.sql import functions as F

    row = df.agg(_percentiles(quantiles, accuracy).alias("q"),
                 F.count(SCORE_COLUMN).alias("n")).first()
    return (list(row["q"]) if row["q"] is not None else None), int(row["n"])


def _named(columns: list[str], values: list) -> dict:
    """Threshold values keyed by their public names (``keep_threshold``, ``bucket_low``...)."""
    return {c.removeprefix("_quality_"): v for c, v in zip(columns, values, strict=True)}


def attach_thresholds(df, names: list[str], quantiles: list[float], group_by: str,
                      accuracy: int, min_group_docs: int, global_values: list | None):
    """``df`` with one threshold column per name; plus stats describing them.

    Per group, a group with fewer than ``min_group_docs`` scored documents (or none) uses the
    global values. The per-group table is persisted (it is joined once per output written).
    """
    from pyspark.sql import functions as F

    fallback = global_values or [None] * len(names)
    if group_by == "none":
        for name, value in zip(names, fallback, strict=True):
            df = df.withColumn(name, F.lit(value).cast("double"))
        return df, {"group_by": "none", "global": _named(names, fallback)}, None
    df = df.withColumn(GROUP_KEY, group_key(df, group_by))
    grouped = df.groupBy(GROUP_KEY).agg(_percentiles(quantiles, accuracy).alias("_q"),
                                        F.count(SCORE_COLUMN).alias("_n"))
    big_enough = F.col("_n") >= min_group_docs
    table = grouped.select(GROUP_KEY, "_n", *[
        F.when(big_enough & F.col("_q").isNotNull(), F.col("_q")[i])
        .otherwise(F.lit(fallback[i]).cast("double")).alias(name)
        for i, name in enumerate(names)]).persist()
    groups = table.count()
    largest = table.orderBy(F.desc("_n"), F.asc(GROUP_KEY)).limit(TOP_GROUPS_IN_STATS).collect()
    stats = {"group_by": group_by, "groups": groups, "min_group_docs": min_group_docs,
             "global": _named(names, fallback),
             "largest_groups": {row[GROUP_KEY]: {"scored_docs": row["_n"],
                                                 **_named(names, [row[n] for n in names])}
                                for row in largest}}
    lookup = table.drop("_n")
    if groups <= BROADCAST_MAX_GROUPS:
        lookup = F.broadcast(lookup)
    return df.join(lookup, on=GROUP_KEY, how="left").drop(GROUP_KEY), stats, table


def keep_expression(mode: str, min_score: float, keep_threshold_column: str | None):
    """The boolean keep column for a decision mode (see :mod:`.decide`); null scores never kept
    except in mode ``none``."""
    from pyspark.sql import functions as F

    score = F.col(SCORE_COLUMN)
    if mode == "none":
        return F.lit(True)
    if mode == "threshold":
        return F.coalesce(score >= F.lit(min_score), F.lit(False))
    if mode == "pareto":
        return F.coalesce(F.col(PARETO_DRAW_COLUMN) > F.lit(1.0) - score, F.lit(False))
    threshold = F.col(keep_threshold_column)
    # A null threshold means k = 100 (keep every scored document).
    return F.coalesce(score > threshold, threshold.isNull() & score.isNotNull())


def bucket_expression(low_column: str, high_column: str):
    """``head`` above the high cut-off, ``middle`` above the low one, else ``tail``."""
    from pyspark.sql import functions as F

    score = F.col(SCORE_COLUMN)
    return (F.when(score > F.col(high_column), F.lit("head"))
            .when(score > F.col(low_column), F.lit("middle"))
            .otherwise(F.lit("tail")))


def score_stats(df, bins: int, with_buckets: bool, by_language: bool) -> dict:
    """Counts from one aggregation: documents, kept, without score, per bucket, the score
    histogram (``bins`` equal bins over [0, 1]) and, when asked, per language."""
    from pyspark.sql import functions as F

    score = F.col(SCORE_COLUMN)
    # least() skips nulls, so a null score needs its own branch to stay without a bin.
    bin_column = F.when(score.isNotNull(),
                        F.least(F.floor(score * bins), F.lit(bins - 1)).cast("int"))
    keys = [F.col(KEEP_COLUMN).alias("keep"), bin_column.alias("bin")]
    if with_buckets:
        keys.append(F.col(BUCKET_COLUMN).alias("bucket"))
    if by_language:
        keys.append(F.col("language").alias("language"))
    rows = df.groupBy(*keys).count().collect()
    return summarise_counts([row.asDict() for row in rows], bins, with_buckets, by_language)


def _add(counter: dict, key, value: int) -> None:
    counter[key] = counter.get(key, 0) + value


def summarise_counts(rows: list[dict], bins: int, with_buckets: bool, by_language: bool) -> dict:
    """Turn grouped count rows into the job's stats (pure; kept separate for clarity)."""
    histogram = [0] * bins
    totals = {"docs": 0, "docs_kept": 0, "docs_rejected": 0, "docs_without_score": 0}
    buckets: dict = {}
    languages: dict = {}
    languages_kept: dict = {}
    for row in rows:
        count = row["count"]
        totals["docs"] += count
        totals["docs_kept" if row["keep"] else "docs_rejected"] += count
        if row["bin"] is None:
            totals["docs_without_score"] += count
        else:
            histogram[row["bin"]] += count
        if with_buckets:
            _add(buckets, row["bucket"], count)
        if by_language:
            _add(languages, row["language"] or "", count)
            if row["keep"]:
                _add(languages_kept, row["language"] or "", count)
    stats = {**totals, "kept_fraction": (round(totals["docs_kept"] / totals["docs"], 6)
                                         if totals["docs"] else None),
             "score_histogram": {"bin_edges": [round(i / bins, 6) for i in range(bins + 1)],
                                 "counts": histogram}}
    if with_buckets:
        stats["buckets"] = {name: buckets.get(name, 0) for name in ("head", "middle", "tail")}
    if by_language:
        by_count = sorted(languages.items(), key=lambda item: (-item[1], item[0]))
        stats["languages"] = dict(by_count)
        stats["languages_kept"] = {k: languages_kept.get(k, 0) for k, _ in by_count}
    return stats
