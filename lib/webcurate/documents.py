"""Reading documents for the jobs after extract: Parquet or JSONL (plain, gzip, zstd), with a
stable ``doc_id`` that is unique per row.

Any corpus with a ``text`` column is accepted: extract's ``docs/``, dolma / RedPajama JSONL
(``id``, ``text``, ``metadata.url``), FineWeb Parquet. A ``doc_id`` column is kept as it is;
otherwise it is derived as :mod:`webcurate.schema` does in Python, here as Spark expressions
(SHA-1 over UTF-8, like ``hashlib``; ``schema._hex_digest``):

- from ``id`` when the row has one (``_hex_digest("id", id)``);
- else from the row's position: ``_hex_digest("row", source_file, str(row))``, ``source_file``
  being the file's full URI as listed (an absolute local path without ``file://``, or
  ``s3://bucket/key``) and ``row`` its 0-based row index in a Parquet file (Spark's
  ``_metadata.row_index``, or :mod:`.io.s3_parquet`'s twin) or line number in a JSONL file
  (:mod:`.io.jsonl`). So two identical rows (a page captured twice, two dumps combined) get two
  ids, and dedup, which exists to remove them, keeps one; the ids do not depend on how Spark
  splits the files, on the cluster or on a rerun. They do depend on the file's URI: a copied or
  renamed input gets other ids.

JSONL rows that could not be read as they are (invalid JSON, values that do not fit the schema,
a truncated file) are never dropped silently: ``read_document_files(..., keep_malformed=True)``
keeps them with a ``_malformed`` marker, :func:`malformed_stats` counts them with one
aggregation, and :func:`well_formed` leaves the documents.
"""

from __future__ import annotations

from webcurate.io import storage as st
from webcurate.io.datasets import read_parquet
from webcurate.io.inputs import InputError, resolve_inputs
from webcurate.io.jsonl import (
    MALFORMED_COLUMN,
    SOURCE_FILE_COLUMN,
    SOURCE_ROW_COLUMN,
    UNFIT_FIELDS,
    read_jsonl,
)
from webcurate.schema import DOC_ID_HEX_CHARS

PARQUET_SUFFIXES = (".parquet", ".pq")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".json", ".json.gz", ".jsonl.zst", ".ndjson")


def document_format(uri: str) -> str:
    """``parquet`` or ``jsonl`` from a file name; anything else is an InputError."""
    name = uri.lower()
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    if name.endswith(JSONL_SUFFIXES):
        return "jsonl"
    raise InputError(f"not a Parquet or JSONL document file: {uri}")


def _hex_id_column(tag: str, *columns):
    """Spark twin of ``schema._hex_digest``: sha1 of the parts joined by U+001F, 32 hex chars."""
    from pyspark.sql import functions as F

    parts = [F.lit(tag), *[F.coalesce(c.cast("string"), F.lit("")) for c in columns]]
    return F.substring(F.sha1(F.concat_ws("\x1f", *parts)), 1, DOC_ID_HEX_CHARS)


def with_doc_id(df):
    """Keep ``doc_id``; else derive it from ``id``, else (or where ``id`` is null) from the
    row's position columns (see the module doc). A frame without positions, which no reader
    here makes, falls back to url + text, which repeats for repeated rows."""
    from pyspark.sql import functions as F

    if "doc_id" in df.columns:
        return df
    by_row = None
    if SOURCE_FILE_COLUMN in df.columns and SOURCE_ROW_COLUMN in df.columns:
        by_row = _hex_id_column("row", F.col(SOURCE_FILE_COLUMN), F.col(SOURCE_ROW_COLUMN))
    if "id" in df.columns:
        by_id = _hex_id_column("id", F.col("id"))
        if by_row is not None:
            by_id = F.when(F.col("id").isNotNull(), by_id).otherwise(by_row)
        return df.withColumn("doc_id", by_id)
    if by_row is not None:
        return df.withColumn("doc_id", by_row)
    url = F.col("url") if "url" in df.columns else F.lit(None)
    return df.withColumn("doc_id", _hex_id_column("content", url, F.col("text")))


def with_url(df):
    """Lift ``metadata.url`` (dolma's layout) to a top-level ``url`` when there is none."""
    from pyspark.sql import functions as F

    if "url" in df.columns or "metadata" not in df.columns:
        return df
    metadata_type = df.schema["metadata"].dataType
    if "url" in getattr(metadata_type, "names", []):
        return df.withColumn("url", F.col("metadata.url"))
    return df


def document_files(spec, storage: st.StorageConfig,
                   manifest_base: str = "s3://commoncrawl/") -> list[str]:
    """Every committed data file ``spec`` names (file, directory, glob, manifest, list).

    Names starting with ``_`` or ``.`` (commit markers, sidecars, leases) are left out, and so
    are the part files of webcurate batches without a commit marker (a run still writing, or
    killed before its commit: :class:`webcurate.ledger.CommittedFiles`). Files that match but
    are all uncommitted are an InputError saying so."""
    from webcurate.ledger import CommittedFiles

    named = [f for f in resolve_inputs(spec, storage, manifest_base=manifest_base)
             if not f.rstrip("/").rsplit("/", 1)[-1].startswith(("_", "."))]
    committed, uncommitted = CommittedFiles(storage).split(named)
    if uncommitted and not committed:
        raise InputError(f"input {spec} holds only uncommitted files ({len(uncommitted)}, e.g. "
                         f"{uncommitted[0]}): the run writing it has not committed")
    return committed


def require_document_files(spec, storage: st.StorageConfig, key: str = "input") -> list[str]:
    """``document_files``, for a job's preflight: none found is one ConfigError naming ``key``,
    raised before any Spark work."""
    from webcurate.config import ConfigError

    try:
        files = document_files(spec, storage)
    except InputError as err:
        raise ConfigError(f"config key '{key}': {err}") from None
    if not files:
        raise ConfigError(f"config key '{key}': no document files in {spec}")
    return files


def read_documents(spark, spec, storage: st.StorageConfig, manifest_base: str = ""):
    """All documents named by ``spec`` (file, directory, glob, manifest, list) as one DataFrame.

    ``doc_id`` comes first; every input column is kept, so signals from earlier jobs survive.
    """
    return read_document_files(spark, document_files(spec, storage, manifest_base), storage,
                               described_as=spec)


def read_document_files(spark, files: list[str], storage: st.StorageConfig, described_as=None,
                        keep_malformed: bool = False):
    """``read_documents`` for files already resolved (``document_files``): no second listing.

    With ``keep_malformed`` the JSONL rows that could not be read as they are stay, marked in a
    last column ``_malformed`` (null for good rows): count them with :func:`malformed_stats`,
    then keep the documents with :func:`well_formed`. Without it they are left out here."""
    by_format: dict[str, list[str]] = {}
    for uri in files:
        by_format.setdefault(document_format(uri), []).append(uri)
    frames = []
    if by_format.get("parquet"):
        frames.append(read_parquet_with_positions(spark, by_format["parquet"], storage))
    if by_format.get("jsonl"):
        frames.append(read_jsonl(spark, by_format["jsonl"], storage))
    df = frames[0]
    for other in frames[1:]:
        df = df.unionByName(other, allowMissingColumns=True)
    if "text" not in df.columns:
        raise InputError(f"documents in {described_as or files} have no 'text' column")
    df = with_doc_id(with_url(df))
    if not keep_malformed:
        df = well_formed(df)
    bookkeeping = ("doc_id", SOURCE_FILE_COLUMN, SOURCE_ROW_COLUMN, MALFORMED_COLUMN)
    return df.select("doc_id", *[c for c in df.columns if c not in bookkeeping],
                     *[c for c in (MALFORMED_COLUMN,) if c in df.columns])


def read_parquet_with_positions(spark, files: list[str], storage: st.StorageConfig):
    """Parquet files with each row's file URI and row index (``_source_file``/``_source_row``):
    Spark's hidden ``_metadata`` columns (its URI, ``file:/a%20b``, turned back into the listed
    path ``/a b``), or on ``s3://`` :mod:`.io.s3_parquet`'s ``position_columns``."""
    import json

    from pyspark.sql import functions as F

    from webcurate.io import s3_parquet

    on_s3 = [f for f in files if not st.uses_spark_writer(f, storage)]
    others = [f for f in files if st.uses_spark_writer(f, storage)]
    frames = []
    if others:
        path = F.regexp_replace(F.col("_metadata.file_path"), r"^file:(//)?(?=/)", "")
        path = F.url_decode(F.regexp_replace(path, r"\+", "%2B"))  # url_decode turns + into space
        frames.append(read_parquet(spark, others, storage)
                      .withColumn(SOURCE_FILE_COLUMN, path)
                      .withColumn(SOURCE_ROW_COLUMN, F.col("_metadata.row_index")))
    if on_s3:
        s3_parquet.register(spark)
        frames.append(spark.read.format(s3_parquet.NAME).option("paths", json.dumps(on_s3))
                      .option("position_columns", f"{SOURCE_FILE_COLUMN},{SOURCE_ROW_COLUMN}")
                      .options(**s3_parquet.storage_options(storage)).load())
    df = frames[0]
    for other in frames[1:]:
        df = df.unionByName(other, allowMissingColumns=True)
    return df


def well_formed(df):
    """The documents of a frame read with ``keep_malformed``: rows marked ``unfit_fields`` stay
    (their unfit values are null), invalid lines and unreadable-file rows go; no marker."""
    from pyspark.sql import functions as F

    if MALFORMED_COLUMN not in df.columns:
        return df
    marker = F.col(MALFORMED_COLUMN)
    return df.where(marker.isNull() | (marker["reason"] == UNFIT_FIELDS)).drop(MALFORMED_COLUMN)


def malformed_stats(df) -> dict:
    """``{"malformed_rows": n, "malformed_by_reason": {reason: n}, "malformed_examples":
    {reason: {source_file, source_row, detail}}}`` from one aggregation over a frame read with
    ``keep_malformed`` (the first example of each reason by file and row); no Spark work when
    the frame has no marker (no JSONL input)."""
    from pyspark.sql import functions as F

    stats = {"malformed_rows": 0, "malformed_by_reason": {}, "malformed_examples": {}}
    if MALFORMED_COLUMN not in df.columns:
        return stats
    marker = F.col(MALFORMED_COLUMN)
    first = F.min(F.struct(marker["source_file"].alias("source_file"),
                           marker["source_row"].alias("source_row"),
                           marker["detail"].alias("detail")))
    rows = (df.where(marker.isNotNull()).groupBy(marker["reason"].alias("reason"))
            .agg(F.count(F.lit(1)).alias("rows"), first.alias("example")).collect())
    for row in sorted(rows, key=lambda r: r["reason"]):
        stats["malformed_by_reason"][row["reason"]] = row["rows"]
        stats["malformed_examples"][row["reason"]] = row["example"].asDict()
    stats["malformed_rows"] = sum(stats["malformed_by_reason"].values())
    return stats
