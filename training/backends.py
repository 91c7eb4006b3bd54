"""Choosing the backend a version is served with, when the version is created.

Every backend labels the frozen test set. One is eligible when its labels agree with the
fp32 reference on at least `backend_min_agreement` of the sentences and its macro-F1 is at
most `backend_max_macro_f1_loss` below the reference's. The fastest eligible one is chosen.
The result is written into the version's folder (backend.json) and its metadata, so
`stance models` and `/model` can show it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from stance.artifacts import BACKEND_FILE, read_backend_check
from stance.config import BACKENDS, StanceConfig
from stance.data import Example, load_examples
from stance.files import atomic_write_text
from stance.inference import REFERENCE_BACKEND, StanceClassifier
from training.export import export_onnx
from training.hardware import bf16_supported
from training.metrics import metrics_of


def check_backends(model_dir: Path, examples: list[Example], config: StanceConfig,
                   on_backend: Callable[[str, dict], None] | None = None) -> dict:
    """Export the ONNX files, score every backend on `examples`, choose, and write backend.json.

    `on_backend` is called with each backend's result as it comes (the check takes a while).
    """
    export_onnx(model_dir)
    texts = [example.text for example in examples]
    gold = [example.label for example in examples]
    results, reference = {}, None
    for backend in (REFERENCE_BACKEND, *(b for b in BACKENDS if b != REFERENCE_BACKEND)):
        if backend == "torch-bf16" and not bf16_supported():
            results[backend] = {"supported": False, "note": "this CPU has no native bf16 (AMX or AVX512-BF16)"}
        else:
            results[backend], predicted = _measure(model_dir, backend, texts, gold, reference, config)
            reference = reference or predicted
        if on_backend is not None:
            on_backend(backend, results[backend])
    fastest = _fastest_eligible(results, config)
    forced = config.inference.backend != "auto"
    record = {"chosen": config.inference.backend if forced else fastest, "forced": forced,
              "reference": REFERENCE_BACKEND, "data_rows": len(texts), "backends": results}
    atomic_write_text(Path(model_dir) / BACKEND_FILE, json.dumps(record, indent=2))
    return record


def _measure(model_dir: Path, backend: str, texts: list[str], gold: list[str], reference: list[str] | None,
             config: StanceConfig) -> tuple[dict, list[str]]:
    """One backend's speed, agreement with `reference` (itself when None) and macro-F1, and its labels."""
    batch_size = config.inference.batch_size
    classifier = StanceClassifier.from_dir(model_dir, backend=backend, batch_size=batch_size)
    classifier.predict(texts[:batch_size])  # warm-up: first-call costs are not speed
    started = time.perf_counter()
    predicted = [p.label for p in classifier.predict(texts)]
    seconds = time.perf_counter() - started
    agreement = sum(a == b for a, b in zip(predicted, reference or predicted)) / len(texts)
    return {"supported": True, "sentences_per_s": round(len(texts) / seconds, 1), "agreement": round(agreement, 4),
            "macro_f1": metrics_of(gold, predicted, config.labels).macro_f1}, predicted


def _fastest_eligible(results: dict[str, dict], config: StanceConfig) -> str:
    """Mark each backend eligible or not against the reference; the fastest eligible one."""
    best = results[REFERENCE_BACKEND]["macro_f1"]
    for result in results.values():
        result["eligible"] = result["supported"] and (
            result["agreement"] >= config.inference.backend_min_agreement
            and best - result["macro_f1"] <= config.inference.backend_max_macro_f1_loss)
    eligible = [name for name, result in results.items() if result["eligible"]]
    return max(eligible, key=lambda name: results[name]["sentences_per_s"])


def describe_backend_result(backend: str, result: dict) -> str:
    """One line for a backend's check result, for the terminal."""
    if not result["supported"]:
        return f"backend {backend}: skipped, {result['note']}"
    return (f"backend {backend}: agrees {result['agreement']:.1%} with fp32, macro-F1 {result['macro_f1']:.3f}, "
            f"{result['sentences_per_s']:.0f} sentences/s")


def ensure_backend_check(model_dir: Path, config: StanceConfig,
                         on_backend: Callable[[str, dict], None] | None = None) -> dict:
    """The version's backend check, running it (exports included) for a version that predates it.

    Called before a version is promoted or served, so every served version has its exports.
    """
    return read_backend_check(model_dir) or check_backends(
        model_dir, load_examples(config.data.test_path, max_chars=config.data.max_text_chars), config, on_backend)
