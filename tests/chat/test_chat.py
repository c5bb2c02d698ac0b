"""The chat job on the real samples (../shared/data/instructions/chat): formats, filters, dedup."""

from __future__ import annotations

import gzip
import json
from itertools import islice

import pytest

from webcurate.chat.filters import DialogueFilterSettings, check_dialogue
from webcurate.chat.formats import (
    WRITERS,
    FormatError,
    read_record,
    write_alpaca,
    write_hh_rlhf,
)
from webcurate.config import build
from webcurate.jobs.chat import ChatJobConfig, run_chat


def chat_dir(shared_data):
    return shared_data / "instructions" / "chat"


def code_alpaca(shared_data, n=None):
    with gzip.open(chat_dir(shared_data) / "code_alpaca_2k.jsonl.gz", "rt") as f:
        return [json.loads(line) for line in islice(f, n)]


def hh_rlhf(shared_data, n=None):
    path = chat_dir(shared_data) / "hh-rlhf-harmless-base-test-first2000.jsonl.gz"
    with gzip.open(path, "rt") as f:
        return [json.loads(line) for line in islice(f, n)]


def test_alpaca_and_hh_rlhf_records_round_trip_exactly(shared_data):
    for record in code_alpaca(shared_data):
        (d,) = read_record(record, "auto", "code_alpaca")
        assert d["format"] == "alpaca" and [m["role"] for m in d["messages"]] == [
            "user", "assistant"]
        assert write_alpaca(d) == record
    for record in hh_rlhf(shared_data):
        (d,) = read_record(record, "auto", "hh")
        assert d["format"] == "hh_rlhf" and d["messages"][0]["role"] == "user"
        assert write_hh_rlhf(d) == {"chosen": record["chosen"]}


def test_every_format_round_trips_through_the_one_schema(shared_data):
    """Real dialogues written in each format are read back to the same schema record."""
    dialogues = [read_record(r, "auto", "s")[0] for r in hh_rlhf(shared_data, 200)]
    dialogues += [read_record(r, "auto", "s")[0] for r in code_alpaca(shared_data, 200)]
    for fmt, write in WRITERS.items():
        fits = [d for d in dialogues if fmt not in ("alpaca", "dolly")
                or len(d["messages"]) == 2]
        assert len(fits) >= 200, fmt
        for plain in fits:
            d = plain if fmt != "dolly" else {
                **plain, "metadata": {**plain["metadata"], "category": "open_qa"}}
            written = write(d)
            (back,) = read_record(json.loads(json.dumps(written)), "auto", "s")
            assert back["format"] == fmt
            assert back["messages"] == d["messages"], fmt
            if fmt in ("alpaca", "dolly"):
                assert write(back) == written


def test_self_instruct_seed_tasks_and_synthetic_fields(shared_data):
    lines = (chat_dir(shared_data) / "alpaca-seed_tasks.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    dialogues = [d for r in records for d in read_record(r, "auto", "seed")]
    assert len(records) == 175 and len(dialogues) == sum(len(r["instances"]) for r in records)
    assert all(d["format"] == "self_instruct" and d["metadata"]["id"].startswith("seed_task_")
               for d in dialogues)
    generated = {"messages": [{"role": "system", "content": "Be brief."},
                              {"role": "user", "content": "Name a prime."},
                              {"role": "assistant", "content": "7."}],
                 "model": "self-chat-model-x"}
    (d,) = read_record(generated, "auto", "self_chat")
    assert d["generator"] == "self-chat-model-x" and d["messages"][0]["role"] == "system"
    with pytest.raises(FormatError):
        read_record({"conversations": [{"from": "narrator", "value": "x"}]}, "auto", "s")
    with pytest.raises(FormatError):
        read_record({"text": "plain document"}, "auto", "s")


def user(text):
    return {"role": "user", "content": text}


def assistant(text):
    return {"role": "assistant", "content": text}


@pytest.mark.parametrize("messages, reason", [
    ([user("Hi there, how are you?")], "chat_bad_roles"),
    ([assistant("Hello."), user("Hi.")], "chat_bad_roles"),
    ([user("Q?"), assistant("   ")], "chat_empty_turn"),
    ([user("Write code"), assistant("```python\nprint(1)\n")], "chat_truncated_turn"),
    ([user("List them"), assistant("The three reasons are:")], "chat_truncated_turn"),
    ([user("Q?"), assistant("A" * 40_000)], "chat_too_long"),
    ([user("Tell me a story about a dragon."), assistant("Once upon a time there was one."),
      user("Tell me a story about a dragon."), assistant("Once upon a time there was one.")],
     "chat_repeated_turns"),
    ([user("Go on."), assistant("First, a dragon woke up."), user("Go on."),
      assistant("Then it flew away.")], None),
    ([user("What is 2+2?"), assistant("4.")], None),
])
def test_dialogue_filter_reasons(messages, reason):
    assert check_dialogue(messages, DialogueFilterSettings())[0] == reason


def test_language_filter_uses_the_identifier():
    settings = build(DialogueFilterSettings, {"allowed_languages": ["en"]})
    messages = [user("Wie spät ist es?"), assistant("Es ist drei Uhr.")]
    reason, signals = check_dialogue(messages, settings, lambda text: ("de", 0.98))
    assert reason == "chat_language" and signals["language"] == "de"


def variants_of(prompt: str) -> list[str]:
    """Near-duplicate rewrites of a prompt: case, punctuation, one word appended."""
    return [prompt.upper(), prompt.rstrip(".?!") + " please."]


@pytest.mark.spark
def test_chat_job_removes_exact_and_near_duplicate_prompts(spark, shared_data, tmp_path):
    records = code_alpaca(shared_data, 300)
    originals = [r for r in records if len(r["instruction"].split()) >= 8 and check_dialogue(
        read_record(r, "alpaca", "s")[0]["messages"], DialogueFilterSettings())[0] is None]
    planted = tmp_path / "in" / "planted_sharegpt.jsonl"
    planted.parent.mkdir()
    real = tmp_path / "in" / "code_alpaca_first300.jsonl"
    real.write_text("".join(json.dumps(r) + "\n" for r in records))
    groups = {}
    with planted.open("w") as f:
        for i, r in enumerate(originals[:30]):
            base = read_record(r, "alpaca", "s")[0]["messages"][0]["content"]
            groups[base] = [base, *variants_of(base)]
            for j, prompt in enumerate(groups[base][1:]):
                f.write(json.dumps({"id": f"p{i}-{j}", "conversations": [
                    {"from": "human", "value": prompt},
                    {"from": "gpt", "value": r["output"]}]}) + "\n")
        f.write("{not json\n")
    inputs = [str(real), str(planted)]
    config = build(ChatJobConfig, {"input": inputs, "output": str(tmp_path / "out")})
    stats = run_chat(spark, config).stats
    assert stats["malformed_records"] == 1 and stats["dialogues_read"] == 300 + 60
    kept = spark.read.parquet(str(tmp_path / "out" / "kept")).select("prompt", "text").collect()
    rejected = spark.read.parquet(str(tmp_path / "out" / "rejected")).select(
        "prompt", "reason").collect()
    assert stats["dialogues_kept"] == len(kept)
    assert stats["dialogues_kept"] + sum(stats["removed_by_reason"].values()) == 360
    kept_prompts = [r["prompt"] for r in kept]
    reasons = {r["prompt"]: r["reason"] for r in rejected}
    for members in groups.values():
        # one survivor at most per group of near-duplicate prompts, the others removed as such
        assert sum(kept_prompts.count(m) for m in members) <= 1
        removed = [reasons.get(m) for m in members if m not in kept_prompts]
        assert len(removed) >= 2
        assert all(r in ("chat_exact_duplicate_prompt", "chat_near_duplicate_prompt")
                   for r in removed), (members, removed)
    assert stats["removed_by_reason"]["chat_near_duplicate_prompt"] >= 30
    assert all(r["text"].startswith("User: ") for r in kept)
