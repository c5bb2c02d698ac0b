"""Duplicate groups -> one survivor each, chosen by a deterministic rule (Spark adapter).

A survivor rule is a ``rank`` column (lower wins) with ``doc_id`` as the tie-breaker, so the
kept set never depends on partitioning or on the order of the input:

- ``lowest_doc_id``: rank 0 for all, so the lowest ``doc_id`` wins;
- ``highest_score``: rank ``-score`` (documents without a score rank last);
- ``newest``: rank ``-microseconds since the epoch`` of the date column (no date: last).

URL dedup always keeps the newest capture (as Common Crawl users do for re-crawled pages).
Every removed document gets a row ``(doc_id, kind, cluster_id, survivor_id, jaccard)``:
``cluster_id`` is the lowest ``doc_id`` of the group it was removed from (stable whatever the
rule), ``survivor_id`` the kept document that stands for it, resolved through later steps
(an exact copy of a page that was then removed as a near duplicate points to the final survivor).
"""

from __future__ import annotations

from webcurate.config import ConfigError

DUPLICATE_COLUMNS = ("doc_id", "kind", "cluster_id", "survivor_id", "jaccard")
WORST_RANK = float("inf")


def rank_column(rule: str, score_column: str, date_column: str, schema):
    """The ``rank`` expression (double, lower wins) of a survivor rule over a DataFrame with
    ``schema``; a rule whose column is missing is a ConfigError naming the key. Values that
    do not parse as numbers / dates rank last instead of failing the job."""
    from pyspark.sql import functions as F

    if rule == "lowest_doc_id":
        return F.lit(0.0)
    if rule == "highest_score":
        if score_column not in schema.names:
            raise ConfigError(f"config key 'survivor.score_column': the input has no column "
                              f"'{score_column}' (rule highest_score)")
        score = F.col(score_column).try_cast("double")
        return F.when(score.isNull() | F.isnan(score), F.lit(WORST_RANK)).otherwise(-score)
    if rule == "newest":
        return newest_rank(date_column, schema, "survivor.date_column")
    if rule == "url_md5":
        return url_md5_rank(schema)
    raise ConfigError(f"config key 'survivor.rule': unknown rule {rule!r}")


def newest_rank(date_column: str, schema, key: str):
    """``-epoch microseconds`` of a date column (timestamp, or ISO-8601 text); null or
    unparsable dates rank last."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType

    if date_column not in schema.names:
        raise ConfigError(f"config key '{key}': the input has no column '{date_column}'")
    column = F.col(date_column)
    if isinstance(schema[date_column].dataType, StringType):
        column = F.try_to_timestamp(column)
    micros = F.unix_micros(column.try_cast("timestamp")).cast("double")
    return F.when(micros.isNull(), F.lit(WORST_RANK)).otherwise(-micros)


def url_md5_rank(schema):
    """TFDS's choice of the page that keeps a C4 line (``remove_duplicate_text``: the url whose
    MD5 hex digest is smallest): the digest's first 52 bits, exact in a double, so two urls
    tie only when those bits do (then the lower ``doc_id`` wins); no url ranks last."""
    from pyspark.sql import functions as F

    if "url" not in schema.names:
        raise ConfigError("config key 'survivor.rule': url_md5 needs a 'url' column")
    prefix = F.conv(F.substring(F.md5(F.col("url").cast("string")), 1, 13), 16, 10)
    return F.when(F.col("url").isNull(), F.lit(WORST_RANK)).otherwise(prefix.cast("double"))


def c4_url_key(url):
    """TFDS ``normalize_url`` as a column: ``http(s)://`` and ``www.`` dropped, a query
    starting ``?utm_``, ``?ref`` or ``?feed`` cut, trailing slashes stripped."""
    from pyspark.sql import functions as F

    url = F.regexp_replace(url, r"https?://(www\.)?", "")
    url = F.regexp_replace(url, r"\?(utm_|ref|feed).*", "")
    return F.regexp_replace(url, r"/+$", "")


def _best():
    """Aggregates of a group: its best ``(rank, doc_id)``, lowest doc_id and size."""
    from pyspark.sql import functions as F

    return (F.min(F.struct("rank", "doc_id")).alias("best"),
            F.min("doc_id").alias("cluster_id"), F.count(F.lit(1)).alias("size"))


def group_duplicates(rows, group: str, kind: str):
    """``rows(doc_id, <group>, rank)``: every member of a group of two or more that is not its
    best becomes a duplicate of ``kind``. The group aggregate is partial (map-side), the join
    back is broadcast or skew-split by adaptive execution."""
    from pyspark.sql import functions as F

    groups = rows.groupBy(group).agg(*_best()).where(F.col("size") > 1)
    return (rows.join(groups, group, "inner")
            .where(F.col("doc_id") != F.col("best.doc_id"))
            .select("doc_id", F.lit(kind).alias("kind"), "cluster_id",
                    F.col("best.doc_id").alias("survivor_id"),
                    F.lit(1.0 if kind == "exact" else None).cast("double").alias("jaccard")))


def component_duplicates(labels, info):
    """Near duplicates from component labels ``(node, root)`` and ``info(node, doc_id, rank)``:
    ``(doc_id, node, cluster_id, survivor_id, survivor_node)``, one row per removed document."""
    from pyspark.sql import functions as F

    members = labels.join(info, "node", "inner")
    groups = (members.groupBy("root")
              .agg(F.min(F.struct("rank", "doc_id", "node")).alias("best"),
                   F.min("doc_id").alias("cluster_id")))
    return (members.join(groups, "root", "inner")
            .where(F.col("doc_id") != F.col("best.doc_id"))
            .select("doc_id", "node", "cluster_id", F.col("best.doc_id").alias("survivor_id"),
                    F.col("best.node").alias("survivor_node")))


def resolve_survivors(steps: list):
    """Duplicates of successive steps (each in ``DUPLICATE_COLUMNS``) as one DataFrame whose
    ``survivor_id`` is always a kept document: a later step may remove an earlier survivor."""
    from pyspark.sql import functions as F

    resolved = steps[-1]
    for earlier in reversed(steps[:-1]):
        later = resolved.select(F.col("doc_id").alias("removed"),
                                F.col("survivor_id").alias("final"))
        earlier_resolved = (
            earlier.join(later, earlier["survivor_id"] == later["removed"], "left")
            .withColumn("survivor_id", F.coalesce("final", "survivor_id"))
            .select(*DUPLICATE_COLUMNS))
        resolved = resolved.unionByName(earlier_resolved)
    return resolved.select(*DUPLICATE_COLUMNS)
