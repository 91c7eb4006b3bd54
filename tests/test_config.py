"""The configuration: sections, one default each, validation, and the records saved with versions."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from pydantic import ValidationError

from conftest import ROOT
from stance.config import (SECTIONS, DataSettings, GateSettings, InferenceSettings, ServiceSettings, StanceConfig,
                           TrainingSettings)
from stance.labels import LABELS

# A record as versions saved it before the configuration had sections (one level, the names of the time).
FLAT_RECORD = {
    "labels": ["assertion", "denial", "euphemism"], "train_path": "data/train.csv", "test_path": "data/test.csv",
    "base_model": "/nowhere/all-MiniLM-L6-v2", "max_length": 64, "epochs": 3.0, "pad_to_max_length": False,
    "train_bf16": "off", "batch_size": 16, "inference_batch_size": 8, "learning_rate": 3e-5, "weight_decay": 0.01,
    "warmup_ratio": 0.1, "label_smoothing": 0.1, "validation_fraction": 0.1, "early_stopping_patience": 2,
    "seed": 7, "max_text_chars": 2000, "max_file_chars": 5000000, "max_sentences_per_request": 256,
    "max_analyze_chars": 100000, "max_body_bytes": 2000000, "service_threads": 4, "host": "127.0.0.1",
    "port": 3000, "max_train_test_similarity": 0.8, "retrain_holdout_fraction": 0.0,
    "gate_bootstrap_samples": 2000, "gate_confidence": 0.9, "gate_max_class_f1_drop": 0.02, "backend": "auto",
    "backend_min_agreement": 0.99, "backend_max_macro_f1_loss": 0.005, "reload_poll_seconds": 1.0,
}


def test_the_defaults_live_in_their_sections():
    config = StanceConfig()
    assert config.labels == LABELS
    assert config.data == DataSettings() and config.data.max_text_chars == 2000
    assert config.training.seed == 13 and config.training.max_length == 128 and config.training.batch_size == 32
    assert config.inference.batch_size == 32 and config.inference.backend == "auto"
    assert config.service.port == 3000 and config.service.max_sentences_per_request == 256
    assert config.gate == GateSettings() and config.retrain.holdout_fraction == 0.0


def test_every_field_of_every_section_is_commented():
    source = (ROOT / "stance" / "config.py").read_text(encoding="utf-8")
    lines = source.splitlines()
    classes = {node.name: node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.ClassDef)}
    for name in [*(section.__name__ for section in SECTIONS.values()), "StanceConfig"]:
        for field in (node for node in classes[name].body if isinstance(node, ast.AnnAssign)):
            above = lines[field.lineno - 2].strip()
            assert above.startswith("#") or name == "StanceConfig" and field.target.id in SECTIONS, \
                f"{name}.{field.target.id} has no comment"


def test_unknown_fields_and_bad_values_are_refused_by_name():
    with pytest.raises(ValidationError, match="epochs"):
        StanceConfig().with_overrides(training={"epochs": -1})
    with pytest.raises(ValidationError, match="training.max_lenght"):
        StanceConfig.model_validate({"training": {"max_lenght": 64}})
    with pytest.raises(ValidationError, match="gate.confidence"):
        StanceConfig().with_overrides(gate={"confidence": 1.5})


def test_overrides_skip_none_and_leave_the_object_unchanged():
    config = StanceConfig()
    changed = config.with_overrides(training={"epochs": 3, "seed": None}, service={"port": 8080})
    assert (changed.training.epochs, changed.training.seed, changed.service.port) == (3, 13, 8080)
    assert config.training.epochs == 2 and config.service.port == 3000


def test_a_record_keeps_every_section_and_reads_back(tmp_path):
    config = StanceConfig().with_overrides(training={"base_model": tmp_path, "max_length": 64})
    record = config.record()
    assert set(record) == {"labels", *SECTIONS}
    assert record["training"]["base_model"] == str(tmp_path) and record["training"]["max_length"] == 64
    assert StanceConfig.from_record(record) == config


def test_the_default_base_model_is_recorded_as_the_bundled_path():
    record = StanceConfig().record()
    assert Path(record["training"]["base_model"]).is_dir()
    assert (Path(record["training"]["base_model"]) / "config.json").is_file()


def test_a_flat_record_of_an_older_version_still_loads():
    config = StanceConfig.from_record(FLAT_RECORD)
    assert config.training == TrainingSettings(base_model=Path("/nowhere/all-MiniLM-L6-v2"), max_length=64,
                                               epochs=3.0, bf16="off", batch_size=16, learning_rate=3e-5, seed=7,
                                               class_weights="none")
    assert config.inference == InferenceSettings(batch_size=8)
    assert config.gate.confidence == 0.9 and config.service == ServiceSettings()
    with pytest.raises(ValueError, match="unknown field 'colour'"):
        StanceConfig.from_record({**FLAT_RECORD, "colour": "red"})


def test_a_challenger_trains_with_the_champions_training_section_only(tmp_path):
    mine = StanceConfig().with_overrides(data={"train_path": tmp_path / "merged.csv"}, gate={"confidence": 0.99})
    challenger = mine.with_training_settings_of(FLAT_RECORD)
    assert challenger.training.max_length == 64 and challenger.training.seed == 7
    assert challenger.training.base_model is None, "a recorded base model that is gone falls back to the bundled one"
    assert challenger.gate == mine.gate and challenger.inference == mine.inference
    assert challenger.data == mine.without_teacher().data, "a champion saved before teachers is followed plain"
    record = StanceConfig().with_overrides(training={"base_model": tmp_path, "epochs": 1}).record()
    assert mine.with_training_settings_of(record).training.base_model == tmp_path


def test_the_real_files_are_trained_on_and_judged_by_default_and_can_be_left_out():
    config = StanceConfig()
    assert config.train_paths() == [Path("data/train.csv"), Path("data/real_train.csv")]
    assert config.test_sets() == {"test": Path("data/test.csv"), "real_test": Path("data/real_test.csv")}
    written = config.without_real_text()
    assert written.train_paths() == [Path("data/train.csv")] and written.test_sets() == {"test": Path("data/test.csv")}
    assert StanceConfig.from_record(written.record()).data.real_test_path is None


def test_plain_training_leaves_the_teacher_out_and_a_retrain_follows_the_champion(tmp_path):
    teacher = StanceConfig().with_overrides(data={"teacher_probs_path": tmp_path / "probs.csv.gz"},
                                            training={"transfer_size": 500})
    plain = teacher.without_teacher()
    assert plain.data.teacher_probs_path is None and plain.training.transfer_size == 0
    assert teacher.without_real_text().data.teacher_probs_path is None, "the teacher learnt from real sentences"
    assert teacher.with_training_settings_of(plain.record()).data.teacher_probs_path is None
    assert teacher.with_training_settings_of({"epochs": 3}).data.teacher_probs_path is None, "saved before teachers"
    follower = teacher.with_training_settings_of(teacher.record())
    assert follower.data.teacher_probs_path == tmp_path / "probs.csv.gz" and follower.training.transfer_size == 500
