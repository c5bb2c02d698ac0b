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
