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
from training.evaluate import Evaluation, evaluate
from training.train import TrainingResult, train_model


@dataclass(frozen=True)
class RegisteredVersion:
    """A freshly stored version, how it trained and how it scored on the test set."""

    tag: str
    promoted: bool
    training: TrainingResult
    evaluation: Evaluation


@dataclass(frozen=True)
class Candidate:
    """A model trained in a scratch folder and scored on the frozen test set, not yet stored."""

    training: TrainingResult
    classifier: StanceClassifier
    evaluation: Evaluation


def version_metadata(config: StanceConfig, training: TrainingResult, evaluation: Evaluation) -> dict:
    """What the registry stores beside the weights: data identity, configuration, metrics."""
    return {
        "labels": list(config.labels),
        "train_path": str(config.data.train_path),
        "train_rows": training.rows,
        "train_sha256": file_sha256(config.data.train_path),
        "test_path": str(config.data.test_path),
        "test_sha256": file_sha256(config.data.test_path),
        "training_seconds": round(training.seconds, 1),
        "epochs_run": training.epochs_run,
        "validation_macro_f1": round(training.validation_macro_f1, 4),
        "test_metrics": {k: v for k, v in evaluation.to_metrics().items() if k != "model_version"},
        "backend": read_backend_check(training.model_dir),
        "config": config.record(),
    }


def train_candidate(config: StanceConfig, workdir: Path, train_examples: list[Example],
                    test_examples: list[Example], *, show_progress: bool = True) -> Candidate:
    """Fine-tune on `train_examples` into `workdir`, check its backends, score it on `test_examples`."""
    training = train_model(train_examples, config, Path(workdir) / "model", show_progress=show_progress)
    check_backends(training.model_dir, test_examples, config, on_backend=_show_backend if show_progress else None)
    classifier = StanceClassifier.from_dir(training.model_dir, version="candidate",
                                           batch_size=config.inference.batch_size)
    evaluation = evaluate(classifier, test_examples, train_examples, seed=config.training.seed,
                          data_path=str(config.data.test_path))
    return Candidate(training=training, classifier=classifier, evaluation=evaluation)


def _show_backend(backend: str, result: dict) -> None:
    """One line per backend as the check measures it (on stderr, beside the training progress)."""
    print(describe_backend_result(backend, result), file=sys.stderr, flush=True)


def register_candidate(registry: Registry, config: StanceConfig, candidate: Candidate, *, promoted: bool,
                       extra_metadata: dict | None = None) -> RegisteredVersion:
    """Store a candidate as a new version; `promoted` says whether the caller promotes it next.

    The returned evaluation carries the stored version's tag instead of the candidate's name.
    """
    metadata = {**version_metadata(config, candidate.training, candidate.evaluation), **(extra_metadata or {})}
    tag = registry.add(candidate.training.model_dir, metadata)
    return RegisteredVersion(tag=tag, promoted=promoted, training=candidate.training,
                             evaluation=replace(candidate.evaluation, model_version=tag))


def train_and_register(config: StanceConfig, registry: Registry | None = None, *,
                       show_progress: bool = True) -> RegisteredVersion:
    """Validate the data, fine-tune, score on the frozen test set, store the version.

    The first version of an empty registry is promoted; later ones wait for a promotion
    (or for `stance retrain`'s gate).
    """
    registry = registry or Registry()
    train_examples = load_examples(config.data.train_path, max_chars=config.data.max_text_chars)
    test_examples = load_examples(config.data.test_path, max_chars=config.data.max_text_chars)
    with registry.exclusive("stance train"), registry.workdir("train") as workdir:
        candidate = train_candidate(config, workdir, train_examples, test_examples, show_progress=show_progress)
        first = registry.promoted() is None
        version = register_candidate(registry, config, candidate, promoted=first)
        if first:
            registry.promote(version.tag, reason="first version in the registry")
    return version
