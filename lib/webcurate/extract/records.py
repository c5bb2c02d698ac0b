"""One archive file (WARC 0.17-1.1, WET, ARC; gzip or plain) to document, error and summary rows.

warcio reads every format (``arc2warc=True`` turns ARC records into WARC-like ones) from a stream,
one record at a time, so a 1 GB Common Crawl file never sits in memory. What becomes a document,
following cc-pyspark's and datatrove's WARC readers:

* ``response``/``resource`` records whose HTTP (or, for resources, WARC) ``Content-Type`` is
  ``text/html`` or ``application/xhtml+xml``, or is missing and the payload sniffs as HTML; with
  ``keep_http_status="2xx"`` only 2xx responses (see ``ExtractSettings`` for the data behind it);
* WET ``conversion`` records, whose text passes through unchanged;
* every other type (request, metadata, warcinfo, revisit, WAT json) is counted and skipped.

Ids: ``doc_id`` comes from ``WARC-Record-ID``, except for ARC records (warcio invents a random
id for each, so it would change on every read) and records without one, which use url + file +
offset. Bad input never raises: a record that cannot be processed yields a ``record`` error row
and the file goes on; when warcio cannot go on (random bytes, a header garbled by a wrong
``Content-Length``), a ``file`` error row marks the break and a boundary scan (``resync``)
finds the WARC records after it: processed like the others, counted in ``records_recovered``.
A record that ends before its ``Content-Length`` is a ``truncated_record`` error, or
``truncated_file`` when the file ends there (a cut-off download). A payload over
``max_html_bytes`` is cut, not skipped, as Common Crawl's crawler cuts long payloads itself
(``WARC-Truncated``); the summary counts such cuts in ``payload_truncated`` and
``text_truncated`` and lists each in ``errors/`` (``payload_truncated``). Counts are local to one
call, never Spark accumulators, so a retried task reports the same numbers (see ``tally``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO, NamedTuple

from warcio.archiveiterator import ArchiveIterator

from webcurate.extract import html as html_mod
from webcurate.extract import resync
from webcurate.extract.headers import http_status, known_offset, raw_content_type, record_metadata
from webcurate.extract.headers import parse_warc_date as parse_warc_date
from webcurate.extract.language import get_language_identifier
from webcurate.extract.settings import ExtractSettings
from webcurate.extract.tally import FileTally
from webcurate.extract.tally import empty_file_summary as empty_file_summary
from webcurate.schema import DOCUMENT_ARROW_SCHEMA

SKIP_NOT_HTML = "extract_not_html"
SKIP_HTTP_STATUS = "extract_http_status"
SKIP_EMPTY_TEXT = "extract_empty_text"
SKIP_SHORT_TEXT = "extract_short_text"
SKIP_RECORD_ERROR = "extract_record_error"
SKIP_TRUNCATED_RECORD = "extract_truncated_record"
# plus the reasons of html.ExtractionSkipped: extract_timeout, extract_html_too_deep,
# extract_html_too_large (each also an errors/ row: see _hostile_input_notes)

PAGE_RECORD_TYPES = frozenset({"response", "resource"})
WET_RECORD_TYPE = "conversion"
PEEK_BYTES = 64 * 1024
MAX_ERROR_CHARS = 2000


class _Context(NamedTuple):
    source_file: str
    settings: ExtractSettings
    identifier: object  # predict(text) -> (language, score)
    tally: FileTally


def _error_row(source_file: str, offset: int | None, record_id: str | None, level: str,
               error_type: str, message: str) -> dict:
    return {"source_file": source_file, "source_offset": offset, "warc_record_id": record_id,
            "level": level, "error_type": error_type, "error": message[:MAX_ERROR_CHARS]}


def _wanted(record) -> bool | None:
    """True: a page or WET text; False: skip; None: HTML-ness decided by sniffing the payload."""
    if record.rec_type == WET_RECORD_TYPE:
        return True
    if record.rec_type not in PAGE_RECORD_TYPES:
        return False
    raw = raw_content_type(record)
    return html_mod.is_html_media_type(raw) if html_mod.media_type(raw) else None


def _read_payload(record, settings: ExtractSettings, tally: FileTally) -> bytes:
    payload = record.content_stream().read(settings.max_html_bytes + 1)
    if len(payload) > settings.max_html_bytes:
        tally.payload_truncated += 1
        payload = payload[: settings.max_html_bytes]
    return payload


def _policy_skip(record, payload: bytes, wanted: bool | None,
                 settings: ExtractSettings) -> str | None:
    """The reason a fully read page or WET record is not extracted, or None to extract it."""
    if not (wanted or (wanted is None and html_mod.sniffs_as_html(payload))):
        return SKIP_NOT_HTML
    if record.rec_type == WET_RECORD_TYPE:
        return None
    status = http_status(record)
    if settings.keep_http_status == "2xx" and record.http_headers is not None and not (
            status is not None and 200 <= status < 300):
        return SKIP_HTTP_STATUS
    return None


def _document(record, payload: bytes, meta: dict,
              ctx: _Context) -> dict | str | html_mod.ExtractionSkipped:
    """The document row of a page or WET record, the reason it yields none, or why a limit
    skipped it (kept as the exception, whose message goes to errors/)."""
    settings, tally = ctx.settings, ctx.tally
    try:
        if record.rec_type == WET_RECORD_TYPE:  # UTF-8 plain text already: pass it through
            text, cut = html_mod.truncate_text(payload.decode("utf-8", errors="replace"),
                                               settings.max_text_chars)
            text = lid_text = text.strip()
            charset, html_bytes = "utf-8", None
        else:
            text, lid_text, charset, cut = html_mod.payload_text(
                payload, raw_content_type(record), settings)
            html_bytes = len(payload)
    except html_mod.ExtractionSkipped as skipped:
        return skipped
    tally.text_truncated += cut
    if not text:
        return SKIP_EMPTY_TEXT
    if len(text) < settings.min_text_chars:
        return SKIP_SHORT_TEXT
    language, score = ctx.identifier.predict(lid_text[: settings.lid_max_chars])
    row = {**meta, "text": text, "language": language, "language_score": score,
           "charset": charset, "html_bytes": html_bytes}
    return {name: row[name] for name in DOCUMENT_ARROW_SCHEMA.names}


def _record_rows(record, is_arc: bool, ctx: _Context, records: ArchiveIterator | None = None,
                 offset: int | None = None) -> Iterator:
    """Rows of a record read by warcio from ``records``, or one recovered at ``offset``;
    returns (as the generator's value) whether the record was truncated."""
    tally = ctx.tally
    tally.records += 1
    tally.records_by_type[record.rec_type or "unknown"] += 1
    wanted, payload, error = _wanted(record), b"", None
    if wanted is not False:
        try:
            payload = _read_payload(record, ctx.settings, tally)
        except Exception as err:  # a broken content/transfer encoding, a decompressor error
            error = err
    truncated = False  # a recovered record's length is what the scan found
    if records is not None:
        offset, length = records.get_record_offset(), records.get_record_length()  # drains it
        offset, tally.next_offset = known_offset(offset), known_offset(offset + length)
        # Ended before its Content-Length, or has none: a header block cut off mid-way.
        truncated = record.length is None or getattr(record.raw_stream, "limit", 0) > 0
    if record.rec_type not in PAGE_RECORD_TYPES and record.rec_type != WET_RECORD_TYPE:
        return truncated
    meta = record_metadata(record, offset, is_arc, ctx.source_file)
    if truncated:
        tally.skipped_by_reason[SKIP_TRUNCATED_RECORD] += 1
        return True
    outcome = SKIP_RECORD_ERROR
    if error is None:
        try:
            skip = _policy_skip(record, payload, wanted, ctx.settings)
            tally.html_responses += skip != SKIP_NOT_HTML and record.rec_type != WET_RECORD_TYPE
            outcome = skip or _document(record, payload, meta, ctx)
        except Exception as err:  # an extractor crash on one page must not end the file
            error = err
    if error is not None:
        tally.record_errors += 1
        yield "error", _error_row(ctx.source_file, offset, meta["warc_record_id"], "record",
                                  type(error).__name__, str(error))
    declared = (html_mod.charset_from_content_type(raw_content_type(record))
                if isinstance(outcome, dict) and record.rec_type != WET_RECORD_TYPE else None)
    notes = _hostile_input_notes(outcome, payload, declared, meta["url"], ctx.settings)
    for error_type, message in notes:
        tally.record_warnings += 1
        yield "error", _error_row(ctx.source_file, offset, meta["warc_record_id"], "warning",
                                  error_type, message)
    if isinstance(outcome, html_mod.ExtractionSkipped):
        outcome = outcome.reason
    if isinstance(outcome, str):
        tally.skipped_by_reason[outcome] += 1
        return False
    tally.docs += 1
    tally.languages[outcome["language"]] += 1
    yield "doc", outcome
    return False


def _hostile_input_notes(outcome, payload: bytes, declared_charset: str | None,
                         url: str | None, settings: ExtractSettings) -> list[tuple[str, str]]:
    """Input a crawl should not hold, recorded in errors/ (with the record's offset) although the
    job copes with it: a page cut at ``max_html_bytes`` (a gzip bomb, a runaway page), one skipped
    by a limit (too many elements, too deep, too slow: the error type is the skip reason, so
    every page the wall-clock guard cut is listed), bytes invalid in the charset the server
    declared (decoded as another charset, or replaced by U+FFFD)."""
    notes = []
    if len(payload) >= settings.max_html_bytes:
        notes.append(("payload_truncated", f"payload over max_html_bytes "
                      f"({settings.max_html_bytes}): only its start was extracted; url: {url}"))
    if isinstance(outcome, html_mod.ExtractionSkipped):
        notes.append((outcome.reason, f"page skipped: {outcome}; url: {url}"))
    if isinstance(outcome, dict) and declared_charset and (
            outcome["charset"] != declared_charset
            or html_mod.decode_strict(payload, declared_charset) is None):
        notes.append(("invalid_bytes", f"bytes invalid in the declared charset "
                      f"{declared_charset}: decoded as {outcome['charset']}, with replacements"
                      if outcome["charset"] == declared_charset else
                      f"bytes invalid in the declared charset {declared_charset}: decoded as "
                      f"{outcome['charset']}"))
    return notes


def _recovered_rows(records: ArchiveIterator, replay: resync.ReplayStream, last_yielded,
                    ctx: _Context) -> Iterator:
    """Rows of the records the boundary scan finds after warcio broke off (see resync)."""
    cap = ctx.settings.max_html_bytes + resync.MAX_HEADER_BYTES  # payload limit + HTTP headers
    for found in resync.iter_recovered(records, replay, cap, last_yielded):
        if found.record is None:  # the file ends inside its header, or warcio refuses it
            ctx.tally.record_errors += 1
            yield "error", _error_row(ctx.source_file, found.offset, None, "record",
                                      type(found.error).__name__, str(found.error))
        else:
            ctx.tally.records_recovered += 1
            yield from _record_rows(found.record, False, ctx, offset=found.offset)


def _member_cut_off(records: ArchiveIterator) -> bool:
    """After a record is drained: its gzip member ended without the gzip trailer."""
    decompressor = getattr(records.reader, "decompressor", None)
    return decompressor is not None and not getattr(decompressor, "eof", True)


def _break_row(err: Exception, tally: FileTally) -> tuple[str, dict]:
    """The ``file`` error row for where warcio (or the stream under it) could not go on."""
    tally.file_error = f"{type(err).__name__}: {err}"[:MAX_ERROR_CHARS]
    return "error", _error_row(tally.source_file, tally.next_offset, None, "file",
                               type(err).__name__, str(err).strip() or repr(err))


def _file_rows(stream: BinaryIO, ctx: _Context) -> Iterator:
    """All record rows of a file; after a break in warcio, those of the records found after it."""
    source_file, _, _, tally = ctx
    head = stream.read(PEEK_BYTES)
    replay = resync.ReplayStream(head, stream)
    is_arc = resync.is_arc(head)
    records = ArchiveIterator(replay, arc2warc=True)
    short = cut_member = record = None  # (offset, id) of a record cut short; a cut gzip member
    try:
        for record in records:
            if short is not None:  # a short record followed by more: the file goes on
                tally.record_errors += 1
                yield "error", _error_row(source_file, *short, "record", "truncated_record",
                                          "record ends before its Content-Length, or has none")
                short = None
            if (yield from _record_rows(record, is_arc, ctx, records)):
                record_id = None if is_arc else record.rec_headers.get_header("WARC-Record-ID")
                short = (known_offset(records.get_record_offset()), record_id)
            cut_member = records.get_record_offset() if _member_cut_off(records) else None
    except Exception as err:  # warcio cannot go on: record the break, then scan for what follows
        yield _break_row(err, tally)
        if not is_arc:  # ARC records carry no marker a scan could find
            yield from _recovered_rows(records, replay, record, ctx)
        return
    # gzip bytes after the last record that never became one: a member cut before its header ended
    parsed_to = replay.tell() if tally.next_offset is None else tally.next_offset
    unparsed = replay.gzipped and replay.tell() > parsed_to
    if short is None and (cut_member is not None or unparsed):
        short = (known_offset(cut_member) if cut_member is not None else parsed_to, None)
    if short is not None:
        tally.file_error = "truncated_file: the file ends inside a record"
        yield "error", _error_row(source_file, *short, "file", "truncated_file",
                                  "the file ends inside a record (cut-off download?)")
    elif tally.records == 0:
        error_type = "empty_file" if not head else "no_records"
        tally.file_error = f"{error_type}: no WARC/ARC record in the file"
        yield "error", _error_row(source_file, 0, None, "file", error_type, tally.file_error)


def iter_file_rows(stream: BinaryIO, source_file: str, settings: ExtractSettings,
                   language_identifier=None) -> Iterator[tuple[str, dict]]:
    """Stream ``("doc", row)`` and ``("error", row)`` of one file, then one ``("file", summary)``.

    Document rows have exactly the columns of ``DOCUMENT_ARROW_SCHEMA``, error rows those of
    ``ERROR_ARROW_SCHEMA``; the summary counts the error rows by level and type (so a driver
    needs the counts only, never the rows). ``language_identifier`` (anything with
    ``predict(text) -> (lang, score)``) defaults to the per-process fastText singleton for
    ``settings.lid_model``.
    """
    if not isinstance(settings, ExtractSettings):
        raise TypeError(f"settings must be ExtractSettings, got {type(settings).__name__}")
    identifier = language_identifier or get_language_identifier(settings.lid_model)
    tally = FileTally(source_file)
    try:
        for kind, row in _file_rows(stream, _Context(source_file, settings, identifier, tally)):
            if kind == "error":
                tally.count_error_row(row)
            yield kind, row
    except Exception as err:  # the stream itself failed: keep what was yielded, record why
        kind, row = _break_row(err, tally)
        tally.count_error_row(row)
        yield kind, row
    yield "file", tally.summary()
