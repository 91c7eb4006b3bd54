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
from pathlib import Path

from training.artifacts import BACKEND_FILE, atomic_write_text, read_backend_check
from training.config import StanceConfig
from training.data import Example
from training.hardware import bf16_supported
from training.inference import BACKENDS, REFERENCE_BACKEND, StanceClassifier


def check_backends(model_dir: Path, examples: list[Example], config: StanceConfig) -> dict:
    """Export the ONNX files, score every backend on `examples`, choose, and write backend.json."""
    from training.evaluate import score
    from training.export import export_onnx

    export_onnx(model_dir)
    texts = [example.text for example in examples]
    gold = [example.label for example in examples]
    results, reference = {}, None
    for backend in (REFERENCE_BACKEND, *(b for b in BACKENDS if b != REFERENCE_BACKEND)):
        if backend == "torch-bf16" and not bf16_supported():
            results[backend] = {"supported": False, "eligible": False,
                                "note": "this CPU has no native bf16 (AMX or AVX512-BF16)"}
            continue
        classifier = StanceClassifier.from_dir(model_dir, backend=backend, batch_size=config.inference_batch_size)
        classifier.predict(texts[:config.inference_batch_size])  # warm-up: first-call costs are not speed
        started = time.perf_counter()
        predicted = [p.label for p in classifier.predict(texts)]
        seconds = time.perf_counter() - started
        reference = reference or predicted
        scores = score(gold, predicted, config.labels)
        results[backend] = {
            "supported": True,
            "sentences_per_s": round(len(texts) / seconds, 1),
            "agreement": round(sum(a == b for a, b in zip(predicted, reference)) / len(texts), 4),
            "macro_f1": scores.macro_f1,
        }
    best = results[REFERENCE_BACKEND]["macro_f1"]
    for result in results.values():
        if result["supported"]:
            result["eligible"] = (result["agreement"] >= config.backend_min_agreement
                                  and best - result["macro_f1"] <= config.backend_max_macro_f1_loss)
    eligible = [name for name, result in results.items() if result["eligible"]]
    chosen = max(eligible, key=lambda name: results[name]["sentences_per_s"])
    if config.backend != "auto":
        chosen = config.backend
    record = {"chosen": chosen, "reference": REFERENCE_BACKEND, "data_rows": len(texts), "backends": results}
    atomic_write_text(Path(model_dir) / BACKEND_FILE, json.dumps(record, indent=2))
    return record


def ensure_backend_check(model_dir: Path, config: StanceConfig) -> dict:
    """The version's backend check, running it (exports included) for a version that predates it.

    Called before a version is promoted or served, so every served version has its exports.
    """
    from training.data import load_examples

    return read_backend_check(model_dir) or check_backends(
        model_dir, load_examples(config.test_path, max_chars=config.max_text_chars), config)
