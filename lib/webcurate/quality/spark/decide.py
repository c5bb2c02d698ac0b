"""Spark adapter: percentile thresholds, keep decisions, buckets and score statistics.

Quantiles come from ``percentile_approx`` (Greenwald-Khanna, relative rank error
``1 / accuracy``; exact when a group holds fewer documents than ``accuracy``), over the whole
corpus in one aggregation, or per language / domain with a ``groupBy`` over the small frame of
scores (never the documents). Per-group thresholds reach the documents through a broadcast
lookup of at most ``max_groups`` rows (the largest groups; the others use the global values), so
the writing pass never shuffles text and the driver never holds more than that bound, however
many domains a dump has. The rules themselves are defined in :mod:`.decide`. Pyspark is imported
inside functions only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from webcurate.quality.spark.scoring import PARETO_DRAW_COLUMN, SCORE_COLUMN

KEEP_COLUMN = "_quality_keep"
BUCKET_COLUMN = "quality_bucket"
STATS_QUANTILES = (0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99)
TOP_GROUPS_IN_STATS = 50


def group_key(group_by: str):
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


@dataclass(frozen=True)
class GroupThresholds:
    """Threshold columns ``names`` for one rule (keep or buckets), ready to attach to any frame
    that has the group column: literals for ``group_by: none``, else a lookup of at most
    ``max_groups`` rows (group key + values) with ``fallback`` for every other group."""

    names: tuple[str, ...]
    group_by: str
    group_column: str
    fallback: tuple
    lookup: Any = None  # DataFrame: group_column + names; None when group_by is "none"
    table: Any = None  # the persisted per-group table, freed by the caller


def group_thresholds(scores, names: list[str], quantiles: list[float], group_by: str,
                     group_column: str, accuracy: int, min_group_docs: int, max_groups: int,
                     global_values: list | None) -> tuple[GroupThresholds, dict]:
    """The thresholds of one rule computed from ``scores`` (the small frame: score and group
    columns only), and stats describing them.

    A group with fewer than ``min_group_docs`` scored documents uses the global values; so do
    groups beyond the ``max_groups`` largest (by scored documents, then key), because the lookup
    is broadcast to every executor and built on the driver (stats count them).
    """
    from pyspark.sql import functions as F

    fallback = tuple(global_values or [None] * len(names))
    if group_by == "none":
        return (GroupThresholds(tuple(names), group_by, group_column, fallback),
                {"group_by": "none", "global": _named(names, list(fallback))})
    table = (scores.groupBy(group_column)
             .agg(_percentiles(quantiles, accuracy).alias("_q"),
                  F.count(SCORE_COLUMN).alias("_n"))
             .persist())
    # _n counts scored documents, so a group with its own values (_n >= min_group_docs >= 1)
    # always has quantiles, and such groups come first in (_n desc, key) order.
    sizes = table.agg(F.count(F.lit(1)).alias("groups"),
                      F.count(F.when(F.col("_n") >= min_group_docs, 1)).alias("own")).first()
    ordered = table.orderBy(F.desc("_n"), F.asc(group_column))
    own = table.filter(F.col("_n") >= min_group_docs)
    if sizes["own"] > max_groups:  # a distributed top-k: each task keeps its max_groups best
        own = ordered.filter(F.col("_n") >= min_group_docs).limit(max_groups)
    lookup = own.select(group_column, *[F.col("_q")[i].alias(name)
                                        for i, name in enumerate(names)])
    largest = ordered.limit(TOP_GROUPS_IN_STATS).collect()
    with_own = min(sizes["own"], max_groups)

    def used(rank: int, row) -> list:
        return [row["_q"][i] for i in range(len(names))] if rank < with_own else list(fallback)

    stats = {"group_by": group_by, "groups": sizes["groups"], "min_group_docs": min_group_docs,
             "max_groups": max_groups, "groups_with_own_values": with_own,
             "groups_over_max": sizes["own"] - with_own,
             "global": _named(names, list(fallback)),
             "largest_groups": {row[group_column]: {"scored_docs": row["_n"],
                                                    **_named(names, used(rank, row))}
                                for rank, row in enumerate(largest)}}
    return (GroupThresholds(tuple(names), group_by, group_column, fallback, lookup, table),
            stats)


def with_group_column(df, group_by: str, column: str):
    """``df`` plus the group key ``column`` (no-op without grouping)."""
    if group_by == "none":
        return df
    return df.withColumn(column, group_key(group_by))


def attach_thresholds(df, rule: GroupThresholds):
    """``df`` (with the rule's group column) plus its threshold columns: a broadcast join with
    the bounded lookup, so neither side's rows move."""
    from pyspark.sql import functions as F

    if rule.lookup is None:
        for name, value in zip(rule.names, rule.fallback, strict=True):
            df = df.withColumn(name, F.lit(value).cast("double"))
        return df
    df = df.join(F.broadcast(rule.lookup), on=rule.group_column, how="left")
    for name, value in zip(rule.names, rule.fallback, strict=True):
        df = df.withColumn(name, F.coalesce(F.col(name), F.lit(value).cast("double")))
    return df


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
