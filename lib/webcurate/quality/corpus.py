"""Plain-text files as training documents: cut at blank lines, packed up to a size.

A quality classifier's positives are often books, papers, Wikipedia: text files, not documents.
Each file becomes documents the way a reader would cut it, at paragraph breaks (blank lines):
consecutive paragraphs are packed into one document while it stays within ``max_chars``; a
paragraph longer than that is cut at line breaks, and a line longer than that at whitespace.
Documents never span two files, archive members or articles; ones shorter than ``min_chars``
(a stray heading at the end of a file) are dropped.

What a file holds is told by its name and its first bytes:

- compression by suffix: ``.gz``, ``.bz2``, ``.xz``; a ``.zip`` archive yields each member
  (``README*`` members, the archive's own documentation, and hidden names are skipped), as in
  NLTK's corpora (``abc.zip``, ``webtext.zip``, ``inaugural.zip``); a remote archive is spooled
  to a temporary file, since a zip's directory is at its end;
- a MediaWiki XML export (first bytes ``<mediawiki``) yields its articles as plain text
  (:mod:`.wikitext`), each one a unit of its own;
- anything else is UTF-8 text (undecodable bytes replaced); Project Gutenberg's licence header
  and footer, when present (``*** START OF ...`` / ``*** END OF ...``), are left out.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from typing import BinaryIO

GUTENBERG_HEADER_SEARCH_LINES = 400
_GUTENBERG_START = ("*** start of this project gutenberg", "*** start of the project gutenberg")
_GUTENBERG_END = ("*** end of this project gutenberg", "*** end of the project gutenberg")
_MEDIAWIKI_MAGIC = b"<mediawiki"
_SKIPPED_MEMBER_PREFIXES = ("readme", ".", "_", "__macosx")
SPOOL_CHUNK_BYTES = 1 << 20


def cut_long_line(line: str, max_chars: int) -> Iterator[str]:
    """``line`` in pieces of at most ``max_chars``, cut at the last whitespace when there is one."""
    while len(line) > max_chars:
        cut = line.rfind(" ", 0, max_chars + 1)
        cut = cut if cut > 0 else max_chars
        yield line[:cut].rstrip()
        line = line[cut:].lstrip()
    if line:
        yield line


def paragraph_pieces(lines: Iterable[str], max_chars: int) -> Iterator[str]:
    """Paragraphs (runs of non-blank lines), each cut into pieces of at most ``max_chars``."""
    block: list[str] = []
    size = 0
    for raw in lines:
        line = raw.rstrip()
        if not line.strip():
            if block:
                yield "\n".join(block)
                block, size = [], 0
            continue
        for piece in cut_long_line(line, max_chars):
            if block and size + 1 + len(piece) > max_chars:
                yield "\n".join(block)
                block, size = [], 0
            size += len(piece) + (1 if block else 0)
            block.append(piece)
    if block:
        yield "\n".join(block)


def split_into_documents(lines: Iterable[str], max_chars: int, min_chars: int = 0) -> Iterator[str]:
    """Documents of whole paragraphs, each at most ``max_chars`` long (see the module docstring)."""
    if max_chars < 1:
        raise ValueError(f"max_chars must be >= 1, got {max_chars}")
    current: list[str] = []
    size = 0
    for piece in paragraph_pieces(lines, max_chars):
        if current and size + 2 + len(piece) > max_chars:
            if size >= min_chars:
                yield "\n\n".join(current)
            current, size = [], 0
        size += len(piece) + (2 if current else 0)
        current.append(piece)
    if current and size >= min_chars:
        yield "\n\n".join(current)


def without_gutenberg_boilerplate(lines: Iterable[str]) -> Iterator[str]:
    """Lines of a Project Gutenberg book between its START and END markers (all lines when
    there is no START marker near the top)."""
    iterator = iter(lines)
    head: list[str] = []
    for line in iterator:
        head.append(line)
        if line.lower().startswith(_GUTENBERG_START):
            head = []
            break
        if len(head) >= GUTENBERG_HEADER_SEARCH_LINES:
            break
    for line in [*head, *iterator] if head else iterator:
        if line.lower().startswith(_GUTENBERG_END):
            return
        yield line


def _zip_members(name: str, seekable: BinaryIO) -> Iterator[tuple[str, BinaryIO]]:
    archive = zipfile.ZipFile(seekable)
    for info in archive.infolist():
        base = info.filename.rstrip("/").rsplit("/", 1)[-1].lower()
        if info.is_dir() or base.startswith(_SKIPPED_MEMBER_PREFIXES):
            continue
        with archive.open(info) as member:
            yield f"{name}!{info.filename}", member


def _decompressed(name: str, raw: BinaryIO) -> Iterator[tuple[str, BinaryIO]]:
    """``(unit name, binary stream)`` for a file: itself, decompressed, or each zip member."""
    lower = name.lower()
    if lower.endswith(".zip"):
        if raw.seekable():
            yield from _zip_members(name, raw)
            return
        # A zip's directory is at its end: a stream (S3, https) is spooled to a local
        # temporary file first, never held in the task's memory (archives can be gigabytes).
        with tempfile.TemporaryFile(prefix="webcurate-zip-") as spool:
            shutil.copyfileobj(raw, spool, SPOOL_CHUNK_BYTES)
            spool.seek(0)
            yield from _zip_members(name, spool)
        return
    opener = {".gz": gzip.GzipFile, ".bz2": bz2.BZ2File, ".xz": lzma.LZMAFile}
    for suffix, wrap in opener.items():
        if lower.endswith(suffix):
            yield name, wrap(fileobj=raw) if wrap is gzip.GzipFile else wrap(raw)
            return
    yield name, raw


def iter_text_units(name: str, raw: BinaryIO) -> Iterator[tuple[str, Iterator[str]]]:
    """``(unit name, lines)`` for every text unit of a file: the file, each archive member, or
    each Wikipedia article of a MediaWiki export. Consume each unit's lines before the next."""
    for unit, binary in _decompressed(name, raw):
        buffered = binary if hasattr(binary, "peek") else io.BufferedReader(binary)
        if buffered.peek(512)[:512].lstrip().startswith(_MEDIAWIKI_MAGIC):
            from webcurate.quality.wikitext import iter_mediawiki_articles

            for title, text in iter_mediawiki_articles(buffered):
                yield f"{unit}#{title}", iter(text.split("\n"))
            continue
        text = io.TextIOWrapper(buffered, encoding="utf-8", errors="replace", newline=None)
        yield unit, without_gutenberg_boilerplate(text)


def iter_file_documents(name: str, raw: BinaryIO, max_chars: int,
                        min_chars: int = 0) -> Iterator[tuple[str, int, str]]:
    """``(unit name, index within the unit, text)`` of every document of one file."""
    for unit, lines in iter_text_units(name, raw):
        for index, text in enumerate(split_into_documents(lines, max_chars, min_chars)):
            yield unit, index, text
