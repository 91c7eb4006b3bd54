"""Labelling whole texts and files."""

from __future__ import annotations

import csv
import io
import json

import pytest

from stance.data import DataError
from stance.inference import StanceClassifier
from stance.predict import predict_documents, read_documents, render_machine_readable


def test_each_sentence_is_labelled_with_exact_offsets(use_registry):
    classifier = StanceClassifier.load()
    text = "The ministry denied the report. Prices rose 4%.\nHeadline here"
    rows = predict_documents(classifier, [text])
    assert [r.text for r in rows] == ["The ministry denied the report.", "Prices rose 4%.", "Headline here"]
    assert all(text[r.start:r.end] == r.text for r in rows)
    assert rows == predict_documents(classifier, [text])


def test_machine_readable_formats_agree(use_registry):
    classifier = StanceClassifier.load()
    rows = predict_documents(classifier, ["One. Two.", "Three."])
    as_json = json.loads(render_machine_readable(rows, "json", classifier.labels, classifier.version))
    as_jsonl = [json.loads(line) for line in
                render_machine_readable(rows, "jsonl", classifier.labels, classifier.version).splitlines()]
    as_csv = list(csv.DictReader(io.StringIO(render_machine_readable(rows, "csv", classifier.labels,
                                                                     classifier.version))))
    assert as_json["sentences"] == as_jsonl
    assert [r["document"] for r in as_jsonl] == [1, 1, 2]
    assert [r["text"] for r in as_csv] == ["One.", "Two.", "Three."]
    assert float(as_csv[0]["p_denial"]) == pytest.approx(as_jsonl[0]["scores"]["denial"])


def test_read_documents_by_file_type(tmp_path):
    (tmp_path / "a.txt").write_text("First. Second.", encoding="utf-8")
    (tmp_path / "b.csv").write_text("text,source\nRow one.,x\nRow two.,y\n", encoding="utf-8")
    (tmp_path / "c.jsonl").write_text('{"text": "Line one."}\n', encoding="utf-8")
    assert read_documents(tmp_path / "a.txt", max_chars=100) == ["First. Second."]
    assert read_documents(tmp_path / "b.csv", max_chars=100) == ["Row one.", "Row two."]
    assert read_documents(tmp_path / "c.jsonl", max_chars=100) == ["Line one."]


def test_bad_files_raise_clear_errors(tmp_path):
    (tmp_path / "big.txt").write_text("x" * 50, encoding="utf-8")
    (tmp_path / "latin.txt").write_bytes(b"caf\xe9")
    with pytest.raises(DataError, match="over the limit of 10"):
        read_documents(tmp_path / "big.txt", max_chars=10)
    with pytest.raises(DataError, match="not UTF-8"):
        read_documents(tmp_path / "latin.txt", max_chars=10)
    with pytest.raises(DataError, match="no such file"):
        read_documents(tmp_path / "missing.txt", max_chars=10)
