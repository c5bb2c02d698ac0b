"""The select-urls job on the 697 real CC-MAIN-2019-30 documents and a URL table built here
from some of their URLs, written as other spellings of the same URLs (case, www., scheme,
ports, fragments, tracking parameters, trailing slashes), scored around the threshold, plus
rows that match nothing: the documents kept are exactly those listed with score >= 3, by
broadcast and by shuffle join, and every other document is rejected with its reason."""

from __future__ import annotations

import csv
import gzip
import json

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from webcurate.cli import run_job

pytestmark = pytest.mark.spark
CC_DOCS = "text/cc/CC-MAIN-2019-30-697docs.jsonl.gz"


def _variant(url: str, kind: int) -> str:
    """Another spelling of a real document URL (they come without a scheme)."""
    host, _, rest = url.partition("/")
    if kind == 0:
        return url
    if kind == 1:
        return f"HTTP://WWW.{host.upper()}/{rest}#comments"
    if kind == 2:
        glue = "&" if "?" in rest else "?"
        return f"https://{host}/{rest}{glue}utm_source=reddit&utm_medium=social&fbclid=abc"
    return f"http://{host}:80/{rest}" + ("" if "?" in rest or rest.endswith("/") else "/")


@pytest.fixture(scope="module")
def case(shared_data, tmp_path_factory):
    with gzip.open(shared_data / CC_DOCS, "rt", encoding="utf-8") as f:
        docs = [json.loads(line) for line in f]
    urls = [d["metadata"]["url"] for d in docs]
    rows, expected = [], {}
    for i, url in enumerate(urls[:120]):
        kind, group = i % 4, i % 5
        if group == 4:
            continue  # not listed
        score = {0: 10, 1: 3, 2: 2.0, 3: 57}[group]  # group 2: below the threshold
        rows.append({"url": _variant(url, kind), "score": score})
        if group == 3:
            rows.append({"url": url, "score": 1})  # the best score of a URL counts
        expected[docs[i]["id"]] = ("kept" if score >= 3 else "url_score_below_min")
    rows += [{"url": "mailto:someone@example.com", "score": 99},
             {"url": "https://example.org/not-crawled", "score": 40},
             {"url": urls[200], "score": None}]
    root = tmp_path_factory.mktemp("select")
    (root / "urls").mkdir()
    pq.write_table(pa.Table.from_pylist(rows[::2]), root / "urls" / "a.parquet")
    with open(root / "urls" / "b.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, ["url", "score"])
        writer.writeheader()
        writer.writerows({"url": r["url"], "score": "" if r["score"] is None else r["score"]}
                         for r in rows[1::2])
    for doc in docs:
        expected.setdefault(doc["id"], "url_not_listed")
    return shared_data / CC_DOCS, root / "urls", expected, len(rows)


@pytest.mark.parametrize("join", ["broadcast", pytest.param("shuffle", marks=pytest.mark.slow)])
def test_selected_exactly_the_listed_documents(spark, case, tmp_path, join):
    docs, urls, expected, table_rows = case
    out = tmp_path / "out"
    assert run_job("select-urls", ["--set", f"input={docs}", "--set", f"output={out}",
                                   "--set", f"urls={urls}", "--set", f"join={join}"],
                   spark=spark) == 0
    kept = ds.dataset(out / "kept", format="parquet").to_table().to_pylist()
    rejected = ds.dataset(out / "rejected", format="parquet").to_table().to_pylist()
    by_id = {r["id"]: "kept" for r in kept}  # the JSONL's own ids
    by_id.update({r["id"]: r["reason"] for r in rejected})
    assert by_id == expected
    assert all(r["url_score"] >= 3 for r in kept)
    stats = json.loads((out / "stats.json").read_text())
    assert stats["join"] == join and stats["documents_kept"] == len(kept)
    assert stats["url_table"]["rows"] == table_rows
    assert stats["url_table"]["rows_url_invalid"] == 1
    assert stats["url_table"]["rows_without_score"] == 1
    assert stats["removed_by_reason"]["url_not_listed"] == sum(
        v == "url_not_listed" for v in expected.values())


def test_missing_table_is_one_line(case, tmp_path, capsys):
    docs, _, _, _ = case
    code = run_job("select-urls", ["--set", f"input={docs}", "--set", f"output={tmp_path}/o",
                                   "--set", f"urls={tmp_path}/nothing.parquet"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "config key 'urls'" in err
