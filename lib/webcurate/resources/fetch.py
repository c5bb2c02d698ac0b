"""``python -m webcurate.resources.fetch [DEST]`` (run by ``make install``) fills the assets
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
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path

from webcurate.resources.lists import assets_dir

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
    if args[:1] == ["fetch"]:  # the older spelling, ``... fetch [DEST]``
        args = args[1:]
    if len(args) > 1 or (args and args[0].startswith("-")):
        print("usage: python -m webcurate.resources.fetch [DEST]", file=sys.stderr)
        return 2
    try:
        print(fetch(args[0] if args else None))
    except (FetchError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
