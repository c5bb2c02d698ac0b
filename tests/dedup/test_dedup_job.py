"""The dedup job end to end: real text, real local Spark, the shared fixtures, rerun safety."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.dataset as ds
import pytest
from planted_corpus import PlantedDoc, family_pairs, planted_corpus, sentence_pool
from reference_lsh import clusters, final_survivors

from webcurate.cli import run_job
from webcurate.ledger import COMMITS_DIR

pytestmark = pytest.mark.spark

RATES = (0.005, 0.01, 0.02, 0.03, 0.05)


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def run_dedup(spark, input_spec, output, *overrides: str) -> int:
    args = [f"--set=input={input_spec}", f"--set=output={output}",
            *[f"--set={o}" for o in overrides]]
    return run_job("dedup", ["--conf", "conf/dedup.yaml", *args], spark=spark)


def dataset_dir(output: Path) -> Path:
    (tag,) = [p for p in output.iterdir() if p.is_dir()]
    return tag


def read(output: Path, name: str):
    return ds.dataset(str(dataset_dir(output) / name), format="parquet").to_table()


def survivors_of(output: Path) -> dict[str, str]:
    """doc_id -> the kept doc_id standing for it, from the job's own output."""
    kept = read(output, "kept").column("doc_id").to_pylist()
    duplicates = read(output, "duplicates").to_pylist()
    return {**{d: d for d in kept}, **{r["doc_id"]: r["survivor_id"] for r in duplicates}}


@pytest.fixture(scope="module")
def planted(shared_data, tmp_path_factory):
    """~210 real-text documents: 22 families at known edit rates, 3 exact copies, singles, and
    a boilerplate family of 40 pages that differ in one word (its band buckets are hot)."""
    pool = sentence_pool(shared_data)
    docs = planted_corpus(pool, families=22, singles=30, rates=RATES, words=300, seed=5)
    boilerplate = " ".join(pool[500:520])
    docs += [PlantedDoc(f"boiler-{i:02d}", f"{boilerplate} {pool[600 + i].split()[0]}x{i}",
                        family=-1, edit_rate=0.0) for i in range(40)]
    rows = [{"doc_id": d.doc_id, "text": d.text, "url": f"https://example.org/{d.doc_id}",
             "family": d.family} for d in docs]
    rows += [{**rows[i], "doc_id": f"copy-{i}"} for i in (0, 7, 14)]
    path = write_jsonl(tmp_path_factory.mktemp("planted") / "docs.jsonl", rows)
    return path, rows, family_pairs(docs)


def test_minhash_with_verification_finds_the_reference_clusters(spark, planted, tmp_path):
    path, rows, pairs = planted
    out = tmp_path / "out"
    assert run_dedup(spark, path, out, "minhash.verify=true", "minhash.hot_bucket_size=16") == 0

    tag = dataset_dir(out).name
    assert tag.startswith("minhash-n5-p112-b14x8-s42-")
    kept, duplicates = read(out, "kept"), read(out, "duplicates")
    assert kept.schema.names == ["doc_id", "family", "text", "url"]  # the input's columns
    assert duplicates.schema.names == ["doc_id", "kind", "cluster_id", "survivor_id", "jaccard"]
    survivors = survivors_of(out)
    reference = final_survivors({r["doc_id"]: r["text"] for r in rows}, verify_threshold=0.8)
    assert clusters(survivors) == clusters(reference)
    assert set(survivors.values()) <= set(kept.column("doc_id").to_pylist())
    near = [r for r in duplicates.to_pylist() if r["kind"] == "near"]
    assert near  # each with the true Jaccard to its survivor (clusters are transitive: < 0.8 too)
    for r in near:
        assert r["jaccard"] == pytest.approx(pairs[tuple(sorted((r["doc_id"], r["survivor_id"])))],
                                             abs=0.01)
    exact = {r["doc_id"] for r in duplicates.to_pylist() if r["kind"] == "exact"}
    assert {"copy-0", "copy-7", "copy-14"} <= exact | {survivors[c] for c in exact}
    similar = [p for p, j in pairs.items() if j >= 0.8]
    assert sum(survivors[a] == survivors[b] for a, b in similar) >= 0.9 * len(similar)

    stats = json.loads((out / "stats.json").read_text())
    assert stats["documents_in"] == len(rows) == kept.num_rows + duplicates.num_rows
    assert stats["exact_duplicates"] + stats["near_duplicates"] == duplicates.num_rows
    assert stats["minhash"]["bands"] == 14 and stats["minhash"]["rows"] == 8
    assert stats["verified_pairs"] <= stats["candidate_pairs"]
    # The boilerplate family: one cluster; its 40-page buckets (> 16) linked as stars, so its
    # candidate pairs grow with pages x bands, not pages^2 x bands.
    assert stats["hot_buckets"] >= 14 and stats["largest_bucket"] >= 40
    assert len({survivors[f"boiler-{i:02d}"] for i in range(40)}) == 1
    assert stats["candidate_pairs"] < 40 * 39 / 2
    assert sum(stats["cluster_size_histogram"].values()) == stats["clusters"]
    assert set(stats["seconds"]) >= {"signatures", "banding", "components", "filtering"}
    assert stats["run"]["dataset"].endswith(tag)


def split_run(spark, rows, tmp_path) -> tuple[str, Path]:
    """The planted corpus as three files, deduplicated with 7 shuffle partitions."""
    parts = [write_jsonl(tmp_path / "in" / f"part-{i}.jsonl", rows[i::3]) for i in range(3)]
    out = tmp_path / "out"
    previous = spark.conf.get("spark.sql.shuffle.partitions")
    spark.conf.set("spark.sql.shuffle.partitions", "7")
    try:
        assert run_dedup(spark, ",".join(map(str, parts)), out) == 0
    finally:
        spark.conf.set("spark.sql.shuffle.partitions", previous)
    return ",".join(map(str, parts)), out


def test_same_kept_set_whatever_the_partitioning_and_reruns_are_idempotent(spark, planted,
                                                                          tmp_path):
    _, rows, _ = planted
    inputs, out = split_run(spark, rows, tmp_path)
    reference = final_survivors({r["doc_id"]: r["text"] for r in rows})
    assert survivors_of(out) == reference
    # A rerun returns the committed run and touches nothing.
    tag = dataset_dir(out)
    files = sorted((p.name, p.stat().st_mtime_ns) for p in (tag / "kept").glob("*.parquet"))
    assert run_dedup(spark, inputs, out) == 0
    assert json.loads((out / "stats.json").read_text())["run"]["reused_committed_run"]
    assert sorted((p.name, p.stat().st_mtime_ns) for p in (tag / "kept").glob("*.parquet")) \
        == files
    assert not (tag / "_work").exists()


@pytest.mark.slow
def test_a_killed_run_is_swept_and_redone(spark, planted, tmp_path):
    _, rows, _ = planted
    inputs, out = split_run(spark, rows, tmp_path)
    tag = dataset_dir(out)
    for marker in (tag / COMMITS_DIR).glob("*.json"):
        marker.unlink()
    (tag / "kept" / "part-0123456789abcdef-00000.parquet").write_bytes(b"partial")
    assert run_dedup(spark, inputs, out) == 0
    assert not (tag / "kept" / "part-0123456789abcdef-00000.parquet").exists()
    assert survivors_of(out) == final_survivors({r["doc_id"]: r["text"] for r in rows})


def fixture_rows(directory: Path, pattern: str = "*.txt") -> list[dict]:
    return [{"doc_id": p.name, "text": p.read_text()} for p in sorted(directory.glob(pattern))]


def test_shared_fuzzy_and_exact_fixtures(spark, shared_data, tmp_path):
    """The MIT licenses of rails and react are fuzzy duplicates (true Jaccard 0.92); doc1 and
    doc2 of the line fixture are exact copies; nothing else is a duplicate."""
    rows = (fixture_rows(shared_data / "text/dedup/documents_with_fuzzy_duplicates")
            + fixture_rows(shared_data / "text/dedup/documents_with_line_duplicates"))
    out = tmp_path / "out"
    assert run_dedup(spark, write_jsonl(tmp_path / "docs.jsonl", rows), out) == 0
    duplicates = sorted(read(out, "duplicates").to_pylist(), key=lambda r: r["doc_id"])
    assert duplicates == [
        {"doc_id": "doc2.txt", "kind": "exact", "cluster_id": "doc1.txt",
         "survivor_id": "doc1.txt", "jaccard": 1.0},
        {"doc_id": "react_mit_license.txt", "kind": "near", "cluster_id": "rails_mit_license.txt",
         "survivor_id": "rails_mit_license.txt", "jaccard": None}]


def test_line_dedup_reproduces_the_shared_fixture(spark, shared_data, tmp_path):
    rows = fixture_rows(shared_data / "text/dedup/documents_with_line_duplicates")
    expected = {r["doc_id"]: r["text"] for r in
                fixture_rows(shared_data / "text/dedup/documents_line_deduplicated")}
    out = tmp_path / "out"
    assert run_dedup(spark, write_jsonl(tmp_path / "docs.jsonl", rows), out, "mode=lines",
                     "exact_dedup=false", "lines.policy=drop_all", "lines.min_doc_words=0") == 0
    kept = read(out, "kept").to_pylist()
    assert {r["doc_id"]: r["text"] for r in kept} == expected
    assert dataset_dir(out).name.startswith("lines-line-drop_all-")
    stats = json.loads((out / "stats.json").read_text())
    assert stats["units_removed"] == 6 and stats["documents_changed"] == 4


@pytest.mark.slow
def test_keep_first_line_dedup_after_exact_dedup(spark, shared_data, tmp_path):
    rows = fixture_rows(shared_data / "text/dedup/documents_with_line_duplicates")
    out = tmp_path / "keep-first"  # C4's rule, after exact dedup (doc2 is doc1's copy)
    assert run_dedup(spark, write_jsonl(tmp_path / "docs.jsonl", rows), out, "mode=lines",
                     "lines.min_doc_words=8") == 0
    kept = {r["doc_id"]: r["text"] for r in read(out, "kept").to_pylist()}
    # doc4 keeps 7 words: too short; doc5 has 7 as well but lost nothing, so is not re-checked
    assert set(kept) == {"doc1.txt", "doc3.txt", "doc5.txt"}
    assert kept["doc3.txt"] == rows[2]["text"]
    removed = {r["doc_id"]: r["kind"] for r in read(out, "duplicates").to_pylist()}
    assert removed == {"doc2.txt": "exact", "doc4.txt": "too_short_after_lines"}


def test_url_and_exact_dedup_on_s3_with_score_and_date_survivors(spark, shared_data,
                                                                 s3_server, s3_bucket):
    """URL captures keep the newest; exact copies keep the highest score; a URL survivor that
    is then an exact copy points to the final survivor."""
    pool = sentence_pool(shared_data)
    text = [" ".join(pool[i * 8:(i + 1) * 8]) for i in range(6)]
    page = "https://news.example/story"
    rows = [
        {"doc_id": "u1", "url": page, "warc_date": "2021-03-01T00:00:00Z", "text": text[0]},
        {"doc_id": "u2", "url": page, "warc_date": "2023-06-01T00:00:00Z", "text": text[1]},
        {"doc_id": "u3", "url": page, "warc_date": "2022-01-01T00:00:00Z", "text": text[2]},
        {"doc_id": "e1", "url": "https://a.example/", "quality_score": 0.2, "text": text[1]},
        {"doc_id": "e2", "url": "https://b.example/", "quality_score": 0.9,
         "text": text[1].upper() + " !!"},  # the same after normalisation
        {"doc_id": "s1", "url": None, "quality_score": 0.5, "text": text[3]},
        {"doc_id": "s2", "url": "https://c.example/", "text": text[4]},
    ]
    rows[1]["quality_score"] = 0.1
    client = s3_server.client()
    client.put_object(Bucket=s3_bucket, Key="in/docs.jsonl",
                      Body="".join(json.dumps(r) + "\n" for r in rows).encode())
    prefix = f"s3://{s3_bucket}/dedup"
    assert run_dedup(spark, f"s3://{s3_bucket}/in/docs.jsonl", prefix, "mode=exact",
                     "url_dedup=true", "survivor.rule=highest_score",
                     f"storage.endpoint_url={s3_server.endpoint_url}") == 0

    from webcurate.io.datasets import read_parquet

    stats = json.loads(client.get_object(Bucket=s3_bucket, Key="dedup/stats.json")["Body"].read())
    dataset = stats["run"]["dataset"]
    assert dataset.startswith(f"{prefix}/exact-")
    duplicates = {r["doc_id"]: (r["kind"], r["cluster_id"], r["survivor_id"]) for r in
                  read_parquet(spark, f"{dataset}/duplicates", s3_server.storage).collect()}
    assert duplicates == {"u1": ("url", "u1", "e2"), "u3": ("url", "u1", "e2"),
                          "u2": ("exact", "e1", "e2"), "e1": ("exact", "e1", "e2")}
    kept = read_parquet(spark, f"{dataset}/kept", s3_server.storage)
    assert sorted(r["doc_id"] for r in kept.select("doc_id").collect()) == ["e2", "s1", "s2"]
    assert stats["url_duplicates"] == 2 and stats["exact_duplicates"] == 2
    assert stats["cluster_size_histogram"] == {"5-8": 1}  # e2 stands for 4 removed documents
    keys = s3_server.keys(s3_bucket, "dedup/")
    assert not [k for k in keys if "_staging" in k or "/_work" in k]


def test_bad_input_fails_with_one_line(spark, planted, tmp_path, capsys):
    path, rows, _ = planted
    assert run_dedup(spark, path, tmp_path / "out", "survivor.rule=newest") == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "config key 'survivor.date_column': the input has no column 'warc_date'" in err

    twice = write_jsonl(tmp_path / "twice.jsonl", [rows[0], rows[1], {**rows[2], "doc_id":
                                                                      rows[0]["doc_id"]}])
    assert run_dedup(spark, twice, tmp_path / "out2", "mode=exact") == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert f"doc_id '{rows[0]['doc_id']}' occurs 2 times in the input" in err
