"""Train, score and register a new model version in one step (`stance train`)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from training.config import StanceConfig
from training.data import file_sha256, load_examples
from training.evaluate import Evaluation, evaluate
from training.inference import StanceClassifier
from training.registry import Registry
from training.train import TrainingResult, train_model


@dataclass(frozen=True)
class RegisteredVersion:
    """A freshly stored version, how it trained and how it scored on the test set."""

    tag: str
    promoted: bool
    training: TrainingResult
    evaluation: Evaluation


def version_metadata(config: StanceConfig, training: TrainingResult, evaluation: Evaluation) -> dict:
    """What the registry stores beside the weights: data identity, configuration, metrics."""
    return {
        "labels": list(config.labels),
        "train_path": str(config.train_path),
        "train_rows": training.train_rows + training.validation_rows,
        "train_sha256": file_sha256(config.train_path),
        "test_path": str(config.test_path),
        "test_sha256": file_sha256(config.test_path),
        "training_seconds": round(training.seconds, 1),
        "epochs_run": training.epochs_run,
        "validation_macro_f1": round(training.validation_macro_f1, 4),
        "test_metrics": {k: v for k, v in evaluation.to_metrics().items() if k != "model_version"},
        "config": config.record(),
    }


def train_and_register(config: StanceConfig, registry: Registry | None = None, *,
                       show_progress: bool = True) -> RegisteredVersion:
    """Validate the data, fine-tune, score on the frozen test set, store the version.

    The first version of an empty registry is promoted; later ones wait for a promotion.
    """
    registry = registry or Registry()
    train_examples = load_examples(config.train_path, max_chars=config.max_text_chars)
    test_examples = load_examples(config.test_path, max_chars=config.max_text_chars)
    with tempfile.TemporaryDirectory(prefix="stance-train-", dir=registry.home) as workdir:
        training = train_model(train_examples, config, Path(workdir) / "model", show_progress=show_progress)
        classifier = StanceClassifier.from_dir(training.model_dir, version="new",
                                               batch_size=config.inference_batch_size)
        evaluation = evaluate(classifier, test_examples, train_examples, data_path=str(config.test_path))
        tag = registry.add(training.model_dir, version_metadata(config, training, evaluation))
    evaluation.model_version = tag
    promote = registry.promoted() is None
    if promote:
        registry.promote(tag, reason="first version in the registry")
    return RegisteredVersion(tag=tag, promoted=promote, training=training, evaluation=evaluation)
