"""Metrics computed one way (training.metrics), checked against scikit-learn's definitions."""

from __future__ import annotations

import random

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support

from stance.labels import LABELS
from training.metrics import class_f1, class_f1_samples, label_ids, macro_f1_samples, metrics_of


def labelled(n=600, error_rate=0.3, seed=1):
    rng = random.Random(seed)
    gold = [LABELS[i % 3] for i in range(n)]
    return gold, [rng.choice(LABELS) if rng.random() < error_rate else label for label in gold]


def test_metrics_match_scikit_learn():
    gold, predicted = labelled()
    metrics = metrics_of(gold, predicted, LABELS)
    precision, recall, f1, support = precision_recall_fscore_support(gold, predicted, labels=list(LABELS))
    for i, label in enumerate(LABELS):
        assert metrics.per_class[label] == {"precision": round(precision[i], 4), "recall": round(recall[i], 4),
                                            "f1": round(f1[i], 4), "support": support[i]}
    assert metrics.macro_f1 == round(f1_score(gold, predicted, average="macro"), 4)
    assert metrics.accuracy == round(sum(g == p for g, p in zip(gold, predicted)) / len(gold), 4)
    assert metrics.confusion_matrix == confusion_matrix(gold, predicted, labels=list(LABELS)).tolist()


def test_a_class_never_predicted_nor_present_counts_as_zero():
    metrics = metrics_of(["denial", "denial"], ["denial", "assertion"], LABELS)
    assert metrics.per_class["euphemism"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert metrics.per_class["denial"]["f1"] == pytest.approx(2 / 3, abs=1e-4)
    assert metrics.macro_f1 == round((0 + 2 / 3 + 0) / 3, 4)


def test_bootstrap_rows_match_scikit_learn_on_each_resample():
    gold, predicted = labelled()
    g, p = label_ids(gold, LABELS), label_ids(predicted, LABELS)
    assert class_f1(g, p, 3) == pytest.approx(f1_score(g, p, average=None))
    rows = np.random.default_rng(0).integers(0, len(g), size=(5, len(g)))
    assert class_f1_samples(g, p, rows, 3).shape == (5, 3)
    for row, value in zip(rows, macro_f1_samples(g, p, rows, 3)):
        assert value == pytest.approx(f1_score(g[row], p[row], labels=[0, 1, 2], average="macro", zero_division=0))


def test_label_ids_follow_the_label_order():
    assert label_ids(["euphemism", "assertion", "denial"], LABELS).tolist() == [2, 0, 1]
    with pytest.raises(KeyError):
        label_ids(["opinion"], LABELS)
