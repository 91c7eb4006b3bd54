"""What the `stance` command draws in the terminal (cli.terminal), from objects built here."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from rich.console import Console

from cli.terminal import (show_data_check, show_evaluation, show_near_duplicates, show_predictions, show_retrain,
                          show_test_sets, show_versions)
from stance.config import GateSettings
from stance.data import DataCheck, Example, NearDuplicate, Problem
from stance.labels import LABELS
from stance.predict import SentencePrediction
from stance.registry import VersionInfo
from training.evaluate import Evaluation
from training.gate import judge
from training.merge import MergePlan
from training.metrics import metrics_of
from training.retrain import RetrainResult
from training.train import TrainingResult

GOLD = ["assertion", "denial", "euphemism", "assertion", "denial", "euphemism"]
MODEL = ["assertion", "denial", "euphemism", "assertion", "denial", "assertion"]
BASELINE = ["assertion", "assertion", "euphemism", "denial", "denial", "assertion"]
CHECK = {"chosen": "onnx-int8", "forced": False, "backends": {
    "onnx-int8": {"supported": True, "agreement": 0.9927, "sentences_per_s": 197.4, "macro_f1": 0.937}}}


def drawn(show, *args) -> str:
    console = Console(record=True, width=200, file=io.StringIO())
    show(*args, console)
    return console.export_text()


def evaluation(version="stance:abc", predicted=MODEL) -> Evaluation:
    errors = [{"row": 7, "text": "Costs were rightsized.", "label": "euphemism", "predicted": "assertion"}]
    return Evaluation(model_version=version, data_path="data/test.csv", labels=LABELS, n=len(GOLD),
                      model=metrics_of(GOLD, predicted, LABELS), baseline=metrics_of(GOLD, BASELINE, LABELS),
                      errors=errors, predicted=predicted)


def test_an_evaluation_shows_classes_baseline_confusion_and_the_summary_line():
    text = drawn(show_evaluation, evaluation())
    assert "model stance:abc on data/test.csv (6 sentences)" in text
    assert [line.split()[:5] for line in text.splitlines() if line.strip().startswith("euphemism │")][0] == \
        ["euphemism", "│", "1.000", "│", "0.500"]
    assert "confusion matrix (rows: true, columns:" in text
    assert [line.split() for line in text.splitlines() if line.strip().startswith("euphemism │")][1] == \
        ["euphemism", "│", "1", "│", "0", "│", "1"]
    assert "macro-F1 0.822 vs TF-IDF baseline 0.522 (+0.300); 1 errors" in text


def test_the_test_sets_are_shown_side_by_side_with_the_baseline():
    real = replace(evaluation(predicted=BASELINE), data_path="data/real_test.csv")
    text = drawn(show_test_sets, {"test": evaluation(), "real_test": real})
    rows = [[cell.strip() for cell in line.split("│")] for line in text.splitlines() if "data/" in line]
    assert rows == [["data/test.csv", "6", "0.822", "0.800", "1.000", "0.667", "0.522"],
                    ["data/real_test.csv", "6", "0.522", "0.400", "0.500", "0.667", "0.522"]]


def test_predictions_show_offsets_labels_and_each_probability():
    row = SentencePrediction(document=2, start=10, end=41, text="The ministry denied the report.", label="denial",
                             scores={"assertion": 0.03, "denial": 0.921, "euphemism": 0.049})
    text = drawn(show_predictions, [row], LABELS, "stance:abc")
    (line,) = [line for line in text.splitlines() if "ministry" in line]
    assert [cell.strip() for cell in line.strip("│ ").split("│")] == [
        "2", "10-41", "The ministry denied the report.", "denial", "0.03", "0.92", "0.05"]
    assert "model stance:abc" in text


def test_versions_show_data_quality_backend_origin_and_the_promoted_one():
    trained = VersionInfo(tag="stance:one", created=datetime(2026, 11, 25, 12, 41), promoted=False, backend=CHECK,
                          metadata={"train_rows": 4560, "train_sha256": "488a1c7e5e67ffff",
                                    "test_metrics": {"macro_f1": 0.9401}})
    retrained = VersionInfo(tag="stance:two", created=datetime(2026, 11, 26, 9, 5), promoted=True, backend=None,
                            metadata={"train_rows": 4860, "retrain": {"added": 300, "source": "new.csv"}})
    forced = replace(trained, tag="stance:three", backend={"chosen": "torch-bf16", "forced": True, "backends": {
        "torch-bf16": {"supported": False}}})
    shipped = replace(trained, tag="stance:four", metadata={**trained.metadata, "shipped_from": "stance:one"},
                      backend={**CHECK, "forced": True, "shipped": True})
    rows = {line.split()[0]: [cell.strip() for cell in line.split("│")]
            for line in drawn(show_versions, [trained, retrained, forced, shipped]).splitlines() if "stance:" in line}
    assert rows["stance:one"] == ["stance:one", "2026-11-25 12:41", "4560", "488a1c7e5e67", "0.940",
                                  "onnx-int8 (agrees 99.3%, 197/s)", "stance train", ""]
    assert rows["stance:two"][4:] == ["nan", "torch-fp32 (not checked)", "retrain +300 (new.csv)", "yes"]
    assert rows["stance:three"][5] == "torch-bf16 (forced; not measured on this CPU)"
    assert rows["stance:four"][5:7] == ["onnx-int8 (shipped: the only export; agreed 99.3% with fp32 where it was "
                                        "checked)", "shipped (stance:one)"]


def test_a_data_check_shows_counts_then_every_problem_then_the_verdict():
    check = DataCheck(path=Path("new.csv"), examples=[Example("Shares fell.", "assertion", "finance", 2)],
                      problems=[Problem(3, "label", "unknown label 'denail'; did you mean 'denial'?")])
    text = drawn(show_data_check, check)
    assert "new.csv: 1 valid rows" in text and "assertion │    1 │ 100.0%" in text
    assert "error row 3, field 'label': unknown label 'denail'; did you mean 'denial'?" in text
    assert text.rstrip().endswith("new.csv: 1 error(s)")


def test_near_duplicates_name_both_rows_and_the_limit():
    pair = NearDuplicate(test_row=4, train_row=9, similarity=0.91, test_text="A.", train_text="Prices rose.")
    assert "error row 4: TF-IDF similarity 0.91 (limit 0.8) with training row 9: 'Prices rose.'" in \
        drawn(show_near_duplicates, [pair], 0.8)
    assert "no sentence reaches TF-IDF similarity 0.8" in drawn(show_near_duplicates, [], 0.8)


def retrain_result(challenger: str | None, forced: bool = False) -> RetrainResult:
    plan = MergePlan(source=Path("new.csv"), source_sha256="0" * 64, new_rows=2,
                     added=[Example("Units were repositioned.", "euphemism", row=2)],
                     skipped=[Example("Shares fell.", "assertion", row=3)])
    champion, challenger_test = evaluation("stance:old"), evaluation("stance:new", BASELINE)
    sets = ("test", "real_test")
    verdict = judge({name: GOLD for name in sets}, {name: champion.predicted for name in sets},
                    {name: challenger_test.predicted for name in sets}, LABELS, GateSettings(), seed=0)
    return RetrainResult(
        plan=plan, champion="stance:old", challenger=challenger,
        champion_tests={"test": champion, "real_test": replace(champion, data_path="data/real_test.csv")},
        training=TrainingResult(Path("model"), train_rows=90, validation_rows=10, epochs_run=2.0, seconds=12.4,
                                validation_macro_f1=0.8),
        challenger_tests={"test": challenger_test, "real_test": challenger_test}, verdict=verdict, forced=forced,
        seconds=30.2,
        disagreements=[{"row": 2, "text": "Units were repositioned.", "label": "euphemism", "champion": "euphemism",
                        "challenger": "assertion"}])


def test_a_refused_retrain_shows_both_models_the_gate_and_the_rows_to_check():
    text = drawn(show_retrain, retrain_result(None))
    assert "new.csv: 2 rows, 1 added to training, 0 held out, 1 identical rows skipped, 0 relabelled" in text
    assert "challenger trained on 100 sentences in 12 s (2 epochs)" in text
    assert [line.split() for line in text.splitlines() if line.split()[:2] == ["macro-F1", "│"]][0] == \
        ["macro-F1", "│", "0.822", "│", "0.522", "│", "-0.300", "│", "0.822", "│", "0.522", "│", "-0.300"]
    assert "test: macro-F1 difference -0.300" in text and "real test: macro-F1 difference -0.300" in text
    assert "gate test: F1 of 'denial' falls by" in text and "gate real_test: F1 of 'denial' falls by" in text
    assert "refused: stance:old stays promoted; the training data is unchanged" in text
    assert "new rows the champion and the challenger label differently (1; check" in text
    assert "Units were repositioned." in text and "retrain took 30 s" in text


def test_a_forced_retrain_says_so():
    text = drawn(show_retrain, retrain_result("stance:new", forced=True))
    assert "forced past the gate: stance:new is promoted and the merged data replaced the training file" in text
    assert "check these labels first" not in text
