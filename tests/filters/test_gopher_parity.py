"""Gopher filters vs datatrove 0.10.1's own decisions, pinned without needing datatrove here.

``fixtures/gopher_reference.jsonl`` holds datatrove's decisions (keep, reason) for the first 200
documents of ``shared/data/text/cc/CC-MAIN-2019-30-697docs.jsonl.gz``, written by
``tests/parity/parity.py --write-fixture`` (its first line says with which versions). This test
recomputes our verdicts on the same texts and requires >= 99.5 % agreement on keep decisions and
on reasons (datatrove's reason names mapped to ours), listing every disagreement on failure.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from webcurate.filters.gopher import (
    GopherQualityConfig,
    GopherRepetitionConfig,
    gopher_quality,
    gopher_repetition,
)

FIXTURE = Path(__file__).with_name("fixtures") / "gopher_reference.jsonl"
CC_DOCS = (Path(__file__).resolve().parents[3] / "shared" / "data" / "text" / "cc"
           / "CC-MAIN-2019-30-697docs.jsonl.gz")
OURS = {
    "gopher_quality": lambda text: gopher_quality(text, GopherQualityConfig()),
    "gopher_repetition": lambda text: gopher_repetition(text, GopherRepetitionConfig()),
}
# datatrove 0.10.1's reason strings -> ours (the table in webcurate.filters.gopher's docstring).
RENAMED = {
    "empty": "gopher_empty_doc",
    "gopher_below_avg_threshold": "gopher_below_avg_word_length",
    "gopher_above_avg_threshold": "gopher_above_avg_word_length",
    "gopher_too_many_hashes": "gopher_hash_word_ratio",
    "gopher_too_many_ellipsis": "gopher_ellipsis_word_ratio",
    "gopher_too_many_bullets": "gopher_bullet_lines",
    "gopher_too_many_end_ellipsis": "gopher_ellipsis_lines",
    "gopher_below_alpha_threshold": "gopher_alpha_words",
    "gopher_enough_stop_words": "gopher_stop_words",
}


def ours_for(reason: str | None) -> str | None:
    if reason is None:
        return None
    reason = RENAMED.get(reason, reason)
    return reason if reason.startswith("gopher_") else f"gopher_{reason}"


@pytest.fixture(scope="module")
def reference() -> list[dict]:
    if not CC_DOCS.exists():
        pytest.skip(f"shared data not found: {CC_DOCS}")
    with open(FIXTURE, encoding="utf-8") as f:
        header = json.loads(f.readline())["header"]
        rows = [json.loads(line) for line in f]
    assert header["datatrove"] == "0.10.1"
    with gzip.open(CC_DOCS, "rt", encoding="utf-8") as f:
        texts = {d["id"]: d["text"] for d in map(json.loads, f)}
    return [{**row, "text": texts[row["id"]]} for row in rows]


@pytest.mark.parametrize("name", sorted(OURS))
def test_agrees_with_datatrove(reference, name):
    rows = [row for row in reference if row["filter"] == name]
    assert len(rows) == 200
    disagreements = []
    same_keep = 0
    for row in rows:
        verdict = OURS[name](row["text"])
        same_keep += verdict.keep == row["keep"]
        if verdict.reason != ours_for(row["reason"]):
            disagreements.append(f"{row['id']}: datatrove {row['reason']}, ours {verdict.reason}")
    assert same_keep / len(rows) >= 0.995, disagreements
    assert 1 - len(disagreements) / len(rows) >= 0.995, disagreements
