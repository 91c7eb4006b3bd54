"""Train -> registry -> evaluate on a tiny randomly initialised BERT."""

from __future__ import annotations

import json

from training.artifacts import read_manifest
from training.data import load_examples
from training.evaluate import evaluate, write_reports
from training.inference import StanceClassifier
from training.labels import LABELS
from training.pipeline import train_and_register
from training.train import collator, uses_bf16


def test_first_version_is_promoted_with_labels_config_metrics_and_data_hash(tiny_registry, tiny_config):
    (info,) = tiny_registry.versions()
    assert info.promoted
    metadata = info.metadata
    assert metadata["labels"] == list(LABELS)
    assert len(metadata["train_sha256"]) == 64
    assert metadata["train_rows"] == len(load_examples(tiny_config.train_path))
    assert set(metadata["test_metrics"]["per_class"]) == set(LABELS)
    assert 0 <= metadata["test_metrics"]["macro_f1"] <= 1
    manifest = read_manifest(tiny_registry.path_of(info.tag))
    assert manifest["labels"] == list(LABELS)
    assert manifest["config"]["max_length"] == tiny_config.max_length
    assert (tiny_registry.path_of(info.tag) / "model.safetensors").is_file()
    assert (tiny_registry.path_of(info.tag) / "tokenizer.json").is_file()


def test_a_second_version_is_stored_but_not_promoted(tmp_path, tiny_config):
    from training.registry import Registry

    registry = Registry(tmp_path / "home")
    first = train_and_register(tiny_config.with_overrides(epochs=1), registry, show_progress=False)
    second = train_and_register(tiny_config.with_overrides(epochs=1), registry, show_progress=False)
    assert first.promoted and not second.promoted
    assert registry.promoted() == first.tag != second.tag


def test_evaluation_uses_the_served_predict_and_writes_reports(use_registry, tiny_config, tmp_path):
    classifier = StanceClassifier.load()
    examples = load_examples(tiny_config.test_path)
    train = load_examples(tiny_config.train_path)
    evaluation = evaluate(classifier, examples, train, data_path=str(tiny_config.test_path))
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
    assert collator(tokenizer, tiny_config)(features)["input_ids"].shape == (2, longest)
    fixed = tiny_config.model_copy(update={"pad_to_max_length": True})
    assert collator(tokenizer, fixed)(features)["input_ids"].shape == (2, tiny_config.max_length)


def test_bf16_autocast_only_where_the_cpu_has_native_bf16(tiny_config, monkeypatch):
    for supported in (True, False):
        monkeypatch.setattr("training.train.bf16_supported", lambda: supported)
        assert uses_bf16(tiny_config) is supported
        assert uses_bf16(tiny_config.model_copy(update={"train_bf16": "on"}))
        assert not uses_bf16(tiny_config.model_copy(update={"train_bf16": "off"}))
