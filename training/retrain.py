"""`stance retrain`: merge new labelled rows, train a challenger, promote it only if the gate accepts.

The merged training data goes to a pending file beside the real one. It replaces the real
file in the same journaled step that promotes the challenger (`Registry.promote_with_data`),
so a run that is refused, fails or is killed leaves the training data and the promoted
version as they were.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from stance.artifacts import read_manifest
from stance.config import StanceConfig
from stance.data import Example, file_sha256
from stance.inference import StanceClassifier
from stance.registry import Registry
from training.evaluate import Evaluation
from training.gate import GateVerdict, judge
from training.merge import MergePlan, plan_merge, render_records
from training.metrics import Metrics, metrics_of
from training.pipeline import (Candidate, evaluate_on, load_test_sets, load_training_examples, register_candidate,
                               train_candidate)
from training.train import TrainingResult


class NothingToRetrain(ValueError):
    """Every row of the new file is already in the training data with the same label."""


@dataclass(frozen=True)
class Judgement:
    """The challenger trained on the merged data, both models scored, and the gate's decision."""

    candidate: Candidate
    champion_tests: dict[str, Evaluation]  # by test-set name
    verdict: GateVerdict
    holdout: dict[str, Metrics]  # "champion"/"challenger" -> metrics on the held-out new rows
    disagreements: list[dict]


@dataclass(frozen=True)
class RetrainResult:
    """Everything `stance retrain` decided and measured."""

    plan: MergePlan
    champion: str
    challenger: str | None  # the stored version's tag; None when refused (nothing is stored)
    training: TrainingResult
    champion_tests: dict[str, Evaluation]  # by test-set name: "test", and "real_test" when configured
    challenger_tests: dict[str, Evaluation]
    verdict: GateVerdict
    forced: bool
    seconds: float
    holdout: dict[str, Metrics] = field(default_factory=dict)  # "champion"/"challenger" -> metrics
    disagreements: list[dict] = field(default_factory=list)

    @property
    def promoted(self) -> bool:
        return self.challenger is not None


def retrain(new_path: Path, config: StanceConfig, registry: Registry | None = None, *, relabel: bool = False,
            force: bool = False, show_progress: bool = True,
            on_stage: Callable[[str], None] = lambda message: None) -> RetrainResult:
    """Merge `new_path` into the training data, train a challenger and let the gate decide.

    The challenger trains with the champion's recorded training settings, so the data is the
    only change between them. Raises DataError (bad rows), NothingToRetrain, RegistryError
    (no champion) or RegistryBusy (another run holds the registry).
    """
    registry = registry or Registry()
    started = time.perf_counter()
    train_path, test_path = config.data.train_path, config.data.test_path
    with registry.exclusive("stance retrain"):
        _remove_stale_pending(train_path)
        champion_tag = registry.resolve(None)
        challenger_config = config.with_training_settings_of(read_manifest(registry.path_of(champion_tag))["config"])
        on_stage(f"checking {new_path} against {train_path} and {test_path}")
        plan = plan_merge(new_path, train_path, test_path, labels=config.labels,
                          max_chars=config.data.max_text_chars, relabel=relabel,
                          holdout_fraction=config.retrain.holdout_fraction, seed=config.training.seed,
                          added_on=datetime.now(timezone.utc).date().isoformat())
        if not plan.changes_anything:
            raise NothingToRetrain(f"nothing new in {new_path}: all {plan.new_rows} rows are already in "
                                   f"{train_path} with the same labels")
        pending = _pending_path(train_path)
        try:
            pending.write_text(render_records(plan.records, plan.columns, train_path.suffix),
                               encoding="utf-8", newline="")
            with registry.workdir("retrain") as workdir:
                judgement = _judge(plan, pending, challenger_config, registry, champion_tag, workdir,
                                   show_progress=show_progress, on_stage=on_stage)
                forced = force and not judgement.verdict.accepted
                challenger = None  # refused: nothing is stored
                if judgement.verdict.accepted or force:
                    challenger = _commit(plan, pending, config, challenger_config, registry, champion_tag,
                                         judgement, forced=forced)
        finally:
            pending.unlink(missing_ok=True)
    return RetrainResult(
        plan=plan, champion=champion_tag, challenger=challenger, training=judgement.candidate.training,
        champion_tests=judgement.champion_tests, challenger_tests=judgement.candidate.evaluations,
        verdict=judgement.verdict, forced=forced, seconds=time.perf_counter() - started,
        holdout=judgement.holdout, disagreements=judgement.disagreements)


def _judge(plan: MergePlan, pending: Path, config: StanceConfig, registry: Registry, champion_tag: str,
           workdir: Path, *, show_progress: bool, on_stage: Callable[[str], None]) -> Judgement:
    """Train the challenger on the pending data (and the real sentences), score both models on the
    same test sentences, apply the gate to every test set."""
    train_examples = load_training_examples(config.with_overrides(data={"train_path": pending}))
    test_sets = load_test_sets(config)
    on_stage(f"training the challenger on {len(train_examples)} sentences ({len(plan.added)} new, "
             f"{len(plan.relabelled)} relabelled)")
    candidate = train_candidate(config, workdir, train_examples, test_sets, show_progress=show_progress)
    sizes = " and ".join(f"{len(examples)} {name.replace('_', ' ')}" for name, examples in test_sets.items())
    on_stage(f"scoring the champion {champion_tag} on the same {sizes} sentences")
    champion = StanceClassifier.from_dir(registry.path_of(champion_tag), version=champion_tag,
                                         batch_size=config.inference.batch_size)
    champion_tests = evaluate_on(champion, test_sets, candidate.baseline, config)
    verdict = judge({name: [example.label for example in examples] for name, examples in test_sets.items()},
                    {name: evaluation.predicted for name, evaluation in champion_tests.items()},
                    {name: evaluation.predicted for name, evaluation in candidate.evaluations.items()},
                    config.labels, config.gate, seed=config.training.seed)
    return Judgement(candidate=candidate, champion_tests=champion_tests, verdict=verdict,
                     holdout=_holdout_metrics(plan.holdout, champion, candidate.classifier),
                     disagreements=disagreements(_new_rows(plan), champion, candidate.classifier))


def _commit(plan: MergePlan, pending: Path, config: StanceConfig, challenger_config: StanceConfig,
            registry: Registry, champion_tag: str, judgement: Judgement, *, forced: bool) -> str:
    """Store the challenger, then promote it and move the merged data into place in one journaled step."""
    verdict, written = judgement.verdict, judgement.verdict.decisions["test"]
    retrain_record = {**plan.summary(), "champion": champion_tag, "gate": verdict.to_dict(), "forced": forced}
    version = register_candidate(registry, challenger_config, judgement.candidate, promoted=True,
                                 extra_metadata={"train_sha256": file_sha256(pending), "retrain": retrain_record})
    reason = (f"retrain with {plan.source.name}: " +
              ("forced past the gate" if forced else "accepted by the gate") +
              f" (test macro-F1 {written.macro_f1_champion:.3f} -> {written.macro_f1_challenger:.3f})")
    registry.promote_with_data(version.tag, reason, pending, config.data.train_path)
    return version.tag


def _new_rows(plan: MergePlan) -> list[Example]:
    """Every row of the new file that changes something: added, held out, or relabelled."""
    relabelled = [Example(text=r.text, label=r.new_label, row=r.new_row) for r in plan.relabelled]
    return sorted([*plan.added, *plan.holdout, *relabelled], key=lambda example: example.row)


def _holdout_metrics(holdout: list[Example], champion: StanceClassifier,
                     challenger: StanceClassifier) -> dict[str, Metrics]:
    if not holdout:
        return {}
    gold = [example.label for example in holdout]
    texts = [example.text for example in holdout]
    return {name: metrics_of(gold, [p.label for p in model.predict(texts)], champion.labels)
            for name, model in (("champion", champion), ("challenger", challenger))}
def disagreements(examples: list[Example], champion: StanceClassifier,
                  challenger: StanceClassifier) -> list[dict]:
    """The new rows the two models label differently: the first place to look for a wrong label."""
    texts = [example.text for example in examples]
    before, after = champion.predict(texts), challenger.predict(texts)
    return [
        {"row": example.row, "text": example.text, "label": example.label, "champion": old.label,
         "challenger": new.label, "champion_p_label": old.scores[example.label],
         "challenger_p_label": new.scores[example.label]}
        for example, old, new in zip(examples, before, after) if old.label != new.label
    ]


def _pending_path(target: Path) -> Path:
    """Beside the target (so the final rename is atomic), hidden, with the target's suffix.

    It is written in full before training starts, so by the time a commit journal names it,
    it is complete; a run killed earlier leaves only a stale file for the next run to delete.
    """
    target = Path(target)
    return target.parent / f".{target.stem}.pending-{os.getpid()}{target.suffix}"


def _remove_stale_pending(target: Path) -> None:
    """Pending data left by a killed run (only called while holding the registry lock)."""
    target = Path(target)
    for stale in target.parent.glob(f".{target.stem}.pending-*{target.suffix}"):
        stale.unlink(missing_ok=True)
