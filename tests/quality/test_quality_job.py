"""The quality job end to end on the 697 real CC-MAIN-2019-30 documents: scores equal the model's
own predictions, percentile decisions and buckets equal the exact expectation computed here from
those scores, GPT-3's rule is deterministic, reruns are idempotent, S3 works, bad config fails."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from webcurate.cli import run_job
from webcurate.quality import decide
from webcurate.quality.corpus import iter_file_documents
from webcurate.quality.model import QualityModel
from webcurate.quality.normalize import TextNormalization, normalize_for_fasttext
from webcurate.quality.training import FastTextParams, fasttext_line, train_in_subprocess

pytestmark = pytest.mark.spark

CC_DOCS = "text/cc/CC-MAIN-2019-30-697docs.jsonl.gz"
#: Not the default, so the tests can tell that the job read it from <model>.metrics.json.
MODEL_NORMALIZATION = TextNormalization(lowercase=True, punctuation_spacing=False)


def _train_tiny_model(shared_data: Path, path: Path, positives: list[str], seed: int) -> Path:
    lines = []
    for name in positives:
        with open(shared_data / "text/reference" / name, "rb") as raw:
            lines += [fasttext_line("hq", normalize_for_fasttext(t, MODEL_NORMALIZATION))
                      for _, _, t in iter_file_documents(name, raw, 3000, 200)][:400]
    with open(shared_data / "text/lowquality/webtext.zip", "rb") as raw:
        lines += [fasttext_line("cc", normalize_for_fasttext(t, MODEL_NORMALIZATION))
                  for _, _, t in iter_file_documents("webtext.zip", raw, 3000, 200)]
    rng = np.random.default_rng(seed)
    train_file = path.with_suffix(".txt")
    train_file.write_text("".join(rng.permutation(lines)))
    train_in_subprocess(str(train_file), FastTextParams(dim=16, epoch=10, lr=0.5, bucket=20_000,
                                                        seed=seed),
                        str(path))
    sidecar = {"normalization": MODEL_NORMALIZATION.__dict__}
    Path(f"{path}.metrics.json").write_text(json.dumps(sidecar))
    return path


@pytest.fixture(scope="module")
def model(shared_data, tmp_path_factory) -> Path:
    """A small reference-vs-webtext classifier (dim 16, 10 epochs), trained in a second."""
    return _train_tiny_model(shared_data, tmp_path_factory.mktemp("model") / "tiny.bin",
                             ["lee_background.cor", "pg972-devils-dictionary.txt"], seed=0)


@pytest.fixture(scope="module")
def docs(shared_data, tmp_path_factory) -> Path:
    """The 697 real documents as a Parquet dataset of three files (id, url, text)."""
    rows = []
    with gzip.open(shared_data / CC_DOCS, "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            rows.append({"id": record["id"], "url": record["metadata"]["url"],
                         "text": record["text"]})
    out = tmp_path_factory.mktemp("docs") / "docs"
    out.mkdir()
    for part in range(3):
        pq.write_table(pa.Table.from_pylist(rows[part::3]), out / f"part-{part}.parquet")
    return out


def expected_scores(model_path: Path, texts: list[str]) -> list[float | None]:
    model = QualityModel(str(model_path), "hq")
    scores = model.positive_probabilities(
        [normalize_for_fasttext(t, MODEL_NORMALIZATION) for t in texts])
    return [None if np.isnan(s) else float(s) for s in scores]


def assert_same_scores(actual: list, expected: list) -> None:
    """Equal up to float noise, None (no text) exactly where expected."""
    assert [a is None for a in actual] == [e is None for e in expected]
    pairs = [(a, e) for a, e in zip(actual, expected, strict=True) if e is not None]
    assert max(abs(a - e) for a, e in pairs) < 1e-9


def quality(spark, *overrides: str) -> int:
    return run_job("quality", [f"--set={o}" for o in overrides], spark=spark)


def read(prefix: Path, name: str, columns=("doc_id", "quality_score")) -> dict:
    return ds.dataset(str(prefix / name), format="parquet").to_table(
        columns=list(columns)).to_pydict()


def scores_by_id(prefix: Path, *names: str) -> dict[str, float | None]:
    found = {}
    for name in names:
        table = read(prefix, name)
        found.update(zip(table["doc_id"], table["quality_score"], strict=True))
    return found


def test_every_document_gets_the_model_probability(spark, model, docs, tmp_path):
    out = tmp_path / "out"
    assert quality(spark, f"input={docs}", f"output={out}", f"model={model}") == 0
    kept = read(out, "kept", ("doc_id", "text", "quality_score", "id", "url"))
    assert len(kept["doc_id"]) == 697 == len(set(kept["doc_id"]))
    expected = expected_scores(model, kept["text"])
    assert_same_scores(kept["quality_score"], expected)
    schema = ds.dataset(str(out / "kept"), format="parquet").schema
    assert schema.names == ["doc_id", "id", "url", "text", "quality_score"]
    stats = json.loads((out / "stats.json").read_text())
    without = sum(s is None for s in expected)
    assert without == 27  # empty texts: no score, never kept by a rule
    assert (stats["docs"], stats["docs_kept"], stats["docs_without_score"]) == (697, 697, 27)
    assert stats["score_histogram"]["counts"] == decide.histogram_counts(expected, 20)
    assert stats["normalization"] == MODEL_NORMALIZATION.__dict__
    assert stats["run"]["normalization_from"] == "model metrics"
    assert stats["score_quantiles"]["p50"] == decide.exact_quantile(
        [s for s in expected if s is not None], 0.5)


def test_top_percent_and_buckets_follow_the_exact_percentiles(spark, model, docs, tmp_path):
    out = tmp_path / "out"
    assert quality(spark, f"input={docs}", f"output={out}", f"model={model}",
                   "decision.mode=top_percent", "decision.top_percent=30", "write_rejected=true",
                   "buckets.enabled=true", "buckets.percentiles=[25,75]") == 0
    scores = scores_by_id(out, "kept", "rejected")
    scored = [s for s in scores.values() if s is not None]
    assert len(scores) == 697 and len(scored) == 670
    threshold = decide.exact_quantile(scored, 0.7)
    expected_kept = {d for d, s in scores.items() if decide.keeps_top(s, threshold)}
    assert set(read(out, "kept")["doc_id"]) == expected_kept
    assert len(expected_kept) == 670 - 469 == 201  # ceil(0.7 * 670) = 469 at or below
    cutoffs = (decide.exact_quantile(scored, 0.25), decide.exact_quantile(scored, 0.75))
    for bucket in decide.BUCKETS:
        expected = {d for d, s in scores.items() if decide.bucket_of(s, cutoffs) == bucket}
        table = read(out, f"buckets/{bucket}", ("doc_id", "quality_bucket"))
        assert set(table["doc_id"]) == expected and set(table["quality_bucket"]) == {bucket}
    stats = json.loads((out / "stats.json").read_text())
    assert stats["thresholds"]["keep"]["global"] == {"keep_threshold": threshold}
    assert stats["thresholds"]["buckets"]["global"] == {"bucket_low": cutoffs[0],
                                                        "bucket_high": cutoffs[1]}
    assert stats["buckets"] == {"head": 167, "middle": 335, "tail": 195}  # tail: 27 unscored
    assert (stats["docs_kept"], stats["docs_rejected"]) == (201, 496)


def check_domain_buckets(out: Path) -> None:
    """Buckets per URL host (without www.): hosts with 3+ scored pages use their own cut-offs,
    the rest the global ones."""
    from urllib.parse import urlsplit

    rows = []
    for name in ("kept", "rejected"):
        table = read(out, name, ("doc_id", "url", "quality_score", "quality_bucket"))
        rows += list(zip(*table.values(), strict=True))
    domains = [(urlsplit(url).hostname or "").removeprefix("www.") for _, url, _, _ in rows]
    scored = [s for _, _, s, _ in rows if s is not None]
    low, high = 33.3333 / 100, 66.6667 / 100  # the default buckets.percentiles, as the job divides
    global_cutoffs = (decide.exact_quantile(scored, low), decide.exact_quantile(scored, high))
    by_domain: dict[str, list[float]] = {}
    for domain, (_, _, score, _) in zip(domains, rows, strict=True):
        if score is not None:
            by_domain.setdefault(domain, []).append(score)
    big = {d: s for d, s in by_domain.items() if len(s) >= 3}
    assert big  # some hosts have several pages in the sample
    cutoffs = {d: (decide.exact_quantile(s, low), decide.exact_quantile(s, high))
               for d, s in big.items()}
    assert [b for *_, b in rows] == [
        decide.bucket_of(score, cutoffs.get(domain, global_cutoffs))
        for domain, (_, _, score, _) in zip(domains, rows, strict=True)]


def test_per_language_decision_with_lid_and_per_domain_buckets(spark, model, docs, tmp_path):
    out = tmp_path / "out"
    assert quality(spark, f"input={docs}", f"output={out}", f"model={model}", "lid.enabled=true",
                   "decision.mode=top_percent", "decision.top_percent=50",
                   "decision.group_by=language", "decision.min_group_docs=10",
                   "write_rejected=true", "buckets.enabled=true", "buckets.group_by=domain",
                   "buckets.min_group_docs=3") == 0
    check_domain_buckets(out)
    rows = {}
    for name in ("kept", "rejected"):
        table = read(out, name, ("doc_id", "language", "quality_score"))
        rows.update({d: (lang or "", s) for d, lang, s in zip(*table.values(), strict=True)})
    scored = [s for _, s in rows.values() if s is not None]
    by_language: dict[str, list[float]] = {}
    for language, score in rows.values():
        if score is not None:
            by_language.setdefault(language, []).append(score)
    assert by_language["en"] and len(by_language) > 20  # lid.176 labels the 55 languages
    global_threshold = decide.exact_quantile(scored, 0.5)
    thresholds = {lang: (decide.exact_quantile(s, 0.5) if len(s) >= 10 else global_threshold)
                  for lang, s in by_language.items()}
    expected = {d for d, (lang, s) in rows.items()
                if decide.keeps_top(s, thresholds.get(lang, global_threshold))}
    assert set(read(out, "kept")["doc_id"]) == expected
    stats = json.loads((out / "stats.json").read_text())
    assert stats["thresholds"]["keep"]["largest_groups"]["en"]["keep_threshold"] == thresholds["en"]
    assert sum(stats["languages"].values()) == 697


def test_pareto_rule_is_deterministic_per_document(spark, model, docs, tmp_path):
    one_file = tmp_path / "one" / "docs.parquet"
    one_file.parent.mkdir()
    pq.write_table(ds.dataset(str(docs), format="parquet").to_table(), one_file)
    for name, source in (("a", docs), ("b", one_file)):
        assert quality(spark, f"input={source}", f"output={tmp_path / name}", f"model={model}",
                       "decision.mode=pareto", "write_rejected=true") == 0
    scores = scores_by_id(tmp_path / "a", "kept", "rejected")
    expected = {d for d, s in scores.items() if decide.pareto_keep(d, s, 9.0, seed=0)}
    assert set(read(tmp_path / "a", "kept")["doc_id"]) == expected
    assert set(read(tmp_path / "b", "kept")["doc_id"]) == expected
    assert 0 < len(expected) < 670


def test_threshold_rerun_is_idempotent_and_other_settings_need_overwrite(spark, model, docs,
                                                                         tmp_path, capsys):
    out = tmp_path / "out"
    args = [f"input={docs}", f"output={out}", f"model={model}", "decision.mode=threshold",
            "decision.min_score=0.5"]
    assert quality(spark, *args) == 0
    files = sorted(p.name for p in (out / "kept").iterdir())
    scores = scores_by_id(out, "kept")
    assert scores and all(s >= 0.5 for s in scores.values())
    assert quality(spark, *args) == 0
    stats = json.loads((out / "stats.json").read_text())
    assert stats["run"]["reused_committed_run"] and stats["docs_kept"] == len(scores)
    assert sorted(p.name for p in (out / "kept").iterdir()) == files
    capsys.readouterr()
    assert quality(spark, *args, "decision.min_score=0.9") == 2
    assert "overwrite=true" in capsys.readouterr().err
    assert quality(spark, *args, "decision.min_score=0.9", "overwrite=true") == 0
    assert all(s >= 0.9 for s in scores_by_id(out, "kept").values())
    assert len(scores_by_id(out, "kept")) < len(scores)


def upload_docs_and_model(s3_server, bucket: str, docs: Path, model: Path) -> list[str]:
    """Documents and model (with its metrics) on S3; the job arguments that reach them."""
    client = s3_server.client()
    for part in sorted(docs.iterdir()):
        client.upload_file(str(part), bucket, f"docs/{part.name}")
    client.upload_file(str(model), bucket, "models/q.bin")
    client.upload_file(f"{model}.metrics.json", bucket, "models/q.bin.metrics.json")
    return [f"input=s3://{bucket}/docs/", f"model=s3://{bucket}/models/q.bin",
            f"storage.endpoint_url={s3_server.endpoint_url}"]


def s3_kept(spark, s3_server, uri: str) -> dict[str, tuple[str, float]]:
    from webcurate.io.datasets import read_parquet

    df = read_parquet(spark, uri, s3_server.storage).select("doc_id", "text", "quality_score")
    return {row[0]: (row[1], row[2]) for row in df.collect()}


def test_s3_documents_model_and_output(spark, model, docs, s3_server, s3_bucket):
    common = upload_docs_and_model(s3_server, s3_bucket, docs, model)
    assert quality(spark, *common, f"output=s3://{s3_bucket}/out", "decision.mode=top_percent",
                   "decision.top_percent=20") == 0
    kept = s3_kept(spark, s3_server, f"s3://{s3_bucket}/out/kept")
    texts = ds.dataset(str(docs), format="parquet").to_table(columns=["text"]).column(
        "text").to_pylist()
    scored = [s for s in expected_scores(model, texts) if s is not None]
    threshold = decide.exact_quantile(scored, 0.8)
    assert len(kept) == sum(s > threshold for s in scored) == 670 - 536  # ceil(0.8 * 670)
    assert_same_scores([s for _, s in kept.values()],
                       expected_scores(model, [t for t, _ in kept.values()]))
    keys = s3_server.keys(s3_bucket, "out/")
    assert "out/stats.json" in keys and "out/config.yaml" in keys
    assert not [k for k in keys if "_staging" in k]


@pytest.mark.slow
def test_a_model_retrained_to_the_same_s3_uri_is_fetched_again(spark, shared_data, model, docs,
                                                               s3_server, s3_bucket, tmp_path):
    common = upload_docs_and_model(s3_server, s3_bucket, docs, model)
    assert quality(spark, *common, f"output=s3://{s3_bucket}/out1") == 0
    retrained = _train_tiny_model(shared_data, tmp_path / "retrained.bin", ["abc.zip"], seed=1)
    s3_server.client().upload_file(str(retrained), s3_bucket, "models/q.bin")
    assert quality(spark, *common, f"output=s3://{s3_bucket}/out2") == 0
    before = s3_kept(spark, s3_server, f"s3://{s3_bucket}/out1/kept")
    after = s3_kept(spark, s3_server, f"s3://{s3_bucket}/out2/kept")
    assert sorted(before) == sorted(after)
    assert_same_scores([after[d][1] for d in after],
                       expected_scores(retrained, [after[d][0] for d in after]))
    assert [after[d][1] for d in after] != [before[d][1] for d in after]


@pytest.mark.parametrize(("overrides", "key"), [
    (["model=/nonexistent/q.bin"], "model"),
    (["positive_label=good"], "positive_label"),
    (["buckets.percentiles=[70,30]"], "buckets"),
    (["decision.group_by=language", "decision.mode=top_percent"], "decision.group_by"),
    (["decision.mode=best"], "decision.mode"),
    (["lid.model=/nonexistent/lid.ftz", "lid.enabled=true"], "lid.model"),
])
def test_config_errors_fail_with_one_line_naming_the_key(spark, model, docs, tmp_path, capsys,
                                                         overrides, key):
    out = tmp_path / "out"
    assert quality(spark, f"input={docs}", f"output={out}", f"model={model}", *overrides) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"'{key}" in err, err
    assert not (out / "kept").exists()
