"""Streaming reads of remote objects that survive a dropped connection.

A Common Crawl WARC file is ~1 GB and is read for minutes; a connection reset half-way must
cost one Range request for the rest, not the whole task. A stream that cannot be completed raises
``OSError``: it never ends early in silence (a short read would look like a clean end of file to
gzip and warcio, and documents would go missing without an error).
"""

from __future__ import annotations

import http.client
import io
import random
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import BinaryIO

from webcurate.io.clients import USER_AGENT

RETRY_HTTP_STATUS = frozenset({408, 429, 500, 502, 503, 504})
BUFFER_BYTES = 1 << 20


def backoff_seconds(attempt: int, base_s: float = 0.5, cap_s: float = 20.0) -> float:
    """Exponential backoff with jitter, so that many tasks do not retry in lockstep."""
    return min(cap_s, base_s * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)


def redact(uri: str) -> str:
    """The URI without its query string, which may hold a signature (presigned URLs)."""
    return uri.split("?", 1)[0] + ("?..." if "?" in uri else "")


class ResumableReader(io.RawIOBase):
    """Raw reader over ``reopen(offset) -> body``: a transient error re-opens at the offset
    reached, up to ``max_attempts`` failures in a row, with backoff."""

    def __init__(self, name: str, body, size: int | None, reopen: Callable[[int], object],
                 retryable: tuple[type[BaseException], ...], max_attempts: int,
                 backoff: Callable[[int], float] = backoff_seconds):
        super().__init__()
        self.name = name
        self._body, self._size, self._reopen = body, size, reopen
        self._retryable, self._max_attempts, self._backoff = retryable, max_attempts, backoff
        self._pos = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        view = memoryview(buffer).cast("B")
        failures = 0
        while True:
            try:
                if self._body is None:
                    self._body = self._reopen(self._pos)
                data = self._body.read(len(view))
                if not data and self._size is not None and self._pos < self._size:
                    raise ConnectionError(f"stream ended at byte {self._pos} of {self._size}")
                break
            except self._retryable as err:
                self._drop_body()
                failures += 1
                if failures >= self._max_attempts:
                    raise OSError(f"reading {redact(self.name)} failed at byte {self._pos} "
                                  f"after {failures} attempts: {err}") from err
                time.sleep(self._backoff(failures))
        view[:len(data)] = data
        self._pos += len(data)
        return len(data)

    def _drop_body(self) -> None:
        body, self._body = self._body, None
        if body is not None:
            try:
                body.close()
            except Exception:  # a broken connection may fail to close: it is gone anyway
                pass

    def close(self) -> None:
        self._drop_body()
        super().close()


def _s3_retryable() -> tuple[type[BaseException], ...]:
    from botocore import exceptions as bex
    from urllib3 import exceptions as u3

    return (ConnectionError, TimeoutError, http.client.HTTPException, u3.HTTPError,
            bex.ConnectionError, bex.ReadTimeoutError, bex.ResponseStreamingError,
            bex.IncompleteReadError)


def open_s3(client, bucket: str, key: str, max_attempts: int) -> BinaryIO:
    """Stream ``s3://bucket/key``; a resumed read asks for the same ETag, so an object replaced
    mid-read fails (412) instead of splicing two versions."""
    first = client.get_object(Bucket=bucket, Key=key)
    etag = first.get("ETag")

    def reopen(offset: int):
        extra = {"IfMatch": etag} if etag else {}
        return client.get_object(Bucket=bucket, Key=key, Range=f"bytes={offset}-", **extra)["Body"]

    raw = ResumableReader(f"s3://{bucket}/{key}", first["Body"], first.get("ContentLength"),
                          reopen, _s3_retryable(), max_attempts)
    return io.BufferedReader(raw, buffer_size=BUFFER_BYTES)


def _http_request(uri: str, max_attempts: int, timeout_s: float, method: str = "GET",
                  offset: int = 0):
    """``urlopen`` with retries on 408/429/5xx and network errors; other HTTP errors raise."""
    headers = {"User-Agent": USER_AGENT}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    request = urllib.request.Request(uri, headers=headers, method=method)
    for attempt in range(1, max_attempts + 1):
        try:
            response = urllib.request.urlopen(request, timeout=timeout_s)
        except urllib.error.HTTPError as err:
            err.close()
            if err.code not in RETRY_HTTP_STATUS or attempt == max_attempts:
                raise
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if attempt == max_attempts:
                raise
        else:
            if offset and response.status != 206:
                response.close()
                raise OSError(f"{redact(uri)}: server ignored Range; cannot resume at {offset}")
            return response
        time.sleep(backoff_seconds(attempt))
    raise AssertionError("unreachable")


def open_http(uri: str, max_attempts: int, timeout_s: float) -> BinaryIO:
    """Stream an http(s) URL (no Accept-Encoding is sent, so the bytes are the file's own)."""
    first = _http_request(uri, max_attempts, timeout_s)
    length = first.headers.get("Content-Length")
    raw = ResumableReader(
        uri, first, int(length) if length else None,
        lambda offset: _http_request(uri, max_attempts, timeout_s, offset=offset),
        (ConnectionError, TimeoutError, http.client.HTTPException), max_attempts)
    return io.BufferedReader(raw, buffer_size=BUFFER_BYTES)


def http_head(uri: str, max_attempts: int, timeout_s: float) -> dict | None:
    """Response headers of a HEAD request, or None when the server says 404/410."""
    try:
        with _http_request(uri, max_attempts, timeout_s, method="HEAD") as response:
            return dict(response.headers)
    except urllib.error.HTTPError as err:
        if err.code in (404, 410):
            return None
        raise


class ZstdReader(io.RawIOBase):
    """The decompressed bytes of a zstd stream of one or more frames (``zstd``, ``pzstd`` and
    concatenated files), read ``chunk_bytes`` at a time. zstandard's own ``stream_reader`` ends
    quietly when the input stops inside a frame; a truncated file here raises ``EOFError``, as
    gzip does, so that it is never taken for a complete one."""

    def __init__(self, raw: BinaryIO, chunk_bytes: int = 1 << 16):
        import zstandard

        super().__init__()
        self._raw, self._chunk_bytes = raw, chunk_bytes
        self._context = zstandard.ZstdDecompressor()
        self._frame = self._context.decompressobj()
        self._in_frame = False
        self._pending, self._offset = b"", 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        view = memoryview(buffer).cast("B")
        while self._offset >= len(self._pending):
            if self._frame.eof:  # a frame ended: what followed it starts the next one
                rest = self._frame.unused_data
                self._frame, self._in_frame = self._context.decompressobj(), False
                if rest:
                    self._feed(rest)
                    continue
            data = self._raw.read(self._chunk_bytes)
            if not data:
                if self._in_frame:
                    raise EOFError("zstd stream ended before the end of its frame (truncated)")
                return 0
            self._feed(data)
        count = min(len(view), len(self._pending) - self._offset)
        view[:count] = self._pending[self._offset:self._offset + count]
        self._offset += count
        return count

    def _feed(self, data: bytes) -> None:
        self._in_frame = True
        self._pending, self._offset = self._frame.decompress(data), 0

    def close(self) -> None:
        self._raw.close()
        super().close()
