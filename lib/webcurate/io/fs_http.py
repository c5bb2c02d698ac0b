"""The read-only ``http(s)://`` backend: streaming GETs that resume with Range requests, HEADs
for existence and size. Anything that writes, lists or deletes is refused with one line."""

from __future__ import annotations

from typing import TYPE_CHECKING, BinaryIO

from webcurate.io import streams
from webcurate.io.fs import read_only

if TYPE_CHECKING:
    from webcurate.io.storage import StorageConfig


class HttpBackend:
    name = "http"
    lease = None

    def __init__(self, storage: StorageConfig):
        self.storage = storage

    def open_input(self, uri: str) -> BinaryIO:
        return streams.open_http(uri, self.storage.max_attempts, self.storage.read_timeout_s)

    def read_bytes(self, uri: str) -> bytes:
        with self.open_input(uri) as stream:
            return stream.read()

    def _head(self, uri: str) -> dict | None:
        return streams.http_head(uri, self.storage.max_attempts, self.storage.read_timeout_s)

    def exists(self, uri: str) -> bool:
        return self._head(uri) is not None

    def file_size(self, uri: str) -> int:
        headers = self._head(uri)
        if headers is None or headers.get("Content-Length") is None:
            raise FileNotFoundError(f"no size for {streams.redact(uri)}")
        return int(headers["Content-Length"])

    def version(self, uri: str) -> str:
        headers = self._head(uri) or {}
        return f"{headers.get('ETag')}\n{headers.get('Content-Length')}"

    def list_files(self, uri: str, recursive: bool = True) -> list[str]:
        raise read_only(uri, "list")

    def list_names_starting(self, directory: str, name_prefix: str) -> list[str]:
        raise read_only(directory, "list")

    def write_bytes(self, uri: str, data: bytes) -> None:
        raise read_only(uri, "write")

    def delete(self, uri: str) -> None:
        raise read_only(uri, "delete")

    def delete_many(self, uris: list[str]) -> None:
        raise read_only(uris[0], "delete")

    def delete_prefix(self, uri: str) -> None:
        raise read_only(uri, "delete")

    def makedirs(self, uri: str) -> None:
        raise read_only(uri, "create a directory in")

    def copy(self, source: str, target: str) -> None:
        raise read_only(target, "copy to")

    def arrow(self, uri: str):
        raise read_only(uri, "open as an Arrow filesystem")

    def clear_uploads(self, prefix: str) -> None:
        raise read_only(prefix, "upload to")


def http_backend(scheme: str, netloc: str, storage: StorageConfig) -> HttpBackend:
    return HttpBackend(storage)
