"""`stance retrain` end to end with the real base model: the gate, and a run killed mid-training.

The champion is all-MiniLM-L6-v2 fine-tuned on 90 sentences of the written training data (kept
small, with a higher learning rate and two epochs, so the suite stays fast), without the real
sentences (`--no-real`): the gate's judgement of the real test set is tested in test_gate.py and
test_retrain.py. A batch of 300 more written sentences must be accepted; the same kind of batch with
every label deliberately wrong must be refused, leaving the data and the promoted version untouched.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, TEST_CSV, TRAIN_CSV, copy_project, write_new_batch, write_stratified_sample
from stance.config import StanceConfig
from training.pipeline import train_and_register
from stance.registry import Registry

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def champion(tmp_path_factory):
    """A registry whose promoted version is the real base model tuned on 90 sentences."""
    folder = tmp_path_factory.mktemp("real-champion")
    train = write_stratified_sample(TRAIN_CSV, folder / "train.csv", per_label=30, seed=3)
    test = write_stratified_sample(TEST_CSV, folder / "test.csv", per_label=50, seed=3)
    config = StanceConfig().with_overrides(
        data={"train_path": train, "test_path": test},
        training={"epochs": 2, "max_length": 48, "batch_size": 16, "learning_rate": 1e-4,
                  "early_stopping_patience": 2}).without_real_text()
    registry = Registry(folder / "home")
    train_and_register(config, registry, show_progress=False)
    return registry, train, test


@pytest.fixture()
def project(tmp_path, champion):
    registry, train, test = champion
    return copy_project(registry.home, train, test, tmp_path)


def stance(home: Path, *args: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "BENTOML_HOME": str(home), "COLUMNS": "200"}
    return subprocess.Popen([sys.executable, "-c", "from cli.main import main; main()", *args],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            **kwargs)


def retrain_args(train: Path, test: Path, batch: Path, out: Path) -> list[str]:
    return ["retrain", "--data", str(batch), "--train-data", str(train), "--test-data", str(test),
            "--no-real", "--out", str(out), "--quiet"]


def run(home: Path, *args: str) -> tuple[int, str]:
    process = stance(home, *args)
    output, _ = process.communicate(timeout=900)
    return process.returncode, output


def test_a_good_batch_is_accepted_and_a_wrongly_labelled_one_refused(tmp_path, project):
    home, train, test = project
    champion = Registry(home).promoted()
    original = train.read_bytes()
    good = write_new_batch(TRAIN_CSV, [train, test], tmp_path / "good.csv", per_label=100, seed=5)
    wrong = write_new_batch(TRAIN_CSV, [train, test, good], tmp_path / "wrong.csv", per_label=100, seed=6,
                            wrong_labels=True)

    code, output = run(home, *retrain_args(train, test, wrong, tmp_path / "wrong-report"))
    assert code == 3, output
    assert "refused" in output and "check these labels first" in output
    report = json.loads((tmp_path / "wrong-report" / "retrain.json").read_text())
    assert not report["promoted"] and report["gate"]["reasons"]
    assert report["test"]["challenger"]["macro_f1"] < report["test"]["champion"]["macro_f1"]
    assert report["disagreements"] > 50
    assert (tmp_path / "wrong-report" / "disagreements.csv").read_text().count("\n") == report["disagreements"] + 1
    assert train.read_bytes() == original
    assert Registry(home).promoted() == champion and len(Registry(home).versions()) == 1

    code, output = run(home, *retrain_args(train, test, good, tmp_path / "good-report"))
    assert code == 0, output
    report = json.loads((tmp_path / "good-report" / "retrain.json").read_text())
    assert report["promoted"] and report["gate"]["accepted"], report["gate"]
    assert Registry(home).promoted() == report["challenger"] != champion
    assert train.read_text(encoding="utf-8").count(",good.csv,") == 300
    assert (tmp_path / "good-report" / "per_class_f1.png").stat().st_size > 10_000


def test_killing_a_retrain_mid_training_leaves_data_and_promotion_as_they_were(tmp_path, project):
    home, train, test = project
    registry = Registry(home)
    before = (train.read_bytes(), (home / "stance-promotion.json").read_bytes(),
              [info.tag for info in registry.versions()])
    batch = write_new_batch(TRAIN_CSV, [train, test], tmp_path / "batch.csv", per_label=100, seed=5)
    process = stance(home, *retrain_args(train, test, batch, tmp_path / "report"))
    wait_for_line(process, "training the challenger", timeout=120)
    time.sleep(3)
    assert process.poll() is None, "the retrain should still be training"
    assert list(home.glob("stance-work-retrain-*")), "training writes into a scratch folder"

    code, output = run(home, *retrain_args(train, test, batch, tmp_path / "second"))
    assert code == 1 and "busy" in output and "stance retrain" in output, output

    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    process.stdout.close()
    assert (train.read_bytes(), (home / "stance-promotion.json").read_bytes(),
            [info.tag for info in registry.versions()]) == before
    code, output = run(home, "models")
    assert code == 0 and before[2][0] in output

    code, output = run(home, *retrain_args(train, test, train, tmp_path / "third"))
    assert code == 0 and "nothing new" in output, output
    assert not list(home.glob("stance-work-*")) and not list(train.parent.glob(".train.pending-*"))


def wait_for_line(process: subprocess.Popen, text: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        seen.append(line)
        if text in line:
            return
        if not line and process.poll() is not None:
            break
    raise AssertionError(f"'{text}' never appeared:\n{''.join(seen)}")
