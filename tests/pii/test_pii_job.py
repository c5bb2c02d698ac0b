"""The pii job on the 697 real CC documents (50 real e-mail addresses, 21 phone numbers, an
editor's IP among them), and a recipe that names decontaminate and pii as pipeline stages."""

from __future__ import annotations

import gzip
import json

import pyarrow.dataset as ds
import pytest
import yaml
from decontam.planting import CC_DOCS, benchmark_config, planted_documents, write_jsonl

from webcurate.cli import run_job
from webcurate.pii import scrub

pytestmark = pytest.mark.spark


def read_docs(path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def test_the_job_scrubs_every_document_as_the_pure_function_does(spark, shared_data, tmp_path,
                                                                 capsys):
    out = tmp_path / "out"
    argv = [f"--set=input={shared_data / CC_DOCS}", f"--set=output={out}"]
    assert run_job("pii", argv, spark=spark) == 0
    rows = {r["id"]: r for r in ds.dataset(str(out / "kept"), format="parquet").to_table()
            .to_pylist()}
    docs = read_docs(shared_data / CC_DOCS)
    assert len(rows) == len(docs)
    totals = {"email": 0, "ipv4": 0, "ipv6": 0, "phone": 0}
    changed = 0
    for doc in docs:
        text, counts = scrub(doc["text"])
        row = rows[doc["id"]]
        assert row["text"] == text
        assert {k: row[f"pii_{k}"] for k in counts} == counts
        changed += text != doc["text"]
        for kind, n in counts.items():
            totals[kind] += n
    stats = json.loads((out / "stats.json").read_text())
    assert stats["replacements"] == totals == {"email": 50, "ipv4": 1, "ipv6": 0, "phone": 21}
    assert (stats["documents_in"], stats["documents_out"]) == (697, 697)
    assert stats["documents_changed"] == changed == 27
    assert "phone" in capsys.readouterr().out
    assert run_job("pii", argv, spark=spark) == 0  # committed: nothing redone
    assert "already committed" in capsys.readouterr().out


@pytest.mark.slow
def test_a_recipe_names_decontaminate_and_pii_as_its_last_stages(spark, shared_data, tmp_path):
    docs, planted = planted_documents(shared_data)
    path = write_jsonl(docs, tmp_path / "docs.jsonl.gz")
    recipe = tmp_path / "clean.yaml"
    recipe.write_text(yaml.safe_dump({
        "description": "decontaminate, then FineWeb's PII step",
        "pipeline": {"stages": ["decontaminate", "pii"]},
        "decontaminate": {"benchmarks": benchmark_config(shared_data)},
        "pii": {"settings": {"kinds": ["email", "ipv4"]}}}))
    out = tmp_path / "out"
    assert run_job("pipeline", ["--recipe", str(recipe), f"--set=input={path}",
                                f"--set=output={out}"], spark=spark) == 0
    stages = json.loads((out / "stats.json").read_text())["stages"]
    assert list(stages) == ["decontaminate", "pii"]
    assert stages["decontaminate"]["documents_out"] == 697 - len(planted)
    assert stages["pii"]["documents_in"] == stages["pii"]["documents_out"] == 697 - len(planted)
    final = ds.dataset(stages["pii"]["documents"], format="parquet").to_table().to_pylist()
    planted_ids = {docs[p.doc_index]["id"] for p in planted}
    assert not planted_ids & {r["id"] for r in final}
    by_id = {d["id"]: d for d in docs}
    settings = {"kinds": ["email", "ipv4"]}
    assert all(r["text"] == scrub(by_id[r["id"]]["text"], settings)[0] for r in final)
    page = (out / "report" / "index.html").read_text()
    for text in ('id="decontaminate"', 'id="pii"', "items matched", "replacements"):
        assert text in page
