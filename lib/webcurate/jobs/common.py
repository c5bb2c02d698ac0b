"""What every job shares: its result, batching, and the files written next to its output."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from webcurate.config import to_yaml
from webcurate.io import storage as st


@dataclass
class JobResult:
    stats: dict = field(default_factory=dict)
    failed: bool = False


def chunked(items: Sequence, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield list(items[start:start + size])


def save_resolved_config(config, output: str, storage: st.StorageConfig) -> str:
    """``PREFIX/config.yaml``: the config as resolved (defaults, files and --set applied)."""
    uri = st.join_uri(output, "config.yaml")
    st.write_bytes(uri, to_yaml(config).encode("utf-8"), storage)
    return uri


def save_stats(stats: dict, output: str, storage: st.StorageConfig) -> str:
    uri = st.join_uri(output, "stats.json")
    payload = json.dumps(stats, indent=2, sort_keys=False, ensure_ascii=False, default=str)
    st.write_bytes(uri, payload.encode("utf-8"), storage)
    return uri


# --- whole-corpus jobs (filter, dedup, quality): one run, committed once ----------------------

class OutputHoldsOtherRun(ValueError):
    """The output prefix already holds a committed run made from other inputs or settings."""


def run_id_for(inputs: Sequence[str], settings: dict) -> str:
    """Deterministic id of a whole-corpus run: its resolved inputs and the settings that shape
    its output (not output path, not Spark tuning). Same inputs + settings -> same id."""
    from webcurate.ledger import batch_id_for

    return batch_id_for([json.dumps(settings, sort_keys=True, default=str), *inputs])


def commit_run(output: str, storage: st.StorageConfig, datasets: Sequence[str], run_id: str,
               overwrite: bool, produce) -> tuple[dict, bool]:
    """Run ``produce(file_prefix) -> stats`` once per output prefix, exactly-once committed.

    ``produce`` writes every dataset in ``datasets`` (names under ``output``) with
    :func:`webcurate.io.datasets.write_dataset_files` and ``file_prefix``; the marker
    ``_commits/<run_id>.json`` (holding the stats) is written after all of them. Returns
    ``(stats, reused)``: a rerun of the same run returns the committed stats without work; a
    killed run's files are swept first; a prefix holding a *different* committed run raises
    :class:`OutputHoldsOtherRun` unless ``overwrite``.
    """
    from webcurate.ledger import CommitLedger, file_prefix_for

    ledger = CommitLedger(output, storage)
    if overwrite:
        ledger.reset(datasets)
    markers = ledger.markers()
    for marker in markers:
        if marker["batch_id"] == run_id:
            return marker["stats"], True
    if markers:
        raise OutputHoldsOtherRun(
            f"output '{output}' already holds a committed run with other inputs or settings "
            f"(run {markers[0]['batch_id']}); set overwrite=true or choose another output")
    ledger.sweep_uncommitted(datasets, markers)
    stats = produce(file_prefix_for(run_id))
    ledger.commit(run_id, inputs=[], extra={"stats": stats})
    return stats, False
