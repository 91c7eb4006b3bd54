"""The one inference path: labels from the saved model, probabilities in input order."""

from __future__ import annotations

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


def test_from_dir_refuses_a_folder_without_manifest(tmp_path):
    with pytest.raises(FileNotFoundError, match="stance.json"):
        StanceClassifier.from_dir(tmp_path)
