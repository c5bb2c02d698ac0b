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
from concurrent.futures import ThreadPoolExecutor

from webcurate.io import storage as st
from webcurate.io.datasets import delete_files, list_dataset_files, read_parquet
from webcurate.io.inputs import InputError
from webcurate.lock import check_lease

BATCH_ID_HEX_CHARS = 16
COMMITS_DIR = "_commits"
MARKER_READERS = 16
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
        uris = sorted(u for u in st.list_files(self.commits_uri, self.storage)
                      if u.endswith(".json"))
        if len(uris) <= 1:
            return [json.loads(st.read_bytes(uri, self.storage)) for uri in uris]
        # A dump's extract commits ~1,400 batches: read them concurrently (one GET each on S3).
        with ThreadPoolExecutor(MARKER_READERS) as pool:
            return list(pool.map(lambda uri: json.loads(st.read_bytes(uri, self.storage)),
                                 uris))

    def committed_batch_ids(self, markers: list[dict] | None = None) -> set[str]:
        markers = self.markers() if markers is None else markers
        return {marker["batch_id"] for marker in markers}

    def committed_inputs(self, markers: list[dict] | None = None) -> set[str]:
        markers = self.markers() if markers is None else markers
        return {item["source_file"] for marker in markers for item in marker["inputs"]}

    def commit(self, batch_id: str, inputs: list[dict], extra: dict | None = None) -> None:
        """Write the marker last: from here on, the batch's part files are committed output."""
        check_lease(self.output)  # a run that lost its lease stops here, before committing
        marker = {"batch_id": batch_id, "inputs": inputs, **(extra or {})}
        payload = json.dumps(marker, sort_keys=True, ensure_ascii=False).encode("utf-8")
        st.write_bytes(self._marker_uri(batch_id), payload, self.storage)

    def sweep_uncommitted(self, dataset_names: Iterable[str],
                          markers: list[dict] | None = None) -> list[str]:
        """Delete part files whose batch has no marker; return what was deleted."""
        check_lease(self.output)  # the files may be the new lease holder's
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
        check_lease(self.output)
        for name in [*dataset_names, COMMITS_DIR]:
            st.delete_prefix(st.join_uri(self.output, name), self.storage)


# --- reading: only committed files ---------------------------------------------------------

# How far above a part file its job's ``_commits/`` may be: ``OUT/docs/`` (extract),
# ``OUT/rejected/filter=x/`` (filter), ``OUT/<tag>/kept/`` (dedup, under the stage output).
MARKER_LEVELS_UP = 3


class CommittedFiles:
    """The commit-aware view every reader of a webcurate output goes through.

    A webcurate part file (``part-<batch_id>-NNNNN.parquet``) is output only once its batch's
    marker ``_commits/<batch_id>.json`` exists in one of the prefixes above it; until then it
    belongs to a run that is still writing or was killed before its commit, and a reader must
    not see it. Files of any other name (a foreign corpus) are read as they are. Markers are
    listed once per prefix, by name only: one listing per output, not one request per file.
    """

    def __init__(self, storage: st.StorageConfig):
        self.storage = storage
        self._batches: dict[str, set[str]] = {}

    def committed_batches(self, prefix: str) -> set[str]:
        """Batch ids with a marker under ``prefix/_commits/`` (cached)."""
        prefix = prefix.rstrip("/")
        if prefix not in self._batches:
            commits = st.join_uri(prefix, COMMITS_DIR)
            names = [u.rsplit("/", 1)[-1] for u in st.list_files(commits, self.storage,
                                                                  recursive=False)]
            self._batches[prefix] = {n[:-len(".json")] for n in names if n.endswith(".json")}
        return self._batches[prefix]

    def is_committed(self, uri: str) -> bool:
        batch_id = batch_id_of_file(uri)
        if batch_id is None or st.is_remote_http(uri):
            return True  # not a webcurate part file (or read over HTTP(S): no listing)
        prefix = uri.rstrip("/")
        for _ in range(MARKER_LEVELS_UP):
            prefix = prefix.rsplit("/", 1)[0]
            if batch_id in self.committed_batches(prefix):
                return True
        return False

    def split(self, files: Iterable[str]) -> tuple[list[str], list[str]]:
        """``(committed, uncommitted)``, each in the order given."""
        committed, uncommitted = [], []
        for uri in files:
            (committed if self.is_committed(uri) else uncommitted).append(uri)
        return committed, uncommitted


def committed_files(files: Iterable[str], storage: st.StorageConfig) -> list[str]:
    """``files`` without the part files of uncommitted batches (see :class:`CommittedFiles`)."""
    return CommittedFiles(storage).split(files)[0]


def read_committed_parquet(spark, uris: str | Iterable[str], storage: st.StorageConfig):
    """Committed webcurate datasets (directories or ``.parquet`` files) as one DataFrame.

    The reader for another job's output (reports, a next stage): files of uncommitted batches
    are left out (:class:`CommittedFiles`); none left is an InputError. A job reading back files
    it has just written itself, before its own commit, uses ``read_parquet`` on those files."""
    uris = [uris] if isinstance(uris, str) else list(uris)
    files = sorted({f for uri in uris for f in list_dataset_files(uri, storage)})
    committed = committed_files(files, storage)
    if not committed:
        raise InputError(f"no committed Parquet files in {', '.join(uris)}")
    return read_parquet(spark, committed, storage)
