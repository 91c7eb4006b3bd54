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

from training.artifacts import read_manifest
from training.config import StanceConfig
from training.data import Example, file_sha256, load_examples
from training.evaluate import Evaluation, Scores, evaluate, score
from training.gate import GateDecision, GateSettings, compare
from training.inference import StanceClassifier
from training.merge import MergePlan, plan_merge, render_records
from training.pipeline import Candidate, register_candidate, train_candidate
from training.registry import Registry
from training.train import TrainingResult


class NothingToRetrain(ValueError):
    """Every row of the new file is already in the training data with the same label."""


@dataclass
class RetrainResult:
    """Everything `stance retrain` decided and measured."""

    plan: MergePlan
    champion: str
    challenger: str | None  # the stored version's tag; None when refused (nothing is stored)
    training: TrainingResult
    champion_test: Evaluation
    challenger_test: Evaluation
    decision: GateDecision
    promoted: bool
    forced: bool
    seconds: float
    holdout: dict[str, Scores] = field(default_factory=dict)  # "champion"/"challenger" -> scores
    disagreements: list[dict] = field(default_factory=list)


def retrain(new_path: Path, config: StanceConfig, registry: Registry | None = None, *, relabel: bool = False,
            force: bool = False, show_progress: bool = True,
            on_stage: Callable[[str], None] = lambda message: None) -> RetrainResult:
    """Merge `new_path` into `config.train_path`, train a challenger and let the gate decide.

    The challenger trains with the champion's recorded hyperparameters, so the data is the
    only change between them. Raises DataError (bad rows), NothingToRetrain, RegistryError
    (no champion) or RegistryBusy (another run holds the registry).
    """
    registry = registry or Registry()
    started = time.perf_counter()
    with registry.exclusive("stance retrain"):
        _remove_stale_pending(config.train_path)
        champion_tag = registry.resolve(None)
        champion_dir = registry.path_of(champion_tag)
        challenger_config = config.with_training_settings_of(read_manifest(champion_dir)["config"])
        on_stage(f"checking {new_path} against {config.train_path} and {config.test_path}")
        plan = plan_merge(new_path, config.train_path, config.test_path, labels=config.labels,
                          max_chars=config.max_text_chars, relabel=relabel,
                          holdout_fraction=config.retrain_holdout_fraction, seed=config.seed,
                          added_on=datetime.now(timezone.utc).date().isoformat())
        if not plan.changes_anything:
            raise NothingToRetrain(f"nothing new in {new_path}: all {plan.new_rows} rows are already in "
                                   f"{config.train_path} with the same labels")
        pending = _pending_path(config.train_path)
        try:
            pending.write_text(render_records(plan.records, plan.columns, config.train_path.suffix),
                               encoding="utf-8", newline="")
            with registry.workdir("retrain") as workdir:
                result = _train_and_judge(plan, pending, config, challenger_config, registry, champion_tag,
                                          workdir, force=force, show_progress=show_progress, on_stage=on_stage)
        finally:
            pending.unlink(missing_ok=True)
    result.seconds = time.perf_counter() - started
    return result


def _train_and_judge(plan: MergePlan, pending: Path, config: StanceConfig, challenger_config: StanceConfig,
                     registry: Registry, champion_tag: str, workdir: Path, *, force: bool, show_progress: bool,
                     on_stage: Callable[[str], None]) -> RetrainResult:
    train_examples = load_examples(pending, max_chars=config.max_text_chars)
    test_examples = load_examples(config.test_path, max_chars=config.max_text_chars)
    on_stage(f"training the challenger on {len(train_examples)} sentences ({len(plan.added)} new, "
             f"{len(plan.relabelled)} relabelled)")
    candidate = train_candidate(challenger_config, workdir, train_examples, test_examples,
                                show_progress=show_progress)
    on_stage(f"scoring the champion {champion_tag} on the same {len(test_examples)} test sentences")
    champion = StanceClassifier.from_dir(registry.path_of(champion_tag), version=champion_tag,
                                         batch_size=config.inference_batch_size)
    champion_test = evaluate(champion, test_examples, train_examples, data_path=str(config.test_path))
    decision = compare([example.label for example in test_examples], champion_test.predicted,
                       candidate.evaluation.predicted, config.labels, _gate_settings(config))
    result = RetrainResult(
        plan=plan, champion=champion_tag, challenger=None, training=candidate.training,
        champion_test=champion_test, challenger_test=candidate.evaluation, decision=decision,
        promoted=False, forced=force and not decision.accepted, seconds=0.0,
        holdout=_holdout_scores(plan.holdout, champion, candidate.classifier),
        disagreements=disagreements(_new_rows(plan), champion, candidate.classifier),
    )
    if decision.accepted or force:
        result.challenger = _commit(plan, pending, config, challenger_config, registry, candidate, result)
        result.promoted = True
    return result


def _commit(plan: MergePlan, pending: Path, config: StanceConfig, challenger_config: StanceConfig,
            registry: Registry, candidate: Candidate, result: RetrainResult) -> str:
    """Store the challenger, then promote it and move the merged data into place in one journaled step."""
    retrain_record = {**plan.summary(), "champion": result.champion, "gate": result.decision.to_dict(),
                      "forced": result.forced}
    tag = register_candidate(registry, challenger_config, candidate,
                             extra_metadata={"train_sha256": file_sha256(pending), "retrain": retrain_record})
    reason = (f"retrain with {plan.source.name}: " +
              ("forced past the gate" if result.forced else "accepted by the gate") +
              f" (test macro-F1 {result.decision.macro_f1_champion:.3f} -> {result.decision.macro_f1_challenger:.3f})")
    registry.promote_with_data(tag, reason, pending, config.train_path)
    return tag


def _gate_settings(config: StanceConfig) -> GateSettings:
    return GateSettings(bootstrap_samples=config.gate_bootstrap_samples, confidence=config.gate_confidence,
                        max_class_f1_drop=config.gate_max_class_f1_drop, seed=config.seed)


def _new_rows(plan: MergePlan) -> list[Example]:
    """Every row of the new file that changes something: added, held out, or relabelled."""
    relabelled = [Example(text=r.text, label=r.new_label, row=r.new_row) for r in plan.relabelled]
    return sorted([*plan.added, *plan.holdout, *relabelled], key=lambda example: example.row)


def _holdout_scores(holdout: list[Example], champion: StanceClassifier,
                    challenger: StanceClassifier) -> dict[str, Scores]:
    if not holdout:
        return {}
    gold = [example.label for example in holdout]
    texts = [example.text for example in holdout]
    return {name: score(gold, [p.label for p in model.predict(texts)], champion.labels)
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
