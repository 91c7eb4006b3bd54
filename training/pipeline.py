"""Train, score and register a new model version in one step (`stance train`, and `stance retrain`'s challenger)."""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path

from stance.artifacts import read_backend_check
from stance.config import StanceConfig
from stance.data import Example, file_sha256, load_examples
from stance.inference import StanceClassifier
from stance.registry import Registry
from training.backends import check_backends, describe_backend_result
from training.distill import SoftTargets, load_soft_targets
from training.evaluate import Evaluation, evaluate, fit_baseline
from training.train import TrainingResult, train_model


@dataclass(frozen=True)
class RegisteredVersion:
    """A freshly stored version, how it trained and how it scored on each frozen test set."""

    tag: str
    promoted: bool
    training: TrainingResult
    evaluations: dict[str, Evaluation]  # by test-set name: "test", and "real_test" when configured


@dataclass(frozen=True)
class Candidate:
    """A model trained in a scratch folder and scored on the frozen test sets, not yet stored."""

    training: TrainingResult
    classifier: StanceClassifier
    evaluations: dict[str, Evaluation]
    baseline: object  # the TF-IDF baseline fitted on the same training sentences (a champion is scored beside it)


def load_training_examples(config: StanceConfig) -> list[Example]:
    """Every labelled sentence a model trains on: the training file and the real sentences, if any."""
    return [example for path in config.train_paths()
            for example in load_examples(path, max_chars=config.data.max_text_chars)]


def load_teacher_probabilities(config: StanceConfig) -> SoftTargets | None:
    """The teacher's probabilities the configuration trains with (its transfer sentences drawn to
    `transfer_size`), or None for training on the gold labels alone."""
    path = config.data.teacher_probs_path
    if path is None or config.training.distill_weight == 0:
        return None
    return load_soft_targets(path, config.labels).with_transfer(config.training.transfer_size, config.training.seed)


def load_test_sets(config: StanceConfig) -> dict[str, list[Example]]:
    """The frozen test sets by name ("test", "real_test"), validated."""
    return {name: load_examples(path, max_chars=config.data.max_text_chars)
            for name, path in config.test_sets().items()}


def evaluate_on(classifier: StanceClassifier, test_sets: dict[str, list[Example]], baseline,
                config: StanceConfig) -> dict[str, Evaluation]:
    """The classifier and a fitted TF-IDF baseline scored on each test set."""
    paths = config.test_sets()
    return {name: evaluate(classifier, examples, baseline, data_path=str(paths[name]))
            for name, examples in test_sets.items()}


def _without_none(record: dict) -> dict:
    """The record without its None values: BentoML's metadata holds none (the version's manifest,
    stance.json, keeps the whole record)."""
    return {key: _without_none(value) if isinstance(value, dict) else value
            for key, value in record.items() if value is not None}


def _metrics(evaluation: Evaluation) -> dict:
    return {key: value for key, value in evaluation.to_metrics().items() if key != "model_version"}


def version_metadata(config: StanceConfig, training: TrainingResult, evaluations: dict[str, Evaluation]) -> dict:
    """What the registry stores beside the weights: data identity, configuration, metrics per test set."""
    train_files = {str(path): file_sha256(path) for path in config.train_paths()}
    metadata = {
        "labels": list(config.labels),
        "train_path": str(config.data.train_path),
        "train_rows": training.rows,
        "train_sha256": train_files[str(config.data.train_path)],
        "train_files": train_files,
        "test_path": str(config.data.test_path),
        "test_sha256": file_sha256(config.data.test_path),
        "training_seconds": round(training.seconds, 1),
        "epochs_run": training.epochs_run,
        "validation_macro_f1": round(training.validation_macro_f1, 4),
        "test_metrics": _metrics(evaluations["test"]),
        "backend": read_backend_check(training.model_dir),
        "config": _without_none(config.record()),
    }
    if config.data.teacher_probs_path is not None:
        metadata["teacher_probs_sha256"] = file_sha256(config.data.teacher_probs_path)
    if "real_test" in evaluations:
        metadata.update(real_test_path=str(config.data.real_test_path),
                        real_test_sha256=file_sha256(config.data.real_test_path),
                        real_test_metrics=_metrics(evaluations["real_test"]))
    return metadata


def train_candidate(config: StanceConfig, workdir: Path, train_examples: list[Example],
                    test_sets: dict[str, list[Example]], *, show_progress: bool = True) -> Candidate:
    """Fine-tune on `train_examples` into `workdir`, check its backends on the written test set,
    and score it on every test set."""
    training = train_model(train_examples, config, Path(workdir) / "model", show_progress=show_progress,
                           soft_targets=load_teacher_probabilities(config))
    check_backends(training.model_dir, test_sets["test"], config,
                   on_backend=_show_backend if show_progress else None)
    classifier = StanceClassifier.from_dir(training.model_dir, version="candidate",
                                           batch_size=config.inference.batch_size)
    baseline = fit_baseline(train_examples, config.training.seed)
    return Candidate(training=training, classifier=classifier, baseline=baseline,
                     evaluations=evaluate_on(classifier, test_sets, baseline, config))


def _show_backend(backend: str, result: dict) -> None:
    """One line per backend as the check measures it (on stderr, beside the training progress)."""
    print(describe_backend_result(backend, result), file=sys.stderr, flush=True)


def register_candidate(registry: Registry, config: StanceConfig, candidate: Candidate, *, promoted: bool,
                       extra_metadata: dict | None = None) -> RegisteredVersion:
    """Store a candidate as a new version; `promoted` says whether the caller promotes it next.

    The returned evaluations carry the stored version's tag instead of the candidate's name.
    """
    metadata = {**version_metadata(config, candidate.training, candidate.evaluations), **(extra_metadata or {})}
    tag = registry.add(candidate.training.model_dir, metadata)
    return RegisteredVersion(tag=tag, promoted=promoted, training=candidate.training,
                             evaluations={name: replace(evaluation, model_version=tag)
                                          for name, evaluation in candidate.evaluations.items()})


def train_and_register(config: StanceConfig, registry: Registry | None = None, *,
                       show_progress: bool = True) -> RegisteredVersion:
    """Validate the data, fine-tune, score on the frozen test sets, store the version.

    The first version of an empty registry is promoted; later ones wait for a promotion
    (or for `stance retrain`'s gate).
    """
    registry = registry or Registry()
    train_examples = load_training_examples(config)
    test_sets = load_test_sets(config)
    with registry.exclusive("stance train"), registry.workdir("train") as workdir:
        candidate = train_candidate(config, workdir, train_examples, test_sets, show_progress=show_progress)
        first = registry.promoted() is None
        version = register_candidate(registry, config, candidate, promoted=first)
        if first:
            registry.promote(version.tag, reason="first version in the registry")
    return version
