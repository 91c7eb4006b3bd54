"""Data checks: every error kind is reported with its row number."""

from __future__ import annotations

import json

import pytest

from stance.config import DataSettings
from stance.data import DataError, check_file, load_examples, near_duplicates, shared_documents

MAX = DataSettings().max_text_chars


def write(tmp_path, name, content: str | bytes):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def messages(check):
    return [(problem.row, problem.field, problem.message) for problem in check.problems]


def test_valid_csv_gives_examples_and_counts(tmp_path):
    path = write(tmp_path, "ok.csv", "text,label,domain\nThe army denied it.,denial,military\n"
                                     "Prices rose.,Assertion ,finance\n")
    check = check_file(path, max_chars=MAX)
    assert check.ok
    assert [e.label for e in check.examples] == ["denial", "assertion"]
    assert check.label_counts() == {"denial": 1, "assertion": 1}
    assert check.domain_counts() == {"military": 1, "finance": 1}


def test_missing_column_is_named(tmp_path):
    check = check_file(write(tmp_path, "a.csv", "sentence,label\nHello there friend.,assertion\n"), max_chars=MAX)
    assert messages(check) == [(1, "text", "missing column(s): text")]


def test_empty_text_unknown_label_and_suggestion(tmp_path):
    path = write(tmp_path, "a.csv", "text,label\n   ,assertion\nFine sentence here.,denail\n"
                                    "Another one here.,opinion\n")
    found = messages(check_file(path, max_chars=MAX))
    assert found[0] == (2, "text", "empty")
    assert found[1][:2] == (3, "label") and "did you mean 'denial'?" in found[1][2]
    assert found[2][:2] == (4, "label") and "expected one of assertion, denial, euphemism" in found[2][2]


def test_text_over_the_length_limit(tmp_path):
    path = write(tmp_path, "a.csv", f"text,label\n{'x' * 31},assertion\n")
    assert messages(check_file(path, max_chars=30)) == [(2, "text", "31 characters, over the limit of 30")]


def test_duplicates_and_conflicting_labels_name_both_rows(tmp_path):
    path = write(tmp_path, "a.csv", "text,label\nThe plant will close.,assertion\n"
                                    "the plant  will close.,assertion\nThe plant will close.,euphemism\n")
    found = messages(check_file(path, max_chars=MAX))
    assert found[0] == (3, "text", "duplicate of row 2")
    assert found[1] == (4, "label", "the same text is labelled 'assertion' in row 2 and 'euphemism' here")


def test_bytes_that_are_not_utf8(tmp_path):
    path = write(tmp_path, "a.csv", b"text,label\nGood row here.,assertion\nCaf\xe9 society row.,assertion\n")
    assert messages(check_file(path, max_chars=MAX))[0][:2] == (3, "text")
    assert "not UTF-8" in messages(check_file(path, max_chars=MAX))[0][2]


def test_multiline_csv_field_keeps_row_numbers_as_lines(tmp_path):
    path = write(tmp_path, "a.csv", 'text,label\n"Two\nlines here.",assertion\nBad.,nope\n')
    assert messages(check_file(path, max_chars=MAX))[0][0] == 4


def test_jsonl_rows_are_line_numbers(tmp_path):
    lines = [json.dumps({"text": "Officials denied the check.", "label": "denial"}), "{not json",
             json.dumps(["a", "list"]), json.dumps({"text": "No label here."})]
    found = messages(check_file(write(tmp_path, "a.jsonl", "\n".join(lines)), max_chars=MAX))
    assert [(row, field) for row, field, _ in found] == [(2, "json"), (3, "json"), (4, "label")]


def test_unsupported_suffix_and_missing_file(tmp_path):
    assert messages(check_file(write(tmp_path, "a.tsv", "x"), max_chars=MAX))[0][1] == "path"
    assert messages(check_file(tmp_path / "nope.csv", max_chars=MAX)) == [(0, "path", "no such file")]


def test_load_examples_raises_with_every_problem(tmp_path):
    path = write(tmp_path, "a.csv", "text,label\n,assertion\nOk sentence here.,bogus\n")
    with pytest.raises(DataError) as raised:
        load_examples(path, max_chars=MAX)
    assert "row 2" in str(raised.value) and "row 3" in str(raised.value)


def test_unlabelled_input_needs_only_text(tmp_path):
    path = write(tmp_path, "a.csv", "text\nOne sentence.\nOne sentence.\n")
    examples = load_examples(path, max_chars=MAX, require_label=False)
    assert [e.text for e in examples] == ["One sentence.", "One sentence."]


def test_near_duplicates_flags_paraphrase_copies(tmp_path):
    train = load_examples(write(tmp_path, "train.csv", "text,label\n"
                                "The ministry denied that troops had withdrawn from the northern towns.,denial\n"
                                "Quarterly revenue rose by nine per cent.,assertion\n"), max_chars=MAX)
    test = load_examples(write(tmp_path, "test.csv", "text,label\n"
                               "The ministry denied that troops had withdrawn from the northern towns!,denial\n"
                               "A spokeswoman called the story fabricated.,denial\n"), max_chars=MAX)
    found = near_duplicates(test, train, threshold=0.8)
    assert [(pair.test_row, pair.train_row) for pair in found] == [(2, 2)]


REAL_HEADER = "text,label,repository,commit,file,document,locator\n"
COMMIT = "737ca03a271adc205c67766074ec8d0070f7ad95"


def test_a_real_text_file_needs_provenance_on_every_row(tmp_path):
    path = write(tmp_path, "real.csv", REAL_HEADER
                 + f"That report is false.,denial,o/r,{COMMIT},a.md,o/r:a.md,p1s1\n"
                 + "Prices rose.,assertion,o/r,,a.md,o/r:a.md,p2s1\n"
                 + "Units were repositioned.,euphemism,o/r,abc,b.md,,p1s1\n")
    check = check_file(path, max_chars=MAX)
    assert messages(check) == [(3, "commit", "missing; every real sentence names its source"),
                               (4, "document", "missing; every real sentence names its source"),
                               (4, "commit", "'abc' is not a 40-character git commit")]
    assert [e.document for e in check.examples] == ["o/r:a.md"]


def test_a_real_text_file_without_a_provenance_column_is_refused(tmp_path):
    path = write(tmp_path, "real.csv", "text,label,repository\nThat report is false.,denial,o/r\n")
    found = messages(check_file(path, max_chars=MAX))
    assert [(row, field) for row, field, _ in found] == [(2, "commit"), (2, "file"), (2, "document"), (2, "locator")]


def test_a_document_on_both_sides_of_a_split_is_named_with_its_rows(tmp_path):
    train = load_examples(write(tmp_path, "train.csv", REAL_HEADER
                                + f"Prices rose sharply.,assertion,o/r,{COMMIT},a.md,o/r:a.md,p1s1\n"
                                + f"That is wrong.,denial,o/r,{COMMIT},b.md,o/r:b.md,p1s1\n"), max_chars=MAX)
    test = load_examples(write(tmp_path, "test.csv", REAL_HEADER
                               + f"Jobs were cut.,assertion,o/r,{COMMIT},c.md,o/r:c.md,p1s1\n"
                               + f"The claim is baseless.,denial,o/r,{COMMIT},b.md,o/r:b.md,p4s2\n"), max_chars=MAX)
    (problem,) = shared_documents(test, train)
    assert str(problem) == ("row 3, field 'document': 'o/r:b.md' also gave training row 3; "
                            "a document belongs to one side only")
