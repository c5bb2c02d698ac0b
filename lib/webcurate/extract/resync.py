"""The byte stream under warcio, and boundary-scan recovery of the records after a break in it.

warcio trusts every ``Content-Length``: one wrong value (CRLF line endings stripped to LF, a
badly re-written record) makes it read into the next record and then fail, as does a gzip member
that does not inflate or a whole file gzipped in one piece; every record after that was lost.
:func:`iter_recovered` reads on from the break and finds records by where they start instead:

* a record starts at a line ``WARC/1.0`` (1.1, 0.17, 0.18) followed only by header lines
  (``Name: value`` or continuations, CRLF or LF) up to a blank line, one of them ``WARC-Type``;
  a page that quotes a line ``WARC/1.0`` goes on with text, so it is not taken for a record;
* its block ends at the next record start or the end of the file, less the line breaks between
  records. ``Content-Length`` is believed only when the bytes it points at really end a record
  (1-4 line breaks, then a record start or the end of the file): a true one keeps a page that
  quotes a whole WARC record in one piece, a false one costs nothing;
* warcio's own loader then reads it with the length made true, so HTTP headers (CRLF or LF),
  chunked and compressed payloads are handled exactly as on the normal path.

Gzip: warcio's member is finished through warcio, then members are inflated here one by one; a
corrupt one is skipped to the next gzip header (``1f 8b 08``). Offsets: a record's byte offset
in a plain file, its member's when it starts one (Common Crawl's layout), else None. Memory: a
window of the stream, never the file; a block is kept up to ``max_block_bytes`` (cut beyond, as
payloads are) while the search for its end goes on. Each byte is searched at most about twice.
Not recovered: ARC files (no marker to search for); a record whose ``WARC/1.0`` line the break
swallowed; a Content-Length so large that warcio follows it to the end of the file without
raising (``truncated_file`` on the normal path).
"""

from __future__ import annotations

import io
import itertools
import re
import zlib
from collections import deque
from collections.abc import Iterator
from typing import BinaryIO, NamedTuple

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord, ArcWarcRecordLoader

CHUNK_BYTES = 64 * 1024
MAX_HEADER_BYTES = 32 * 1024  # a WARC header block (Common Crawl's are under 2 KB)
GZIP_MAGIC = b"\x1f\x8b\x08"

# The version line, at the start of a line; Common Crawl's 2016 WET files say "WARC/1.0 WARC/1.0".
_VERSION = rb"\nWARC/(?:1\.[01]|0\.1[78])(?:[ \t][^\r\n]*)?\r?\n"
_NAME = rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+"  # an RFC 7230 token: no '<', '/', spaces, ...
_HEADER_LINE = rb"(?:" + _NAME + rb"[ \t]*:|[ \t])[^\n]*\n"  # "Name: value" or a continuation
# One regex, so that the scan rejects a "WARC/1.0" line in text without leaving C.
_RECORD_START = re.compile(_VERSION + rb"(?=(?:%s)*?(?i:WARC-Type)[ \t]*:)(?:%s)*\r?\n"
                           % (_HEADER_LINE, _HEADER_LINE))
_CUT_OFF_START = re.compile(  # the file ends inside the header block (or its last line)
    _VERSION + rb"(?:%s)*(?:%s[ \t]*(?::[^\n]*)?)?\Z" % (_HEADER_LINE, _NAME))
_CONTENT_LENGTH = re.compile(rb"\nContent-Length[ \t]*:[ \t]*(\d+)[ \t]*\r?\n", re.IGNORECASE)
_CONTENT_LENGTH_LINE = re.compile(rb"Content-Length[ \t]*:", re.IGNORECASE)
_END_GAP = re.compile(rb"(?:\r?\n){1,4}")
_TRAILING_GAP = re.compile(rb"(?:\r?\n){1,2}\Z")


class Recovered(NamedTuple):
    """One record found by the scan: the record, or why none could be made of its bytes."""

    offset: int | None  # where it starts in the file, if known (see the module docstring)
    record: ArcWarcRecord | None
    error: Exception | None


class _Window:
    """The part of the stream after the break still needed; positions count from the break.

    Starts with a virtual line break at -1 (warcio stops at a line start), so every record start
    is found as ``\\nWARC/...``. A *pinned* block is kept whole up to its size while the window
    moves on; once complete it is copied out, so the window itself stays small.
    """

    def __init__(self, pieces: Iterator[bytes | int], base: int | None):
        self.data, self.start, self.eof = bytearray(b"\n"), -1, False
        self._pieces, self._base = pieces, base
        self._members: deque[tuple[int, int]] = deque()  # (position, raw offset) of gzip members
        self._pin: tuple[int, int] | None = None
        self._pinned: bytes | None = None

    @property
    def end(self) -> int:
        return self.start + len(self.data)

    def get(self, begin: int, stop: int) -> bytes:
        return bytes(self.data[begin - self.start: stop - self.start])

    def fill_to(self, position: int) -> bool:
        """Read until ``position`` is in the window; False if the stream ends first."""
        while self.end < position and not self.eof:
            self._read()
        return self.end >= position

    def discard(self, position: int) -> None:
        """Nothing before ``position`` is needed again, except the pinned block."""
        if self._pin is not None and self._pinned is None:
            begin, size = self._pin
            if self.end - begin < size:
                position = min(position, begin)
            elif position > begin:
                self._pinned = self.get(begin, begin + size)
        position = max(position, self.start)
        del self.data[: position - self.start]
        self.start = position
        while self._members and self._members[0][0] < position:
            self._members.popleft()

    def pin(self, begin: int, size: int) -> None:
        self._pin, self._pinned = (begin, size), None

    def unpin(self, stop: int) -> tuple[bytes, bool]:
        """The pinned block up to ``stop`` (at most its size), and whether it had to be cut."""
        begin, size = self._pin
        kept = self._pinned if self._pinned is not None else self.get(begin, begin + size)
        self._pin = self._pinned = None
        return kept[: min(stop - begin, size)], stop - begin > size

    def offset_at(self, position: int) -> int | None:
        if self._base is not None:
            return self._base + position
        while self._members and self._members[0][0] < position:
            self._members.popleft()
        found = self._members and self._members[0][0] == position
        return self._members[0][1] if found else None

    def _read(self) -> None:
        for piece in self._pieces:
            if isinstance(piece, int):  # a gzip member starts here; empty members leave the last
                if self._members and self._members[-1][0] == self.end:
                    self._members.pop()
                self._members.append((self.end, piece))
            elif piece:
                self.data += piece
                return
        self.eof = True


class ReplayStream:
    """Serves bytes already peeked, then the rest of ``stream``; ``tell()`` counts from 0.

    warcio needs ``tell()``; the recovery needs it to count from the file's start, whatever the
    underlying stream (an HTTP body, a decompressing S3 reader) reports.
    """

    def __init__(self, head: bytes, stream: BinaryIO):
        self._head, self._stream, self._position = head, stream, 0
        self.gzipped = head[:2] == GZIP_MAGIC[:2]

    def read(self, size: int | None = -1) -> bytes:
        if self._head and size is not None and size >= 0:
            data, self._head = self._head[:size], self._head[size:]
        else:
            data, self._head = self._head + self._stream.read(size), b""
        self._position += len(data)
        return data

    def tell(self) -> int:
        return self._position


def is_arc(head: bytes) -> bool:
    """ARC files start with a ``filedesc://`` line (gzip member or plain)."""
    if head[:2] == GZIP_MAGIC[:2]:
        try:
            head = zlib.decompressobj(wbits=31).decompress(head, 64)
        except zlib.error:
            return False
    return head.lstrip()[:11] == b"filedesc://"


def _members(chunks: Iterator[bytes], offset: int) -> Iterator[bytes | int]:
    """Inflate the gzip members in raw ``chunks`` (the first byte at ``offset``) one by one.

    Yields each member's raw offset, then its bytes (at most ``CHUNK_BYTES`` at a time, so a
    zip bomb cannot fill memory). Bytes that start no member, and a member that fails to inflate,
    are skipped to the next gzip header.
    """
    pending, inflater = b"", None  # pending: raw bytes not yet inflated, pending[0] at ``offset``
    for chunk in chunks:
        pending += chunk
        while pending:
            if inflater is None:
                found = pending.find(GZIP_MAGIC)
                skip = found if found >= 0 else max(len(pending) - len(GZIP_MAGIC) + 1, 0)
                offset, pending = offset + skip, pending[skip:]
                if found < 0:
                    break
                inflater = zlib.decompressobj(wbits=31)
                yield offset
            try:
                data = inflater.decompress(pending, CHUNK_BYTES)
            except zlib.error:  # corrupt: look for the next member after this point
                inflater, offset, pending = None, offset + 1, pending[1:]
                continue
            rest = inflater.unused_data if inflater.eof else inflater.unconsumed_tail
            offset, pending = offset + len(pending) - len(rest), rest
            yield data
            if inflater.eof:
                inflater = None
    if inflater is not None:
        yield inflater.flush()


def _after_break(reader, raw: ReplayStream) -> Iterator[bytes | int]:
    """The stream after the break, inflated; before each gzip member's bytes, its raw offset.

    ``reader`` is warcio's DecompressingBufferedReader: its buffer holds bytes already read.
    """
    through_reader = iter(lambda: reader.read(CHUNK_BYTES), b"")
    if not raw.gzipped:
        yield from through_reader
    elif reader.decompressor is None:  # warcio gave up inflating: it passes raw gzip bytes on
        yield from _members(through_reader, raw.tell() - reader.rem_length())
    else:  # finish the member warcio was in, then go on member by member
        yield from through_reader
        unused = reader.decompressor.unused_data if reader.decompressor else b""
        rest = itertools.chain([unused], iter(lambda: raw.read(CHUNK_BYTES), b""))
        yield from _members(rest, raw.tell() - len(unused))


def _start_at(window: _Window, position: int) -> tuple[int, int | None] | None:
    """``(position, end of its header block or None if the file ends in it)`` if a record
    starts at ``position``."""
    window.fill_to(position + MAX_HEADER_BYTES)
    found = _RECORD_START.match(window.data, position - 1 - window.start)
    if found is not None:
        return position, window.start + found.end()
    cut_off = window.eof and _CUT_OFF_START.match(window.data, position - 1 - window.start)
    return (position, None) if cut_off else None


def _next_start(window: _Window, position: int) -> tuple[int, int | None] | None:
    """The first record start at or after ``position`` (as :func:`_start_at`), None if none.

    A header block must be in the window to be found, so the last ``MAX_HEADER_BYTES`` are
    searched again after each read of at least twice as many: every byte at most 1.5 times.
    """
    while True:
        found = _RECORD_START.search(window.data, max(position - 1 - window.start, 0))
        if found is not None:
            return window.start + found.start() + 1, window.start + found.end()
        if window.eof:
            cut_off = _CUT_OFF_START.search(window.data, max(position - 1 - window.start, 0))
            return (window.start + cut_off.start() + 1, None) if cut_off else None
        position = max(position, window.end - MAX_HEADER_BYTES)
        window.discard(position - 1)
        window.fill_to(window.end + CHUNK_BYTES)  # gzip members may come in much smaller pieces


def _declared_end(window: _Window, stop: int) -> tuple[bool, tuple | None]:
    """Whether a block really ends at ``stop`` (its Content-Length), and the next start if so."""
    if not window.fill_to(stop):
        return False, None
    window.fill_to(stop + 8)
    gap = _END_GAP.match(window.data, stop - window.start)
    if gap is None:
        return window.eof and window.end == stop, None
    after = window.start + gap.end()
    if not window.fill_to(after + 1):
        return True, None
    following = _start_at(window, after)
    return following is not None, following


def _block(window: _Window, header: bytes, begin: int, max_bytes: int) -> tuple[bytes, tuple]:
    """The block that starts at ``begin``, and the record start after it (None: end of file)."""
    declared = _CONTENT_LENGTH.search(header)
    if declared is not None and int(declared.group(1)) <= max_bytes:
        stop = begin + int(declared.group(1))
        trusted, following = _declared_end(window, stop)
        if trusted:
            return window.get(begin, stop), following
    window.pin(begin, max_bytes)
    following = _next_start(window, begin)
    block, cut = window.unpin(following[0] if following else window.end)
    return (block if cut else _TRAILING_GAP.sub(b"", block)), following


def _warc_record(loader: ArcWarcRecordLoader, header: bytes, block: bytes) -> ArcWarcRecord:
    """warcio's record for a header block and its block, with a true Content-Length."""
    lines = (line.rstrip(b"\r") for line in header.split(b"\n"))
    kept = [line for line in lines if line and not _CONTENT_LENGTH_LINE.match(line)]
    head = b"\r\n".join([*kept, b"Content-Length: %d" % len(block), b"", b""])
    return loader.parse_record_stream(io.BytesIO(head + block), known_format="warc")


def iter_recovered(records: ArchiveIterator, raw: ReplayStream, max_block_bytes: int,
                   last_yielded: ArcWarcRecord | None) -> Iterator[Recovered]:
    """Records found by boundary scan in what is left of a file after ``records`` broke off.

    ``raw`` is the stream under it. A record warcio parsed but raised on before yielding it
    (``records.record`` is not ``last_yielded``) gets its headers put back in front, so that it
    is found like the others.
    """
    reader, unread, head = records.reader, records.record, b""
    if unread is not None and unread is not last_yielded:  # the non-chunked gzip error
        http = unread.http_headers.to_bytes() if unread.http_headers is not None else b""
        head = unread.rec_headers.to_bytes() + http
    base = None if raw.gzipped else raw.tell() - reader.rem_length() - len(head)
    pieces = itertools.chain([head], _after_break(reader, raw))
    window = _Window(pieces, base)
    loader = ArcWarcRecordLoader(verify_http=False, arc2warc=False)
    following = _next_start(window, 0)
    while following is not None:
        start, header_end = following
        window.discard(start - 1)  # keeps the line break before it
        offset = window.offset_at(start)
        if header_end is None:
            yield Recovered(offset, None, EOFError("the file ends inside a WARC header"))
            return
        header = window.get(start, header_end)
        block, following = _block(window, header, header_end, max_block_bytes)
        try:
            record, error = _warc_record(loader, header, block), None
        except Exception as err:  # headers warcio will not take after all
            record, error = None, err
        yield Recovered(offset, record, error)
