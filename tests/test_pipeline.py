"""Train, check, score and register a version (training.pipeline) on the tiny model."""

from __future__ import annotations

import json

import pytest

from stance.artifacts import BACKEND_FILE, read_manifest
from stance.config import StanceConfig
from stance.data import file_sha256, load_examples
from stance.inference import StanceClassifier
from stance.registry import Registry
from training.metrics import metrics_of
from training.pipeline import (load_test_sets, load_training_examples, register_candidate,
                               train_candidate)
from training.train import split_validation


@pytest.fixture(scope="module")
def candidate(tmp_path_factory, tiny_config):
    train, test_sets = load_training_examples(tiny_config), load_test_sets(tiny_config)
    return train_candidate(tiny_config, tmp_path_factory.mktemp("candidate"), train, test_sets, show_progress=False)


def test_training_reads_the_written_and_the_real_sentences(tiny_config):
    examples = load_training_examples(tiny_config)
    assert len(examples) == 120 + 30
    assert sum(bool(example.document) for example in examples) == 30, "every real row names its document"
    assert set(load_test_sets(tiny_config)) == {"test", "real_test"}


@pytest.mark.parametrize("name, path", [("test", "test_path"), ("real_test", "real_test_path")])
def test_a_candidate_is_scored_on_each_test_set_through_the_served_backend(candidate, tiny_config, name, path):
    check = json.loads((candidate.training.model_dir / BACKEND_FILE).read_text())
    assert candidate.classifier.backend == check["chosen"]
    test = load_examples(getattr(tiny_config.data, path), max_chars=2000)
    predicted = [p.label for p in candidate.classifier.predict([e.text for e in test])]
    evaluation = candidate.evaluations[name]
    assert evaluation.predicted == predicted and evaluation.data_path == str(getattr(tiny_config.data, path))
    assert evaluation.model == metrics_of([e.label for e in test], predicted, tiny_config.labels)


def test_the_validation_macro_f1_is_measured_through_predict(candidate, tiny_config):
    _, validation = split_validation(load_training_examples(tiny_config), tiny_config.training)
    reference = StanceClassifier.from_dir(candidate.training.model_dir, backend="torch-fp32")
    predicted = [p.label for p in reference.predict([e.text for e in validation])]
    expected = metrics_of([e.label for e in validation], predicted, tiny_config.labels).macro_f1
    assert candidate.training.validation_macro_f1 == expected
    assert candidate.training.validation_rows == len(validation) == 15


def test_registering_stores_the_full_record_and_leaves_the_candidate_as_it_was(tmp_path, candidate, tiny_config):
    registry = Registry(tmp_path / "home")
    version = register_candidate(registry, tiny_config, candidate, promoted=False, extra_metadata={"note": "x"})
    for name, evaluation in version.evaluations.items():
        assert evaluation.model_version == version.tag != candidate.evaluations[name].model_version == "candidate"
        assert evaluation.model == candidate.evaluations[name].model
    assert not version.promoted
    metadata = registry.info(version.tag).metadata
    # BentoML metadata holds no None values, so the version's stance.json keeps the whole record, the
    # one a retrain and the inference path read back (a None teacher must not read back as the default).
    manifest = read_manifest(registry.path_of(version.tag))
    assert StanceConfig.from_record(manifest["config"]) == tiny_config and metadata["note"] == "x"
    assert metadata["config"]["data"] == {k: v for k, v in tiny_config.record()["data"].items() if v is not None}
    assert metadata["train_sha256"] == file_sha256(tiny_config.data.train_path)
    assert metadata["test_sha256"] == file_sha256(tiny_config.data.test_path)
    assert metadata["train_rows"] == candidate.training.rows == 150
    assert metadata["train_files"] == {str(path): file_sha256(path) for path in tiny_config.train_paths()}
    assert metadata["real_test_sha256"] == file_sha256(tiny_config.data.real_test_path)
    assert metadata["real_test_metrics"]["macro_f1"] == candidate.evaluations["real_test"].model.macro_f1
    assert metadata["backend"] == json.loads((registry.path_of(version.tag) / BACKEND_FILE).read_text())
    assert metadata["test_metrics"]["macro_f1"] == candidate.evaluations["test"].model.macro_f1
    assert registry.promoted() is None, "registering alone promotes nothing"
