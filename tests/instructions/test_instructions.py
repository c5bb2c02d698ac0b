"""The instructions job on the real SNI task files (../shared/data/instructions/sni)."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from webcurate.config import ConfigError, build
from webcurate.instructions.render import render_task, selected
from webcurate.instructions.settings import RenderSettings
from webcurate.instructions.sni import TaskError, parse_task, task_name_from_uri
from webcurate.jobs.instructions import (
    InstructionsJobConfig,
    preflight_instructions,
    run_instructions,
)

ALL_VARIANTS = ["zero_shot", "few_shot", "cot", "few_shot_cot"]


def sni_files(shared_data):
    files = sorted((shared_data / "instructions" / "sni").glob("task*.json"))
    assert len(files) == 4
    return files


def load_tasks(shared_data):
    return [parse_task(f.read_bytes(), task_name_from_uri(str(f))) for f in sni_files(shared_data)]


def settings(**raw) -> RenderSettings:
    return build(RenderSettings, {"variants": ALL_VARIANTS, **raw})


@pytest.mark.parametrize("templates", ["sni", "flan"])
def test_every_task_yields_every_configured_variant(shared_data, templates):
    for task in load_tasks(shared_data):
        out = list(render_task(task, settings(templates=templates)))
        records = [r for r in out if isinstance(r, dict)]
        assert not [r for r in out if not isinstance(r, dict)]
        counts = Counter(r["variant"] for r in records)
        n_cot = sum(1 for ex in task.positive_examples if ex.rationale)
        assert counts == {"zero_shot": len(task.instances), "few_shot": len(task.instances),
                          "cot": n_cot, "few_shot_cot": n_cot}, task.name
        for r in records:
            assert r["prompt"] and r["completion"]
            assert r["messages"] == [{"role": "user", "content": r["prompt"]},
                                     {"role": "assistant", "content": r["completion"]}]
            if r["variant"] in ("cot", "few_shot_cot"):
                assert "answer is" in r["completion"]


@pytest.mark.parametrize("pool", ["positive_examples", "instances"])
def test_few_shot_prompts_never_contain_their_own_instance(shared_data, pool):
    for task in load_tasks(shared_data):
        items = {ex.id: ex for ex in (*task.instances, *task.positive_examples)}
        out = render_task(task, settings(few_shot={"exemplars": 3, "pool": pool}))
        few = [r for r in out if isinstance(r, dict) and r["variant"].startswith("few_shot")]
        assert few
        for r in few:
            own = items[r["instance_id"]]
            assert r["instance_id"] not in r["exemplar_ids"]
            assert all(items[e].input != own.input for e in r["exemplar_ids"])
            assert r["prompt"].count(own.input.strip()) == 1, (task.name, r["instance_id"])
            if r["variant"] == "few_shot_cot":  # only positive examples have rationales
                expected = min(3, len(task.positive_examples) - 1)
            else:
                expected = min(3, len(task.positive_examples)) if pool == "positive_examples" \
                    else 3
            assert len(r["exemplar_ids"]) == expected


def test_exemplars_vary_with_instance_and_seed(shared_data):
    task = load_tasks(shared_data)[0]
    runs = [[r["exemplar_ids"] for r in render_task(
        task, settings(variants=["few_shot"], seed=seed, few_shot={"pool": "instances"}))]
        for seed in (0, 1)]
    assert len({tuple(e) for e in runs[0]}) > 10
    assert runs[0] != runs[1]


def test_caps_and_weights(shared_data):
    tasks = load_tasks(shared_data)
    mixing = {"max_instances_per_task": 10,
              "weights": {"task833_*": 2.0, "category:Translation": 0.5}}
    counts = {t.name.split("_")[0]: len(selected(t, settings(mixing=mixing))) for t in tasks}
    assert counts == {"task1665": 10, "task262": 5, "task752": 10, "task833": 20}
    # repetitions of one instance draw their own record ids
    task833 = next(t for t in tasks if t.name.startswith("task833"))
    ids = [r["doc_id"] for r in render_task(task833, settings(mixing=mixing))]
    assert len(ids) == len(set(ids))


def test_bad_task_file_and_bad_templates(tmp_path, shared_data):
    with pytest.raises(TaskError, match="no 'Instances'"):
        parse_task(json.dumps({"Definition": ["x"]}), "task0")
    broken = tmp_path / "broken.yaml"
    broken.write_text("variants:\n  zero_shot:\n    - prompt: '{{ definiton }}'\n"
                      "      completion: '{{ output }}'\n")
    sni = str(shared_data / "instructions" / "sni")
    for templates, message in ((str(broken), "definiton"), ("sni", None)):
        config = build(InstructionsJobConfig, {"input": sni, "output": str(tmp_path / "o"),
                                               "render": {"templates": templates,
                                                          "variants": ["zero_shot"]}})
        if message:
            with pytest.raises(ConfigError, match=message):
                preflight_instructions(config)
        else:
            preflight_instructions(config)


@pytest.mark.spark
def test_job_output_is_the_same_with_1_and_4_partitions(spark, shared_data, tmp_path):
    bad = tmp_path / "in" / "task9_broken.json"
    bad.parent.mkdir()
    bad.write_text('{"Definition": ["x"], "Instances": [{"output": ["y"]}]}')
    inputs = [str(shared_data / "instructions" / "sni"), str(bad)]
    outputs = {}
    for partitions in (1, 4):
        config = build(InstructionsJobConfig, {
            "input": inputs, "output": str(tmp_path / f"p{partitions}"),
            "partitions": partitions, "render": {"variants": ALL_VARIANTS}})
        stats = run_instructions(spark, config).stats
        assert stats["task_files"] == 5 and stats["malformed_tasks"] == 1
        assert stats["records"] == 4 * 200 + 2 * (2 + 3 + 3 + 2)
        rows = spark.read.parquet(str(tmp_path / f"p{partitions}" / "records")).collect()
        outputs[partitions] = sorted((r["doc_id"], r["prompt"], r["completion"],
                                      tuple(r["exemplar_ids"])) for r in rows)
        assert len({r[0] for r in outputs[partitions]}) == len(rows)
    assert outputs[1] == outputs[4]
    again = run_instructions(spark, config).stats
    assert again["run"]["already_committed"] and again["records"] == stats["records"]
