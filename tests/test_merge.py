"""Merging new labelled rows into the training data: validation, duplicates, relabels, holdout."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from stance.data import DataError, check_file
from stance.labels import LABELS
from training.merge import plan_merge, render_records

TRAIN_ROWS = [("The central bank raised its main rate to 4.5 per cent.", "assertion", "finance"),
              ("The ministry denied that any talks had taken place.", "denial", "politics"),
              ("The company is rightsizing its regional sales teams.", "euphemism", "business")]
TEST_ROWS = [("Police said the suspect was arrested on Tuesday.", "assertion", "crime")]


def write_csv(path: Path, rows, header=("text", "label", "domain")) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture()
def files(tmp_path):
    return write_csv(tmp_path / "train.csv", TRAIN_ROWS), write_csv(tmp_path / "test.csv", TEST_ROWS)


def plan(tmp_path, files, rows, **options):
    train, test = files
    new = write_csv(tmp_path / "new.csv", rows)
    settings = {"relabel": False, "holdout_fraction": 0.0, "seed": 13, **options}
    return plan_merge(new, train, test, labels=LABELS, max_chars=2000, added_on="2026-11-25", **settings)


def test_new_rows_are_added_with_their_provenance_and_identical_rows_skipped(tmp_path, files):
    result = plan(tmp_path, files, [TRAIN_ROWS[0], ("Turnout fell to 41 per cent.", "assertion", "politics")])
    assert [e.text for e in result.skipped] == [TRAIN_ROWS[0][0]]
    assert [e.text for e in result.added] == ["Turnout fell to 41 per cent."]
    assert result.records[-1] == {"text": "Turnout fell to 41 per cent.", "label": "assertion",
                                  "domain": "politics", "source": "new.csv", "added": "2026-11-25",
                                  "relabelled_from": ""}
    assert result.summary()["merged_rows"] == 4 and result.summary()["skipped_identical"] == 1


def test_merged_file_keeps_existing_rows_byte_for_byte_and_passes_the_data_check(tmp_path, files):
    result = plan(tmp_path, files, [("Turnout fell to 41 per cent.", "assertion", "politics")])
    merged = tmp_path / "merged.csv"
    merged.write_text(render_records(result.records, result.columns, ".csv"), encoding="utf-8", newline="")
    check = check_file(merged, max_chars=2000)
    assert check.ok and len(check.examples) == 4
    assert list(csv.DictReader(merged.open(encoding="utf-8")))[0] == {
        "text": TRAIN_ROWS[0][0], "label": "assertion", "domain": "finance", "source": "", "added": "",
        "relabelled_from": ""}


def test_a_conflicting_label_is_an_error_naming_both_rows(tmp_path, files):
    with pytest.raises(DataError) as caught:
        plan(tmp_path, files, [("Turnout fell.", "assertion", ""), (TRAIN_ROWS[1][0], "assertion", "")])
    problem, = caught.value.check.problems
    assert (problem.row, problem.field) == (3, "label")
    assert "'denial' in" in problem.message and "row 3" in problem.message and "--relabel" in problem.message


def test_relabel_replaces_the_old_label_and_records_it(tmp_path, files):
    result = plan(tmp_path, files, [(TRAIN_ROWS[1][0].upper(), "assertion", "")], relabel=True)
    relabel, = result.relabelled
    assert (relabel.train_row, relabel.old_label, relabel.new_label) == (3, "denial", "assertion")
    record = result.records[1]
    assert (record["label"], record["relabelled_from"], record["source"]) == ("assertion", "denial", "new.csv")
    assert len(result.records) == 3


def test_invalid_rows_and_test_set_sentences_are_refused_by_row(tmp_path, files):
    with pytest.raises(DataError) as caught:
        plan(tmp_path, files, [("Fine sentence.", "asertion", ""), ("", "denial", "")])
    assert [(p.row, p.field) for p in caught.value.check.problems] == [(2, "label"), (3, "text")]
    assert "did you mean 'assertion'" in str(caught.value)
    with pytest.raises(DataError, match="row 2, field 'text': this sentence is in the frozen test set"):
        plan(tmp_path, files, [(TEST_ROWS[0][0], "assertion", "")])


def test_holdout_keeps_a_stratified_share_out_of_training(tmp_path, files):
    rows = [(f"Sentence number {i} about the {label} case.", label, "") for i in range(10) for label in LABELS]
    result = plan(tmp_path, files, rows, holdout_fraction=0.2)
    assert len(result.holdout) == 6 and len(result.added) == 24
    assert sorted(e.label for e in result.holdout) == sorted(LABELS * 2)
    held = {e.text for e in result.holdout}
    assert not held & {r["text"] for r in result.records}
    with pytest.raises(DataError, match="nothing would be left to train on"):
        plan(tmp_path, files, rows[:2], holdout_fraction=0.9)
