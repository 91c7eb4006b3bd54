"""Scoring a model version on labelled data, next to a TF-IDF baseline.

The model is scored through `StanceClassifier.predict`, the same call the CLI and the
service make.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from stance.data import Example
from stance.files import atomic_write_bytes, atomic_write_text, csv_text
from stance.inference import StanceClassifier
from training.figures import png_bytes
from training.metrics import Metrics, metrics_of


@dataclass(frozen=True)
class Evaluation:
    """A model's metrics, the baseline's metrics on the same data, and the model's errors."""

    model_version: str
    data_path: str
    labels: tuple[str, ...]
    n: int
    model: Metrics
    baseline: Metrics
    errors: list[dict] = field(default_factory=list)
    # The model's label for each sentence, in input order (the promotion gate pairs these).
    predicted: list[str] = field(default_factory=list)

    def to_metrics(self) -> dict:
        """The metrics.json document."""
        return {
            "model_version": self.model_version,
            "data": self.data_path,
            "n": self.n,
            "labels": list(self.labels),
            "macro_f1": self.model.macro_f1,
            "accuracy": self.model.accuracy,
            "per_class": self.model.per_class,
            "confusion_matrix": self.model.confusion_matrix,
            "baseline_macro_f1": self.baseline.macro_f1,
            "baseline": {
                "name": "tfidf-logistic-regression",
                "macro_f1": self.baseline.macro_f1,
                "accuracy": self.baseline.accuracy,
                "per_class": self.baseline.per_class,
                "confusion_matrix": self.baseline.confusion_matrix,
            },
        }


def fit_baseline(train: list[Example], seed: int):
    """A TF-IDF (word 1-2 grams) + logistic regression baseline trained on `train` (scikit-learn).

    Fitted once per training set (several seconds on the full data) and scored on every test set.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    pipeline = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1),
        LogisticRegression(max_iter=2000, C=4.0, random_state=seed),
    )
    return pipeline.fit([e.text for e in train], [e.label for e in train])


def evaluate(classifier: StanceClassifier, examples: list[Example], baseline, *, data_path: str = "",
             on_batch: Callable[[int], None] | None = None) -> Evaluation:
    """Score `classifier` and a fitted baseline (`fit_baseline`) on `examples`; keep the model's errors."""
    texts = [example.text for example in examples]
    gold = [example.label for example in examples]
    predictions = classifier.predict(texts, on_batch=on_batch)
    predicted = [prediction.label for prediction in predictions]
    errors = [
        {"row": example.row, "text": example.text, "label": example.label, "predicted": p.label,
         **{f"p_{label}": p.scores[label] for label in classifier.labels}}
        for example, p in zip(examples, predictions) if p.label != example.label
    ]
    return Evaluation(
        model_version=classifier.version,
        data_path=data_path,
        labels=classifier.labels,
        n=len(examples),
        model=metrics_of(gold, predicted, classifier.labels),
        baseline=metrics_of(gold, [str(label) for label in baseline.predict(texts)], classifier.labels),
        errors=errors,
        predicted=predicted,
    )


def write_reports(evaluation: Evaluation, out_dir: Path) -> list[Path]:
    """Write metrics.json, errors.csv and confusion_matrix.png into `out_dir`."""
    out_dir = Path(out_dir)
    metrics_path = out_dir / "metrics.json"
    errors_path = out_dir / "errors.csv"
    png_path = out_dir / "confusion_matrix.png"
    atomic_write_text(metrics_path, json.dumps(evaluation.to_metrics(), indent=2))
    atomic_write_text(errors_path, _errors_csv(evaluation))
    atomic_write_bytes(png_path, _confusion_png(evaluation))
    return [metrics_path, errors_path, png_path]


def _errors_csv(evaluation: Evaluation) -> str:
    columns = ["row", "text", "label", "predicted", *(f"p_{label}" for label in evaluation.labels)]
    most_confident_first = sorted(evaluation.errors, key=lambda e: -e[f"p_{e['predicted']}"])
    return csv_text(most_confident_first, columns)


def _confusion_png(evaluation: Evaluation) -> bytes:
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(11, 4.6))
    systems = [(f"model {evaluation.model_version}", evaluation.model),
               ("TF-IDF baseline", evaluation.baseline)]
    for axis, (title, metrics) in zip(axes, systems):
        matrix = metrics.confusion_matrix
        axis.imshow(matrix, cmap="Blues")
        for i, row in enumerate(matrix):
            for j, count in enumerate(row):
                colour = "white" if count > max(map(max, matrix)) / 2 else "black"
                axis.text(j, i, str(count), ha="center", va="center", color=colour)
        axis.set_xticks(range(len(evaluation.labels)), evaluation.labels)
        axis.set_yticks(range(len(evaluation.labels)), evaluation.labels)
        axis.set_xlabel("predicted")
        axis.set_ylabel("true")
        axis.set_title(f"{title}\nmacro-F1 {metrics.macro_f1:.3f}", fontsize=10)
    figure.suptitle(f"{Path(evaluation.data_path).name or 'data'}: {evaluation.n} sentences")
    return png_bytes(figure)
