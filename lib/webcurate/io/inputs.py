"""Turn a config's ``input:`` spec into a sorted, de-duplicated list of file URIs.

A spec is one of, or a list (or comma-separated string) of:

- a file: local path, ``file://``, ``s3://`` or ``http(s)://``;
- a directory / S3 prefix, listed recursively, skipping names that start with ``.`` or ``_``
  (Spark's and Hadoop's hidden and bookkeeping files: ``_SUCCESS``, ``.crc``, ``_staging/``);
- a glob, locally or on S3: ``*``, ``?`` and ``[...]`` stay within one path segment, ``**``
  spans any number of directories, and a wildcard never matches a name starting with ``.`` or
  ``_`` unless the pattern spells that character out;
- a manifest, one path per line, plain or gzipped (``*.paths``, ``*.txt``, ``*.manifest``, each
  also ``.gz``), such as Common Crawl's ``warc.paths.gz``. Relative entries
  (``crawl-data/CC-MAIN-2024-22/...``) are resolved against ``manifest_base``; blank lines and
  ``#`` comments are ignored.

Everything is resolved on the driver before any Spark work, so a typo fails at once with one line
naming the spec. Manifest entries are *not* checked: a Common Crawl manifest lists 90 000 files,
and a missing one is recorded by the job in its ``errors/`` dataset instead of stopping the run.
Local paths come back absolute, without ``file://``, so the same file always has the same name.
"""

from __future__ import annotations

import gzip
import io
import os
import re
from collections.abc import Iterable, Iterator

from webcurate.io import storage as st

MANIFEST_SUFFIXES = (".paths", ".txt", ".manifest")
GLOB_CHARS = "*?["
HIDDEN_PREFIXES = ("_", ".")
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


class InputError(ValueError):
    """An input that matches nothing or cannot be read; the message is one line naming it."""


def resolve_inputs(spec: str | Iterable[str], storage: st.StorageConfig,
                   manifest_base: str = "s3://commoncrawl/") -> list[str]:
    """Every file ``spec`` names, sorted and de-duplicated (see the module docstring)."""
    items = split_spec(spec)
    if not items:
        raise InputError("no input given: the input spec is empty")
    found: set[str] = set()
    for item in items:
        try:
            files = resolve_one(item, storage, manifest_base)
        except InputError:
            raise
        except Exception as err:  # no such bucket, access denied, no credentials, bad scheme
            raise InputError(f"cannot resolve input {item}: {one_line(err)}") from None
        if not files:
            raise InputError(f"input matches no files: {item}")
        found.update(files)
    return sorted(found)


def split_spec(spec: str | Iterable[str]) -> list[str]:
    """A spec as a flat list of items: lists and comma-separated strings both split."""
    parts = [spec] if isinstance(spec, str) else list(spec)
    return [item.strip() for part in parts for item in str(part).split(",") if item.strip()]


def normalize(uri: str) -> str:
    """Local paths (plain or ``file://``) become absolute plain paths; others are unchanged."""
    return os.path.abspath(st.split_uri(uri)[2]) if st.is_local(uri) else uri


def is_glob(uri: str) -> bool:
    return not st.is_remote_http(uri) and any(c in uri for c in GLOB_CHARS)


def is_manifest(uri: str) -> bool:
    name = uri.rsplit("/", 1)[-1].lower().removesuffix(".gz")
    return name.endswith(MANIFEST_SUFFIXES)


def resolve_one(item: str, storage: st.StorageConfig, manifest_base: str) -> list[str]:
    """The files one spec item names; empty when it names nothing."""
    uri = normalize(item)
    if is_glob(uri):
        return expand_glob(uri, storage)
    if is_manifest(uri):
        return read_manifest(uri, storage, manifest_base)
    if st.is_remote_http(uri):
        try:
            return [uri] if st.exists(uri, storage) else []
        except OSError as err:
            raise InputError(f"cannot check input {st.redact(uri)}: {one_line(err)}") from None
    return [f for f in st.list_files(uri, storage) if not is_hidden_below(uri, f)]


def is_hidden_below(base: str, uri: str) -> bool:
    """True when a path segment of ``uri`` below ``base`` starts with ``_`` or ``.``."""
    relative = uri[len(base.rstrip("/")):].strip("/")
    return any(segment.startswith(HIDDEN_PREFIXES) for segment in relative.split("/") if segment)


# --- globs -------------------------------------------------------------------------------------

def _segment_regex(segment: str) -> str:
    out, i = [], 0
    while i < len(segment):
        char = segment[i]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[" and segment.find("]", i + 2) > 0:
            end = segment.find("]", i + 2)  # from i + 2: "[]]" is a class holding "]"
            body = segment[i + 1:end].replace("\\", "\\\\")
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
            i = end
        else:
            out.append(re.escape(char))
        i += 1
    hide = "(?![._])" if segment and segment[0] in GLOB_CHARS else ""
    return hide + "".join(out)


def glob_regex(pattern: str) -> re.Pattern:
    """A regex matching full URIs/paths against a glob pattern (see the module docstring)."""
    segments = pattern.split("/")
    parts = []
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        if segment == "**":
            parts.append(r"(?:(?![._])[^/]+/)*" + (r"(?![._])[^/]+" if last else ""))
        else:
            parts.append(_segment_regex(segment) + ("" if last else "/"))
    return re.compile("".join(parts))


def expand_glob(pattern: str, storage: st.StorageConfig) -> list[str]:
    """Files matching ``pattern``: list everything under its literal prefix, then match."""
    segments = pattern.split("/")
    first_glob = next(i for i, s in enumerate(segments) if any(c in s for c in GLOB_CHARS))
    base = "/".join(segments[:first_glob]) or "/"
    regex = glob_regex(pattern)
    return [f for f in st.list_files(base, storage) if regex.fullmatch(f)]


# --- manifests ---------------------------------------------------------------------------------

def iter_lines(uri: str, storage: st.StorageConfig, errors: str = "strict") -> Iterator[str]:
    """Lines of a UTF-8 text file, streaming; decompressed when it starts with the gzip or zstd
    magic (the content decides, not the name). A truncated gzip or zstd file raises
    ``EOFError`` after its last complete line. ``errors`` is ``bytes.decode``'s: ``replace``
    turns invalid UTF-8 into U+FFFD, as Spark's text and JSON readers do."""
    from webcurate.io.streams import ZstdReader

    with st.open_input(uri, storage) as raw:
        magic = raw.peek(4)[:4]
        if magic[:2] == GZIP_MAGIC:
            stream = gzip.GzipFile(fileobj=raw)
        elif magic == ZSTD_MAGIC:
            stream = io.BufferedReader(ZstdReader(raw))
        else:
            stream = raw
        with io.TextIOWrapper(stream, encoding="utf-8", errors=errors) as text:
            for line in text:
                yield line.rstrip("\r\n")


def is_bad_file_error(err: BaseException) -> bool:
    """True for errors that say the file itself is bad (truncated or corrupt compression,
    gone since it was listed): a job records such a file and goes on. Others (network, access
    denied) fail the task, so that Spark retries it."""
    import zlib

    if isinstance(err, (EOFError, gzip.BadGzipFile, zlib.error, FileNotFoundError)):
        return True
    if type(err).__name__ == "ZstdError":
        return True
    response = getattr(err, "response", None)  # botocore's ClientError
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    return code in ("NoSuchKey", "404") or getattr(err, "code", None) in (404, 410)


def read_manifest(uri: str, storage: st.StorageConfig, manifest_base: str) -> list[str]:
    """The entries of a manifest; relative ones resolved against ``manifest_base``."""
    try:
        lines = [line.strip() for line in iter_lines(uri, storage)]
    except Exception as err:  # any read failure of a named input is the user's to fix
        raise InputError(f"cannot read manifest {st.redact(uri)}: {one_line(err)}") from None
    return [manifest_entry(line, manifest_base)
            for line in lines if line and not line.startswith("#")]


def manifest_entry(entry: str, manifest_base: str) -> str:
    """A manifest line as a URI: absolute paths and URIs as given (local ones normalised),
    anything else relative to ``manifest_base``."""
    if "://" in entry or entry.startswith("/"):
        return normalize(entry)
    return normalize(st.join_uri(manifest_base, entry))


def one_line(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text}" if text else type(err).__name__
