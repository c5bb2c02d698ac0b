"""Generated garbage for the extract job, each file with good records around the damage.

Every builder writes one file and returns what a reader must make of it: how many of its good
HTML documents must survive, and whether the damage must show up in ``errors/``. The good
records are real pages (``../shared/data/pages/scrapinghub-aeb``), so extraction does real work.
"""

from __future__ import annotations

import gzip
import io
import random
from dataclasses import dataclass
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter


@dataclass(frozen=True)
class BadInput:
    name: str
    path: Path
    good_docs: int  # documents that must still come out of this file
    must_record_error: bool  # the damage must be visible in errors/


def real_pages(shared_data: Path, count: int) -> list[bytes]:
    pages = sorted((shared_data / "pages" / "scrapinghub-aeb" / "html").glob("*.html.gz"))
    return [gzip.decompress(p.read_bytes()) for p in pages[:count]]


def _response(writer: WARCWriter, url: str, payload, length: int | None = None,
              content_type: str = "text/html; charset=utf-8"):
    headers = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
    stream = payload if hasattr(payload, "read") else io.BytesIO(payload)
    record = writer.create_warc_record(url, "response", payload=stream, length=length,
                                       http_headers=headers)
    writer.write_record(record)


def _warc(path: Path, records: list[tuple[str, bytes]]) -> None:
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=True)
        for url, html in records:
            _response(writer, url, html)


def good_file(directory: Path, pages: list[bytes]) -> BadInput:
    path = directory / "good.warc.gz"
    _warc(path, [(f"http://good.example/{i}", html) for i, html in enumerate(pages)])
    return BadInput("good file", path, len(pages), False)


def truncated_gzip(directory: Path, pages: list[bytes]) -> BadInput:
    whole = directory / "whole.warc.gz"
    _warc(whole, [(f"http://trunc.example/{i}", html) for i, html in enumerate(pages)])
    data = whole.read_bytes()
    whole.unlink()
    # cut inside the last record's gzip member: the records before it must survive
    with open(directory / "first.warc.gz", "wb") as out:
        _w = WARCWriter(out, gzip=True)
        for i, html in enumerate(pages[:-1]):
            _response(_w, f"http://trunc.example/{i}", html)
    intact = (directory / "first.warc.gz").stat().st_size
    (directory / "first.warc.gz").unlink()
    path = directory / "truncated.warc.gz"
    path.write_bytes(data[: intact + (len(data) - intact) // 2])
    return BadInput("truncated gzip", path, len(pages) - 1, True)


def random_bytes(directory: Path, pages: list[bytes]) -> BadInput:
    path = directory / "random.warc.gz"
    path.write_bytes(random.Random(7).randbytes(1 << 20))
    return BadInput("random bytes", path, 0, True)


def huge_declared_length(directory: Path, pages: list[bytes]) -> BadInput:
    """A good record, then one whose header claims 1 TB of content (uncompressed WARC)."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=False)
    _response(writer, "http://huge.example/ok", pages[0])
    header = (b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: http://huge.example/x\r\n"
              b"WARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-000000000001>\r\n"
              b"WARC-Date: 2024-01-01T00:00:00Z\r\n"
              b"Content-Type: application/http; msgtype=response\r\n"
              b"Content-Length: 1000000000000\r\n\r\n"
              b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"
              b"<html><body>short</body></html>")
    path = directory / "huge-length.warc"
    path.write_bytes(buffer.getvalue() + header)
    return BadInput("huge declared length", path, 1, True)


class _Zeros(io.RawIOBase):
    """``size`` bytes of one repeated HTML character, streamed (never held in memory)."""

    def __init__(self, size: int):
        self.left = size
        self.head = b"<html><body><p>"

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.head:
            n = min(len(buffer), len(self.head))
            buffer[:n], self.head = self.head[:n], self.head[n:]
            self.left -= n
            return n
        n = min(len(buffer), self.left)
        buffer[:n] = b"a" * n
        self.left -= n
        return n


def gzip_bomb(directory: Path, pages: list[bytes], size: int = 512 << 20) -> BadInput:
    """A good page, a 512 MiB page compressed to ~0.5 MiB, another good page."""
    path = directory / "bomb.warc.gz"
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=True)
        _response(writer, "http://bomb.example/before", pages[0])
        _response(writer, "http://bomb.example/bomb", io.BufferedReader(_Zeros(size), 1 << 20),
                  length=size)
        _response(writer, "http://bomb.example/after", pages[1])
    return BadInput("gzip bomb (512 MiB page)", path, 2, False)


def deep_html(directory: Path, pages: list[bytes], depth: int = 100_000) -> BadInput:
    deep = b"<html><body>" + b"<div>" * depth + b"deep" + b"</div>" * depth + b"</body></html>"
    path = directory / "deep-html.warc.gz"
    _warc(path, [("http://deep.example/ok", pages[0]), ("http://deep.example/deep", deep),
                 ("http://deep.example/ok2", pages[1])])
    return BadInput("HTML nested 100,000 deep", path, 2, False)


def invalid_utf8(directory: Path, pages: list[bytes]) -> BadInput:
    broken = pages[2][:2000] + b"\xff\xfe\xc3\x28\xa0\xa1" * 50 + pages[2][2000:]
    path = directory / "invalid-utf8.warc.gz"
    _warc(path, [("http://utf8.example/ok", pages[0]), ("http://utf8.example/broken", broken)])
    return BadInput("invalid UTF-8", path, 2, False)


def empty_files(directory: Path, pages: list[bytes]) -> list[BadInput]:
    empty = directory / "empty.warc.gz"
    empty.write_bytes(b"")
    empty_gzip = directory / "empty-member.warc.gz"
    empty_gzip.write_bytes(gzip.compress(b""))
    return [BadInput("empty file", empty, 0, False),
            BadInput("empty gzip member", empty_gzip, 0, False)]


def build_all(directory: Path, shared_data: Path) -> list[BadInput]:
    directory.mkdir(parents=True, exist_ok=True)
    pages = real_pages(shared_data, 6)
    return [good_file(directory, pages[:3]), truncated_gzip(directory, pages[:4]),
            random_bytes(directory, pages), huge_declared_length(directory, pages),
            gzip_bomb(directory, pages), deep_html(directory, pages),
            invalid_utf8(directory, pages), *empty_files(directory, pages)]

