"""Every `stance` command, run as a user runs it: a subprocess with its exit code and output."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from stance.registry import Registry

STANCE = Path(sys.executable).parent / "stance"


def run(*args: str, home: Path, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "BENTOML_HOME": str(home), "COLUMNS": "200"}
    result = subprocess.run([str(STANCE), *args], capture_output=True, text=True, env=env, cwd=ROOT,
                            timeout=600)
    assert "Traceback" not in result.stderr, result.stderr
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def data_options(sample_data, real_sample_data) -> list[str]:
    (train, test), (real_train, real_test) = sample_data, real_sample_data
    return ["--data", str(train), "--test-data", str(test), "--real-data", str(real_train),
            "--real-test-data", str(real_test)]


@pytest.fixture(scope="module")
def cli_home(tmp_path_factory, tiny_base_model, sample_data, real_sample_data):
    """`stance train` on the tiny model into a fresh registry: a student of the stored teacher's
    probabilities, as the default model is, with a few transfer sentences."""
    home = tmp_path_factory.mktemp("cli-home")
    result = run("train", *data_options(sample_data, real_sample_data), "--base-model", str(tiny_base_model),
                 "--epochs", "1", "--max-length", "48", "--transfer-size", "50", "--quiet", home=home)
    assert "learning from the teacher's probabilities too (data/teacher_probs.csv.gz" in result.stdout
    assert "promoted (served)" in result.stdout
    assert "baseline F1" in result.stdout
    assert "on each frozen test set" in result.stdout and "real_test.csv" in result.stdout
    return home


def test_data_check_passes_real_files_and_prints_counts(tmp_path):
    result = run("data", "check", "data/test.csv", "--against", "data/train.csv", home=tmp_path)
    assert "OK" in result.stdout and "euphemism" in result.stdout
    assert "no sentence reaches TF-IDF similarity" in result.stdout


def test_data_check_exits_2_and_names_rows(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\nFine sentence here.,assertion\nOther sentence.,denail\n", encoding="utf-8")
    result = run("data", "check", str(bad), home=tmp_path, check=False)
    assert result.returncode == 2
    assert "row 3, field 'label': unknown label 'denail'; did you mean 'denial'?" in result.stdout


def test_data_check_against_refuses_copies_of_training_sentences(tmp_path):
    train_row = next(csv.DictReader((ROOT / "data" / "train.csv").open(encoding="utf-8")))
    copy = tmp_path / "copy.csv"
    copy.write_text(f"text,label\n\"{train_row['text']}\",{train_row['label']}\n", encoding="utf-8")
    result = run("data", "check", str(copy), "--against", "data/train.csv", home=tmp_path, check=False)
    assert result.returncode == 2
    assert "row 2: TF-IDF similarity 1.00 (limit 0.8) with training row 2" in result.stdout


def test_train_rejects_bad_options_and_bad_data(tmp_path, tiny_base_model):
    result = run("train", "--epochs", "-1", home=tmp_path, check=False)
    assert result.returncode == 2 and "epochs" in result.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\n,assertion\n", encoding="utf-8")
    result = run("train", "--data", str(bad), "--base-model", str(tiny_base_model), home=tmp_path, check=False)
    assert result.returncode == 2 and "row 2, field 'text': empty" in result.stderr


def test_evaluate_writes_reports(cli_home, sample_data, tmp_path):
    _, test = sample_data
    result = run("evaluate", "--data", str(test), "--out", str(tmp_path / "out"), home=cli_home)
    assert "macro" in result.stdout and "confusion matrix" in result.stdout
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["n"] == 45 and metrics["model_version"].startswith("stance:")
    assert (tmp_path / "out" / "confusion_matrix.png").is_file()
    assert (tmp_path / "out" / "errors.csv").is_file()


def test_no_real_trains_and_judges_on_the_written_data_alone(tmp_path, tiny_base_model, sample_data):
    train, test = sample_data
    result = run("train", "--data", str(train), "--test-data", str(test), "--no-real", "--base-model",
                 str(tiny_base_model), "--epochs", "1", "--max-length", "48", "--quiet", home=tmp_path)
    assert f"training on {train} from" in result.stdout and "on each frozen test set" not in result.stdout
    registry = Registry(tmp_path)
    metadata = registry.info(registry.promoted()).metadata
    assert metadata["train_rows"] == 120 and "real_test_metrics" not in metadata


def test_train_learns_from_the_teachers_probabilities_and_records_them(tmp_path, tiny_base_model, sample_data):
    import csv as csv_module

    from stance.data import file_sha256

    train, test = sample_data
    probabilities = tmp_path / "teacher_probs.csv"
    with probabilities.open("w", encoding="utf-8", newline="") as stream:
        writer = csv_module.writer(stream)
        writer.writerow(["text", "kind", "p_assertion", "p_denial", "p_euphemism"])
        writer.writerows([f"Unlabelled sentence number {n}.", "transfer", 0.2, 0.5, 0.3] for n in range(20))
    result = run("train", "--data", str(train), "--test-data", str(test), "--no-real", "--base-model",
                 str(tiny_base_model), "--epochs", "1", "--max-length", "48", "--quiet", "--teacher-probs",
                 str(probabilities), "--transfer-size", "10", home=tmp_path)
    assert "learning from the teacher's probabilities too" in result.stdout and "+10 transfer" in result.stdout
    metadata = Registry(tmp_path).info(Registry(tmp_path).promoted()).metadata
    assert metadata["teacher_probs_sha256"] == file_sha256(probabilities)
    assert metadata["config"]["training"]["transfer_size"] == 10


def test_evaluate_reports_both_frozen_test_sets_side_by_side(cli_home, tmp_path):
    result = run("evaluate", "--out", str(tmp_path / "out"), home=cli_home)
    written = json.loads((tmp_path / "out" / "test" / "metrics.json").read_text())
    real = json.loads((tmp_path / "out" / "real_test" / "metrics.json").read_text())
    assert written["data"] == "data/test.csv" and real["data"] == "data/real_test.csv"
    assert written["n"] == 960 and real["n"] == sum(1 for _ in open(ROOT / "data" / "real_test.csv")) - 1
    (row,) = [line for line in result.stdout.splitlines() if line.strip().startswith("data/real_test.csv")]
    cells = [cell.strip() for cell in row.split("│")]
    assert cells[2] == f"{real['macro_f1']:.3f}" and cells[-1] == f"{real['baseline_macro_f1']:.3f}"


def test_evaluate_unknown_model_is_a_clear_error(cli_home):
    result = run("evaluate", "--model", "nope", home=cli_home, check=False)
    assert result.returncode == 1 and "no model version 'nope'" in result.stderr


def test_predict_text_and_file_in_every_format(cli_home, tmp_path):
    table = run("predict", "The minister denied the report. Prices rose.", home=cli_home)
    assert "The minister denied the report." in table.stdout
    article = ROOT / "seeds" / "seed_article.txt"
    text = article.read_text(encoding="utf-8")
    rows = [json.loads(line) for line in run("predict", "--file", str(article), "--format", "jsonl",
                                             home=cli_home).stdout.splitlines()]
    assert len(rows) >= 10 and all(text[r["start"]:r["end"]] == r["text"] for r in rows)
    run("predict", "--file", str(article), "--format", "csv", "--out", str(tmp_path / "out.csv"), home=cli_home)
    assert len(list(csv.DictReader((tmp_path / "out.csv").open(encoding="utf-8")))) == len(rows)
    document = json.loads(run("predict", "--file", "seeds/seed_sentences.csv", "--format", "json",
                              home=cli_home).stdout)
    assert [s["document"] for s in document["sentences"]] == [1, 2, 3, 4, 5, 6]
    run("predict", "Short text.", "--format", "table", "--out", str(tmp_path / "t.txt"), home=cli_home)
    assert "Short text." in (tmp_path / "t.txt").read_text()


def test_predict_bad_input_exits_2(cli_home, tmp_path):
    assert run("predict", home=cli_home, check=False).returncode == 2
    assert run("predict", "x", "--format", "xml", home=cli_home, check=False).returncode == 2
    missing = run("predict", "--file", str(tmp_path / "none.txt"), home=cli_home, check=False)
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_models_lists_the_promoted_version(cli_home):
    registry = Registry(cli_home)
    info = registry.info(registry.promoted())
    (row,) = [line for line in run("models", home=cli_home).stdout.splitlines() if "stance:" in line]
    cells = [cell.strip() for cell in row.split("│")]
    assert cells[0] == info.tag and cells[-1] == "yes"
    assert cells[2] == str(info.metadata["train_rows"]) == "150"
    assert cells[4] == f"{info.metadata['test_metrics']['macro_f1']:.3f}"
    assert cells[5].startswith(info.backend["chosen"]) and cells[6] == "stance train"


def test_promote_and_rollback(tmp_path, cli_home):
    import shutil

    home = tmp_path / "home"
    shutil.copytree(cli_home, home)
    (tag,) = [line.split()[0] for line in run("models", home=home).stdout.splitlines() if "stance:" in line]
    assert "is now promoted" in run("promote", tag, home=home).stdout
    assert "rolled back" in run("rollback", home=home).stdout
    unknown = run("promote", "nope", home=home, check=False)
    assert unknown.returncode == 1 and "no model version 'nope'" in unknown.stderr


def test_commands_without_a_model_say_how_to_get_one(tmp_path):
    result = run("predict", "Anything at all.", home=tmp_path, check=False)
    assert result.returncode == 1 and "stance train" in result.stderr


def test_retrain_refuses_bad_rows_with_exit_2_and_changes_nothing(tmp_path, cli_home, sample_data):
    home = Path(shutil.copytree(cli_home, tmp_path / "home"))
    train = Path(shutil.copy(sample_data[0], tmp_path / "train.csv"))
    test = sample_data[1]
    original = train.read_bytes()
    existing = next(csv.DictReader(train.open(encoding="utf-8")))
    other = next(label for label in ("assertion", "denial", "euphemism") if label != existing["label"])
    bad = tmp_path / "new.csv"
    with bad.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerows([("text", "label"), (existing["text"], other), ("A new sentence.", "denail")])
    paths = ("--train-data", str(train), "--test-data", str(test))
    result = run("retrain", "--data", str(bad), *paths, home=home, check=False)
    assert result.returncode == 2
    assert f"row 2, field 'label': labelled '{other}' here but '{existing['label']}'" in result.stderr
    assert "row 3, field 'label': unknown label 'denail'; did you mean 'denial'?" in result.stderr
    assert train.read_bytes() == original
    result = run("retrain", "--data", str(bad), *paths, "--holdout", "1.5", home=home, check=False)
    assert result.returncode == 2 and "retrain.holdout_fraction: Input should be less than 1" in result.stderr
    result = run("retrain", "--data", str(train), *paths, home=home)
    assert "nothing new" in result.stdout


def test_an_unknown_backend_is_a_clear_error(cli_home):
    result = run("predict", "Shares fell.", "--backend", "gpu", home=cli_home, check=False)
    assert result.returncode == 2 and "unknown backend 'gpu'" in result.stderr and "onnx-int8" in result.stderr


def test_promoting_a_version_without_exports_exports_and_checks_it_first(tmp_path, cli_home):
    home = Path(shutil.copytree(cli_home, tmp_path / "home"))
    (version,) = [p for p in (home / "models" / "stance").iterdir() if p.is_dir()]
    (version / "backend.json").unlink()
    shutil.rmtree(version / "onnx")
    result = run("promote", version.name, home=home)
    assert "predates backend checks" in result.stdout and "serving it on" in result.stdout
    assert "backend torch-fp32: agrees 100.0% with fp32" in result.stdout
    assert (version / "backend.json").is_file() and (version / "onnx" / "model-int8.onnx").is_file()
    assert "agrees" in run("models", home=home).stdout


def test_help_shows_the_defaults_written_in_brackets(cli_home):
    help_text = run("predict", "--help", home=cli_home).stdout
    assert "[default: the promoted one]" in help_text and "[default: the version's chosen one]" in help_text
    retrain_help = " ".join(run("retrain", "--help", home=cli_home).stdout.split())
    assert "Training file to merge into [default: data/train.csv]" in retrain_help
    assert "measure the new data itself [default: 0.0]" in retrain_help
    serve_help = " ".join(run("serve", "--help", home=cli_home).stdout.split())
    assert "Address to bind [default: 127.0.0.1]" in serve_help and "Port [default: 3000]" in serve_help
