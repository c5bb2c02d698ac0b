"""Our C4 and FineWeb decisions against datatrove 0.10.1's, on the first 200 Common Crawl docs.

The fixture ``fixtures/c4_fineweb_reference.jsonl`` was written by
``tests/parity/reference_filters_c4_fineweb.py --limit 200 --header`` inside ``.venv-datatrove``
(its first line names the source file and the datatrove, spaCy and Python versions). A decision
agrees when ``keep`` and the reason (datatrove's, prefixed with the filter family) both match.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from webcurate.filters.c4 import c4_quality
from webcurate.filters.fineweb import fineweb_quality

FIXTURE = Path(__file__).with_name("fixtures") / "c4_fineweb_reference.jsonl"
DOCS = Path(__file__).resolve().parents[3] / "shared" / "data" / "text" / "cc" / (
    "CC-MAIN-2019-30-697docs.jsonl.gz")
OURS = {"c4": c4_quality, "fineweb": fineweb_quality}
MIN_AGREEMENT = 0.995


def _reference() -> tuple[dict, list[dict]]:
    lines = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines()]
    return lines[0], lines[1:]


def _texts(limit: int) -> dict[str, str]:
    texts = {}
    with gzip.open(DOCS, "rt", encoding="utf-8") as handle:
        for line in handle:
            doc = json.loads(line)
            texts[doc["id"]] = doc["text"]
            if len(texts) >= limit:
                break
    return texts


def test_fixture_header_names_its_origin():
    header, rows = _reference()
    assert header["datatrove"] == "0.10.1" and header["limit"] == 200
    assert "reference_filters_c4_fineweb.py" in header["made_by"]
    assert len(rows) == 2 * 200


@pytest.mark.skipif(not DOCS.exists(), reason="shared Common Crawl sample not present")
@pytest.mark.parametrize("name", sorted(OURS))
def test_agreement_with_datatrove(name):
    header, rows = _reference()
    texts = _texts(header["limit"])
    rows = [row for row in rows if row["filter"] == name]
    disagreements = []
    for row in rows:
        verdict = OURS[name](texts[row["id"]])
        expected = None if row["reason"] is None else f"{name}_{row['reason']}"
        if (verdict.keep, verdict.reason) != (row["keep"], expected):
            disagreements.append(f"{row['id']}: datatrove {row['keep']}/{expected}, "
                                 f"ours {verdict.keep}/{verdict.reason} {verdict.signals}")
    agreement = 1 - len(disagreements) / len(rows)
    assert agreement >= MIN_AGREEMENT, "\n".join(disagreements)
