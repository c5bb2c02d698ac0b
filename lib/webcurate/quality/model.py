"""A loaded fastText quality model, scoring texts in batches (pure: it takes a local path).

Where the model comes from (a local path, or ``s3://`` / ``https://`` fetched once per machine
into a per-version cache) and the once-per-process cache are the resource layer's:
:func:`webcurate.resources.models.get_quality_model`.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Sequence

import numpy as np

from webcurate.quality.training import label_token


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
