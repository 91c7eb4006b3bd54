"""The promotion gate: a paired bootstrap of the macro-F1 difference plus a per-class floor."""

from __future__ import annotations

import random

import numpy as np
import pytest
from sklearn.metrics import f1_score

from training.gate import GateSettings, class_f1_samples, compare, macro_f1_samples
from training.labels import LABELS

SETTINGS = GateSettings(bootstrap_samples=1000, confidence=0.95, max_class_f1_drop=0.02, seed=0)


def gold_and_good_predictions(n=600, error_rate=0.1, seed=1):
    rng = random.Random(seed)
    gold = [LABELS[i % 3] for i in range(n)]
    predicted = [rng.choice(LABELS) if rng.random() < error_rate else label for label in gold]
    return gold, predicted


def corrupt(gold, predicted, share, only=None, seed=2):
    """Replace `share` of the correct predictions (of class `only`, if given) with a wrong label."""
    rng = random.Random(seed)
    out = list(predicted)
    for i, (g, p) in enumerate(zip(gold, predicted)):
        if g == p and (only is None or g == only) and rng.random() < share:
            out[i] = next(label for label in LABELS if label != g)
    return out


def test_bootstrap_macro_f1_matches_scikit_learn():
    gold, predicted = gold_and_good_predictions(error_rate=0.3)
    ids = {label: i for i, label in enumerate(LABELS)}
    g, p = np.array([ids[x] for x in gold]), np.array([ids[x] for x in predicted])
    everything = np.arange(len(g))[None, :]
    assert macro_f1_samples(g, p, everything, 3)[0] == pytest.approx(f1_score(g, p, average="macro"))
    assert class_f1_samples(g, p, everything, 3)[0] == pytest.approx(f1_score(g, p, average=None))
    rows = np.random.default_rng(0).integers(0, len(g), size=(5, len(g)))
    for row, value in zip(rows, macro_f1_samples(g, p, rows, 3)):
        assert value == pytest.approx(f1_score(g[row], p[row], labels=[0, 1, 2], average="macro", zero_division=0))


def test_an_equally_good_challenger_is_accepted():
    gold, champion = gold_and_good_predictions(seed=1)
    _, challenger = gold_and_good_predictions(seed=7)  # different errors, same error rate
    decision = compare(gold, champion, challenger, LABELS, SETTINGS)
    low, high = decision.interval
    assert low < 0 < high
    assert decision.accepted, decision.reasons


def test_a_clearly_worse_challenger_is_refused_with_the_interval():
    gold, champion = gold_and_good_predictions()
    challenger = corrupt(gold, champion, share=0.2)
    decision = compare(gold, champion, challenger, LABELS, SETTINGS)
    assert not decision.accepted
    assert decision.interval[1] < 0
    assert any("worse beyond test-set noise" in reason for reason in decision.reasons)


def test_one_class_falling_past_the_limit_is_refused_by_name():
    gold, champion = gold_and_good_predictions(n=3000, error_rate=0.05)
    challenger = corrupt(gold, champion, share=0.06, only="denial")
    decision = compare(gold, champion, challenger, LABELS, SETTINGS)
    assert decision.class_f1_changes["denial"] < -0.02
    assert not decision.accepted
    assert any("F1 of 'denial' falls by" in reason for reason in decision.reasons)


def test_the_decision_is_reproducible():
    gold, champion = gold_and_good_predictions()
    challenger = corrupt(gold, champion, share=0.02)
    assert compare(gold, champion, challenger, LABELS, SETTINGS) == compare(gold, champion, challenger, LABELS,
                                                                             SETTINGS)
