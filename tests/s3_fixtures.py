"""An S3 server for tests: moto's standalone server on loopback, one per test session.

It runs as a separate process (not moto's in-process mocks or ThreadedMotoServer) because Spark's
Python workers are separate processes too: they reach the same server over HTTP, exactly as they
would reach S3. Dummy credentials are put into the environment when this module is imported, so
they are there before the JVM starts and every Python worker inherits them; real credentials
from the developer's environment or ``~/.aws`` are never used by the tests.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

_DUMMY_AWS_ENV = {
    # Distinctive values (the loopback server accepts any), so a test can prove that no log,
    # saved config, stats file or report ever contains them.
    "AWS_ACCESS_KEY_ID": "AKIAWEBCURATETEST0001",
    "AWS_SECRET_ACCESS_KEY": "wcTestSecret/0123456789+abcdefghijklmnopqrstu",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",  # no slow instance-metadata lookups
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}
_DROPPED_AWS_ENV = ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_REGION",
                    "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3")
os.environ.update(_DUMMY_AWS_ENV)
for _name in _DROPPED_AWS_ENV:
    os.environ.pop(_name, None)

START_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class S3Server:
    """A running moto server: its endpoint, a boto3 client, and a matching StorageConfig."""

    endpoint_url: str
    process: subprocess.Popen

    def client(self):
        """A boto3 S3 client for this server (the tests' own, not webcurate's)."""
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint_url, region_name="us-east-1")

    @property
    def storage(self):
        from webcurate.io.storage import StorageConfig

        return StorageConfig(endpoint_url=self.endpoint_url, region="us-east-1", max_attempts=3)

    def make_bucket(self, name: str | None = None) -> str:
        name = name or f"test-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        paginator = self.client().get_paginator("list_objects_v2")
        return sorted(item["Key"] for page in paginator.paginate(Bucket=bucket, Prefix=prefix)
                      for item in page.get("Contents", []))


def _wait_until_up(endpoint_url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto server exited ({process.returncode}): {log.read_text()}")
        try:
            with urllib.request.urlopen(f"{endpoint_url}/moto-api/", timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise RuntimeError(f"moto server did not answer within {START_TIMEOUT_S:.0f}s: {log}")


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory) -> S3Server:
    """moto's S3 on 127.0.0.1 and a free port, for the whole test session."""
    port = free_port()
    endpoint_url = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with open(log, "wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log_file, stderr=subprocess.STDOUT, env=os.environ.copy())
    try:
        _wait_until_up(endpoint_url, process, log)
        yield S3Server(endpoint_url=endpoint_url, process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def s3_bucket(s3_server) -> str:
    """A fresh, empty bucket for one test."""
    return s3_server.make_bucket()
