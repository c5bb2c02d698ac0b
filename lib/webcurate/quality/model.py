"""A fastText quality model, loaded lazily once per process, scoring texts in batches.

Executors receive plain values (model URI, label, normalisation, a version tag), never a loaded
model: the first batch a Python worker scores loads the model and every later batch, task and
stage in that worker reuses it (the way datatrove loads its fastText models on first use).
Remote models (``s3://``, ``https://``) are fetched once per machine with
:func:`webcurate.io.storage.local_copy` into a cache directory named after the model's version
(size and ETag or modification time), so a model retrained to the same URI is fetched afresh
instead of being served stale from the cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tempfile
import threading
from collections.abc import Sequence

import numpy as np

from webcurate.io import storage as st
from webcurate.quality.training import label_token

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


class QualityModel:
    """A loaded fastText classifier and the index of its positive label."""

    def __init__(self, local_path: str, positive_label: str):
        import fasttext

        if not os.path.isfile(local_path):
            raise FileNotFoundError(f"quality model not found: {local_path}")
        # Some fasttext builds print a warning about the returned type on every load.
        with contextlib.redirect_stderr(io.StringIO()):
            self.model = fasttext.load_model(local_path)
        self.labels = list(self.model.get_labels())
        self.positive = label_token(positive_label)
        if self.positive not in self.labels:
            raise ValueError(f"the model has no label {self.positive!r} (its labels: "
                             f"{', '.join(self.labels)})")

    def positive_probabilities(self, lines: Sequence[str]) -> np.ndarray:
        """P(positive label) for each normalised one-line text; NaN for an empty line."""
        scores = np.full(len(lines), np.nan, dtype=np.float64)
        present = [i for i, line in enumerate(lines) if line]
        if not present:
            return scores
        # k=-1: every label with its probability, so the positive one is always there.
        labels, probs = self.model.predict([lines[i] for i in present], k=-1)
        for i, row_labels, row_probs in zip(present, labels, probs, strict=True):
            scores[i] = row_probs[row_labels.index(self.positive)]
        # fastText's softmax can return 1.00001: clip to a probability.
        return np.clip(scores, 0.0, 1.0)


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
