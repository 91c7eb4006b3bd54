"""The real all-MiniLM-L6-v2 base model, distilled from the teacher's stored probabilities on a small
sample (as the default model is trained), evaluated and served."""

from __future__ import annotations

import pytest

import httpx

from conftest import ROOT, TEST_CSV, TRAIN_CSV, Server, write_stratified_sample
from stance.config import StanceConfig
from stance.data import file_sha256
from stance.inference import StanceClassifier
from training.pipeline import train_and_register
from stance.registry import Registry


@pytest.mark.slow
def test_real_base_model_learns_the_task_from_a_small_sample(tmp_path, real_sample_data):
    train = write_stratified_sample(TRAIN_CSV, tmp_path / "train.csv", per_label=100)
    test = write_stratified_sample(TEST_CSV, tmp_path / "test.csv", per_label=30)
    real_train, real_test = real_sample_data
    config = StanceConfig().with_overrides(
        data={"train_path": train, "test_path": test, "real_train_path": real_train, "real_test_path": real_test,
              "teacher_probs_path": ROOT / "data" / "teacher_probs.csv.gz"},
        training={"epochs": 3, "max_length": 64, "batch_size": 16, "transfer_size": 200})
    registry = Registry(tmp_path / "home")
    result = train_and_register(config, registry, show_progress=False)
    assert result.promoted
    assert result.evaluations["test"].model.macro_f1 > 0.55, result.evaluations["test"].model
    assert result.evaluations["real_test"].n == 30 and result.training.rows == 300 + 30
    teacher_probs = registry.info(result.tag).metadata["teacher_probs_sha256"]
    assert teacher_probs == file_sha256(ROOT / "data" / "teacher_probs.csv.gz")
    classifier = StanceClassifier.from_dir(registry.path_of(result.tag), version=result.tag)
    sentence = "The ministry categorically denied the reports, calling them fabricated."
    expected = classifier.predict([sentence])[0]
    assert expected.label == "denial"
    with Server(registry.home) as server:
        served = httpx.post(f"{server.url}/classify", json={"sentences": [sentence]}, timeout=60).json()
    assert served["model_version"] == result.tag
    assert served["results"][0]["label"] == "denial"
    assert served["results"][0]["scores"] == pytest.approx(expected.scores, abs=1e-4)
