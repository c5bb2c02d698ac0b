"""The run report built from real stage outputs (tests/report/conftest.py): the page parses, its
numbers are the stages' own (characters recounted here with pyarrow), every plot is a real PNG,
samples are deterministic, come from the right reason and are escaped; S3 in and out; a stage
that did not run; bad arguments."""

from __future__ import annotations

import base64
import html
import io
import json
from html.parser import HTMLParser
from pathlib import Path

import pyarrow.dataset as ds
import pytest
from PIL import Image

from webcurate.io.storage import StorageConfig
from webcurate.report import StageOutput, build_report, load_stages
from webcurate.report.samples import EXCERPT_CHARS

pytestmark = pytest.mark.spark

VOID = {"meta", "img", "br", "hr", "link", "input"}
SECTIONS = ["stages", "funnel", "extract", "filter", "dedup", "quality", "languages", "removed",
            "kept"]


class PageParser(HTMLParser):
    """Collects images, section ids and excerpt texts, and checks that every element closes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.images: list[dict] = []
        self.sections: list[str] = []
        self.excerpts: list[str] = []
        self.scripts = 0
        self._in_excerpt = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "img":
            self.images.append(attributes)
        if tag == "section":
            self.sections.append(attributes["id"])
        if tag == "script" or any(name.startswith("on") for name in attributes):
            self.scripts += 1
        if tag == "pre" and attributes.get("class") == "excerpt":
            self._in_excerpt = True
            self.excerpts.append("")
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, f"</{tag}> closes <{self.open[-1:]}>"
        self.open.pop()
        self._in_excerpt = False if tag == "pre" else self._in_excerpt

    def handle_data(self, data):
        if self._in_excerpt:
            self.excerpts[-1] += data


def parse(text: str) -> PageParser:
    parser = PageParser()
    parser.feed(text)
    parser.close()
    assert parser.open == ["html"] or parser.open == [], parser.open
    return parser


def dataset_rows(uri: str, columns: list[str]) -> list[dict]:
    return ds.dataset(uri, format="parquet").to_table(columns=columns).to_pylist()


def characters(uri: str) -> int:
    return sum(len(r["text"] or "") for r in dataset_rows(uri, ["text"]))


def test_the_page_shows_every_stage_with_its_real_numbers(pipeline_run):
    text = pipeline_run.index.read_text(encoding="utf-8")
    page = parse(text)
    assert page.sections == SECTIONS and page.scripts == 0
    assert "Content-Security-Policy" in text  # nothing loads from outside the page:
    assert not any(tag in text for tag in ("<link", "<script", 'src="http', "url("))
    summary = json.loads((pipeline_run.index.parent / "report.json").read_text())
    stages = load_stages(pipeline_run.prefixes, StorageConfig())
    kept = {s.stage: s.kept_uri() for s in stages}
    funnel = {row["label"]: row for row in summary["funnel"]}
    first = "HTML pages and WET records read"
    assert list(funnel) == [first, "after extract", "after filter", "after dedup",
                            "after quality"]
    stats = {s.stage: s.stats for s in stages}
    assert funnel[first]["documents"] == stats["extract"]["html_responses"] + stats["extract"][
        "records_by_type"].get("conversion", 0) == 16
    assert funnel["after filter"]["documents"] == stats["filter"]["documents_kept"]
    assert funnel["after dedup"]["documents"] == stats["dedup"]["documents_kept"]
    assert funnel["after quality"]["documents"] == stats["quality"]["docs_kept"]
    for stage in ("extract", "filter", "dedup", "quality"):
        assert funnel[f"after {stage}"]["characters"] == characters(kept[stage]) > 0
    assert "filter read 697 documents but extract kept 16" in text
    for reason, count in stats["filter"]["removed_by_reason"].items():
        assert f"<td>{reason}</td><td class=\"n\">{count:,}</td>" in text
    threshold = stats["quality"]["thresholds"]["keep"]["global"]["keep_threshold"]
    assert f"keep_threshold = {threshold:.4g}" not in text  # in the plot, not as page text
    assert f"<td>keep_threshold</td><td class=\"n\">{threshold:,.4g}</td>" in text
    assert summary["profiles"]["extract"]["languages"] == stats["extract"]["languages"]


def test_every_plot_is_a_valid_png_data_uri(pipeline_run):
    page = parse(pipeline_run.index.read_text(encoding="utf-8"))
    alts = [image["alt"] for image in page.images]
    assert len(alts) == 5 and any("funnel" in a for a in alts) and any("per reason" in a
                                                                       for a in alts)
    assert any("quality-score" in a for a in alts) and any("cluster" in a for a in alts)
    for image in page.images:
        prefix, _, payload = image["src"].partition(",")
        assert prefix == "data:image/png;base64"
        png = base64.b64decode(payload, validate=True)
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        with Image.open(io.BytesIO(png)) as decoded:
            decoded.load()
            assert decoded.size == (int(image["width"]), int(image["height"]))
            assert len(set(decoded.convert("L").tobytes())) > 10  # drawn, not a blank canvas


def test_samples_come_from_their_reason_and_are_escaped(pipeline_run):
    summary = json.loads((pipeline_run.index.parent / "report.json").read_text())
    rejected = dataset_rows(str(Path(pipeline_run.prefixes["filter"]) / "rejected"),
                            ["doc_id", "filter", "reason", "text"])
    by_id = {r["doc_id"]: r for r in rejected}
    per_reason: dict[str, int] = {}
    for row in summary["samples"]["filter"]:
        assert by_id[row["doc_id"]]["reason"] == row["reason"]
        per_reason[row["reason"]] = per_reason.get(row["reason"], 0) + 1
    reasons = {r["reason"] for r in rejected}
    assert set(per_reason) == reasons and all(
        n == min(5, sum(r["reason"] == reason for r in rejected))
        for reason, n in per_reason.items())
    assert {row["reason"] for row in summary["samples"]["dedup"]} == {"exact"}
    assert len(summary["samples"]["kept"]) == 5 and len(summary["samples"]["quality"]) == 5
    # The excerpts, once parsed, are the documents' own texts: escaped, never interpreted.
    text = pipeline_run.index.read_text(encoding="utf-8")
    excerpts = parse(text).excerpts
    for row in summary["samples"]["filter"]:
        original = by_id[row["doc_id"]]["text"]
        shown = original[:EXCERPT_CHARS] + ("\u2026" if len(original) > EXCERPT_CHARS else "")
        assert shown in excerpts
    assert any("<" in e or "&" in e for e in excerpts), "no sample needed escaping"
    assert all(html.escape(e[:EXCERPT_CHARS], quote=True) in text for e in excerpts)


def test_sampling_takes_exactly_the_smallest_keys_whatever_the_cutoff(pipeline_run, spark):
    """The cut-off shortcut returns what a full sort per reason would: with the stats' group
    sizes, with counted sizes, and with sizes 50x too large (cut-offs too tight: the short
    groups are redone); the same seed gives the same documents, another seed others."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from webcurate.io.datasets import read_parquet
    from webcurate.report.samples import _uniform_key, filter_samples, sample_per_group

    stage = load_stages({"filter": pipeline_run.prefixes["filter"]}, StorageConfig())[0]
    rejected = sorted(str(p) for p in (Path(stage.prefix) / "rejected").glob("filter=*"))
    df = read_parquet(spark, rejected, StorageConfig())
    window = Window.partitionBy("filter", "reason").orderBy("_k", "doc_id")
    naive = (df.withColumn("_k", _uniform_key(df, 0))
             .withColumn("_r", F.row_number().over(window)).where("_r <= 3")
             .orderBy("filter", "reason", "_r").select("filter", "reason", "doc_id").collect())
    expected = [tuple(row) for row in naive]
    sizes = {(f, r): n for f, found in stage.stats["reasons_by_filter"].items()
             for r, n in found.items()}
    for given in (sizes, None, {group: 50 * n for group, n in sizes.items()}):
        rows = sample_per_group(df, ["filter", "reason"], 3, 0, ["doc_id"], given)
        assert [(r["filter"], r["reason"], r["doc_id"]) for r in rows] == expected
    seeds = [[r["doc_id"] for r in filter_samples(spark, stage, StorageConfig(), 3, seed)]
             for seed in (0, 7)]
    assert seeds[0] == [doc_id for _, _, doc_id in expected] != seeds[1]


def _upload(client, bucket: str, local: Path, key_prefix: str) -> None:
    for path in local.rglob("*"):
        if path.is_file():
            client.upload_file(str(path), bucket, f"{key_prefix}/{path.relative_to(local)}")


def test_report_reads_and_writes_s3(pipeline_run, spark, s3_server, s3_bucket):
    client = s3_server.client()
    for stage in ("filter", "dedup"):
        _upload(client, s3_bucket, Path(pipeline_run.prefixes[stage]), f"run/{stage}")
    prefixes = {stage: f"s3://{s3_bucket}/run/{stage}" for stage in ("filter", "dedup")}
    stages = load_stages(prefixes, s3_server.storage)
    # dedup's stats name its local dataset directory: the copy reads its own.
    assert stages[1].kept_uri().startswith(f"s3://{s3_bucket}/run/dedup/exact-")
    index = build_report(stages[:1], f"s3://{s3_bucket}/run", s3_server.storage, spark, seed=0)
    assert index == f"s3://{s3_bucket}/run/report/index.html"
    body = client.get_object(Bucket=s3_bucket, Key="run/report/index.html")["Body"].read()
    page = parse(body.decode("utf-8"))
    assert page.sections == ["stages", "funnel", "filter", "languages", "removed", "kept"]
    assert len(page.images) == 2  # funnel, filter (these documents have no language)
    summary = json.loads(client.get_object(Bucket=s3_bucket,
                                           Key="run/report/report.json")["Body"].read())
    local = json.loads((pipeline_run.index.parent / "report.json").read_text())
    assert summary["samples"]["filter"] == local["samples"]["filter"]
    assert summary["profiles"]["filter"] == local["profiles"]["filter"]


def test_stages_not_run_and_no_spark(pipeline_run, tmp_path):
    stages = load_stages({"filter": pipeline_run.prefixes["filter"],
                          "quality": str(tmp_path / "never-ran")}, StorageConfig())
    assert [s.ran for s in stages] == [True, False]
    index = Path(build_report(stages, str(tmp_path), StorageConfig(), spark=None))
    text = index.read_text(encoding="utf-8")
    page = parse(text)
    assert page.sections == ["stages", "funnel", "filter", "quality", "languages", "removed",
                             "kept"]
    assert "not run: no stats.json under this prefix" in text and page.excerpts == []
    assert len(page.images) == 2  # funnel (documents only) and removals per filter
    again = build_report(stages, str(tmp_path), StorageConfig(), spark=None)
    assert Path(again).read_text(encoding="utf-8") == text  # a rerun writes the same page
    with pytest.raises(ValueError, match="unknown stage 'sort'"):
        StageOutput("sort", str(tmp_path))
    with pytest.raises(ValueError, match="out of pipeline order"):
        build_report(list(reversed(stages)), str(tmp_path), StorageConfig())
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "stats.json").write_text("{not json")
    with pytest.raises(ValueError, match=r"stats\.json: not valid JSON"):
        load_stages({"dedup": str(broken)}, StorageConfig())
