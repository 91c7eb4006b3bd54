"""Backends: ONNX exports stored with each version, checked against fp32, the fastest eligible chosen."""

from __future__ import annotations

import json

import numpy as np
import pytest

from stance.artifacts import BACKEND_FILE, onnx_path
from stance.config import BACKENDS
from stance.data import load_examples
from stance.inference import BackendError, StanceClassifier
from training.backends import check_backends

TEXTS = ["The ministry denied the report.", "Prices rose by four per cent in May.",
         "Our units carried out a planned repositioning of forces along the river.", "Shares fell."]


@pytest.fixture(scope="module")
def version_dir(tiny_registry):
    return tiny_registry.path_of(tiny_registry.promoted())


def test_a_trained_version_carries_its_exports_and_its_backend_check(version_dir, tiny_registry):
    assert onnx_path(version_dir, int8=False).is_file() and onnx_path(version_dir, int8=True).is_file()
    check = json.loads((version_dir / BACKEND_FILE).read_text())
    assert set(check["backends"]) == set(BACKENDS) and check["reference"] == "torch-fp32"
    chosen = check["backends"][check["chosen"]]
    assert chosen["eligible"] and chosen["agreement"] >= 0.99
    eligible = [name for name, result in check["backends"].items() if result["eligible"]]
    assert check["chosen"] == max(eligible, key=lambda name: check["backends"][name]["sentences_per_s"])
    assert tiny_registry.info(tiny_registry.promoted()).metadata["backend"] == check
    assert StanceClassifier.from_dir(version_dir).backend == check["chosen"]


def test_every_backend_gives_the_reference_probabilities(version_dir):
    reference = StanceClassifier.from_dir(version_dir, backend="torch-fp32").predict_proba(TEXTS)
    onnx_fp32 = StanceClassifier.from_dir(version_dir, backend="onnx-fp32").predict_proba(TEXTS)
    onnx_int8 = StanceClassifier.from_dir(version_dir, backend="onnx-int8").predict_proba(TEXTS)
    bf16 = StanceClassifier.from_dir(version_dir, backend="torch-bf16").predict_proba(TEXTS)  # emulated here if need be
    assert np.allclose(onnx_fp32, reference, atol=1e-4)
    assert np.allclose(onnx_int8, reference, atol=0.05)
    assert np.allclose(bf16, reference, atol=0.05)


def test_a_configured_backend_overrides_the_choice(tmp_path, version_dir, tiny_config):
    import shutil

    copy = shutil.copytree(version_dir, tmp_path / "version")
    examples = load_examples(tiny_config.data.test_path, max_chars=tiny_config.data.max_text_chars)
    record = check_backends(copy, examples, tiny_config.with_overrides(inference={"backend": "onnx-fp32"}))
    assert record["chosen"] == "onnx-fp32" and record["forced"]
    assert record["backends"]["torch-fp32"]["eligible"]


def test_an_unknown_or_missing_backend_is_a_clear_error(tmp_path, version_dir):
    import shutil

    with pytest.raises(BackendError, match="unknown backend 'gpu'"):
        StanceClassifier.from_dir(version_dir, backend="gpu")
    copy = shutil.copytree(version_dir, tmp_path / "version")
    shutil.rmtree(copy / "onnx")
    with pytest.raises(BackendError, match="has no onnx-int8 export"):
        StanceClassifier.from_dir(copy, backend="onnx-int8")
