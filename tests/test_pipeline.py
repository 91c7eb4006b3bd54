"""Train, check, score and register a version (training.pipeline) on the tiny model."""

from __future__ import annotations

import json

import pytest

from stance.artifacts import BACKEND_FILE
from stance.data import file_sha256, load_examples
from stance.inference import StanceClassifier
from stance.registry import Registry
from training.metrics import metrics_of
from training.pipeline import register_candidate, train_candidate
from training.train import split_validation


@pytest.fixture(scope="module")
def candidate(tmp_path_factory, tiny_config):
    data = tiny_config.data
    train = load_examples(data.train_path, max_chars=data.max_text_chars)
    test = load_examples(data.test_path, max_chars=data.max_text_chars)
    return train_candidate(tiny_config, tmp_path_factory.mktemp("candidate"), train, test, show_progress=False)


def test_a_candidate_is_scored_on_the_test_set_through_the_served_backend(candidate, tiny_config):
    check = json.loads((candidate.training.model_dir / BACKEND_FILE).read_text())
    assert candidate.classifier.backend == check["chosen"]
    test = load_examples(tiny_config.data.test_path, max_chars=2000)
    predicted = [p.label for p in candidate.classifier.predict([e.text for e in test])]
    assert candidate.evaluation.predicted == predicted
    assert candidate.evaluation.model == metrics_of([e.label for e in test], predicted, tiny_config.labels)


def test_the_validation_macro_f1_is_measured_through_predict(candidate, tiny_config):
    examples = load_examples(tiny_config.data.train_path, max_chars=2000)
    _, validation = split_validation(examples, tiny_config.training)
    reference = StanceClassifier.from_dir(candidate.training.model_dir, backend="torch-fp32")
    predicted = [p.label for p in reference.predict([e.text for e in validation])]
    expected = metrics_of([e.label for e in validation], predicted, tiny_config.labels).macro_f1
    assert candidate.training.validation_macro_f1 == expected
    assert candidate.training.validation_rows == len(validation) == 12


def test_registering_stores_the_full_record_and_leaves_the_candidate_as_it_was(tmp_path, candidate, tiny_config):
    registry = Registry(tmp_path / "home")
    version = register_candidate(registry, tiny_config, candidate, promoted=False, extra_metadata={"note": "x"})
    assert version.evaluation.model_version == version.tag != candidate.evaluation.model_version == "candidate"
    assert version.evaluation.model == candidate.evaluation.model and not version.promoted
    metadata = registry.info(version.tag).metadata
    assert metadata["config"] == tiny_config.record() and metadata["note"] == "x"
    assert metadata["train_sha256"] == file_sha256(tiny_config.data.train_path)
    assert metadata["test_sha256"] == file_sha256(tiny_config.data.test_path)
    assert metadata["train_rows"] == candidate.training.rows == 120
    assert metadata["backend"] == json.loads((registry.path_of(version.tag) / BACKEND_FILE).read_text())
    assert metadata["test_metrics"]["macro_f1"] == candidate.evaluation.model.macro_f1
    assert registry.promoted() is None, "registering alone promotes nothing"
