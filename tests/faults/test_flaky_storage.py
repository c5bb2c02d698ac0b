"""Throttling and flaky storage: jobs behind a proxy that fails 10% of S3 requests still succeed,
with output identical to a run on healthy storage, and the proxy reports what it injected."""

from __future__ import annotations

import json
import os

import pyarrow.dataset as ds
import pytest
from figures import record_figure
from flaky_s3 import FlakyS3Proxy

from webcurate.cli import run_job

pytestmark = pytest.mark.spark

CC_DOCS = "text/cc/CC-MAIN-2019-30-697docs.jsonl.gz"
WARC = "warc/cc/CC-MAIN-2020-34-sample.warc.gz"


@pytest.fixture
def flaky(s3_server):
    proxy = FlakyS3Proxy(s3_server.endpoint_url, fault_rate=0.1, seed=7).start()
    yield proxy
    proxy.stop()


def _s3_rows(s3_server, bucket: str, prefix: str, columns: list[str]) -> list[tuple]:
    import pyarrow.fs as pafs

    fs = pafs.S3FileSystem(endpoint_override=s3_server.endpoint_url, scheme="http",
                           access_key=os.environ["AWS_ACCESS_KEY_ID"],
                           secret_key=os.environ["AWS_SECRET_ACCESS_KEY"], region="us-east-1")
    table = ds.dataset(f"{bucket}/{prefix}", filesystem=fs, format="parquet",
                       partitioning="hive").to_table(columns=columns)
    return sorted(tuple(r.values()) for r in table.to_pylist())


def test_filter_and_extract_succeed_through_injected_s3_faults(spark, shared_data, s3_server,
                                                               flaky, tmp_path, capsys):
    bucket = s3_server.make_bucket()
    client = s3_server.client()
    client.upload_file(str(shared_data / CC_DOCS), bucket, "in/docs.jsonl.gz")
    client.upload_file(str(shared_data / WARC), bucket, "in/sample.warc.gz")
    through_proxy = f"--set=storage.endpoint_url={flaky.endpoint_url}"

    assert run_job("filter", [f"--set=input=s3://{bucket}/in/docs.jsonl.gz",
                              f"--set=output=s3://{bucket}/filtered", "--set=filters=fineweb",
                              through_proxy], spark=spark) == 0
    assert run_job("extract", [f"--set=input=s3://{bucket}/in/sample.warc.gz",
                               f"--set=output=s3://{bucket}/extracted", through_proxy],
                   spark=spark) == 0
    injected = {k: v for k, v in flaky.counts.items() if k != "requests"}
    print(f"flaky proxy: {flaky.counts['requests']} requests, injected {injected}")
    assert sum(injected.values()) >= 5

    # The same jobs on healthy local storage give the same rows.
    assert run_job("filter", [f"--set=input={shared_data / CC_DOCS}",
                              f"--set=output={tmp_path / 'filtered'}", "--set=filters=fineweb"],
                   spark=spark) == 0
    assert run_job("extract", [f"--set=input={shared_data / WARC}",
                               f"--set=output={tmp_path / 'extracted'}"], spark=spark) == 0
    for prefix, datasets, columns in (
            ("filtered", ("kept", "rejected"), ["doc_id", "reason", "text"]),
            ("extracted", ("docs",), ["doc_id", "url", "text"])):
        for name in datasets:
            local = ds.dataset(str(tmp_path / prefix / name), format="parquet",
                               partitioning="hive").to_table(columns=columns)
            assert _s3_rows(s3_server, bucket, f"{prefix}/{name}", columns) == sorted(
                tuple(r.values()) for r in local.to_pylist())
    stats = json.loads(client.get_object(Bucket=bucket, Key="filtered/stats.json")["Body"].read())
    assert stats["documents_in"] == 697
    record_figure(scenario=f"flaky S3 ({', '.join(f'{k} {v}' for k, v in injected.items())})",
                  job="extract+filter", faults_injected=sum(injected.values()), finished="yes",
                  docs_lost=0, docs_duplicated=0)
