"""Our filters vs datatrove 0.10.1's own decisions, pinned without needing datatrove here.

``fixtures/datatrove_reference.jsonl`` holds datatrove's decisions (keep, reason) of
GopherQualityFilter, GopherRepetitionFilter, C4QualityFilter, FineWebQualityFilter, URLFilter and
C4BadWordsFilter with their default settings (C4BadWordsFilter with
``fail_on_missing_language=False``), on the first 200 documents of
``shared/data/text/cc/CC-MAIN-2019-30-697docs.jsonl.gz`` and, for URLFilter, on the url-only
cases of ``tests/parity/url_cases.py`` (WARC sample urls, the documents' scheme-less urls, hand
cases). Rows of the url and bad-words filters carry the url or the language (lid.176) the
reference saw. It was written by ``make parity``'s harness (``tests/parity/parity.py
--write-fixture``; its first line names the versions). This test recomputes our verdicts with the
same filter table, lists (``shared/data/lists``) and reason mapping as the harness and requires
>= 99.5 % agreement on keep decisions and on reasons, listing every disagreement on failure.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from parity.parity import INPUT_FIELDS, OUR_FILTERS, mapped_reason

FIXTURE = Path(__file__).with_name("fixtures") / "datatrove_reference.jsonl"


@pytest.fixture(scope="module")
def reference(shared_data) -> tuple[dict, list[dict]]:
    with open(FIXTURE, encoding="utf-8") as f:
        header = json.loads(f.readline())["header"]
        rows = [json.loads(line) for line in f]
    assert header["datatrove"] == "0.10.1"
    with gzip.open(shared_data / "text/cc/CC-MAIN-2019-30-697docs.jsonl.gz", "rt",
                   encoding="utf-8") as f:
        texts = {d["id"]: d["text"] for d in map(json.loads, f)}
    docs = [{**row, "text": texts.get(row["id"], "")} for row in rows]
    return header, docs


@pytest.mark.parametrize("name", sorted(OUR_FILTERS))
def test_agrees_with_datatrove(reference, name):
    header, docs = reference
    rows = [row for row in docs if row["filter"] == name]
    assert len(rows) == header["rows"][name] >= 200
    assert all(field in row for row in rows for field in INPUT_FIELDS.get(name, ()))
    disagreements = []
    same_keep = 0
    for row in rows:
        verdict = OUR_FILTERS[name](row)
        same_keep += verdict.keep == row["keep"]
        if verdict.reason != mapped_reason(name, row["reason"]):
            disagreements.append(f"{row['id']}: datatrove {row['reason']}, ours {verdict.reason}")
    assert same_keep / len(rows) >= 0.995, disagreements
    assert 1 - len(disagreements) / len(rows) >= 0.995, disagreements
    # The fixture is not trivial: each filter rejects some of these documents.
    assert any(not row["keep"] for row in rows)
