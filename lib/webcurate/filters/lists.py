"""Word lists and blocklists for the filters: read by path, loaded once per process, installed by
``fetch``.

A list path is local, ``s3://`` (through ``webcurate.io.storage``) or ``assets:REL``, which names
``REL`` under the assets folder: ``$WEBCURATE_ASSETS`` if set, else
``<sys.prefix>/share/webcurate/assets`` (inside the virtualenv, so a packed venv carries it). Config
defaults use ``assets:`` so a saved config.yaml stays portable. A file may be plain text, ``.gz``,
or a member of a tar archive named after ``#``: ``assets:fineweb/url_filterblacklistsv0_3_0.tar.gz#
domains``. Lines are UTF-8. On Spark, paths resolve on the executors; set
``spark.executorEnv.WEBCURATE_ASSETS`` when the assets are not in the executors' own venv.

``python -m webcurate.filters.lists fetch [DEST]`` (run by ``make install``) fills the assets
folder from registry packages only, each pinned and checked against its published hash:

- ``ldnoobw/<lang>``: the LDNOOBW lists (CC BY 4.0) of the npm package ``naughty-words@1.2.0``
  (28 languages), and ``ldnoobw/en.c4-commit-25e679f.txt``, the exact English list C4 used, which
  is ``en.json`` of ``naughty-words@1.0.2`` (377 entries, identical to LDNOOBW commit 25e679f);
- ``fineweb/``: ``url_filterblacklistsv0_3_0.tar.gz`` (UT1-based ``domains`` and ``urls``),
  ``banned_words.txt``, ``banned_subwords.txt``, ``soft_banned_words.txt`` from the datatrove
  0.10.1 sdist (Apache-2.0), i.e. FineWeb's URL filter assets.

No registry package ships the RefinedWeb URL word lists (reverse-engineered by DCLM,
``mlfoundations/dclm`` ``baselines/mappers/banlists/``): ``refinedweb_url`` defaults them to
``null``; download them yourself and set their paths (``assets:refinedweb/...`` if placed there).
Reruns are idempotent: ``manifest.json`` holds the sha256 of every installed file, and a run whose
files all match it does nothing.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np

from webcurate.io.storage import StorageConfig, exists, open_input

ASSETS_ENV = "WEBCURATE_ASSETS"
ASSETS_PREFIX = "assets:"
MEMBER_SEPARATOR = "#"
_ARCHIVES = (".tar.gz", ".tgz", ".tar")
_CHUNK = 1 << 22
_LANGUAGE_FILE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]+)*")  # en, fil, fr-CA-u-sd-caqc

# (version, npm integrity) of the packages, and (version, sha256) of the sdist.
NAUGHTY_WORDS = ("1.2.0", "sha512-0iadX6fN+3NsfvIRtWmmpEX9VsoIQ6n9FwyIxmew9w5yzFNqMgs/"
                          "Ky0eAC/z5xXSHtqlVoByiovdROikwH9SXQ==")
NAUGHTY_WORDS_C4 = ("1.0.2", "sha512-ssI6oPhsPmZkKMWYdjiGSBAfcNs01L6BolUox4S1XQokdpf+1LsYeBpMdLo/"
                             "RCJFc0PjSAF+MdvdRQzp4hndew==")
C4_ENGLISH_LIST = "en.c4-commit-25e679f.txt"
DATATROVE_SDIST = ("0.10.1", "609e8e00138ee2f316a1d1d3464a8302565e2a4d937a48be7254be50b7196f5c")
FINEWEB_FILES = ("url_filterblacklistsv0_3_0.tar.gz", "banned_words.txt", "banned_subwords.txt",
                 "soft_banned_words.txt")
MANIFEST = "manifest.json"
SOURCES = {"ldnoobw": f"npm naughty-words@{NAUGHTY_WORDS[0]}",
           f"ldnoobw/{C4_ENGLISH_LIST}": f"npm naughty-words@{NAUGHTY_WORDS_C4[0]} en.json",
           "fineweb": f"pypi datatrove=={DATATROVE_SDIST[0]} sdist, src/datatrove/assets"}


class FetchError(RuntimeError):
    """The assets could not be obtained (registry unreachable, wrong hash, missing file)."""


# --- paths --------------------------------------------------------------------------------------

def assets_dir() -> str:
    """``$WEBCURATE_ASSETS``, else ``<sys.prefix>/share/webcurate/assets``."""
    return os.environ.get(ASSETS_ENV) or os.path.join(sys.prefix, "share", "webcurate", "assets")


def resolve(path: str) -> str:
    """``assets:REL`` -> ``<assets dir>/REL``; any other path unchanged."""
    if path.startswith(ASSETS_PREFIX):
        return os.path.join(assets_dir(), path[len(ASSETS_PREFIX):].lstrip("/"))
    return path


def split_member(uri: str) -> tuple[str, str | None]:
    """``(archive, member)`` for ``archive.tar.gz#member``, else ``(uri, None)``."""
    head, sep, member = uri.rpartition(MEMBER_SEPARATOR)
    if sep and member and head.endswith(_ARCHIVES):
        return head, member
    return uri, None


def _missing(path: str, uri: str) -> FileNotFoundError:
    shown = path if path == uri else f"{path} -> {uri}"
    hint = (" (install the default lists: python -m webcurate.filters.lists fetch)"
            if path.startswith(ASSETS_PREFIX) or uri.startswith(assets_dir()) else "")
    return FileNotFoundError(f"list not found: {shown}{hint}")


# --- reading ------------------------------------------------------------------------------------

def _chunks(stream) -> Iterator[bytes]:
    while chunk := stream.read(_CHUNK):
        yield chunk


def iter_chunks(path: str, storage: StorageConfig) -> Iterator[bytes]:
    """The decompressed bytes of a list, streamed (a 124 MB tar member is never held whole)."""
    uri, member = split_member(resolve(path))
    if not exists(uri, storage):
        raise _missing(path, uri)
    with open_input(uri, storage) as raw:
        if member is None:
            stream = gzip.GzipFile(fileobj=raw) if uri.endswith(".gz") else raw
            yield from _chunks(stream)
            return
        with tarfile.open(fileobj=raw, mode="r|*") as tar:
            for info in tar:
                if info.name.removeprefix("./") == member:
                    yield from _chunks(tar.extractfile(info))
                    return
    raise FileNotFoundError(f"list not found: no member {member!r} in {uri}")


def iter_line_batches(path: str, storage: StorageConfig) -> Iterator[list[bytes]]:
    """The list's lines in batches, as bytes without their line ending (``\\n`` or ``\\r\\n``)."""
    rest = b""
    for chunk in iter_chunks(path, storage):
        data = rest + chunk
        cut = data.rfind(b"\n") + 1
        rest = data[cut:]
        yield [line.removesuffix(b"\r") for line in data[:cut].split(b"\n")[:-1]]
    if rest:
        yield [rest.removesuffix(b"\r")]


@functools.lru_cache(maxsize=64)
def _cached_lines(uri: str, storage: StorageConfig) -> tuple[str, ...]:
    return tuple(line.decode("utf-8") for batch in iter_line_batches(uri, storage)
                 for line in batch)


def read_lines(path: str, storage: StorageConfig) -> tuple[str, ...]:
    """Every line of a (small) list, decoded; read once per process and resolved path."""
    return _cached_lines(resolve(path), storage)


def _not_comment(line: bytes) -> bool:
    return not line.startswith(b"#")


class HashedSet:
    """A large set of strings held as sorted 64-bit hashes: 8 bytes a member instead of ~110.

    Used for the 4.56 M-domain blocklist (36 MB instead of ~500 MB per Python worker). Hashes
    are Python's own ``hash`` of the UTF-8 bytes, valid within the process that built the set
    (the set is built per process and never pickled). A string not in the set is reported as a
    member with probability ``len(self) / 2**64`` (about 2.5e-13 for the UT1 list).
    """

    def __init__(self, hashes: np.ndarray):
        self._hashes = np.sort(hashes)  # duplicates are harmless (np.unique is 20x slower)

    @classmethod
    def from_lines(cls, batches: Iterable[list[bytes]]) -> HashedSet:
        """Members: every line not starting with ``#``, stripped; blank lines are skipped."""
        parts = [np.fromiter(map(hash, filter(None, map(bytes.strip, filter(_not_comment, batch)))),
                             dtype=np.int64) for batch in batches]
        return cls(np.concatenate(parts) if parts else np.empty(0, dtype=np.int64))

    def __contains__(self, item: str) -> bool:
        key = hash(item.encode("utf-8"))
        i = int(np.searchsorted(self._hashes, key))
        return i < len(self._hashes) and int(self._hashes[i]) == key

    def __len__(self) -> int:
        return len(self._hashes)

    def __reduce__(self):
        raise TypeError("HashedSet holds process-local hashes; load it in each process")


@functools.lru_cache(maxsize=8)
def _cached_hashed_set(uri: str, storage: StorageConfig) -> HashedSet:
    return HashedSet.from_lines(iter_line_batches(uri, storage))


def load_hashed_set(path: str, storage: StorageConfig) -> HashedSet:
    """The lines of a (large) list as a :class:`HashedSet`, once per process and resolved path."""
    return _cached_hashed_set(resolve(path), storage)


_RESOURCES: dict[tuple, object] = {}
_RESOURCES_LOCK = threading.Lock()


def per_process(loader: Callable) -> Callable:
    """Cache ``loader(config, storage)`` per process, config, storage and assets folder."""

    @functools.wraps(loader)
    def cached(config, storage: StorageConfig):
        key = (loader.__qualname__, config, storage, assets_dir())
        with _RESOURCES_LOCK:
            if key not in _RESOURCES:
                _RESOURCES[key] = loader(config, storage)
            return _RESOURCES[key]

    return cached


# --- matching -----------------------------------------------------------------------------------

def alternation(words: Iterable[str]) -> str:
    """A regex matching exactly ``words`` (escaped), shaped as a trie: ``ass(?:hole)?``.

    Python's ``re`` tries the branches of a flat ``a|b|c`` one by one at every position; a trie
    tries one branch per distinct next character (about 5x faster on the LDNOOBW list). It
    matches the same strings as the flat alternation, preferring the longest word at a position.
    """
    trie: dict = {}
    for word in words:
        if word:
            node = trie
            for char in word:
                node = node.setdefault(char, {})
            node[""] = {}
    return _trie_pattern(trie)


def _trie_pattern(node: dict) -> str:
    branches = [re.escape(char) + _trie_pattern(child)
                for char, child in sorted(node.items()) if char]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if "" in node else body


def check_list_paths(config, storage: StorageConfig, prefix: str) -> None:
    """Raise ``ConfigError`` naming ``prefix.field`` for a list path that does not exist.

    Checks every non-null field declared with ``option(..., list_path=True)``; for preflights.
    """
    import dataclasses

    from webcurate.config import ConfigError

    for f in dataclasses.fields(config):
        path = getattr(config, f.name)
        if f.metadata.get("list_path") and path is not None:
            uri = split_member(resolve(path))[0]
            if not exists(uri, storage):
                raise ConfigError(f"config key '{prefix}{f.name}': {_missing(path, uri)}")


# --- fetch --------------------------------------------------------------------------------------

def _run(cmd: list[str], cwd: str, what: str) -> None:
    try:
        subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, text=True, timeout=600)
    except FileNotFoundError:
        raise FetchError(f"cannot fetch {what}: {cmd[0]} is not installed") from None
    except subprocess.TimeoutExpired:
        raise FetchError(f"cannot fetch {what}: {cmd[0]} timed out (registry unreachable?)") \
            from None
    except subprocess.CalledProcessError as err:
        lines = [line for line in (err.stderr or err.stdout or "").splitlines() if line.strip()]
        detail = lines[-1].strip() if lines else f"exit status {err.returncode}"
        raise FetchError(f"cannot fetch {what} with {cmd[0]}: {detail}") from None


def _check_digest(path: Path, algorithm: str, expected: str) -> None:
    digest = hashlib.new(algorithm, path.read_bytes()).digest()
    actual = (f"sha512-{base64.b64encode(digest).decode()}" if algorithm == "sha512"
              else digest.hex())
    if actual != expected:
        raise FetchError(f"{path.name}: {algorithm} {actual} does not match the pinned {expected}")


def _download(cmd: list[str], target: Path, pattern: str, algorithm: str, digest: str,
              what: str) -> Path:
    """Run a registry client that saves one file matching ``pattern`` into ``target``; check it
    against the pinned ``digest`` (npm's ``sha512-<base64>`` integrity, or a sha256 hex)."""
    target.mkdir(parents=True)
    _run(cmd, str(target), what)
    found = list(target.glob(pattern))
    if len(found) != 1:
        raise FetchError(f"cannot fetch {what}: {cmd[0]} saved no {pattern}")
    _check_digest(found[0], algorithm, digest)
    return found[0]


def npm_pack(package: str, version: str, integrity: str, workdir: str) -> Path:
    """``npm pack package@version`` (the registry tarball), checked against its integrity."""
    return _download(["npm", "pack", f"{package}@{version}", "--silent"],
                     Path(workdir) / f"npm-{package}-{version}", "*.tgz", "sha512", integrity,
                     f"{package}@{version}")


def pip_sdist(package: str, version: str, sha256: str, workdir: str) -> Path:
    """The sdist of ``package==version`` from ``pip download``, checked against its sha256."""
    return _download([sys.executable, "-m", "pip", "download", f"{package}=={version}",
                      "--no-deps", "--no-binary", ":all:", "--quiet", "--dest", "."],
                     Path(workdir) / f"pip-{package}-{version}", f"{package}-{version}.tar.gz",
                     "sha256", sha256, f"{package}=={version}")


def extract_ldnoobw(tarball: Path, dest: Path, only: dict[str, str] | None = None) -> list[str]:
    """Write each ``package/<lang>.json`` word list of a naughty-words tarball as ``dest/<lang>``
    (one word a line); ``only`` maps the languages to take to their file names instead."""
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    with tarfile.open(tarball, "r:gz") as tar:
        for info in tar.getmembers():
            lang = info.name.removeprefix("package/").removesuffix(".json")
            if not (info.name.endswith(".json") and _LANGUAGE_FILE.fullmatch(lang)):
                continue  # package.json, bower.json, package-lock.json, tests
            if only is not None and lang not in only:
                continue
            words = json.loads(tar.extractfile(info).read().decode("utf-8"))
            out = (only or {}).get(lang, lang)
            (dest / out).write_text("".join(f"{w}\n" for w in words), encoding="utf-8")
            written.append(out)
    if not written:
        raise FetchError(f"{tarball.name} holds no word list")
    return sorted(written)


def extract_fineweb(sdist: Path, dest: Path) -> list[str]:
    """Copy FineWeb's URL filter assets out of a datatrove sdist into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    found = []
    with tarfile.open(sdist, "r:gz") as tar:
        for info in tar.getmembers():
            parts = info.name.split("/")
            if parts[-3:-1] == ["datatrove", "assets"] and parts[-1] in FINEWEB_FILES:
                with tar.extractfile(info) as src, open(dest / parts[-1], "wb") as out:
                    shutil.copyfileobj(src, out)
                found.append(parts[-1])
    missing = sorted(set(FINEWEB_FILES) - set(found))
    if missing:
        raise FetchError(f"{sdist.name} lacks {', '.join(missing)}")
    return sorted(found)


def _digests(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != MANIFEST}


def verified(dest: Path) -> bool:
    """True when ``dest/manifest.json`` exists and every file it names has its sha256."""
    try:
        files = json.loads((dest / MANIFEST).read_text())["files"]
    except (OSError, ValueError, KeyError):
        return False
    return all((dest / rel).is_file() and
               hashlib.sha256((dest / rel).read_bytes()).hexdigest() == digest
               for rel, digest in files.items())


def install(dest: Path, stage: Callable[[Path, str], None]) -> None:
    """Build the assets in a scratch folder beside ``dest`` with ``stage(folder, workdir)``,
    write its manifest, then move each top-level entry into ``dest`` (a killed run leaves the
    old files or none, never a manifest over partial ones)."""
    dest.mkdir(parents=True, exist_ok=True)
    (dest / MANIFEST).unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(dir=dest, prefix=".fetch-") as scratch:
        staged = Path(scratch) / "assets"
        stage(staged, scratch)
        manifest = {"sources": SOURCES, "files": _digests(staged)}
        for entry in staged.iterdir():
            shutil.rmtree(dest / entry.name, ignore_errors=True)
            os.replace(entry, dest / entry.name)
        partial = dest / f".{MANIFEST}.partial"
        partial.write_text(json.dumps(manifest, indent=1) + "\n")
        os.replace(partial, dest / MANIFEST)


def _stage_from_registries(staged: Path, workdir: str) -> None:
    tarball = npm_pack("naughty-words", *NAUGHTY_WORDS, workdir)
    extract_ldnoobw(tarball, staged / "ldnoobw")
    c4_tarball = npm_pack("naughty-words", *NAUGHTY_WORDS_C4, workdir)
    extract_ldnoobw(c4_tarball, staged / "ldnoobw", only={"en": C4_ENGLISH_LIST})
    extract_fineweb(pip_sdist("datatrove", *DATATROVE_SDIST, workdir), staged / "fineweb")


def fetch(dest: str | None = None) -> str:
    """Install the default lists into ``dest`` (default: the assets folder) unless present."""
    root = Path(dest or assets_dir())
    if verified(root):
        return f"assets present and verified: {root}"
    install(root, _stage_from_registries)
    return f"assets installed: {root} ({len(_digests(root))} files)"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] != "fetch" or len(args) > 2:
        print("usage: python -m webcurate.filters.lists fetch [DEST]", file=sys.stderr)
        return 2
    try:
        print(fetch(args[1] if len(args) == 2 else None))
    except (FetchError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
