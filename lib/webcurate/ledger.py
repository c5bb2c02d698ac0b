"""Batch commits: a job's output counts only once its batch marker exists.

A job processes its inputs in batches. Each batch writes its Parquet files under deterministic
names ``part-<batch_id>-NNNNN.parquet`` into the output datasets, and only then writes one marker
object ``PREFIX/_commits/<batch_id>.json`` with the batch's per-input summaries. A rerun on the
same prefix therefore (1) skips inputs named in any marker (resume), and (2) deletes files of
batches that have no marker (left by a killed run), so the committed output never holds partial
or duplicate data. The same idea as datatrove's completion markers, at batch granularity so that
one Spark job still runs many tasks.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable

from webcurate.io import storage as st
from webcurate.io.datasets import delete_files, list_dataset_files

BATCH_ID_HEX_CHARS = 16
COMMITS_DIR = "_commits"
_PART_NAME = re.compile(rf"^part-([0-9a-f]{{{BATCH_ID_HEX_CHARS}}})-\d{{5}}\.parquet$")


def batch_id_for(inputs: Iterable[str]) -> str:
    """Deterministic id of a batch: a hash of its sorted input names."""
    digest = hashlib.sha1("\n".join(sorted(inputs)).encode("utf-8"))
    return digest.hexdigest()[:BATCH_ID_HEX_CHARS]


def file_prefix_for(batch_id: str) -> str:
    return f"part-{batch_id}"


def batch_id_of_file(uri: str) -> str | None:
    """The batch id encoded in a committed part file name, or None for foreign files."""
    match = _PART_NAME.match(uri.rstrip("/").rsplit("/", 1)[-1])
    return match.group(1) if match else None


class CommitLedger:
    """The ``_commits/`` markers under one output prefix."""

    def __init__(self, output: str, storage: st.StorageConfig):
        self.output = output.rstrip("/")
        self.storage = storage
        self.commits_uri = st.join_uri(self.output, COMMITS_DIR)

    def _marker_uri(self, batch_id: str) -> str:
        return st.join_uri(self.commits_uri, f"{batch_id}.json")

    def markers(self) -> list[dict]:
        """Every committed batch's marker, oldest batch id first (stable order)."""
        if not st.exists(self.commits_uri, self.storage) and not st.is_s3(self.commits_uri):
            return []
        uris = [u for u in st.list_files(self.commits_uri, self.storage) if u.endswith(".json")]
        return [json.loads(st.read_bytes(uri, self.storage)) for uri in sorted(uris)]

    def committed_batch_ids(self, markers: list[dict] | None = None) -> set[str]:
        markers = self.markers() if markers is None else markers
        return {marker["batch_id"] for marker in markers}

    def committed_inputs(self, markers: list[dict] | None = None) -> set[str]:
        markers = self.markers() if markers is None else markers
        return {item["source_file"] for marker in markers for item in marker["inputs"]}

    def commit(self, batch_id: str, inputs: list[dict], extra: dict | None = None) -> None:
        """Write the marker last: from here on, the batch's part files are committed output."""
        marker = {"batch_id": batch_id, "inputs": inputs, **(extra or {})}
        payload = json.dumps(marker, sort_keys=True, ensure_ascii=False).encode("utf-8")
        st.write_bytes(self._marker_uri(batch_id), payload, self.storage)

    def sweep_uncommitted(self, dataset_names: Iterable[str],
                          markers: list[dict] | None = None) -> list[str]:
        """Delete part files whose batch has no marker; return what was deleted."""
        committed = self.committed_batch_ids(markers)
        doomed = []
        for name in dataset_names:
            dataset_uri = st.join_uri(self.output, name)
            for uri in list_dataset_files(dataset_uri, self.storage):
                batch_id = batch_id_of_file(uri)
                if batch_id is not None and batch_id not in committed:
                    doomed.append(uri)
        delete_files(doomed, self.storage)
        return doomed

    def reset(self, dataset_names: Iterable[str]) -> None:
        """Forget everything under the prefix that this ledger owns (``overwrite: true``)."""
        for name in [*dataset_names, COMMITS_DIR]:
            st.delete_prefix(st.join_uri(self.output, name), self.storage)
