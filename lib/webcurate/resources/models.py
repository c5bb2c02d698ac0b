"""Models for the executors: fetched once per machine, loaded once per Python worker.

Executors receive plain values (model URI, label, a version tag), never a loaded model: the first
batch a Python worker scores loads the model and every later batch, task and stage in that worker
reuses it (the way datatrove loads its fastText models on first use). Remote models (``s3://``,
``https://``) are fetched with :func:`webcurate.io.storage.local_copy` into a cache directory
named after the model's version (size and ETag or modification time), so a model retrained to
the same URI is fetched afresh instead of being served stale from the cache.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading

from webcurate.io import storage as st
from webcurate.quality.model import QualityModel

MODEL_CACHE_DIR = os.path.join(tempfile.gettempdir(), "webcurate-models")


def model_version(uri: str, storage: st.StorageConfig) -> str:
    """A tag that changes when the model file changes (size and mtime, ETag: the storage
    backend's ``file_version``)."""
    return st.file_version(uri, storage)


def fetch_model(uri: str, storage: st.StorageConfig, version: str) -> str:
    """A local path of the model: the path itself, or a per-version cached download."""
    if st.is_local(uri):
        return st.split_uri(uri)[2]
    tag = hashlib.sha1(f"{uri}\x1f{version}".encode()).hexdigest()[:16]
    return st.local_copy(uri, storage, cache_dir=os.path.join(MODEL_CACHE_DIR, tag))


_MODELS: dict[tuple[str, str], QualityModel] = {}
_MODELS_LOCK = threading.Lock()


def get_quality_model(uri: str, storage: st.StorageConfig, positive_label: str,
                      version: str) -> QualityModel:
    """The process-wide model for ``(uri, version, label)``, loaded on first use."""
    key = (f"{uri}\x1f{version}", positive_label)
    with _MODELS_LOCK:
        if key not in _MODELS:
            _MODELS[key] = QualityModel(fetch_model(uri, storage, version), positive_label)
        return _MODELS[key]
