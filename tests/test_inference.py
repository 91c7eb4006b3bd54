"""The one inference path: labels from the saved model, probabilities in input order."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from stance.inference import StanceClassifier
from stance.labels import LABELS
from stance.registry import RegistryError


def test_predict_returns_a_label_and_every_probability_in_order(use_registry):
    classifier = StanceClassifier.load(batch_size=2)
    texts = ["Short one.", "A much longer sentence that will be sorted into a different batch than the rest.",
             "Mid-length sentence here, yes.", "Tiny."]
    predictions = classifier.predict(texts)
    assert classifier.labels == LABELS
    assert len(predictions) == len(texts)
    for prediction in predictions:
        assert set(prediction.scores) == set(LABELS)
        assert abs(sum(prediction.scores.values()) - 1) < 1e-4
        assert prediction.label == max(prediction.scores, key=prediction.scores.get)
    one_by_one = [classifier.predict([text])[0].scores for text in texts]
    for batched, single in zip(predictions, one_by_one):
        assert np.allclose(list(batched.scores.values()), list(single.values()), atol=1e-4)


def test_load_by_version_and_unknown_version(use_registry):
    tag = use_registry.promoted()
    assert StanceClassifier.load(tag.split(":")[1]).version == tag
    with pytest.raises(RegistryError):
        StanceClassifier.load("does-not-exist")


def test_a_version_saved_with_a_flat_configuration_still_loads(tmp_path, use_registry):
    import json
    import shutil

    from stance.artifacts import MANIFEST

    version = Path(shutil.copytree(use_registry.path_of(use_registry.promoted()), tmp_path / "old"))
    manifest = json.loads((version / MANIFEST).read_text())
    training = manifest["config"]["training"]
    manifest["config"] = {"labels": manifest["labels"], "max_length": training["max_length"],
                          "batch_size": training["batch_size"], "inference_batch_size": 4, "train_bf16": "auto",
                          "seed": training["seed"], "base_model": training["base_model"]}
    (version / MANIFEST).write_text(json.dumps(manifest))
    old = StanceClassifier.from_dir(version, version="old")
    texts = ["Shares fell.", "The ministry denied the report."]
    current = StanceClassifier.load()
    assert [p.scores for p in old.predict(texts)] == [p.scores for p in current.predict(texts)]
    assert old.encoder.tokenizer.truncation["max_length"] == training["max_length"] == 48


def test_from_dir_refuses_a_folder_without_manifest(tmp_path):
    with pytest.raises(FileNotFoundError, match="stance.json"):
        StanceClassifier.from_dir(tmp_path)
