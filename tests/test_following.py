"""The model service follows promotions: in-process, and over HTTP under concurrent requests."""

from __future__ import annotations

import pytest

from conftest import Server, copy_project
from service.following import VersionFollower, load_version
from service.switching import switch_under_load
from training.pipeline import train_and_register
from stance.registry import Registry


@pytest.fixture(scope="module")
def two_versions(tmp_path_factory, tiny_registry, tiny_config):
    """A copy of the tiny registry with a second, unpromoted version trained with another seed."""
    home, train, test = copy_project(tiny_registry.home, tiny_config.data.train_path, tiny_config.data.test_path,
                                     tmp_path_factory.mktemp("two-versions"))
    registry = Registry(home)
    config = tiny_config.with_overrides(data={"train_path": train, "test_path": test}, training={"seed": 7})
    second = train_and_register(config, registry, show_progress=False)
    return registry, tiny_registry.promoted(), second.tag


def follower(registry: Registry, tag: str, promoted=None) -> VersionFollower:
    load = lambda version: load_version(registry.stored(version), batch_size=8)  # noqa: E731
    return VersionFollower(load(tag), promoted=promoted or registry.promoted, load=load, poll_seconds=60)


def test_the_follower_switches_when_another_version_is_promoted(two_versions):
    registry, first, second = two_versions
    registry.promote(first)
    watching = follower(registry, first)
    assert not watching.check()
    registry.promote(second)
    assert watching.check()
    assert watching.current.classifier.version == second
    assert watching.current.metadata == registry.info(second).metadata
    assert watching.current.classifier.predict(["Shares fell."])[0].label


def test_a_version_that_fails_to_load_is_skipped_and_the_current_one_keeps_serving(two_versions):
    registry, first, _ = two_versions
    watching = follower(registry, first, promoted=lambda: "stance:doesnotexist")
    assert not watching.check() and not watching.check()
    assert watching.current.classifier.version == first


@pytest.mark.slow
def test_a_promotion_is_served_within_seconds_without_a_failed_request(two_versions):
    registry, first, second = two_versions
    registry.promote(first)
    with Server(registry.home) as server:
        switched = switch_under_load(server.url, lambda: registry.promote(second), clients=8)
        import httpx

        described = httpx.post(f"{server.url}/model", timeout=30).json()
        back = switch_under_load(server.url, registry.rollback, clients=8)
    for result in (switched, back):
        assert result.failures == [], result.failures[:3]
        assert result.seconds is not None and result.seconds < 10
        assert result.requests > 20 and result.answered_by_old_after_switch == 0
    assert described["model_version"] == second
    assert back.to_version == first
