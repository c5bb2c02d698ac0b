"""Spark side of the report: dataset profiles and deterministic document samples.

Nothing but small aggregates and at most ``n`` rows per group reach the driver: a sample is a
``row_number()`` over a window per group (filter + reason, dedup kind, ...) ordered by
``xxhash64(doc_id, seed)``, so the same outputs and seed always give the same documents, spread
over the dataset rather than its first files. Texts are cut to an excerpt inside Spark.
"""

from __future__ import annotations

from webcurate.io import storage as st
from webcurate.io.inputs import InputError
from webcurate.ledger import read_committed_parquet
from webcurate.report.stages import (
    StageOutput,
    dedup_removals,
    documents_out,
    filter_removals,
)

EXCERPT_CHARS = 500
#: Rows let through per sampled row, before the exact ranking (see sample_per_group).
OVERSAMPLE = 4
ROW_COLUMNS = ("doc_id", "url", "language", "quality_score")


def profile_dataset(spark, uri: str, storage: st.StorageConfig) -> dict | None:
    """``{"documents", "characters", "languages"}`` of a dataset in one aggregation (None when it
    holds no Parquet). Characters are Spark's ``length(text)``: Unicode code points."""
    from pyspark.sql import functions as F

    try:
        df = read_committed_parquet(spark, uri, storage)
    except InputError:
        return None
    language = (F.coalesce(F.col("language"), F.lit("")) if "language" in df.columns
                else F.lit(""))
    rows = (df.groupBy(language.alias("language"))
            .agg(F.count(F.lit(1)).alias("documents"),
                 F.coalesce(F.sum(F.length("text")), F.lit(0)).alias("characters"))
            .collect())
    languages = {row["language"]: int(row["documents"]) for row in rows}
    return {"documents": sum(languages.values()),
            "characters": sum(int(row["characters"]) for row in rows),
            "languages": dict(sorted(languages.items(), key=lambda item: (-item[1], item[0])))}


def _with_excerpt(df, chars: int):
    from pyspark.sql import functions as F

    return df.withColumn("excerpt", F.substring(F.col("text").cast("string"), 1, chars + 1))


def _uniform_key(df, seed: int):
    """A per-document number in [0, 1) from ``xxhash64(doc_id, seed)``: the sampling order."""
    from pyspark.sql import functions as F

    identity = F.col("doc_id") if "doc_id" in df.columns else F.sha1(F.col("text"))
    return F.pmod(F.xxhash64(identity.cast("string"), F.lit(seed)), F.lit(2**53)) / F.lit(2.0**53)


def sample_per_group(df, groups: list[str], n: int, seed: int, columns: list[str],
                     sizes: dict[tuple, int] | None = None) -> list[dict]:
    """The ``n`` rows with the smallest sampling key per distinct value of ``groups`` (all
    rows of smaller groups), ``columns`` only; deterministic in ``seed``.

    A window over a whole group would sort all its rows in one task (a billion rows for a
    common reason); instead one count per group sets a per-group key cut-off that lets about
    ``OVERSAMPLE * n`` rows through, and only those are ranked. The result is exactly the
    ``n`` smallest keys: a group where fewer than ``min(n, size)`` rows passed is redone with
    every row (rare: the cut-off is ``OVERSAMPLE`` times the expected need). ``sizes`` (rows
    per group, as a job's stats count them) saves the counting pass; only those groups are
    sampled then.
    """
    from pyspark.sql import functions as F

    df = df.withColumn("_sample_key", _uniform_key(df, seed))
    if not groups:
        df = df.withColumn("_sample_group", F.lit(""))
        groups = ["_sample_group"]
    for group in groups:  # a null group value would never match its cut-off in the join
        df = df.withColumn(group, F.coalesce(F.col(group).cast("string"), F.lit("")))
    if sizes is None:
        counted = df.groupBy(*groups).count().collect()
        sizes = {tuple(r[g] for g in groups): r["count"] for r in counted}
    sizes = {group: size for group, size in sizes.items() if size > 0}
    if not sizes:
        return []
    rates = {group: min(1.0, OVERSAMPLE * n / size) for group, size in sizes.items()}
    rows = _rank_below(df, groups, rates, n, columns)
    short = {g: 1.0 for g, size in sizes.items() if len(rows.get(g, [])) < min(n, size)}
    if short:
        rows.update(_rank_below(df, groups, short, n, columns))
    picked = [row for group in sorted(rows) for row in rows[group]]
    return [{c: row[c] for c in [*groups, *columns] if not c.startswith("_sample")}
            for row in picked]


def _rank_below(df, groups: list[str], rates: dict[tuple, float], n: int,
                columns: list[str]) -> dict[tuple, list]:
    """Per group, the ``n`` rows of smallest key among those whose key is below its rate."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    spark = df.sparkSession
    schema = df.select(*groups).schema.add("_sample_rate", "double")
    cutoffs = spark.createDataFrame([(*group, rate) for group, rate in rates.items()], schema)
    tie = F.col("doc_id") if "doc_id" in df.columns else F.col("text")
    candidates = (df.join(F.broadcast(cutoffs), on=groups, how="inner")
                  .where(F.col("_sample_key") < F.col("_sample_rate")))
    if len(rates) == 1:
        # One group (a constant column, which Spark folds out of a window's partitioning and
        # would then move every candidate to one task): a distributed top-n instead.
        top = (candidates.orderBy("_sample_key", tie).limit(n)
               .select(*groups, *columns, "_sample_key", tie.alias("_sample_tie")).collect())
        top.sort(key=lambda r: (r["_sample_key"], r["_sample_tie"]))
        return {tuple(top[0][g] for g in groups): top} if top else {}
    else:
        window = Window.partitionBy(*groups).orderBy("_sample_key", tie)
        ranked = (candidates.withColumn("_sample_rank", F.row_number().over(window))
                  .where(F.col("_sample_rank") <= n)
                  .select(*groups, *columns, "_sample_rank"))
    found: dict[tuple, list] = {}
    for row in sorted(ranked.collect(), key=lambda r: r["_sample_rank"]):
        found.setdefault(tuple(row[g] for g in groups), []).append(row)
    return found


def _present(df, wanted) -> list[str]:
    return [c for c in wanted if c in df.columns]


def _read(spark, uris: list[str], storage: st.StorageConfig):
    present = [u for u in uris if st.exists(u, storage)]
    if not present:
        return None
    try:
        return read_committed_parquet(spark, present, storage)
    except InputError:
        return None


def filter_samples(spark, stage: StageOutput, storage: st.StorageConfig, n: int, seed: int,
                   chars: int = EXCERPT_CHARS) -> list[dict]:
    """Up to ``n`` rejected documents per (filter, reason) from ``rejected/filter=*/``."""
    names = list((stage.stats or {}).get("removed_by_filter") or {})
    uris = [st.join_uri(stage.dataset_base(), "rejected", f"filter={name}") for name in names]
    df = _read(spark, uris, storage)
    if df is None or not {"filter", "reason", "text"} <= set(df.columns):
        return []
    _, by_reason = filter_removals(stage)
    sizes = {(name, reason): count for name, found in by_reason.items()
             for reason, count in found.items()}
    df = _with_excerpt(df, chars)
    return sample_per_group(df, ["filter", "reason"], n, seed,
                            [*_present(df, ROW_COLUMNS), "excerpt"], sizes or None)


def quality_samples(spark, stage: StageOutput, storage: st.StorageConfig, n: int, seed: int,
                    chars: int = EXCERPT_CHARS) -> list[dict]:
    """Up to ``n`` documents the quality decision rejected (``rejected/``, when written)."""
    from pyspark.sql import functions as F

    df = _read(spark, [st.join_uri(stage.dataset_base(), "rejected")], storage)
    if df is None or "text" not in df.columns:
        return []
    stats = stage.stats or {}
    reason = f"quality_{stats.get('decision') or 'decision'}"
    rejected = stats.get("docs_rejected")
    df = _with_excerpt(df.withColumn("reason", F.lit(reason)), chars)
    return sample_per_group(df, ["reason"], n, seed, [*_present(df, ROW_COLUMNS), "excerpt"],
                            {(reason,): rejected} if isinstance(rejected, int) else None)


def dedup_samples(spark, stage: StageOutput, storage: st.StorageConfig, n: int, seed: int,
                  chars: int = EXCERPT_CHARS) -> list[dict]:
    """Up to ``n`` removed duplicates per kind, each with the document it duplicated (its
    survivor); texts come from the stage's input, which ``duplicates/`` does not copy."""
    duplicates = _read(spark, [st.join_uri(stage.dataset_base(), "duplicates")], storage)
    if duplicates is None or not {"doc_id", "kind"} <= set(duplicates.columns):
        return []
    extra = _present(duplicates, ("survivor_id", "jaccard"))
    sizes = {(kind,): count for kind, count in dedup_removals(stage).items()}
    rows = sample_per_group(duplicates, ["kind"], n, seed, ["doc_id", *extra], sizes or None)
    ids = sorted({r["doc_id"] for r in rows} | {r.get("survivor_id") for r in rows} - {None})
    texts = _texts_by_id(spark, stage, storage, ids, chars) if ids else {}
    for row in rows:
        row["reason"] = row.pop("kind")
        row.update(texts.get(row["doc_id"], {}))
        survivor = texts.get(row.get("survivor_id"))
        if survivor:
            row["survivor"] = survivor
    return rows


def _texts_by_id(spark, stage: StageOutput, storage: st.StorageConfig, ids: list[str],
                 chars: int) -> dict[str, dict]:
    """``{doc_id: {url, language, excerpt}}`` for a few ids from the stage's input documents."""
    from pyspark.sql import functions as F

    from webcurate.documents import read_documents

    spec = stage.input_spec()
    if not spec:
        return {}
    try:
        docs = read_documents(spark, spec, storage)
    except (InputError, OSError):
        return {}
    docs = _with_excerpt(docs.where(F.col("doc_id").isin(ids)), chars)
    columns = [*_present(docs, ("doc_id", "url", "language")), "excerpt"]
    return {row["doc_id"]: row.asDict() for row in docs.select(*columns).collect()}


def kept_samples(spark, stage: StageOutput, storage: st.StorageConfig, n: int, seed: int,
                 chars: int = EXCERPT_CHARS) -> list[dict]:
    """Up to ``n`` documents of the stage's kept dataset."""
    from pyspark.sql import functions as F

    df = _read(spark, [stage.kept_uri()], storage)
    if df is None or "text" not in df.columns:
        return []
    kept = documents_out(stage)
    df = _with_excerpt(df.withColumn("reason", F.lit("kept")), chars)
    return sample_per_group(df, ["reason"], n, seed, [*_present(df, ROW_COLUMNS), "excerpt"],
                            {("kept",): kept} if kept is not None else None)
