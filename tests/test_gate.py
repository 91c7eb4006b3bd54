"""The promotion gate: a paired bootstrap of the macro-F1 difference plus a per-class floor."""

from __future__ import annotations

import random

from stance.config import GateSettings
from stance.labels import LABELS
from training.gate import compare, judge

SETTINGS = GateSettings(bootstrap_samples=1000, confidence=0.95, max_class_f1_drop=0.02)


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


def test_an_equally_good_challenger_is_accepted():
    gold, champion = gold_and_good_predictions(seed=1)
    _, challenger = gold_and_good_predictions(seed=7)  # different errors, same error rate
    decision = compare(gold, champion, challenger, LABELS, SETTINGS, seed=0)
    low, high = decision.interval
    assert low < 0 < high
    assert decision.accepted, decision.reasons


def test_a_clearly_worse_challenger_is_refused_with_the_interval():
    gold, champion = gold_and_good_predictions()
    challenger = corrupt(gold, champion, share=0.2)
    decision = compare(gold, champion, challenger, LABELS, SETTINGS, seed=0)
    assert not decision.accepted
    assert decision.interval[1] < 0
    assert any("worse beyond test-set noise" in reason for reason in decision.reasons)


def test_one_class_falling_past_the_limit_is_refused_by_name():
    gold, champion = gold_and_good_predictions(n=3000, error_rate=0.05)
    challenger = corrupt(gold, champion, share=0.06, only="denial")
    decision = compare(gold, champion, challenger, LABELS, SETTINGS, seed=0)
    assert decision.class_f1_changes["denial"] < -0.02
    assert not decision.accepted
    assert any("F1 of 'denial' falls by" in reason for reason in decision.reasons)


def test_the_decision_is_reproducible():
    gold, champion = gold_and_good_predictions()
    challenger = corrupt(gold, champion, share=0.02)
    assert compare(gold, champion, challenger, LABELS, SETTINGS, seed=0) == compare(gold, champion, challenger,
                                                                                     LABELS, SETTINGS, seed=0)


def test_a_regression_on_any_test_set_refuses_the_challenger():
    gold, champion = gold_and_good_predictions()
    _, equal = gold_and_good_predictions(seed=7)
    worse = corrupt(gold, champion, share=0.2)
    verdict = judge({"test": gold, "real_test": gold}, {"test": champion, "real_test": champion},
                    {"test": equal, "real_test": worse}, LABELS, SETTINGS, seed=0)
    assert verdict.decisions["test"].accepted and not verdict.decisions["real_test"].accepted
    assert not verdict.accepted
    assert verdict.reasons and all(reason.startswith("real_test: ") for reason in verdict.reasons)
    document = verdict.to_dict()
    assert document["accepted"] is False and set(document["sets"]) == {"test", "real_test"}
    assert document["sets"]["real_test"]["interval"][1] < 0
    both = judge({"test": gold, "real_test": gold}, {"test": champion, "real_test": champion},
                 {"test": equal, "real_test": equal}, LABELS, SETTINGS, seed=0)
    assert both.accepted and both.reasons == []
