"""The files of a saved version (stance.artifacts) and how files are written (stance.files)."""

from __future__ import annotations

import csv
import io
import json
import os

import pytest

from stance.artifacts import BACKEND_FILE, MANIFEST, onnx_path, read_backend_check, read_manifest, write_manifest
from stance.files import atomic_write_bytes, atomic_write_text, csv_text


def test_the_manifest_carries_labels_and_configuration(tmp_path):
    write_manifest(tmp_path, labels=("a", "b"), config={"training": {"max_length": 48}})
    assert json.loads((tmp_path / MANIFEST).read_text()) == {"labels": ["a", "b"],
                                                             "config": {"training": {"max_length": 48}}}
    assert read_manifest(tmp_path)["labels"] == ["a", "b"]


def test_a_folder_without_manifest_is_not_a_model(tmp_path):
    with pytest.raises(FileNotFoundError, match=f"{MANIFEST} is missing"):
        read_manifest(tmp_path)


def test_the_backend_check_is_none_until_written(tmp_path):
    assert read_backend_check(tmp_path) is None
    (tmp_path / BACKEND_FILE).write_text(json.dumps({"chosen": "onnx-int8"}))
    assert read_backend_check(tmp_path) == {"chosen": "onnx-int8"}


def test_onnx_exports_live_in_the_version_folder(tmp_path):
    assert onnx_path(tmp_path, int8=True) == tmp_path / "onnx" / "model-int8.onnx"
    assert onnx_path(tmp_path, int8=False) == tmp_path / "onnx" / "model.onnx"


def test_an_atomic_write_replaces_the_file_whole(tmp_path):
    target = tmp_path / "deep" / "file.txt"
    atomic_write_text(target, "first")
    atomic_write_text(target, "second")
    assert target.read_text() == "second" and os.listdir(target.parent) == ["file.txt"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "file.bin"
    atomic_write_bytes(target, b"old")

    def broken_rename(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_rename)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["file.bin"]


def test_csv_text_writes_the_columns_in_order_and_quotes_what_needs_it():
    text = csv_text([{"b": 2, "a": "x, y"}, {"a": "line\nbreak", "extra": "ignored"}], ["a", "b"])
    assert list(csv.DictReader(io.StringIO(text))) == [{"a": "x, y", "b": "2"}, {"a": "line\nbreak", "b": ""}]
    assert text.splitlines()[0] == "a,b"
