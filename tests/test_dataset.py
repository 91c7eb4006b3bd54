"""The shipped datasets, written and real, meet their written requirements."""

from __future__ import annotations

import csv
from collections import Counter

import pytest

from conftest import REAL_TEST_CSV, REAL_TRAIN_CSV, ROOT, TEST_CSV, TRAIN_CSV
from stance.config import DataSettings
from stance.data import check_file, near_duplicates, normalise_text, shared_documents
from stance.labels import LABELS


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


# The sources real sentences may come from (data/SOURCES.md), and text that must never be in the project:
# the sources of the real-text measurement sets.
ALLOWED_REPOSITORIES = {"brian14708/wh-briefings", "RIstiaque/Country-Counting-from-Press-Briefings",
                        "kevinschaul/uscentcom-isil-airstrikes-scraper", "henriquesposito/poldis"}
FORBIDDEN = ("bbc", "glowbe", "euphemism_corpus", "general debate", "generaldebate", "earnings")


@pytest.fixture(scope="module")
def real():
    return {path.name: check_file(path, max_chars=DataSettings().max_text_chars)
            for path in (REAL_TRAIN_CSV, REAL_TEST_CSV)}


def test_the_real_files_pass_the_data_check_with_provenance_on_every_row(real):
    for check in real.values():
        assert check.ok, check.problems[:5]
    rows = [row for path in (REAL_TRAIN_CSV, REAL_TEST_CSV) for row in csv.DictReader(path.open(encoding="utf-8"))]
    assert {row["repository"] for row in rows} <= ALLOWED_REPOSITORIES
    assert all(row["document"].startswith(row["repository"] + ":" + row["file"]) for row in rows)
    assert not [row for row in rows if any(word in (row["file"] + row["document"]).lower() for word in FORBIDDEN)]
    assert not [row for row in rows if "/2020-" in row["file"] or "/2020/" in row["file"]], "no White House text of 2020"


def test_enough_real_sentences_and_a_real_test_set_of_800(real):
    examples = [e for check in real.values() for e in check.examples]
    assert len(examples) >= 7500 and len(real["real_test.csv"].examples) >= 800
    counts = Counter(e.label for e in examples)
    # Denials and euphemisms are rare in real statements: 14.3% and 15.6% after three sampling rounds
    # (data/SOURCES.md); the aim of a fifth each is not reached yet.
    assert counts["denial"] >= 1000 and counts["euphemism"] >= 1100, counts
    assert min(real["real_test.csv"].label_counts().values()) >= 200


def test_the_real_split_is_by_document_with_no_copy_across_it(real):
    train, test = real["real_train.csv"].examples, real["real_test.csv"].examples
    assert shared_documents(test, train) == []
    assert near_duplicates(test, train, DataSettings().max_train_test_similarity) == []
    written = {normalise_text(e.text) for e in check_file(TRAIN_CSV, max_chars=2000).examples}
    assert not [e for e in test if normalise_text(e.text) in written]


def test_every_real_row_was_labelled_twice_and_its_label_is_the_agreed_one():
    for path in (REAL_TRAIN_CSV, REAL_TEST_CSV):
        for row in csv.DictReader(path.open(encoding="utf-8")):
            votes = [row["pass_a"], row["pass_b"], row["pass_c"]]
            assert row["pass_a"] and row["pass_b"], row
            assert votes.count(row["label"]) >= 2, row


def test_the_transfer_sentences_are_real_unlabelled_and_outside_the_real_test_documents():
    from training.distill import open_csv

    with open_csv(ROOT / "data" / "transfer.csv.gz") as stream:
        rows = list(csv.DictReader(stream))
    assert 30_000 <= len(rows) <= 50_000
    assert {row["repository"] for row in rows} <= ALLOWED_REPOSITORIES and all(row["commit"] for row in rows)
    assert not [row for row in rows if any(word in (row["file"] + row["document"]).lower() for word in FORBIDDEN)]
    test_documents = {row["document"] for row in csv.DictReader(REAL_TEST_CSV.open(encoding="utf-8"))}
    assert not [row for row in rows if row["document"] in test_documents]
    labelled = {normalise_text(row["text"]) for path in (TRAIN_CSV, TEST_CSV, REAL_TRAIN_CSV, REAL_TEST_CSV)
                for row in csv.DictReader(path.open(encoding="utf-8"))}
    assert not [row for row in rows if normalise_text(row["text"]) in labelled]
    assert len({normalise_text(row["text"]) for row in rows}) == len(rows)


def test_the_teachers_probabilities_cover_every_training_and_transfer_sentence_and_match_their_record():
    import json

    from training.distill import load_soft_targets, read_rows

    soft = load_soft_targets(ROOT / "data" / "teacher_probs.csv.gz", LABELS)
    record = json.loads((ROOT / "data" / "teacher_probs.json").read_text())
    assert record["probabilities_sha256"] == soft.sha256 and record["transfer_rows"] == len(soft.transfer)
    training = [row["text"] for path in (TRAIN_CSV, REAL_TRAIN_CSV)
                for row in csv.DictReader(path.open(encoding="utf-8"))]
    assert all(soft.of(text) is not None for text in training)
    assert [row["text"] for row in read_rows(ROOT / "data" / "transfer.csv.gz")] == [text for text, _ in soft.transfer]
    tested = {normalise_text(row["text"]) for path in (TEST_CSV, REAL_TEST_CSV)
              for row in csv.DictReader(path.open(encoding="utf-8"))}
    assert not tested & set(soft.labelled), "no test sentence has a teacher probability"
