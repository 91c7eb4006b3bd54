"""The shipped dataset meets its written requirements."""

from __future__ import annotations

from collections import Counter

import pytest

from training.config import StanceConfig
from training.data import check_file, near_duplicates
from training.labels import LABELS

from conftest import TEST_CSV, TRAIN_CSV


@pytest.fixture(scope="module")
def reports():
    return {path.name: check_file(path) for path in (TRAIN_CSV, TEST_CSV)}


def test_files_pass_the_data_check(reports):
    for report in reports.values():
        assert report.ok, report.problems[:5]


def test_size_and_label_balance(reports):
    assert sum(len(r.examples) for r in reports.values()) >= 3000
    assert len(reports["test.csv"].examples) >= 600
    for report in reports.values():
        counts = report.label_counts()
        for label in LABELS:
            assert counts[label] / len(report.examples) >= 0.30, (report.path, label)


def test_domains_and_lengths(reports):
    examples = [e for r in reports.values() for e in r.examples]
    assert len({e.domain for e in examples}) >= 15
    lengths = [len(e.text.split()) for e in examples]
    assert min(lengths) >= 4 and max(lengths) <= 60


def test_no_template_openings(reports):
    examples = [e for r in reports.values() for e in r.examples]
    openings = Counter(" ".join(e.text.lower().split()[:4]) for e in examples)
    opening, count = openings.most_common(1)[0]
    assert count <= 0.01 * len(examples), (opening, count)


def test_test_set_does_not_copy_training_sentences(reports):
    threshold = StanceConfig().max_train_test_similarity
    found = near_duplicates(reports["test.csv"].examples, reports["train.csv"].examples, threshold)
    assert found == [], found[:3]
