"""The manifest that travels with every saved model: its labels and training configuration."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

MANIFEST = "stance.json"
# Written into a version's folder when its backends are checked; names the one to serve.
BACKEND_FILE = "backend.json"


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


def atomic_write_text(path: Path, text: str) -> None:
    """Write to a temporary file beside `path`, then rename: readers never see half a file."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
