"""The one inference path: load a model version, return labels and probabilities.

Evaluation, `stance predict` and the HTTP service all call `StanceClassifier.predict`,
so what is evaluated is exactly what is served.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from training.artifacts import MANIFEST, read_manifest


@dataclass(frozen=True)
class Prediction:
    """The predicted label of one sentence and the probability of every label."""

    label: str
    scores: dict[str, float]


class StanceClassifier:
    """A fine-tuned sequence classifier with its labels and tokenizer."""

    def __init__(self, model, tokenizer, labels: tuple[str, ...], version: str, *,
                 max_length: int = 128, batch_size: int = 32):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.labels = labels
        self.version = version
        self.max_length = max_length
        self.batch_size = batch_size

    @classmethod
    def from_dir(cls, path: Path | str, version: str | None = None, *, batch_size: int = 32) -> "StanceClassifier":
        """Load a model directory written by training (or a registry version's files)."""
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        path = Path(path)
        manifest = read_manifest(path)
        model = AutoModelForSequenceClassification.from_pretrained(path)
        tokenizer = AutoTokenizer.from_pretrained(path)
        labels = tuple(manifest["labels"])
        if [model.config.id2label[i] for i in range(len(labels))] != list(labels):
            raise ValueError(f"{path}: the weights' labels do not match {MANIFEST}")
        return cls(model, tokenizer, labels, version or manifest.get("version", path.name),
                   max_length=manifest["config"]["max_length"], batch_size=batch_size)

    @classmethod
    def load(cls, version: str | None = None, *, batch_size: int = 32) -> "StanceClassifier":
        """Load a registry version; None means the promoted one."""
        from training.registry import Registry

        registry = Registry()
        tag = registry.resolve(version)
        return cls.from_dir(registry.path_of(tag), version=tag, batch_size=batch_size)

    def predict_proba(self, texts: Sequence[str],
                      on_batch: Callable[[int], None] | None = None) -> np.ndarray:
        """Probabilities, one row per text in input order, one column per label.

        Texts are batched by length so that each batch is padded only to its longest member.
        """
        import torch

        order = sorted(range(len(texts)), key=lambda index: len(texts[index]))
        probabilities = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        with torch.inference_mode():
            for first in range(0, len(order), self.batch_size):
                batch = order[first:first + self.batch_size]
                encoded = self.tokenizer([texts[i] for i in batch], padding=True, truncation=True,
                                         max_length=self.max_length, return_tensors="pt")
                logits = self.model(**encoded).logits
                probabilities[batch] = torch.softmax(logits.float(), dim=-1).numpy()
                if on_batch is not None:
                    on_batch(len(batch))
        return probabilities

    def predict(self, texts: Sequence[str],
                on_batch: Callable[[int], None] | None = None) -> list[Prediction]:
        """The label and per-label probabilities of each text, in input order."""
        probabilities = self.predict_proba(texts, on_batch=on_batch)
        return [
            Prediction(label=self.labels[int(row.argmax())],
                       scores={label: round(float(p), 6) for label, p in zip(self.labels, row)})
            for row in probabilities
        ]

