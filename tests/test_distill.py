"""Distillation (training.distill): the teacher's probabilities as data, the loss, and a student that
learns from them."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest
import torch

from stance.data import DataError
from stance.inference import StanceClassifier
from stance.labels import LABELS
from training.distill import distillation_loss, load_soft_targets, probability_columns, training_rows
from training.pipeline import load_teacher_probabilities, load_training_examples
from training.train import train_model


def write_probabilities(path: Path, rows: list[tuple[str, str, tuple[float, ...]]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["text", "kind", *probability_columns(LABELS)])
        writer.writerows([text, kind, *probabilities] for text, kind, probabilities in rows)
    return path


def test_a_probabilities_file_with_bad_rows_names_each_row_and_field(tmp_path):
    path = write_probabilities(tmp_path / "p.csv", [("fine", "labelled", (0.2, 0.3, 0.5)),
                                                    ("odd", "guessed", (0.2, 0.3, 0.5)),
                                                    ("sums", "transfer", (0.9, 0.9, 0.1))])
    with pytest.raises(DataError) as raised:
        load_soft_targets(path, LABELS)
    problems = [(p.row, p.field) for p in raised.value.check.problems]
    assert problems == [(3, "kind"), (4, "p_assertion")]


def test_transfer_rows_have_no_gold_label_and_new_labelled_rows_no_teacher(tmp_path, tiny_config):
    examples = load_training_examples(tiny_config)[:3]
    path = write_probabilities(tmp_path / "p.csv", [(examples[0].text, "labelled", (0.1, 0.8, 0.1)),
                                                    ("An unlabelled sentence.", "transfer", (0.6, 0.2, 0.2))])
    texts, gold, teacher = training_rows(examples, load_soft_targets(path, LABELS))
    assert texts[-1] == "An unlabelled sentence." and gold[-1] is None and gold[0] == LABELS.index(examples[0].label)
    assert teacher[0].tolist() == pytest.approx([0.1, 0.8, 0.1]) and math.isnan(teacher[1][0])


def test_the_loss_is_cross_entropy_on_gold_rows_and_tempered_kl_on_teacher_rows():
    logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    labels = torch.tensor([0, -100])
    teacher = torch.tensor([[float("nan")] * 3, [0.2, 0.6, 0.2]])
    value = distillation_loss(logits, labels, teacher, weight=None, label_smoothing=0.0, distill_weight=0.25,
                              temperature=2.0)
    ce = torch.nn.functional.cross_entropy(logits[:1], labels[:1])
    target = torch.softmax(torch.log(teacher[1:]) / 2, dim=-1)
    kl = torch.nn.functional.kl_div(torch.log_softmax(logits[1:] / 2, dim=-1), target, reduction="batchmean")
    assert value.item() == pytest.approx((0.75 * ce + 0.25 * 4 * kl).item())


def test_a_student_follows_a_confident_teacher_on_sentences_nobody_labelled(tmp_path, tiny_config):
    examples = load_training_examples(tiny_config)
    transfer = [(f"Officials met on day {n} to discuss the budget and the roads.", "transfer", (0.02, 0.96, 0.02))
                for n in range(150)]
    path = write_probabilities(tmp_path / "p.csv", [(e.text, "labelled", (0.02, 0.96, 0.02)) for e in examples]
                               + transfer)
    config = tiny_config.with_overrides(data={"teacher_probs_path": path},
                                        training={"distill_weight": 1.0, "transfer_size": 150, "epochs": 2})
    soft = load_teacher_probabilities(config)
    assert len(soft.transfer) == 150
    result = train_model(examples, config, tmp_path / "student", show_progress=False, soft_targets=soft)
    student = StanceClassifier.from_dir(result.model_dir, backend="torch-fp32")
    labels = [p.label for p in student.predict(["Officials met on day 999 to discuss the budget and the roads.",
                                                 *[e.text for e in examples[:20]]])]
    assert labels.count("denial") == len(labels)
