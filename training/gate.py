"""The promotion gate: is a challenger at least as good as the champion on the frozen test set?

Both models label the same sentences, so the comparison is paired: a bootstrap resamples
sentences (the same indices for both models) and gives an interval for the macro-F1
difference. A challenger is refused when that interval lies wholly below zero (it is worse
beyond what the choice of test sentences explains) or when any class F1 falls by more than
the configured limit. With several frozen test sets (the written one and the real one), the
gate judges each, and a regression on any of them refuses the challenger.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from stance.config import GateSettings
from training.metrics import class_f1, label_ids, macro_f1_samples


@dataclass(frozen=True)
class GateDecision:
    """The gate's verdict, with the figures it rests on."""

    accepted: bool
    macro_f1_champion: float
    macro_f1_challenger: float
    macro_f1_difference: float
    interval: tuple[float, float]
    confidence: float
    class_f1_changes: dict[str, float]
    reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def compare(gold: list[str], champion: list[str], challenger: list[str], labels: tuple[str, ...],
            settings: GateSettings, seed: int) -> GateDecision:
    """Decide whether `challenger`'s predictions may replace `champion`'s on this test set.

    `seed` fixes the bootstrap's resamples, so the same predictions always get the same decision.
    """
    gold_ids = label_ids(gold, labels)
    champion_ids, challenger_ids = label_ids(champion, labels), label_ids(challenger, labels)
    champion_classes = class_f1(gold_ids, champion_ids, len(labels))
    challenger_classes = class_f1(gold_ids, challenger_ids, len(labels))
    champion_f1, challenger_f1 = float(champion_classes.mean()), float(challenger_classes.mean())

    rng = np.random.default_rng(seed)
    samples = rng.integers(0, len(gold_ids), size=(settings.bootstrap_samples, len(gold_ids)))
    differences = (macro_f1_samples(gold_ids, challenger_ids, samples, len(labels))
                   - macro_f1_samples(gold_ids, champion_ids, samples, len(labels)))
    tail = (1 - settings.confidence) / 2 * 100
    low, high = (float(x) for x in np.percentile(differences, [tail, 100 - tail]))

    class_changes = {label: round(float(after - before), 4)
                     for label, before, after in zip(labels, champion_classes, challenger_classes)}
    reasons = []
    if high < 0:
        reasons.append(
            f"macro-F1 is worse beyond test-set noise: {challenger_f1:.3f} against {champion_f1:.3f}, "
            f"difference {challenger_f1 - champion_f1:+.3f}, {settings.confidence:.0%} interval "
            f"[{low:+.3f}, {high:+.3f}] lies below zero")
    for label, change in class_changes.items():
        if change < -settings.max_class_f1_drop:
            reasons.append(f"F1 of '{label}' falls by {-change:.3f}, more than the "
                           f"{settings.max_class_f1_drop:.3f} allowed")
    return GateDecision(
        accepted=not reasons,
        macro_f1_champion=round(champion_f1, 4),
        macro_f1_challenger=round(challenger_f1, 4),
        macro_f1_difference=round(challenger_f1 - champion_f1, 4),
        interval=(round(low, 4), round(high, 4)),
        confidence=settings.confidence,
        class_f1_changes=class_changes,
        reasons=reasons,
    )



@dataclass(frozen=True)
class GateVerdict:
    """The gate's decision on every frozen test set: accepted only when no set refuses."""

    decisions: dict[str, GateDecision]

    @property
    def accepted(self) -> bool:
        return all(decision.accepted for decision in self.decisions.values())

    @property
    def reasons(self) -> list[str]:
        return [f"{name}: {reason}" for name, decision in self.decisions.items() for reason in decision.reasons]

    def to_dict(self) -> dict:
        return {"accepted": self.accepted, "reasons": self.reasons,
                "sets": {name: decision.to_dict() for name, decision in self.decisions.items()}}


def judge(gold: dict[str, list[str]], champion: dict[str, list[str]], challenger: dict[str, list[str]],
          labels: tuple[str, ...], settings: GateSettings, seed: int) -> GateVerdict:
    """`compare` on each test set (the dicts are keyed by test-set name)."""
    return GateVerdict({name: compare(gold[name], champion[name], challenger[name], labels, settings, seed)
                        for name in gold})
