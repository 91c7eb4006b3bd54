"""The shipped default model (stance.shipping): written compactly, imported only when every checksum
holds, then stored, promoted and served like any other version."""

from __future__ import annotations

import json

import httpx
import pytest

from conftest import Server
from stance.inference import BackendError, StanceClassifier
from stance.registry import Registry
from stance.shipping import CHECKSUMS, ShippedModelError, import_shipped, ship

SENTENCES = ["The ministry denied the report.", "Our units carried out a planned repositioning.", "Shares fell."]


@pytest.fixture(scope="module")
def shipped(tiny_registry, tmp_path_factory):
    folder = tmp_path_factory.mktemp("shipped") / "default"
    ship(tiny_registry, tiny_registry.promoted(), folder)
    return folder


def test_a_shipped_version_is_compact_and_imports_as_the_promoted_version_giving_the_same_answers(
        shipped, tiny_registry, tmp_path):
    assert not list(shipped.rglob("*.safetensors")) and not (shipped / "onnx" / "model.onnx").exists()
    registry = Registry(tmp_path / "home")
    tag = import_shipped(registry, shipped)
    assert registry.promoted() == tag and registry.info(tag).metadata["shipped_from"] == tiny_registry.promoted()
    original = StanceClassifier.from_dir(tiny_registry.path_of(tiny_registry.promoted()), backend="onnx-int8")
    imported = StanceClassifier.from_dir(registry.path_of(tag))
    assert imported.backend == "onnx-int8"
    assert [p.scores for p in imported.predict(SENTENCES)] == [p.scores for p in original.predict(SENTENCES)]
    check = registry.info(tag).backend
    assert check["shipped"] and check["chosen"] == "onnx-int8" and not check["backends"]["torch-fp32"]["supported"]
    with pytest.raises(BackendError, match="no torch weights"):
        StanceClassifier.from_dir(registry.path_of(tag), backend="torch-fp32")


@pytest.mark.parametrize("damage, words", [
    (lambda folder: (folder / "tokenizer.json").write_text("{}"), "tokenizer.json: its SHA-256 is not"),
    (lambda folder: (folder / "config.json").unlink(), "config.json: listed in SHA256SUMS but missing"),
    (lambda folder: (folder / "extra.bin").write_bytes(b"x"), "extra.bin: not listed"),
    (lambda folder: (folder / CHECKSUMS).unlink(), "SHA256SUMS is missing"),
])
def test_an_altered_shipped_model_is_refused_and_nothing_is_stored(shipped, tmp_path, damage, words):
    import shutil

    folder = tmp_path / "default"
    shutil.copytree(shipped, folder)
    damage(folder)
    registry = Registry(tmp_path / "home")
    with pytest.raises(ShippedModelError, match=words):
        import_shipped(registry, folder)
    assert registry.versions() == [] and registry.promoted() is None


def test_the_imported_version_is_served_over_http(shipped, tmp_path):
    registry = Registry(tmp_path / "home")
    tag = import_shipped(registry, shipped)
    with Server(registry.home) as server:
        model = httpx.post(f"{server.url}/model", timeout=30).json()
        assert model["model_version"] == tag and model["backend"] == "onnx-int8"
        body = httpx.post(f"{server.url}/classify", json={"sentences": SENTENCES}, timeout=30).json()
    expected = StanceClassifier.from_dir(registry.path_of(tag)).predict(SENTENCES)
    assert [r["label"] for r in body["results"]] == [p.label for p in expected]
    assert json.loads((shipped / "metadata.json").read_text())["test_metrics"] == model["metrics"]


def test_the_committed_default_model_is_complete_and_labels_as_the_project_does():
    from conftest import ROOT
    from stance.labels import LABELS
    from stance.shipping import SHIPPED_DIR, verify

    folder = ROOT / SHIPPED_DIR
    assert "onnx/model-int8.onnx" in verify(folder)
    assert json.loads((folder / "stance.json").read_text())["labels"] == list(LABELS)
    assert StanceClassifier.from_dir(folder).predict(["The ministry denied the report."])[0].label in LABELS
