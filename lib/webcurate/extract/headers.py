"""What a WARC / ARC record's headers say: dates, HTTP status, content type, document metadata.

Split from ``records`` (which walks the file) so that each stays readable; pure Python.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from webcurate.extract import html as html_mod
from webcurate.schema import doc_id_from_location, doc_id_from_record_id


def parse_warc_date(value: str | None) -> datetime | None:
    """``WARC-Date`` (ISO 8601, or ARC's 14 digits) as an aware UTC datetime; None if invalid.

    Normalised first because Python 3.10's ``fromisoformat`` takes neither ``Z``, ``-0700`` nor
    fractions of other than 3 or 6 digits.
    """
    value = (value or "").strip()
    if len(value) == 14 and value.isdigit():
        value = f"{value[:4]}-{value[4:6]}-{value[6:8]}T{value[8:10]}:{value[10:12]}:{value[12:]}"
    value = re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", re.sub(r"Z$", "+00:00", value))
    value = re.sub(r"\.(\d+)", lambda m: "." + m.group(1)[:6].ljust(6, "0"), value)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None  # e.g. ClueWeb09's "2008-10-294T05:21:46-0700"
    return parsed.replace(tzinfo=parsed.tzinfo or timezone.utc).astimezone(timezone.utc)


def known_offset(offset: int) -> int | None:
    """warcio's offsets are only meaningful per gzip member; a whole-file gzip gives negatives."""
    return offset if offset >= 0 else None


def http_status(record) -> int | None:
    try:
        return int(record.http_headers.get_statuscode()) if record.http_headers else None
    except (TypeError, ValueError):
        return None


def raw_content_type(record) -> str | None:
    headers = record.http_headers if record.http_headers is not None else record.rec_headers
    return headers.get_header("Content-Type")


def record_metadata(record, offset: int | None, is_arc: bool, source_file: str) -> dict:
    """The document columns that come from the record's headers."""
    headers = record.rec_headers
    record_id = None if is_arc else (headers.get_header("WARC-Record-ID") or "").strip() or None
    url = headers.get_header("WARC-Target-URI")
    doc_id = (doc_id_from_record_id(record_id) if record_id
              else doc_id_from_location(url or "", source_file, offset or 0))
    return {"doc_id": doc_id, "url": url, "warc_record_id": record_id,
            "warc_date": parse_warc_date(headers.get_header("WARC-Date")),
            "content_type": html_mod.media_type(raw_content_type(record)),
            "http_status": http_status(record), "record_type": record.rec_type,
            "source_file": source_file, "source_offset": offset}
