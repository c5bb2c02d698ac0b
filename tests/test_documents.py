"""Documents for the later jobs: doc_id kept, or derived exactly like schema.py does."""

from __future__ import annotations

import gzip
import json

import pytest

from webcurate.documents import document_format, read_documents
from webcurate.io.inputs import InputError
from webcurate.io.storage import StorageConfig
from webcurate.schema import _hex_digest, doc_id_from_external_id

pytestmark = pytest.mark.spark
DOLMA_697 = "text/cc/CC-MAIN-2019-30-697docs.jsonl.gz"


def test_dolma_jsonl_gets_doc_ids_from_its_id_and_url_from_metadata(spark, shared_data):
    path = shared_data / DOLMA_697
    df = read_documents(spark, str(path), StorageConfig())
    rows = df.select("doc_id", "id", "url", "text").collect()
    assert len(rows) == 697
    with gzip.open(path, "rt") as f:
        first = json.loads(f.readline())
    by_id = {r["id"]: r for r in rows}
    assert by_id[first["id"]]["doc_id"] == doc_id_from_external_id(first["id"])
    assert by_id[first["id"]]["url"] == first["metadata"]["url"]
    assert len({r["doc_id"] for r in rows}) == 697
    assert df.columns[0] == "doc_id"


def test_parquet_with_doc_id_keeps_it_and_bare_text_derives_it(spark, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"doc_id": ["keep-me"], "text": ["hello"]}), tmp_path / "a.parquet")
    kept = read_documents(spark, str(tmp_path / "a.parquet"), StorageConfig()).collect()
    assert kept[0]["doc_id"] == "keep-me"

    # Without doc_id or id: file + line number (blank lines count), so a repeated row differs.
    path = tmp_path / "b é.jsonl"
    path.write_text(json.dumps({"url": "https://x.org/é", "text": "héllo"}) + "\n\n"
                    + json.dumps({"text": "no url"}) + "\n"
                    + json.dumps({"url": "https://x.org/é", "text": "héllo"}) + "\n")
    derived = read_documents(spark, str(path), StorageConfig())
    assert derived.columns == ["doc_id", "text", "url"]
    assert sorted(r["doc_id"] for r in derived.collect()) == sorted(
        _hex_digest("row", str(path), str(line)) for line in (0, 2, 3))


def test_unknown_format_and_missing_text_are_clear_errors(spark, tmp_path):
    with pytest.raises(InputError, match="not a Parquet or JSONL"):
        document_format("docs.csv")
    (tmp_path / "c.jsonl").write_text(json.dumps({"body": "x"}) + "\n")
    with pytest.raises(InputError, match="no 'text' column"):
        read_documents(spark, str(tmp_path / "c.jsonl"), StorageConfig())


def test_a_scan_asked_for_more_splits_spreads_small_files_without_a_shuffle(spark, shared_data,
                                                                          tmp_path):
    """Spark packs small files into as many splits as cores; the filter job asks for 2 x cores
    so that it need not shuffle the text to use them (``webcurate.spark.scan_at_least``)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from webcurate.spark import scan_at_least

    with gzip.open(shared_data / DOLMA_697, "rt") as f:
        texts = [json.loads(line)["text"] for line in f]
    for i in range(8):
        pq.write_table(pa.table({"text": texts[i::8]}), tmp_path / f"part-{i}.parquet")
    key = "spark.sql.files.minPartitionNum"

    def splits() -> int:
        return read_documents(spark, str(tmp_path), StorageConfig()).rdd.getNumPartitions()

    packed = splits()
    with scan_at_least(spark, 8):
        spread = splits()
        assert spark.conf.get(key) == "8"
    assert packed < 8 <= spread
    assert spark.conf.get(key, None) is None  # restored
    spark.conf.set(key, "3")  # a user's own setting wins
    try:
        with scan_at_least(spark, 8):
            assert spark.conf.get(key) == "3"
    finally:
        spark.conf.unset(key)
