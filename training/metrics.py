"""Classification metrics, computed one way: per-class F1 from gold and predicted label ids.

The evaluation's figures, the validation macro-F1 that picks the best epoch, the backend check
and the promotion gate's bootstrap all use `class_f1_samples`, so a macro-F1 means the same
everywhere. A class absent from both gold and predictions counts as F1 0, as scikit-learn's
`f1_score(..., labels=all, zero_division=0)` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Metrics:
    """Classification metrics of one system on one labelled set."""

    macro_f1: float
    accuracy: float
    per_class: dict[str, dict[str, float]]
    confusion_matrix: list[list[int]]


def class_f1_samples(gold: np.ndarray, predicted: np.ndarray, samples: np.ndarray, n_labels: int) -> np.ndarray:
    """F1 of every class (columns) on each row of index matrix `samples` (rows)."""
    gold_s, pred_s = gold[samples], predicted[samples]
    f1 = np.zeros((samples.shape[0], n_labels))
    for label in range(n_labels):
        true_positive = ((gold_s == label) & (pred_s == label)).sum(axis=1)
        denominator = (gold_s == label).sum(axis=1) + (pred_s == label).sum(axis=1)
        f1[:, label] = np.divide(2 * true_positive, denominator, out=np.zeros(len(samples)),
                                 where=denominator > 0)
    return f1


def macro_f1_samples(gold: np.ndarray, predicted: np.ndarray, samples: np.ndarray, n_labels: int) -> np.ndarray:
    """Macro-F1 of `predicted` against `gold` on each row of index matrix `samples`."""
    return class_f1_samples(gold, predicted, samples, n_labels).mean(axis=1)


def class_f1(gold: np.ndarray, predicted: np.ndarray, n_labels: int) -> np.ndarray:
    """F1 of every class on all the sentences."""
    return class_f1_samples(gold, predicted, np.arange(len(gold))[None, :], n_labels)[0]


def label_ids(names: Sequence[str], labels: tuple[str, ...]) -> np.ndarray:
    """Label names as their indices in `labels`."""
    index = {label: i for i, label in enumerate(labels)}
    return np.array([index[name] for name in names], dtype=np.int64)


def metrics_of(gold: Sequence[str], predicted: Sequence[str], labels: tuple[str, ...]) -> Metrics:
    """Precision, recall, F1 and support per class, macro-F1, accuracy and the confusion matrix."""
    gold_ids, predicted_ids = label_ids(gold, labels), label_ids(predicted, labels)
    matrix = np.zeros((len(labels), len(labels)), dtype=np.int64)
    np.add.at(matrix, (gold_ids, predicted_ids), 1)
    hits, support, predicted_counts = np.diag(matrix), matrix.sum(axis=1), matrix.sum(axis=0)
    precision = np.divide(hits, predicted_counts, out=np.zeros(len(labels)), where=predicted_counts > 0)
    recall = np.divide(hits, support, out=np.zeros(len(labels)), where=support > 0)
    f1 = class_f1(gold_ids, predicted_ids, len(labels))
    per_class = {label: {"precision": round(float(p), 4), "recall": round(float(r), 4), "f1": round(float(f), 4),
                         "support": int(s)}
                 for label, p, r, f, s in zip(labels, precision, recall, f1, support)}
    return Metrics(macro_f1=round(float(f1.mean()), 4),
                   accuracy=round(float(hits.sum() / max(1, len(gold_ids))), 4),
                   per_class=per_class, confusion_matrix=matrix.tolist())
