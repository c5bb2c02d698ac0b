"""The one document schema every webcurate job ends with, and deterministic ids.

A document's ``doc_id`` is a pure function of where it came from: the WARC record id when the
record has one (WARC/1.0+, WET), else the capture's url, source file and byte offset (ARC files,
WARC 0.17 without ids). It never depends on partitioning or on ``monotonically_increasing_id``,
so a recomputed or retried task yields the same ids (see ../shared/STYLE.md).
"""

from __future__ import annotations

import hashlib

import pyarrow as pa

DOC_ID_HEX_CHARS = 32  # 128 bits: collision-free at Common Crawl scale (~1e10 records).

#: Columns of the ``docs/`` dataset written by extract, in order. Later jobs keep these and add
#: their own signal columns.
DOCUMENT_ARROW_SCHEMA = pa.schema(
    [
        pa.field("doc_id", pa.string(), nullable=False),
        pa.field("url", pa.string()),
        pa.field("text", pa.string()),
        pa.field("language", pa.string()),
        pa.field("language_score", pa.float64()),
        pa.field("warc_record_id", pa.string()),
        pa.field("warc_date", pa.timestamp("us", tz="UTC")),
        pa.field("content_type", pa.string()),
        pa.field("http_status", pa.int32()),
        pa.field("charset", pa.string()),
        pa.field("record_type", pa.string()),
        pa.field("source_file", pa.string()),
        pa.field("source_offset", pa.int64()),
        pa.field("html_bytes", pa.int64()),
    ]
)

#: Columns of the ``errors/`` dataset: one row per unreadable file or malformed record.
ERROR_ARROW_SCHEMA = pa.schema(
    [
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("source_offset", pa.int64()),
        pa.field("warc_record_id", pa.string()),
        pa.field("level", pa.string(), nullable=False),  # "file", "record" or "warning"
        pa.field("error_type", pa.string(), nullable=False),
        pa.field("error", pa.string(), nullable=False),
    ]
)


def _hex_digest(*parts: str) -> str:
    digest = hashlib.sha1("\x1f".join(parts).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:DOC_ID_HEX_CHARS]


def doc_id_from_record_id(warc_record_id: str) -> str:
    """Id of a document captured in a WARC record with a ``WARC-Record-ID``."""
    return _hex_digest("warc", warc_record_id.strip())


def doc_id_from_location(url: str, source_file: str, source_offset: int) -> str:
    """Id of a capture without a record id (ARC, WARC 0.17): url + file + byte offset."""
    return _hex_digest("loc", url or "", source_file, str(source_offset))


def doc_id_from_external_id(external_id: str) -> str:
    """Id of a document read from Parquet/JSONL that carries an ``id`` column (dolma, RedPajama)."""
    return _hex_digest("id", str(external_id))


def doc_id_from_content(url: str | None, text: str) -> str:
    """Last resort for documents with neither ``doc_id`` nor ``id``: url and text."""
    return _hex_digest("content", url or "", text or "")
