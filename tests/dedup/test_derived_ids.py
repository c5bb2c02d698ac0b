"""Documents without ``doc_id``/``id`` get ids unique per row (file + row position): repeated
rows are what dedup removes, so they must not stop it with "doc_id ... occurs 2 times"; and the
ids do not depend on how Spark splits the files."""

from __future__ import annotations

import gzip
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from test_dedup_job import read, run_dedup, write_jsonl

from webcurate.documents import read_documents
from webcurate.io.storage import StorageConfig
from webcurate.schema import _hex_digest

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def repeated(shared_data, tmp_path_factory):
    """Four real pages; a JSONL file holding page 0 three times and page 1 once, a Parquet file
    (one row per row group) holding page 2 twice, page 3 and page 1 again: 8 rows, 4 distinct."""
    with gzip.open(shared_data / "text/cc/CC-MAIN-2019-30-697docs.jsonl.gz", "rt") as f:
        pages = [json.loads(next(f)) for _ in range(4)]
    pages = [{"url": p["metadata"]["url"], "text": p["text"]} for p in pages]
    folder = tmp_path_factory.mktemp("repeated")
    jsonl = write_jsonl(folder / "pages.jsonl", [pages[0], pages[1], pages[0], pages[0]])
    rows = [pages[2], pages[3], pages[2], pages[1]]
    parquet = folder / "pages.parquet"
    pq.write_table(pa.Table.from_pylist(rows), parquet, row_group_size=1)
    return jsonl, parquet, pages


@pytest.mark.parametrize("mode", ["exact", "minhash"])
def test_dedup_keeps_one_of_each_repeated_row(spark, repeated, tmp_path, mode):
    jsonl, parquet, pages = repeated
    out = tmp_path / "out"
    assert run_dedup(spark, f"{jsonl},{parquet}", out, f"mode={mode}") == 0
    kept = read(out, "kept").to_pylist()
    duplicates = read(out, "duplicates").to_pylist()
    assert sorted(r["text"] for r in kept) == sorted(p["text"] for p in pages)
    assert len(duplicates) == 4 and {r["kind"] for r in duplicates} == {"exact"}
    kept_ids = {r["doc_id"] for r in kept}
    assert {r["survivor_id"] for r in duplicates} <= kept_ids
    assert not kept_ids & {r["doc_id"] for r in duplicates}


def test_ids_are_file_and_row_and_do_not_depend_on_the_splits(spark, repeated):
    jsonl, parquet, _ = repeated
    spec = f"{jsonl},{parquet}"

    def read_ids(max_partition_bytes: str):
        spark.conf.set("spark.sql.files.maxPartitionBytes", max_partition_bytes)
        spark.conf.set("spark.sql.files.openCostInBytes", "0")
        try:
            df = read_documents(spark, spec, StorageConfig())
            return df.rdd.getNumPartitions(), sorted(tuple(r) for r in
                                                    df.select("doc_id", "text").collect())
        finally:
            spark.conf.unset("spark.sql.files.maxPartitionBytes")
            spark.conf.unset("spark.sql.files.openCostInBytes")

    few, whole = read_ids("128m")
    many, split = read_ids("2k")
    assert many > few and split == whole  # other splits, same ids
    ids = {doc_id for doc_id, _ in whole}
    assert len(ids) == 8
    expected = {_hex_digest("row", str(jsonl), str(i)) for i in range(4)} | {
        _hex_digest("row", str(parquet), str(i)) for i in range(4)}
    assert ids == expected
