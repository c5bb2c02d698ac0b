"""Held-out metrics of a binary classifier, with numpy only: precision, recall, F1, ROC-AUC.

ROC-AUC is computed as the Mann-Whitney U statistic (Hanley & McNeil 1982): the probability
that a random positive scores above a random negative, ties counting one half, from the
average ranks of the pooled scores. It equals the area under the ROC curve with ties
interpolated linearly, as scikit-learn's ``roc_auc_score`` computes it.
"""

from __future__ import annotations

import numpy as np


def average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks of ``values``, tied values sharing the average of their ranks."""
    values = np.asarray(values, dtype=np.float64)
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    # Start index of each run of equal values, and the average 1-based rank over the run.
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:], len(values)]
    run_ranks = (starts + 1 + ends) / 2.0
    ranks = np.empty(len(values), dtype=np.float64)
    ranks[order] = np.repeat(run_ranks, ends - starts)
    return ranks


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve for boolean ``labels`` (True = positive); NaN if one class is
    missing."""
    labels = np.asarray(labels, dtype=bool)
    positives, negatives = int(labels.sum()), int((~labels).sum())
    if positives == 0 or negatives == 0:
        return float("nan")
    rank_sum = average_ranks(scores)[labels].sum()
    u_statistic = rank_sum - positives * (positives + 1) / 2.0
    return float(u_statistic / (positives * negatives))


def _ratio(numerator: int, denominator: int) -> float:
    return float(numerator / denominator) if denominator else float("nan")


def binary_metrics(labels: np.ndarray, scores: np.ndarray, threshold: float = 0.5) -> dict:
    """Counts, accuracy, precision, recall and F1 of ``score >= threshold`` as the positive
    prediction, and the ROC-AUC over all thresholds."""
    labels = np.asarray(labels, dtype=bool)
    predicted = np.asarray(scores, dtype=np.float64) >= threshold
    true_pos = int((predicted & labels).sum())
    false_pos = int((predicted & ~labels).sum())
    false_neg = int((~predicted & labels).sum())
    true_neg = int((~predicted & ~labels).sum())
    precision = _ratio(true_pos, true_pos + false_pos)
    recall = _ratio(true_pos, true_pos + false_neg)
    f1 = (2 * precision * recall / (precision + recall)
          if precision + recall > 0 else float("nan"))
    return {
        "threshold": threshold,
        "positives": int(labels.sum()),
        "negatives": int((~labels).sum()),
        "true_positives": true_pos,
        "false_positives": false_pos,
        "false_negatives": false_neg,
        "true_negatives": true_neg,
        "accuracy": _ratio(true_pos + true_neg, len(labels)),
        "precision": precision,
        "recall": recall,
        "f1": float(f1),
        "roc_auc": roc_auc(labels, scores),
    }
