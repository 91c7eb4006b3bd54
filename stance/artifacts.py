"""The files of a saved model version beside its weights: the manifest (labels and configuration),
the backend check, and the ONNX exports.
"""

from __future__ import annotations

import json
from pathlib import Path

from stance.files import atomic_write_text

MANIFEST = "stance.json"
# Written into a version's folder when its backends are checked; names the one to serve.
BACKEND_FILE = "backend.json"
# The ONNX exports (training.export writes them, stance.inference runs them).
ONNX_DIR = "onnx"
FP32_FILE = "model.onnx"
INT8_FILE = "model-int8.onnx"


def write_manifest(model_dir: Path, *, labels: tuple[str, ...], config: dict) -> None:
    atomic_write_text(Path(model_dir) / MANIFEST,
                      json.dumps({"labels": list(labels), "config": config}, indent=2))


def read_manifest(model_dir: Path) -> dict:
    path = Path(model_dir) / MANIFEST
    if not path.is_file():
        raise FileNotFoundError(f"{model_dir} is not a stance model: {MANIFEST} is missing")
    return json.loads(path.read_text(encoding="utf-8"))


def read_backend_check(model_dir: Path) -> dict | None:
    """The version's backend check (training.backends), or None if it was never checked."""
    path = Path(model_dir) / BACKEND_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def onnx_path(model_dir: Path, int8: bool) -> Path:
    """Where a version's fp32 or int8 ONNX export lives."""
    return Path(model_dir) / ONNX_DIR / (INT8_FILE if int8 else FP32_FILE)
