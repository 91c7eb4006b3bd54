"""Train -> registry -> evaluate on a tiny randomly initialised BERT (training.train, training.evaluate)."""

from __future__ import annotations

import json

import pytest

from stance.artifacts import read_manifest
from stance.config import StanceConfig
from stance.data import load_examples
from stance.inference import StanceClassifier
from stance.labels import LABELS
from stance.registry import Registry
from training.evaluate import evaluate, fit_baseline, write_reports
from training.pipeline import load_training_examples, train_and_register
from stance.data import Example
from training.train import _weighted_loss, class_weights, collator, uses_bf16


def test_first_version_is_promoted_with_labels_config_metrics_and_data_hash(tiny_registry, tiny_config):
    (info,) = tiny_registry.versions()
    assert info.promoted
    metadata = info.metadata
    assert metadata["labels"] == list(LABELS)
    assert len(metadata["train_sha256"]) == 64
    assert metadata["train_rows"] == len(load_training_examples(tiny_config)) == 150
    classifier = StanceClassifier.from_dir(tiny_registry.path_of(info.tag), version=info.tag)
    train = load_training_examples(tiny_config)
    for name, path in (("test", tiny_config.data.test_path), ("real_test", tiny_config.data.real_test_path)):
        baseline = fit_baseline(train, tiny_config.training.seed)
        stored = evaluate(classifier, load_examples(path, max_chars=2000), baseline, data_path=str(path)).to_metrics()
        field = "test_metrics" if name == "test" else "real_test_metrics"
        assert metadata[field] == {key: value for key, value in stored.items() if key != "model_version"}
    assert set(metadata["test_metrics"]["per_class"]) == set(LABELS)
    manifest = read_manifest(tiny_registry.path_of(info.tag))
    assert manifest["labels"] == list(LABELS)
    assert manifest["config"] == tiny_config.record()
    assert StanceConfig.from_record(manifest["config"]).training.max_length == tiny_config.training.max_length
    assert (tiny_registry.path_of(info.tag) / "model.safetensors").is_file()
    assert (tiny_registry.path_of(info.tag) / "tokenizer.json").is_file()


def test_a_second_version_is_stored_but_not_promoted(tmp_path, tiny_config):
    registry = Registry(tmp_path / "home")
    one_epoch = tiny_config.with_overrides(training={"epochs": 1})
    first = train_and_register(one_epoch, registry, show_progress=False)
    second = train_and_register(one_epoch, registry, show_progress=False)
    assert first.promoted and not second.promoted
    assert registry.promoted() == first.tag != second.tag


def test_evaluation_uses_the_served_predict_and_writes_reports(use_registry, tiny_config, tmp_path):
    classifier = StanceClassifier.load()
    examples = load_examples(tiny_config.data.test_path, max_chars=2000)
    train = load_examples(tiny_config.data.train_path, max_chars=2000)
    evaluation = evaluate(classifier, examples, fit_baseline(train, 13), data_path=str(tiny_config.data.test_path))
    predicted = [p.label for p in classifier.predict([e.text for e in examples])]
    assert len(evaluation.errors) == sum(p != e.label for p, e in zip(predicted, examples))
    paths = write_reports(evaluation, tmp_path / "out")
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    for key in ("macro_f1", "accuracy", "per_class", "confusion_matrix", "labels", "model_version", "n",
                "baseline_macro_f1"):
        assert key in metrics
    assert metrics["model_version"] == classifier.version
    assert metrics["n"] == len(examples) == sum(map(sum, metrics["confusion_matrix"]))
    assert metrics["baseline_macro_f1"] > 0.34, "the TF-IDF baseline learns something from real data"
    assert (tmp_path / "out" / "confusion_matrix.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "out" / "errors.csv").read_text().splitlines()[0].startswith("row,text,label,predicted")
    assert len(paths) == 3


def test_batches_are_padded_to_their_longest_sentence_except_in_the_fixed_padding_baseline(tiny_base_model,
                                                                                          tiny_config):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_base_model)
    features = [tokenizer(text) for text in ("Shares fell.", "The ministry denied every part of the report.")]
    longest = max(len(feature["input_ids"]) for feature in features)
    settings = tiny_config.training
    assert collator(tokenizer, settings)(features)["input_ids"].shape == (2, longest)
    fixed = settings.model_copy(update={"pad_to_max_length": True})
    assert collator(tokenizer, fixed)(features)["input_ids"].shape == (2, settings.max_length)


def test_bf16_autocast_only_where_the_cpu_has_native_bf16(tiny_config, monkeypatch):
    for supported in (True, False):
        monkeypatch.setattr("training.train.bf16_supported", lambda: supported)
        assert uses_bf16(tiny_config.training) is supported
        assert uses_bf16(tiny_config.training.model_copy(update={"bf16": "on"}))
        assert not uses_bf16(tiny_config.training.model_copy(update={"bf16": "off"}))


def test_balanced_class_weights_make_every_class_count_alike(tiny_config):
    examples = [Example("a.", "assertion")] * 6 + [Example("d.", "denial")] * 3 + [Example("e.", "euphemism")]
    weights = class_weights(examples, tiny_config)
    assert weights == pytest.approx([10 / 18, 10 / 9, 10 / 3])
    assert 6 * weights[0] == pytest.approx(3 * weights[1]) == pytest.approx(1 * weights[2])
    assert class_weights(examples, tiny_config.with_overrides(training={"class_weights": "none"})) is None


def test_the_weighted_loss_is_cross_entropy_with_weights_and_label_smoothing():
    import torch
    from types import SimpleNamespace

    logits, labels = torch.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 0.3]]), torch.tensor([0, 2])
    outputs = SimpleNamespace(logits=logits)
    plain = torch.nn.functional.cross_entropy(logits, labels, label_smoothing=0.1)
    assert _weighted_loss([1.0, 1.0, 1.0], 0.1)(outputs, labels).item() == pytest.approx(plain.item())
    weighted = _weighted_loss([1.0, 1.0, 3.0], 0.0)(outputs, labels).item()
    per_row = torch.nn.functional.cross_entropy(logits, labels, reduction="none")
    assert weighted == pytest.approx(((per_row[0] + 3 * per_row[1]) / 4).item())
