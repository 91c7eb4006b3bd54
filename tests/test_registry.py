"""Registry: immutable versions, promotion recorded apart from creation order."""

from __future__ import annotations

import json

import pytest

from stance.registry import PROMOTION_FILE, Registry, RegistryError


def add_version(registry: Registry, model_dir, note: str) -> str:
    return registry.add(model_dir, {"note": note, "train_rows": 1})


@pytest.fixture()
def model_dir(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "stance.json").write_text('{"labels": [], "config": {}}')
    (folder / "sub").mkdir()
    (folder / "sub" / "file.txt").write_text("weights")
    return folder


def test_empty_registry_has_nothing_promoted(tmp_path):
    registry = Registry(tmp_path / "home")
    assert registry.versions() == []
    assert registry.promoted() is None
    with pytest.raises(RegistryError, match="no promoted model"):
        registry.resolve(None)


def test_versions_are_stored_with_files_and_metadata(tmp_path, model_dir):
    registry = Registry(tmp_path / "home")
    tag = add_version(registry, model_dir, "first")
    assert tag.startswith("stance:")
    assert (registry.path_of(tag) / "sub" / "file.txt").read_text() == "weights"
    assert registry.info(tag).metadata["note"] == "first"


def test_promotion_is_explicit_and_kept_in_history(tmp_path, model_dir):
    registry = Registry(tmp_path / "home")
    first = add_version(registry, model_dir, "first")
    second = add_version(registry, model_dir, "second")
    registry.promote(first)
    assert registry.resolve(None) == first, "the newest version is not promoted by itself"
    registry.promote(second.split(":")[1], reason="test")
    assert registry.resolve(None) == second
    record = json.loads((registry.home / PROMOTION_FILE).read_text())
    assert [entry["version"] for entry in record["history"]] == [first, second]
    assert [info.promoted for info in registry.versions()] == [False, True]


def test_versions_resolve_by_unique_prefix(tmp_path, model_dir):
    registry = Registry(tmp_path / "home")
    tag = add_version(registry, model_dir, "only")
    assert registry.tag_of(tag.split(":")[1][:5]) == tag
    assert registry.info(tag.split(":")[1][:5]).tag == tag
    with pytest.raises(RegistryError, match="no model version 'zzz'"):
        registry.tag_of("zzz")
    with pytest.raises(RegistryError, match="no model version 'zzz'"):
        registry.info("zzz")


def test_rollback_re_promotes_the_previous_version(tmp_path, model_dir):
    registry = Registry(tmp_path / "home")
    first = add_version(registry, model_dir, "first")
    second = add_version(registry, model_dir, "second")
    registry.promote(first)
    with pytest.raises(RegistryError, match="nothing to roll back to"):
        registry.rollback()
    registry.promote(second)
    assert registry.rollback() == first == registry.promoted()
    record = json.loads((registry.home / PROMOTION_FILE).read_text())
    assert record["history"][-1]["reason"] == f"rollback from {second}"
