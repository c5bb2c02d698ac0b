"""The quality job's passes at scale: no persisted frame carries the text, every output comes
from one routed write, per-group thresholds reach the documents by broadcast (capped by
``max_groups``), and the outputs equal the pure decision functions of :mod:`.decide`."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from pyspark.sql.classic.dataframe import DataFrame
from quality.test_quality_job import (  # noqa: F401 (fixtures)
    docs,
    expected_scores,
    model,
    quality,
    read,
    scores_by_id,
)

from webcurate.io import routed as routed_module
from webcurate.quality import decide

pytestmark = pytest.mark.spark


@pytest.fixture
def watched(monkeypatch, spark):
    """Records the columns of every persisted DataFrame, each routed write (its routes and
    plan) and the JVM's persistent RDDs while a write runs; no per-dataset writer may run."""
    seen = {"persisted": [], "writes": [], "rdds_at_write": []}
    baseline = set(spark.sparkContext._jsc.getPersistentRDDs().keySet())
    persist, cache, routed = DataFrame.persist, DataFrame.cache, routed_module.write_routed_datasets

    def record_persist(self, *args, **kwargs):
        seen["persisted"].append(list(self.columns))
        return persist(self, *args, **kwargs)

    def record_cache(self):
        seen["persisted"].append(list(self.columns))
        return cache(self)

    def record_write(df, route_column, routes, file_prefix, storage):
        seen["writes"].append(sorted(uri.rsplit("/", 1)[-1] for uri in routes.values()))
        seen["plan"] = df._jdf.queryExecution().executedPlan().toString()
        rdds = set(spark.sparkContext._jsc.getPersistentRDDs().keySet()) - baseline
        seen["rdds_at_write"].append(len(rdds))
        return routed(df, route_column, routes, file_prefix, storage)

    def no_single_writes(*args, **kwargs):
        raise AssertionError("an output was written by its own Spark job")

    monkeypatch.setattr(DataFrame, "persist", record_persist)
    monkeypatch.setattr(DataFrame, "cache", record_cache)
    monkeypatch.setattr(routed_module, "write_routed_datasets", record_write)
    monkeypatch.setattr("webcurate.io.datasets.write_dataset_files", no_single_writes)
    return seen


@pytest.fixture(scope="module")
def docs_with_hosts(docs, tmp_path_factory) -> Path:  # noqa: F811
    """The documents with ``https://`` before each url (the sample's urls have no scheme, so
    every page would fall in the one host "")."""
    table = ds.dataset(str(docs), format="parquet").to_table()
    urls = pc.binary_join_element_wise("https://", table.column("url"), "")
    out = tmp_path_factory.mktemp("hosts") / "docs.parquet"
    pq.write_table(table.set_column(table.schema.get_field_index("url"), "url", urls), out)
    return out


def _domain(url: str) -> str:
    return (urlsplit(url).hostname or "").removeprefix("www.")


def test_percentiles_persist_only_scores_and_write_every_output_in_one_job(
        spark, model, docs_with_hosts, tmp_path, watched):  # noqa: F811
    out = tmp_path / "out"
    assert quality(spark, f"input={docs_with_hosts}", f"output={out}", f"model={model}",
                   "decision.mode=top_percent", "decision.top_percent=30",
                   "decision.group_by=domain", "decision.min_group_docs=3",
                   "decision.max_groups=2", "write_rejected=true", "buckets.enabled=true",
                   "buckets.percentiles=[25,75]") == 0
    assert watched["writes"] == [["head", "kept", "middle", "rejected", "tail"]]
    assert watched["persisted"] and all("text" not in c for c in watched["persisted"])
    assert watched["rdds_at_write"][0] <= len(watched["persisted"])  # nothing persisted else
    assert "BroadcastHashJoin" in watched["plan"]
    assert "SortMergeJoin" not in watched["plan"] and "ShuffledHashJoin" not in watched["plan"]

    rows = {}
    for name in ("kept", "rejected"):
        table = read(out, name, ("doc_id", "url", "quality_score"))
        rows.update({d: (_domain(u), s) for d, u, s in zip(*table.values(), strict=True)})
    scored = [s for _, s in rows.values() if s is not None]
    by_domain: dict[str, list[float]] = {}
    for domain, score in rows.values():
        if score is not None:
            by_domain.setdefault(domain, []).append(score)
    eligible = sorted((d for d, s in by_domain.items() if len(s) >= 3),
                      key=lambda d: (-len(by_domain[d]), d))
    assert len(eligible) > 2  # the cap of two groups bites
    global_threshold = decide.exact_quantile(scored, 0.7)
    own = {d: decide.exact_quantile(by_domain[d], 0.7) for d in eligible[:2]}
    expected_kept = {d for d, (domain, s) in rows.items()
                     if decide.keeps_top(s, own.get(domain, global_threshold))}
    assert set(read(out, "kept")["doc_id"]) == expected_kept
    cutoffs = (decide.exact_quantile(scored, 0.25), decide.exact_quantile(scored, 0.75))
    for bucket in decide.BUCKETS:
        expected = {d for d, (_, s) in rows.items() if decide.bucket_of(s, cutoffs) == bucket}
        assert set(read(out, f"buckets/{bucket}", ("doc_id",))["doc_id"]) == expected

    stats = json.loads((out / "stats.json").read_text())
    keep = stats["thresholds"]["keep"]
    assert (keep["groups_with_own_values"], keep["groups_over_max"]) == (2, len(eligible) - 2)
    assert keep["groups"] == len({domain for domain, _ in rows.values()})
    assert {d: g["keep_threshold"] for d, g in keep["largest_groups"].items()
            if d in own} == own
    assert all(g["keep_threshold"] == global_threshold
               for d, g in keep["largest_groups"].items() if d not in own)
    assert (stats["docs"], stats["docs_kept"]) == (697, len(expected_kept))
    assert stats["buckets"] == {b: len(read(out, f"buckets/{b}", ("doc_id",))["doc_id"])
                                for b in decide.BUCKETS}
    assert stats["score_histogram"]["counts"] == decide.histogram_counts(
        [s for _, s in rows.values()], 20)


def test_threshold_is_one_pass_and_counts_documents_it_does_not_write(
        spark, model, docs, tmp_path, watched):  # noqa: F811
    out = tmp_path / "out"
    assert quality(spark, f"input={docs}", f"output={out}", f"model={model}",
                   "decision.mode=threshold", "decision.min_score=0.5") == 0
    assert watched["writes"] == [["_unwritten_scores", "kept"]]
    assert watched["persisted"] == []
    assert not (out / "_unwritten_scores").exists()  # the scratch scores are gone
    texts = ds.dataset(str(docs), format="parquet").to_table(columns=["text"]).column(
        "text").to_pylist()
    expected = expected_scores(model, texts)
    kept = scores_by_id(out, "kept")
    assert len(kept) == sum(decide.keeps_absolute(s, 0.5) for s in expected)
    assert read(out, "kept", ("text",))["text"][0]  # kept rows keep their text
    stats = json.loads((out / "stats.json").read_text())
    assert (stats["docs"], stats["docs_kept"], stats["docs_rejected"],
            stats["docs_without_score"]) == (697, len(kept), 697 - len(kept), 27)
    assert stats["score_histogram"]["counts"] == decide.histogram_counts(expected, 20)
    assert stats["score_quantiles"]["p50"] == decide.exact_quantile(
        [s for s in expected if s is not None], 0.5)
    assert stats["outputs"] == ["kept"]


def test_pareto_with_rejected_is_one_routed_pass(spark, model, docs, tmp_path,  # noqa: F811
                                                 watched):
    out = tmp_path / "out"
    assert quality(spark, f"input={docs}", f"output={out}", f"model={model}",
                   "decision.mode=pareto", "write_rejected=true") == 0
    assert watched["writes"] == [["kept", "rejected"]] and watched["persisted"] == []
    scores = scores_by_id(out, "kept", "rejected")
    assert len(scores) == 697
    expected = {d for d, s in scores.items() if decide.pareto_keep(d, s, 9.0, seed=0)}
    assert set(read(out, "kept")["doc_id"]) == expected
