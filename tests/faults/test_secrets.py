"""Credentials never appear in logs, saved configs, stats or reports.

The S3 fixtures put distinctive AWS credentials in the environment (``tests/s3_fixtures.py``);
jobs that use them against the loopback server must not write them anywhere, even when a user
puts credentials into an endpoint URL.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.spark

ROOT = Path(__file__).resolve().parents[2]
CC_DOCS = "text/cc/CC-MAIN-2019-30-697docs.jsonl.gz"
WARC = "warc/cc/CC-MAIN-2020-34-sample.warc.gz"


def _secrets() -> list[str]:
    return [os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]]


def _webcurate(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "lib"))
    return subprocess.run([sys.executable, "-m", "webcurate.cli", *args], check=False, cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=600)


def test_jobs_on_s3_leave_no_credentials_in_output_or_logs(shared_data, s3_server):
    bucket = s3_server.make_bucket()
    client = s3_server.client()
    client.upload_file(str(shared_data / WARC), bucket, "in/sample.warc.gz")
    # A user who pastes credentials into the endpoint URL: they must not be echoed either.
    host = s3_server.endpoint_url.split("://", 1)[1]
    endpoint = f"http://{os.environ['AWS_ACCESS_KEY_ID']}:secretpart@{host}"
    common = ["--set", f"storage.endpoint_url={s3_server.endpoint_url}",
              "--set", "spark.master=local[1]", "--set", "spark.show_progress=false"]
    runs = [
        _webcurate("extract", "--set", f"input=s3://{bucket}/in/sample.warc.gz",
                   "--set", f"output=s3://{bucket}/extracted", *common),
        _webcurate("filter", "--set", f"input=s3://{bucket}/extracted/docs",
                   "--set", f"output=s3://{bucket}/filtered", "--set", "filters=gopher_quality",
                   *common),
        _webcurate("filter", "--set", f"input=s3://{bucket}/extracted/docs", "--set",
                   f"output=s3://{bucket}/other", "--set", "filters=gopher_quality",
                   "--set", f"storage.endpoint_url={endpoint}", "--print-config"),
    ]
    assert [r.returncode for r in runs] == [0, 0, 0], [r.stderr[-2000:] for r in runs]
    written = [client.get_object(Bucket=bucket, Key=k)["Body"].read().decode("utf-8", "replace")
               for k in s3_server.keys(bucket, "") if k.endswith((".json", ".yaml", ".txt"))]
    assert len(written) >= 4  # config.yaml and stats.json of two jobs, commit markers
    logs = [r.stdout + r.stderr for r in runs]
    for secret in _secrets():
        for text in written + logs:
            assert secret not in text
    assert "secretpart" not in runs[2].stdout  # the printed config redacts URL credentials
