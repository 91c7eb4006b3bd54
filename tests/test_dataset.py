"""The shipped dataset meets its written requirements."""

from __future__ import annotations

from collections import Counter

import pytest

from stance.config import DataSettings
from stance.data import check_file, near_duplicates
from stance.labels import LABELS

from conftest import TEST_CSV, TRAIN_CSV


@pytest.fixture(scope="module")
def checks():
    return {path.name: check_file(path, max_chars=DataSettings().max_text_chars) for path in (TRAIN_CSV, TEST_CSV)}


def test_files_pass_the_data_check(checks):
    for check in checks.values():
        assert check.ok, check.problems[:5]


def test_size_and_label_balance(checks):
    assert sum(len(r.examples) for r in checks.values()) >= 3000
    assert len(checks["test.csv"].examples) >= 600
    for check in checks.values():
        counts = check.label_counts()
        for label in LABELS:
            assert counts[label] / len(check.examples) >= 0.30, (check.path, label)


def test_domains_and_lengths(checks):
    examples = [e for r in checks.values() for e in r.examples]
    assert len({e.domain for e in examples}) >= 15
    lengths = [len(e.text.split()) for e in examples]
    assert min(lengths) >= 4 and max(lengths) <= 60


def test_no_template_openings(checks):
    examples = [e for r in checks.values() for e in r.examples]
    openings = Counter(" ".join(e.text.lower().split()[:4]) for e in examples)
    opening, count = openings.most_common(1)[0]
    assert count <= 0.01 * len(examples), (opening, count)


def test_test_set_does_not_copy_training_sentences(checks):
    threshold = DataSettings().max_train_test_similarity
    found = near_duplicates(checks["test.csv"].examples, checks["train.csv"].examples, threshold)
    assert found == [], found[:3]
