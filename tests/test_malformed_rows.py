"""A malformed JSONL line never fails a job and is never lost silently: the filter and dedup
jobs count it (with where it was) in their stats, and go on with the good documents."""

from __future__ import annotations

import gzip
import json

import pytest

from webcurate.cli import run_job

pytestmark = pytest.mark.spark

CC_DOCS = "text/cc/CC-MAIN-2019-30-697docs.jsonl.gz"


@pytest.fixture
def with_bad_lines(shared_data, tmp_path):
    with gzip.open(shared_data / CC_DOCS, "rt", encoding="utf-8") as f:
        lines = [next(f) for _ in range(60)]
    lines.insert(10, '{"text": "cut off in the mid\n')  # invalid JSON
    lines.insert(30, '["a list, not an object"]\n')
    path = tmp_path / "docs.jsonl"
    path.write_text("".join(lines))
    return path


@pytest.mark.parametrize("job, overrides", [("filter", ["filters=length"]),
                                            ("dedup", ["mode=exact"])])
def test_malformed_lines_are_counted_in_the_stats_and_the_rest_is_processed(
        spark, with_bad_lines, tmp_path, job, overrides):
    out = tmp_path / job
    assert run_job(job, [f"--set=input={with_bad_lines}", f"--set=output={out}",
                         *[f"--set={o}" for o in overrides]], spark=spark) == 0
    stats = json.loads((out / "stats.json").read_text())
    assert stats["malformed_rows"] == 2
    assert stats["malformed_by_reason"] == {"invalid_json": 2}
    example = stats["malformed_examples"]["invalid_json"]
    assert example["source_file"] == str(with_bad_lines) and example["source_row"] == 10
    assert stats["documents_in"] == 60
