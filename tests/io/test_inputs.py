"""Input specs: files, directories, globs, manifests, lists; locally, on S3 and over HTTP."""

from __future__ import annotations

import gzip
import http.server
import re
import threading
from functools import partial

import pytest

from webcurate.io import storage as st
from webcurate.io.inputs import (
    InputError,
    glob_regex,
    is_bad_file_error,
    iter_lines,
    resolve_inputs,
    split_spec,
)

LOCAL = st.StorageConfig()
CC_PATH = "crawl-data/CC-MAIN-2024-22/segments/1715971057216.39/warc/x-00000.warc.gz"


@pytest.fixture
def tree(tmp_path):
    """data/{a.warc.gz, b.warc.gz, sub/c.warc.gz, sub/deep/d.wet.gz, _SUCCESS, .hidden,
    _staging/e.warc.gz}."""
    files = ["a.warc.gz", "b.warc.gz", "sub/c.warc.gz", "sub/deep/d.wet.gz", "_SUCCESS",
             ".hidden", "_staging/e.warc.gz"]
    for name in files:
        path = tmp_path / "data" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    return tmp_path / "data"


def test_split_spec():
    assert split_spec(" a, b ,,c") == ["a", "b", "c"]
    assert split_spec(["a,b", "c"]) == ["a", "b", "c"]


def test_single_file_and_file_uri(tree):
    one = str(tree / "a.warc.gz")
    assert resolve_inputs(one, LOCAL) == [one]
    assert resolve_inputs(f"file://{one}", LOCAL) == [one]  # normalised to a plain path


def test_directory_is_recursive_and_skips_hidden(tree):
    assert resolve_inputs(str(tree), LOCAL) == [
        str(tree / n) for n in ("a.warc.gz", "b.warc.gz", "sub/c.warc.gz", "sub/deep/d.wet.gz")]


def test_globs(tree):
    assert resolve_inputs(f"{tree}/*.warc.gz", LOCAL) == [
        str(tree / "a.warc.gz"), str(tree / "b.warc.gz")]
    assert resolve_inputs(f"{tree}/**/*.gz", LOCAL) == [
        str(tree / n) for n in ("a.warc.gz", "b.warc.gz", "sub/c.warc.gz", "sub/deep/d.wet.gz")]
    assert resolve_inputs(f"{tree}/su?/*", LOCAL) == [str(tree / "sub/c.warc.gz")]
    assert resolve_inputs(f"{tree}/_*", LOCAL) == [str(tree / "_SUCCESS")]  # spelled out


def test_glob_regex_keeps_wildcards_within_a_segment():
    assert glob_regex("/d/*.gz").fullmatch("/d/x.gz")
    assert not glob_regex("/d/*.gz").fullmatch("/d/sub/x.gz")
    assert glob_regex("/d/[!a]?.gz").fullmatch("/d/bc.gz")
    assert not glob_regex("/d/[!a]?.gz").fullmatch("/d/ac.gz")
    assert not glob_regex("/d/**/x").fullmatch("/d/.git/x")


def test_comma_list_and_list_deduplicate_and_sort(tree):
    a, b = str(tree / "a.warc.gz"), str(tree / "b.warc.gz")
    assert resolve_inputs(f"{b},{a}", LOCAL) == [a, b]
    assert resolve_inputs([b, f"{tree}/*.warc.gz", a], LOCAL) == [a, b]


def _write_manifest(path, lines, gzipped=False):
    text = "\n".join(lines) + "\n"
    if gzipped:
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return str(path)


@pytest.mark.parametrize("name, gzipped", [("warc.paths.gz", True), ("warc.paths", False),
                                           ("inputs.txt", False), ("list.manifest", False)])
def test_manifest_resolves_relative_entries_against_the_base(tmp_path, name, gzipped):
    manifest = _write_manifest(tmp_path / name, [
        "# a comment", "", CC_PATH, "  /abs/local.warc.gz  ", "s3://other/k.warc.gz",
        "https://data.commoncrawl.org/x.warc.gz"], gzipped)
    assert resolve_inputs(manifest, LOCAL) == [
        "/abs/local.warc.gz", "https://data.commoncrawl.org/x.warc.gz",
        f"s3://commoncrawl/{CC_PATH}", "s3://other/k.warc.gz"]
    based = resolve_inputs(manifest, LOCAL, manifest_base="https://data.commoncrawl.org/")
    assert f"https://data.commoncrawl.org/{CC_PATH}" in based


def test_manifest_with_real_local_files(tmp_path, shared_data):
    warc_dir = shared_data / "warc/cc"
    names = ["CC-MAIN-2020-34-sample.warc.gz", "CC-MAIN-2016-50-sample.warc.wet.gz"]
    manifest = _write_manifest(tmp_path / "warc.paths.gz", names, gzipped=True)
    resolved = resolve_inputs(manifest, LOCAL, manifest_base=str(warc_dir))
    assert resolved == sorted(str(warc_dir / n) for n in names)
    assert resolve_inputs(f"{warc_dir}/*.warc.gz", LOCAL) == sorted(
        str(p) for p in warc_dir.glob("*.warc.gz"))


def test_missing_manifest_entries_are_not_errors(tmp_path):
    manifest = _write_manifest(tmp_path / "x.txt", [str(tmp_path / "gone.warc.gz")])
    assert resolve_inputs(manifest, LOCAL) == [str(tmp_path / "gone.warc.gz")]


@pytest.mark.parametrize("spec", ["{d}/missing.warc.gz", "{d}/*.nothing", "{d}/empty",
                                  "{d}/missing.paths.gz", "{d}/blank.txt", ""])
def test_no_match_is_one_line_naming_the_spec(tmp_path, spec):
    (tmp_path / "empty").mkdir()
    (tmp_path / "blank.txt").write_text("# nothing here\n\n")
    spec = spec.format(d=tmp_path)
    with pytest.raises(InputError) as error:
        resolve_inputs(spec, LOCAL)
    message = str(error.value)
    assert "\n" not in message
    assert spec in message if spec else "empty" in message


def test_one_bad_item_in_a_list_fails_the_whole_spec(tree):
    with pytest.raises(InputError, match=r"nope\.warc\.gz"):
        resolve_inputs([str(tree / "a.warc.gz"), str(tree / "nope.warc.gz")], LOCAL)


# --- S3 ----------------------------------------------------------------------------------------

def _put(s3_server, bucket, keys):
    for key in keys:
        s3_server.client().put_object(Bucket=bucket, Key=key, Body=b"x")


def test_s3_file_directory_and_globs(s3_server, s3_bucket):
    storage = s3_server.storage
    _put(s3_server, s3_bucket, ["cc/a.warc.gz", "cc/b.wet.gz", "cc/seg/c.warc.gz",
                                "cc/_SUCCESS", "cc/.x", "ccx/d.warc.gz"])
    base = f"s3://{s3_bucket}"
    assert resolve_inputs(f"{base}/cc/a.warc.gz", storage) == [f"{base}/cc/a.warc.gz"]
    assert resolve_inputs(f"{base}/cc", storage) == [
        f"{base}/cc/a.warc.gz", f"{base}/cc/b.wet.gz", f"{base}/cc/seg/c.warc.gz"]
    assert resolve_inputs(f"{base}/cc/*.warc.gz", storage) == [f"{base}/cc/a.warc.gz"]
    assert resolve_inputs(f"{base}/cc/**/*.warc.gz", storage) == [
        f"{base}/cc/a.warc.gz", f"{base}/cc/seg/c.warc.gz"]
    with pytest.raises(InputError, match=re.escape(f"{base}/cc/missing.warc.gz")):
        resolve_inputs(f"{base}/cc/missing.warc.gz", storage)
    with pytest.raises(InputError, match=r"\*\.arc\.gz"):
        resolve_inputs(f"{base}/cc/*.arc.gz", storage)


def test_s3_manifest_gz_with_relative_entries(s3_server, s3_bucket):
    storage = s3_server.storage
    body = gzip.compress(f"{CC_PATH}\ncrawl-data/b.warc.gz\n".encode())
    s3_server.client().put_object(Bucket=s3_bucket, Key="CC-MAIN-2024-22/warc.paths.gz", Body=body)
    manifest = f"s3://{s3_bucket}/CC-MAIN-2024-22/warc.paths.gz"
    assert resolve_inputs(manifest, storage, manifest_base=f"s3://{s3_bucket}/") == sorted([
        f"s3://{s3_bucket}/crawl-data/b.warc.gz", f"s3://{s3_bucket}/{CC_PATH}"])


def test_s3_missing_manifest_is_an_input_error(s3_server, s3_bucket):
    with pytest.raises(InputError, match="cannot read manifest"):
        resolve_inputs(f"s3://{s3_bucket}/nope/warc.paths.gz", s3_server.storage)


# --- HTTP --------------------------------------------------------------------------------------

@pytest.fixture
def http_root(tmp_path):
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_http_manifest_and_file(http_root):
    root, url = http_root
    (root / "warc.paths.gz").write_bytes(gzip.compress(f"{CC_PATH}\n".encode()))
    (root / "one.warc.gz").write_bytes(b"x")
    storage = st.StorageConfig(max_attempts=2)
    assert resolve_inputs(f"{url}/warc.paths.gz", storage, manifest_base=f"{url}/") == [
        f"{url}/{CC_PATH}"]
    assert resolve_inputs(f"{url}/one.warc.gz", storage) == [f"{url}/one.warc.gz"]
    with pytest.raises(InputError, match=r"missing\.warc\.gz"):
        resolve_inputs(f"{url}/missing.warc.gz", storage)


# --- iter_lines: plain, gzip, zstd; truncated files -----------------------------------------

def _lines(count: int = 20000) -> list[str]:
    return [f'{{"n": {i}, "text": "ligne {i} — é"}}' for i in range(count)]


def test_iter_lines_reads_zstd_of_several_frames(tmp_path):
    import zstandard

    lines = _lines()
    data = ("\n".join(lines) + "\n").encode()
    half = len(data) // 2
    frames = zstandard.ZstdCompressor().compress(data[:half]) + \
        zstandard.ZstdCompressor().compress(data[half:])
    (tmp_path / "a.jsonl.zst").write_bytes(frames)
    assert list(iter_lines(str(tmp_path / "a.jsonl.zst"), LOCAL)) == lines


@pytest.mark.parametrize("codec", ["gzip", "zstd"])
def test_a_truncated_file_raises_a_bad_file_error_after_its_complete_lines(tmp_path, codec):
    """zstandard's own stream reader ends quietly inside a cut frame; that would pass for a
    complete file. Both codecs must raise, and the error must count as the file's own fault."""
    import zstandard

    data = ("\n".join(_lines()) + "\n").encode()
    packed = gzip.compress(data) if codec == "gzip" else zstandard.ZstdCompressor().compress(data)
    path = tmp_path / "cut.jsonl"
    path.write_bytes(packed[:len(packed) // 2])
    read = []
    with pytest.raises(EOFError) as caught:
        for line in iter_lines(str(path), LOCAL):
            read.append(line)
    assert is_bad_file_error(caught.value)
    assert 0 < len(read) < 20000 and read == _lines()[:len(read)]
    assert not is_bad_file_error(ConnectionError("reset")) and not is_bad_file_error(
        PermissionError("denied"))
