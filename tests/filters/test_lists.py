"""Word-list loading (local, .gz, tar members, s3://, assets:), the hashed domain set, the trie
regex, per-process caching, config preflight, and the fetch's extraction / idempotency / errors
on local tarballs (no test reaches a registry)."""

from __future__ import annotations

import gzip
import io
import json
import re
import tarfile
from pathlib import Path

import pytest

from webcurate.config import ConfigError
from webcurate.filters import wordsets
from webcurate.filters.url_blocklist import UrlBlocklistConfig
from webcurate.io.storage import StorageConfig
from webcurate.resources import fetch, lists

LOCAL = StorageConfig()
UT1 = "fineweb/url_filterblacklistsv0_3_0.tar.gz"


@pytest.fixture
def assets(shared_data, monkeypatch) -> Path:
    """``assets:`` resolves to the shared test lists (the same layout ``fetch`` installs)."""
    monkeypatch.setenv(lists.ASSETS_ENV, str(shared_data / "lists"))
    return shared_data / "lists"


def test_assets_prefix_resolves_to_env_or_venv(monkeypatch, tmp_path):
    monkeypatch.delenv(lists.ASSETS_ENV, raising=False)
    assert lists.assets_dir().endswith("share/webcurate/assets")
    monkeypatch.setenv(lists.ASSETS_ENV, str(tmp_path))
    assert lists.resolve("assets:ldnoobw/en") == str(tmp_path / "ldnoobw" / "en")
    assert lists.resolve("s3://b/k.txt") == "s3://b/k.txt"


def test_split_member():
    assert lists.split_member("a/b.tar.gz#domains") == ("a/b.tar.gz", "domains")
    assert lists.split_member("a/words#1.txt") == ("a/words#1.txt", None)
    assert lists.split_member("a/b.tar.gz") == ("a/b.tar.gz", None)


def test_reads_plain_gz_and_tar_member(assets, tmp_path):
    en = lists.read_lines("assets:ldnoobw/en.c4-commit-25e679f.txt", LOCAL)
    assert len(en) == 377 and en[:2] == ("2g1c", "2 girls 1 cup")
    gz = tmp_path / "en.txt.gz"
    gz.write_bytes(gzip.compress((assets / "ldnoobw/en.c4-commit-25e679f.txt").read_bytes()))
    assert lists.read_lines(str(gz), LOCAL) == en
    urls = lists.read_lines(f"assets:{UT1}#urls", LOCAL)
    assert len(urls) == 19_587 and urls[0].startswith("0149614511.strimbat.fr/porno")
    ar = lists.read_lines("assets:ldnoobw/ar", LOCAL)  # no final newline: last line kept
    assert len(ar) == 38 and ar[-1] == "لبوة"


def test_crlf_lines(tmp_path):
    path = tmp_path / "crlf.txt"
    path.write_bytes(b"one\r\ntwo\r\n\r\nthree")
    assert lists.read_lines(str(path), LOCAL) == ("one", "two", "", "three")


def test_missing_list_and_member_are_clear(assets, tmp_path, monkeypatch):
    monkeypatch.setenv(lists.ASSETS_ENV, str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"python -m webcurate\.resources\.fetch"):
        lists.read_lines("assets:ldnoobw/en", LOCAL)
    with pytest.raises(FileNotFoundError, match="no member 'nope'"):
        lists.read_lines(f"{assets / UT1}#nope", LOCAL)


def test_reads_lists_from_s3(s3_server, shared_data, tmp_path):
    bucket = s3_server.make_bucket()
    client = s3_server.client()
    client.upload_file(str(shared_data / "lists/ldnoobw/de"), bucket, "lists/ldnoobw/de")
    archive = tmp_path / "small.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        data = b"# comment\nbad.example\n good.example.org \n\nx.xxx\n"
        info = tarfile.TarInfo("domains")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    client.upload_file(str(archive), bucket, "lists/small.tar.gz")
    storage = s3_server.storage
    german = lists.read_lines(f"s3://{bucket}/lists/ldnoobw/de", storage)
    assert german == lists.read_lines(str(shared_data / "lists/ldnoobw/de"), LOCAL)
    domains = lists.load_hashed_set(f"s3://{bucket}/lists/small.tar.gz#domains", storage)
    assert len(domains) == 3
    assert "bad.example" in domains and "good.example.org" in domains and "x.xxx" in domains
    assert "# comment" not in domains and "" not in domains and "example" not in domains
    with pytest.raises(FileNotFoundError):
        lists.read_lines(f"s3://{bucket}/lists/missing.txt", storage)


def test_hashed_set_holds_the_ut1_domains(assets):
    domains = lists.load_hashed_set(f"assets:{UT1}#domains", LOCAL)
    assert len(domains) == 4_558_940
    assert "0-1sex.com" in domains and "spy-cam-masturbation.blogspot.pt" in domains
    assert "wikipedia.org" not in domains and "example.com" not in domains
    assert lists.load_hashed_set(f"assets:{UT1}#domains", LOCAL) is domains  # once per process
    with pytest.raises(TypeError, match="process-local"):
        __import__("pickle").dumps(domains)


@pytest.mark.parametrize("words", [["ass", "asshole", "anal", "b.s", "a+b"], ["x"], ["性", "グロ"]])
def test_alternation_matches_like_a_flat_alternation(words):
    trie = re.compile(wordsets.alternation(words))
    flat = re.compile("|".join(map(re.escape, words)))
    for text in ["classic", "asshole", "b.s", "bas", "a+b", "ab", "x", "", "性别", "グロい"]:
        assert bool(trie.search(text)) == bool(flat.search(text)), text
    assert trie.fullmatch(words[0])
    assert wordsets.alternation([]) == ""


def test_alternation_prefers_the_longest_word():
    pattern = re.compile(wordsets.alternation(["ass", "asshole"]))
    assert pattern.match("assholes").group() == "asshole"


def test_per_process_cache_keys_on_config_and_assets(tmp_path, monkeypatch):
    calls = []

    @lists.per_process
    def load(config, storage):
        calls.append(config)
        return object()

    first = load("a", LOCAL)
    assert load("a", LOCAL) is first and calls == ["a"]
    assert load("b", LOCAL) is not first
    monkeypatch.setenv(lists.ASSETS_ENV, str(tmp_path))
    assert load("a", LOCAL) is not first


def test_check_list_paths_names_the_key(assets, tmp_path, monkeypatch):
    lists.check_list_paths(UrlBlocklistConfig(), LOCAL, "settings.url_blocklist.")
    monkeypatch.setenv(lists.ASSETS_ENV, str(tmp_path))
    with pytest.raises(ConfigError, match=r"'settings\.url_blocklist\.domains'.*fetch"):
        lists.check_list_paths(UrlBlocklistConfig(), LOCAL, "settings.url_blocklist.")
    lists.check_list_paths(UrlBlocklistConfig(domains=None, urls=None, banned_words=None,
                                              banned_subwords=None, soft_banned_words=None),
                           LOCAL, "")


# --- fetch, on local tarballs shaped like the registry packages ---------------------------------

def _npm_tarball(path: Path, words: dict[str, list[str]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        members = {f"package/{lang}.json": json.dumps(w).encode() for lang, w in words.items()}
        members["package/package.json"] = b'{"name": "naughty-words"}'
        members["package/bower.json"] = b"{}"
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _sdist(path: Path, fineweb: Path) -> Path:
    with tarfile.open(path, "w:gz", compresslevel=1) as tar:
        for name in fetch.FINEWEB_FILES:
            tar.add(fineweb / name, f"datatrove-0.10.1/src/datatrove/assets/{name}")
        tar.add(fineweb / "banned_words.txt", "datatrove-0.10.1/README.md")
    return path


def _ldnoobw(shared_data: Path, langs) -> dict[str, list[str]]:
    return {lang: (shared_data / "lists/ldnoobw" / lang).read_text(encoding="utf-8").splitlines()
            for lang in langs}


def test_extract_ldnoobw_writes_one_word_a_line(shared_data, tmp_path):
    words = _ldnoobw(shared_data, ["en", "ja", "fr-CA-u-sd-caqc", "tlh"])
    tarball = _npm_tarball(tmp_path / "nw.tgz", words)
    assert fetch.extract_ldnoobw(tarball, tmp_path / "out") == sorted(words)
    for lang in words:
        assert lists.read_lines(str(tmp_path / "out" / lang), LOCAL) == tuple(words[lang])
    only = fetch.extract_ldnoobw(tarball, tmp_path / "out", only={"en": fetch.C4_ENGLISH_LIST})
    assert only == [fetch.C4_ENGLISH_LIST]


def test_extract_fineweb_takes_the_four_assets(shared_data, tmp_path):
    sdist = _sdist(tmp_path / "datatrove-0.10.1.tar.gz", shared_data / "lists/fineweb")
    assert fetch.extract_fineweb(sdist, tmp_path / "fw") == sorted(fetch.FINEWEB_FILES)
    for name in fetch.FINEWEB_FILES:
        assert (tmp_path / "fw" / name).read_bytes() == \
            (shared_data / "lists/fineweb" / name).read_bytes()
    with tarfile.open(tmp_path / "empty.tar.gz", "w:gz"):
        pass
    with pytest.raises(fetch.FetchError, match="lacks"):
        fetch.extract_fineweb(tmp_path / "empty.tar.gz", tmp_path / "fw2")


def test_install_is_verified_and_idempotent(shared_data, tmp_path, monkeypatch):
    nw = _npm_tarball(tmp_path / "nw.tgz", _ldnoobw(shared_data, ["en", "de"]))
    sdist = _sdist(tmp_path / "datatrove-0.10.1.tar.gz", shared_data / "lists/fineweb")

    def stage(staged: Path, _workdir: str) -> None:
        fetch.extract_ldnoobw(nw, staged / "ldnoobw")
        fetch.extract_fineweb(sdist, staged / "fineweb")

    dest = tmp_path / "assets"
    (dest / "refinedweb").mkdir(parents=True)
    (dest / "refinedweb" / "mine.txt").write_text("kept\n")
    fetch.install(dest, stage)
    assert fetch.verified(dest)
    manifest = json.loads((dest / fetch.MANIFEST).read_text())
    assert sorted(manifest["files"]) == sorted(
        ["ldnoobw/en", "ldnoobw/de", *(f"fineweb/{n}" for n in fetch.FINEWEB_FILES)])
    assert (dest / "refinedweb" / "mine.txt").read_text() == "kept\n"  # not ours: untouched
    assert not list(dest.glob(".fetch-*"))
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools"))  # a verified folder needs no npm/pip
    assert fetch.fetch(str(dest)).startswith("assets present and verified")
    (dest / "ldnoobw" / "de").write_text("changed\n")
    assert not fetch.verified(dest)


def test_check_digest_rejects_other_content(tmp_path):
    path = tmp_path / "x.tgz"
    path.write_bytes(b"not the package")
    with pytest.raises(fetch.FetchError, match="does not match the pinned"):
        fetch._check_digest(path, "sha512", fetch.NAUGHTY_WORDS[1])


def test_fetch_without_npm_fails_with_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert fetch.main(["fetch", str(tmp_path / "assets")]) == 1
    err = capsys.readouterr().err
    assert err == "error: cannot fetch naughty-words@1.2.0: npm is not installed\n"
    assert not (tmp_path / "assets" / fetch.MANIFEST).exists()


def test_fetch_with_unreachable_registry_fails_with_one_line(tmp_path, monkeypatch, capsys):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    npm = bin_dir / "npm"
    npm.write_text("#!/bin/sh\necho 'npm error code ENOTFOUND' >&2\n"
                   "echo 'npm error network request failed, reason: getaddrinfo ENOTFOUND' >&2\n"
                   "exit 1\n")
    npm.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    assert fetch.main(["fetch", str(tmp_path / "assets")]) == 1
    assert capsys.readouterr().err == (
        "error: cannot fetch naughty-words@1.2.0 with npm: npm error network request failed, "
        "reason: getaddrinfo ENOTFOUND\n")


def test_usage(capsys):
    assert fetch.main(["--nope"]) == 2
    assert "usage: python -m webcurate.resources.fetch [DEST]" in capsys.readouterr().err
