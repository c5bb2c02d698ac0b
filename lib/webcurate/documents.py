"""Reading documents for the jobs after extract: Parquet or JSONL(.gz), with a stable ``doc_id``.

Any corpus with a ``text`` column is accepted: extract's ``docs/``, dolma / RedPajama JSONL
(``id``, ``text``, ``metadata.url``), FineWeb Parquet. A ``doc_id`` column is kept as it is;
otherwise it is derived exactly as :mod:`webcurate.schema` does in Python, here as Spark
expressions (SHA-1 over UTF-8, like ``hashlib``), from ``id`` when present, else from url + text.
"""

from __future__ import annotations

from webcurate.io import storage as st
from webcurate.io.datasets import read_jsonl, read_parquet
from webcurate.io.inputs import InputError, resolve_inputs
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
    """Keep ``doc_id``; else derive it from ``id``; else from ``url`` and ``text``."""
    from pyspark.sql import functions as F

    if "doc_id" in df.columns:
        return df
    if "id" in df.columns:
        return df.withColumn("doc_id", _hex_id_column("id", F.col("id")))
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


def read_document_files(spark, files: list[str], storage: st.StorageConfig, described_as=None):
    """``read_documents`` for files already resolved (``document_files``): no second listing."""
    by_format: dict[str, list[str]] = {}
    for uri in files:
        by_format.setdefault(document_format(uri), []).append(uri)
    frames = []
    if by_format.get("parquet"):
        frames.append(read_parquet(spark, by_format["parquet"], storage))
    if by_format.get("jsonl"):
        frames.append(read_jsonl(spark, by_format["jsonl"], storage))
    df = frames[0] if len(frames) == 1 else frames[0].unionByName(frames[1],
                                                                  allowMissingColumns=True)
    if "text" not in df.columns:
        raise InputError(f"documents in {described_as or files} have no 'text' column")
    df = with_doc_id(with_url(df))
    return df.select("doc_id", *[c for c in df.columns if c != "doc_id"])
