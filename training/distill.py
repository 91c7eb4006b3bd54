"""Knowledge distillation: the student learns from the gold labels and the teacher's probabilities.

The teacher's probabilities are data (`data/teacher_probs.csv`, written by `stance teacher label`):
one row per labelled training sentence ("labelled") and per unlabelled transfer sentence
("transfer"), so that training the student needs neither the teacher nor its packages.

The loss of a batch is `(1 - w) * CE + w * T^2 * KL(teacher_T || student_T)`: CE the class-weighted
cross-entropy over the rows with a gold label, KL over the rows with a teacher probability, both
distributions softened by the temperature T. A transfer row has no gold label, so only the KL term
sees it; a labelled row without a teacher probability (a sentence added after the teacher labelled
the data, e.g. by `stance retrain`) is learnt from its gold label alone.
"""

from __future__ import annotations

import csv
import gzip
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stance.data import DataCheck, DataError, Example, Problem, file_sha256, normalise_text
from stance.files import atomic_write_bytes, csv_text
from training.metrics import label_ids

KINDS = ("labelled", "transfer")


@dataclass(frozen=True)
class SoftTargets:
    """The teacher's probabilities: of labelled sentences by text, and of the transfer sentences."""

    labels: tuple[str, ...]
    labelled: dict[str, tuple[float, ...]]
    transfer: list[tuple[str, tuple[float, ...]]]
    sha256: str  # of the probabilities file, recorded with the student

    def of(self, text: str) -> tuple[float, ...] | None:
        return self.labelled.get(normalise_text(text))

    def with_transfer(self, size: int, seed: int) -> "SoftTargets":
        """A copy keeping `size` transfer sentences drawn at random (all of them when fewer)."""
        kept = list(self.transfer)
        random.Random(seed).shuffle(kept)
        return SoftTargets(self.labels, self.labelled, kept[:size], self.sha256)


def open_csv(path: Path):
    """A CSV file opened for reading as text, gzip-compressed when its name ends in .gz."""
    return (gzip.open if Path(path).suffix == ".gz" else open)(path, "rt", encoding="utf-8", newline="")


def read_rows(path: Path) -> list[dict]:
    """The rows of a CSV file, gzip-compressed when its name ends in .gz."""
    with open_csv(path) as stream:
        return list(csv.DictReader(stream))


def write_gzip_csv(path: Path, rows: list[dict], columns: list[str]) -> None:
    """`rows` as gzip-compressed CSV, byte for byte the same for the same rows (no timestamp)."""
    atomic_write_bytes(path, gzip.compress(csv_text(rows, columns).encode("utf-8"), mtime=0))


def probability_columns(labels: tuple[str, ...]) -> list[str]:
    return [f"p_{label}" for label in labels]


def load_soft_targets(path: Path, labels: tuple[str, ...]) -> SoftTargets:
    """Read a teacher probabilities file; every problem is named by row and field."""
    columns = probability_columns(labels)
    problems: list[Problem] = []
    labelled: dict[str, tuple[float, ...]] = {}
    transfer: list[tuple[str, tuple[float, ...]]] = []
    with open_csv(path) as stream:
        reader = csv.DictReader(stream)
        missing = [c for c in ("text", "kind", *columns) if c not in (reader.fieldnames or [])]
        if missing:
            raise DataError(DataCheck(Path(path), problems=[Problem(0, c, "column missing") for c in missing]))
        for row_number, row in enumerate(reader, start=2):
            probabilities = _probabilities(row, columns, row_number, problems)
            if row["kind"] not in KINDS:
                problems.append(Problem(row_number, "kind", f"'{row['kind']}' is not one of {', '.join(KINDS)}"))
            elif probabilities is not None and row["kind"] == "labelled":
                labelled[normalise_text(row["text"])] = probabilities
            elif probabilities is not None:
                transfer.append((row["text"], probabilities))
    if problems:
        raise DataError(DataCheck(Path(path), problems=problems))
    return SoftTargets(tuple(labels), labelled, transfer, file_sha256(path))


def _probabilities(row: dict, columns: list[str], row_number: int, problems: list[Problem]) -> tuple | None:
    try:
        values = tuple(float(row[column]) for column in columns)
    except (TypeError, ValueError):
        problems.append(Problem(row_number, columns[0], "probabilities must be numbers"))
        return None
    if min(values) < 0 or abs(sum(values) - 1) > 1e-3:
        problems.append(Problem(row_number, columns[0], f"probabilities {values} do not sum to 1"))
        return None
    return values


def training_rows(examples: list[Example], soft: SoftTargets) -> tuple[list[str], list[int | None], np.ndarray]:
    """Texts, gold label indices (None for transfer rows) and teacher probabilities (NaN where none)
    of the labelled examples followed by the transfer sentences."""
    missing = (float("nan"),) * len(soft.labels)
    texts = [e.text for e in examples] + [text for text, _ in soft.transfer]
    gold = label_ids([e.label for e in examples], soft.labels).tolist() + [None] * len(soft.transfer)
    teacher = [soft.of(e.text) or missing for e in examples] + [p for _, p in soft.transfer]
    return texts, gold, np.array(teacher, dtype=np.float32)


def distillation_loss(logits, labels, teacher, *, weight, label_smoothing: float, distill_weight: float,
                      temperature: float):
    """The batch loss described in the module docstring (torch tensors; labels -100 where none,
    teacher rows NaN where none)."""
    import torch
    import torch.nn.functional as F

    total = logits.new_zeros(())
    hard = labels >= 0
    if hard.any():
        total = total + (1 - distill_weight) * F.cross_entropy(
            logits[hard], labels[hard], weight=weight, label_smoothing=label_smoothing)
    soft = ~torch.isnan(teacher).any(dim=-1)
    if soft.any():
        target = F.softmax(torch.log(teacher[soft].clamp_min(1e-8)) / temperature, dim=-1)
        student = F.log_softmax(logits[soft] / temperature, dim=-1)
        total = total + distill_weight * temperature ** 2 * F.kl_div(student, target, reduction="batchmean")
    return total
