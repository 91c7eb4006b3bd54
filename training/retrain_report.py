"""The files `stance retrain` leaves: retrain.json, per_class_f1.png, disagreements.csv, holdout.csv."""

from __future__ import annotations

import json
from pathlib import Path

from stance.files import atomic_write_bytes, csv_text
from training.figures import png_bytes
from training.metrics import Metrics
from training.retrain import RetrainResult

DISAGREEMENT_COLUMNS = ("row", "text", "label", "champion", "challenger", "champion_p_label", "challenger_p_label")


def retrain_document(result: RetrainResult) -> dict:
    """The retrain.json document: data changes, both models' metrics on each test set ("test",
    "real_test"), the gate's decision on each."""
    return {
        "champion": result.champion,
        "challenger": result.challenger,
        "promoted": result.promoted,
        "forced": result.forced,
        "seconds": round(result.seconds, 1),
        "data": result.plan.summary(),
        "training": {"rows": result.training.rows,
                     "seconds": round(result.training.seconds, 1), "epochs_run": result.training.epochs_run,
                     "validation_macro_f1": round(result.training.validation_macro_f1, 4)},
        **{name: {"data": evaluation.data_path, "n": evaluation.n, "champion": _summary(evaluation.model),
                  "challenger": _summary(result.challenger_tests[name].model)}
           for name, evaluation in result.champion_tests.items()},
        "holdout": {name: _summary(metrics) for name, metrics in result.holdout.items()},
        "gate": result.verdict.to_dict(),
        "disagreements": len(result.disagreements),
    }


def _summary(metrics: Metrics) -> dict:
    return {"macro_f1": metrics.macro_f1, "accuracy": metrics.accuracy, "per_class": metrics.per_class}


def write_retrain_reports(result: RetrainResult, out_dir: Path) -> list[Path]:
    out_dir = Path(out_dir)
    written = {
        "retrain.json": json.dumps(retrain_document(result), indent=2).encode("utf-8"),
        "per_class_f1.png": _per_class_png(result),
        "disagreements.csv": csv_text(result.disagreements, DISAGREEMENT_COLUMNS).encode("utf-8"),
    }
    if result.plan.holdout:
        holdout = [{"row": e.row, "text": e.text, "label": e.label, "domain": e.domain} for e in result.plan.holdout]
        written["holdout.csv"] = csv_text(holdout, ("row", "text", "label", "domain")).encode("utf-8")
    for name, data in written.items():
        atomic_write_bytes(out_dir / name, data)
    return [out_dir / name for name in written]


def _per_class_png(result: RetrainResult) -> bytes:
    """Per-class and macro F1 of both models, on the test set and (if any) the holdout."""
    import matplotlib.pyplot as plt
    import numpy as np

    titles = {"test": "frozen test set (written)", "real_test": "frozen test set (real text)"}
    panels = [(titles.get(name, name), evaluation.model, result.challenger_tests[name].model)
              for name, evaluation in result.champion_tests.items()]
    if result.holdout:
        panels.append(("holdout of the new rows", result.holdout["champion"], result.holdout["challenger"]))
    labels = list(result.champion_tests["test"].labels)
    figure, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 4.2), squeeze=False)
    for axis, (title, champion, challenger) in zip(axes[0], panels):
        names = [*labels, "macro"]
        before = [champion.per_class[label]["f1"] for label in labels] + [champion.macro_f1]
        after = [challenger.per_class[label]["f1"] for label in labels] + [challenger.macro_f1]
        x = np.arange(len(names))
        axis.bar(x - 0.2, before, 0.4, label=f"champion {result.champion.split(':')[-1][:8]}", color="#9aa5b1")
        axis.bar(x + 0.2, after, 0.4, label="challenger", color="#2b7bba")
        for position, value in [*zip(x - 0.2, before), *zip(x + 0.2, after)]:
            axis.text(position, value + 0.01, f"{value:.3f}", ha="center", fontsize=8)
        axis.set_xticks(x, names)
        axis.set_ylim(0, 1.2)
        axis.set_ylabel("F1")
        axis.set_title(title)
        axis.legend(loc="upper center", ncol=2, fontsize=8, frameon=False)
    verdict = "promoted" if result.promoted else "refused"
    figure.suptitle(f"retrain with {result.plan.source.name}: challenger {verdict}"
                    + (" (forced)" if result.forced else ""))
    return png_bytes(figure)
