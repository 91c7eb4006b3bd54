"""Labelling whole texts: split into sentences, classify each, keep exact offsets."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from stance.data import DataError, load_examples
from stance.files import csv_text
from stance.inference import StanceClassifier
from stance.segment import split_sentences

FORMATS = ("table", "json", "jsonl", "csv")


@dataclass(frozen=True)
class SentencePrediction:
    """One sentence of one document, where it lies, and how it was labelled."""

    document: int
    start: int
    end: int
    text: str
    label: str
    scores: dict[str, float]  # the probability of each label


def read_documents(path: Path, *, max_chars: int) -> list[str]:
    """A .txt file is one document; a .csv or .jsonl file gives one document per `text` row.

    `max_chars` bounds a document (`DataSettings.max_file_chars`): the whole .txt file, or one row.
    """
    path = Path(path)
    if path.suffix.lower() == ".txt":
        return [_read_text_file(path, max_chars)]
    examples = load_examples(path, require_label=False, max_chars=max_chars)
    return [example.text for example in examples]


def _read_text_file(path: Path, max_chars: int) -> str:
    if not path.is_file():
        raise DataError.about_file(path, "text", "no such file")
    try:
        text = path.read_bytes().decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        raise DataError.about_file(path, "text", f"bytes that are not UTF-8 at byte {error.start}") from None
    if not text.strip():
        raise DataError.about_file(path, "text", "the file is empty")
    if len(text) > max_chars:
        raise DataError.about_file(path, "text", f"{len(text)} characters, over the limit of {max_chars}")
    return text


def predict_documents(classifier: StanceClassifier, documents: list[str], *,
                      on_start: Callable[[int], None] | None = None,
                      on_batch: Callable[[int], None] | None = None) -> list[SentencePrediction]:
    """Every sentence of every document, labelled, in document and reading order.

    `on_start` receives the number of sentences once the documents are split, `on_batch`
    the size of each classified batch (for progress bars).
    """
    located = [(number, span) for number, document in enumerate(documents, start=1)
               for span in split_sentences(document)]
    if on_start is not None:
        on_start(len(located))
    predictions = classifier.predict([span.text for _, span in located], on_batch=on_batch)
    return [
        SentencePrediction(document=number, start=span.start, end=span.end, text=span.text,
                           label=prediction.label, scores=prediction.scores)
        for (number, span), prediction in zip(located, predictions)
    ]


def render_machine_readable(rows: list[SentencePrediction], fmt: str, labels: tuple[str, ...],
                            model_version: str) -> str:
    """Predictions as json, jsonl or csv text."""
    if fmt == "json":
        return json.dumps({"model_version": model_version, "sentences": [asdict(r) for r in rows]},
                          indent=2, ensure_ascii=False) + "\n"
    if fmt == "jsonl":
        return "".join(json.dumps(asdict(r), ensure_ascii=False) + "\n" for r in rows)
    if fmt == "csv":
        columns = ["document", "start", "end", "text", "label", *(f"p_{label}" for label in labels)]
        return csv_text(({**asdict(r), **{f"p_{label}": r.scores[label] for label in labels}} for r in rows),
                        columns)
    raise ValueError(f"unknown format '{fmt}'; expected one of {', '.join(FORMATS)}")
