"""`stance retrain` mechanics with the tiny model: merging, promotion, reports, locking, recovery.

Whether the gate tells a good batch from a wrongly labelled one needs a model that learns,
so that is tested with the real base model in test_retrain_real.py.
"""

from __future__ import annotations

import json

import pytest

from conftest import TRAIN_CSV, copy_project, write_new_batch
from stance.data import DataError, file_sha256
from stance.registry import COMMIT_JOURNAL, Registry, RegistryBusy
from training.retrain import NothingToRetrain, retrain
from training.retrain_report import write_retrain_reports


@pytest.fixture()
def project(tmp_path, tiny_registry, tiny_config):
    """A copy of the tiny registry and its data; the config points at the copied data."""
    home, train, test = copy_project(tiny_registry.home, tiny_config.data.train_path, tiny_config.data.test_path,
                                     tmp_path)
    config = tiny_config.with_overrides(data={"train_path": train, "test_path": test}, gate={"bootstrap_samples": 200})
    return Registry(home), config


def new_batch(tmp_path, config, per_label=10, **options):
    return write_new_batch(TRAIN_CSV, [config.data.train_path, config.data.test_path], tmp_path / "new.csv",
                           per_label, **options)


def test_a_forced_retrain_merges_the_data_promotes_and_writes_reports(tmp_path, project):
    registry, config = project
    champion = registry.promoted()
    new = new_batch(tmp_path, config)
    stages = []
    result = retrain(new, config, registry, force=True, show_progress=False, on_stage=stages.append)
    assert result.promoted and result.challenger == registry.promoted() != champion
    assert any(stage.startswith("training the challenger on") for stage in stages)
    merged = config.data.train_path.read_text(encoding="utf-8")
    assert merged.count(",new.csv,") == 30
    assert merged.splitlines()[0] == "text,label,domain,source,added,relabelled_from"
    info = registry.info(result.challenger)
    assert info.metadata["train_sha256"] == file_sha256(config.data.train_path)
    assert info.metadata["retrain"]["added"] == 30 and info.metadata["retrain"]["champion"] == champion
    history = json.loads((registry.home / "stance-promotion.json").read_text())["history"]
    assert history[-1]["reason"].startswith("retrain with new.csv: ")
    paths = write_retrain_reports(result, tmp_path / "report")
    assert [p.name for p in paths] == ["retrain.json", "per_class_f1.png", "disagreements.csv"]
    document = json.loads(paths[0].read_text())
    assert set(document["gate"]["sets"]) == {"test", "real_test"} and document["gate"]["sets"]["test"]["interval"]
    assert set(document["test"]) == set(document["real_test"]) == {"data", "n", "champion", "challenger"}
    assert document["real_test"]["n"] == 30
    assert paths[1].read_bytes()[:4] == b"\x89PNG"


def test_holdout_rows_are_scored_and_not_merged(tmp_path, project):
    registry, config = project
    result = retrain(new_batch(tmp_path, config), config.with_overrides(retrain={"holdout_fraction": 0.2}),
                     registry, force=True, show_progress=False)
    assert len(result.plan.holdout) == 6 and set(result.holdout) == {"champion", "challenger"}
    merged = config.data.train_path.read_text(encoding="utf-8")
    assert not any(example.text in merged for example in result.plan.holdout)
    assert "holdout.csv" in [p.name for p in write_retrain_reports(result, tmp_path / "report")]


def test_bad_rows_change_nothing(tmp_path, project):
    registry, config = project
    before = config.data.train_path.read_bytes(), registry.promoted(), len(registry.versions())
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\nA fine sentence.,assertion\nAnother one.,maybe\n", encoding="utf-8")
    with pytest.raises(DataError, match="row 3, field 'label': unknown label 'maybe'"):
        retrain(bad, config, registry, show_progress=False)
    assert (config.data.train_path.read_bytes(), registry.promoted(), len(registry.versions())) == before
    assert not list(config.data.train_path.parent.glob(".train.pending-*"))


def test_a_file_with_nothing_new_is_reported_not_trained(tmp_path, project):
    registry, config = project
    with pytest.raises(NothingToRetrain, match="all 120 rows are already in"):
        retrain(config.data.train_path, config, registry, show_progress=False)


def test_a_second_run_is_refused_while_one_holds_the_registry(tmp_path, project):
    registry, config = project
    with registry.exclusive("stance retrain --data first.csv"):
        with pytest.raises(RegistryBusy, match=r"busy: `stance retrain --data first.csv` \(pid \d+\) has been "
                                               "running since"):
            retrain(new_batch(tmp_path, config), config, Registry(registry.home), show_progress=False)
    with Registry(registry.home).exclusive("after"):
        pass


def test_a_commit_interrupted_after_its_journal_is_finished_by_the_next_run(tmp_path, project, monkeypatch):
    registry, config = project
    first = registry.promoted()
    second = registry.add(registry.path_of(first), {"note": "challenger"})
    pending = tmp_path / "pending.csv"
    pending.write_text("text,label\nNew data.,assertion\n", encoding="utf-8")

    promote = Registry.promote

    def promote_then_die(self, *args, **kwargs):  # killed after promoting, before moving the data
        promote(self, *args, **kwargs)
        raise SystemExit("killed")

    monkeypatch.setattr(Registry, "promote", promote_then_die)
    with pytest.raises(SystemExit):
        registry.promote_with_data(second, "test", pending, config.data.train_path)
    monkeypatch.undo()
    assert (registry.home / COMMIT_JOURNAL).is_file() and pending.is_file()
    with Registry(registry.home).exclusive("next run"):
        pass
    assert registry.promoted() == second
    assert config.data.train_path.read_text(encoding="utf-8") == "text,label\nNew data.,assertion\n"
    assert not (registry.home / COMMIT_JOURNAL).exists() and not pending.exists()


def test_scratch_folders_of_killed_runs_are_removed_under_the_lock(project):
    registry, _ = project
    stale = registry.home / "stance-work-train-abc"
    (stale / "model").mkdir(parents=True)
    half_copied = registry.home / "models" / "stance" / "halfcopied"
    half_copied.mkdir()
    assert [info.tag for info in registry.versions()] == [registry.promoted()]
    with registry.exclusive("test"):
        assert not stale.exists()
