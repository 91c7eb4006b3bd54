"""The one inference path: load a model version, return labels and probabilities.

Evaluation, `stance predict` and the HTTP service all call `StanceClassifier.predict`,
so what is evaluated is exactly what is served. The forward pass runs on one of several
backends; the ONNX ones need only `tokenizers`, `onnxruntime` and numpy, so a process that
serves them never imports torch or transformers.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stance.artifacts import MANIFEST, onnx_path, read_backend_check, read_manifest
from stance.config import BACKENDS, InferenceSettings, StanceConfig

# The reference every other backend is checked against.
REFERENCE_BACKEND = "torch-fp32"


class BackendError(ValueError):
    """A backend that does not exist, or that this version has no export for."""


@dataclass(frozen=True)
class Prediction:
    """The predicted label of one sentence and the probability of every label."""

    label: str
    scores: dict[str, float]  # the probability of each label (the API's and the files' "scores")


class Encoder:
    """The model's own fast tokenizer (tokenizer.json), padding each batch to its longest member."""

    def __init__(self, model_dir: Path, max_length: int):
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length)
        self.tokenizer.enable_padding()

    def __call__(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        encodings = self.tokenizer.encode_batch(list(texts))
        return {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }


class TorchRunner:
    """PyTorch eager, in fp32 or under bf16 autocast."""

    def __init__(self, model_dir: Path, bf16: bool = False):
        from transformers import AutoModelForSequenceClassification

        self.model = AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
        self.bf16 = bf16
        # The inputs this architecture takes (MPNet, the teacher's, has no token_type_ids).
        self.accepted = frozenset(inspect.signature(self.model.forward).parameters)

    def __call__(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        import torch

        tensors = {name: torch.from_numpy(array) for name, array in inputs.items() if name in self.accepted}
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            return self.model(**tensors).logits.float().numpy()


class OnnxRunner:
    """ONNX Runtime on the CPU, from a file exported when the version was created (training.export)."""

    def __init__(self, path: Path, threads: int | None = None):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        # Idle intra-op threads must not spin: the HTTP workers and the callers share these cores.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        if threads:
            options.intra_op_num_threads = threads
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def __call__(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        return self.session.run(["logits"], inputs)[0]


def chosen_backend(model_dir: Path) -> str:
    """The backend the version's check chose, or the reference when it was never checked."""
    check = read_backend_check(model_dir)
    return check["chosen"] if check else REFERENCE_BACKEND


def make_runner(model_dir: Path, backend: str):
    if backend not in BACKENDS:
        raise BackendError(f"unknown backend '{backend}'; expected one of {', '.join(BACKENDS)}")
    if backend.startswith("onnx-"):
        path = onnx_path(model_dir, int8=backend == "onnx-int8")
        if not path.is_file():
            raise BackendError(f"{model_dir.name} has no {backend} export ({path.name}); it is written "
                               "when a version is trained, promoted or served")
        return OnnxRunner(path)
    if not any((Path(model_dir) / name).is_file() for name in ("model.safetensors", "pytorch_model.bin")):
        raise BackendError(f"{Path(model_dir).name} has no torch weights for {backend} (a shipped version "
                           "carries its int8 export only; `make train` builds one with every backend)")
    return TorchRunner(model_dir, bf16=backend == "torch-bf16")


class StanceClassifier:
    """A fine-tuned sequence classifier with its labels, tokenizer and forward-pass backend."""

    def __init__(self, runner: Callable[[dict[str, np.ndarray]], np.ndarray], encoder: Encoder,
                 labels: tuple[str, ...], version: str, *, backend: str, batch_size: int):
        self.runner = runner
        self.encoder = encoder
        self.labels = labels
        self.version = version
        self.backend = backend
        self.batch_size = batch_size

    @classmethod
    def from_dir(cls, path: Path | str, version: str | None = None, *, batch_size: int | None = None,
                 backend: str | None = None) -> "StanceClassifier":
        """Load a model directory written by training (or a registry version's files).

        `batch_size` None means the configuration's default (`InferenceSettings`), `backend` None
        the one chosen when the version was checked.
        """
        path = Path(path)
        manifest = read_manifest(path)
        labels = tuple(manifest["labels"])
        backend = backend or chosen_backend(path)
        runner = make_runner(path, backend)
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
        if [config["id2label"][str(i)] for i in range(len(labels))] != list(labels):
            raise ValueError(f"{path}: the weights' labels do not match {MANIFEST}")
        max_length = StanceConfig.from_record(manifest["config"]).training.max_length
        return cls(runner, Encoder(path, max_length), labels, version or manifest.get("version", path.name),
                   backend=backend, batch_size=batch_size or InferenceSettings().batch_size)

    @classmethod
    def load(cls, version: str | None = None, *, batch_size: int | None = None,
             backend: str | None = None) -> "StanceClassifier":
        """Load a registry version; None means the promoted one."""
        from stance.registry import Registry

        registry = Registry()
        tag = registry.resolve(version)
        return cls.from_dir(registry.path_of(tag), version=tag, batch_size=batch_size, backend=backend)

    def predict_proba(self, texts: Sequence[str],
                      on_batch: Callable[[int], None] | None = None) -> np.ndarray:
        """Probabilities, one row per text in input order, one column per label.

        Texts are batched by length so that each batch is padded only to its longest member.
        """
        order = sorted(range(len(texts)), key=lambda index: len(texts[index]))
        probabilities = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        for first in range(0, len(order), self.batch_size):
            batch = order[first:first + self.batch_size]
            logits = self.runner(self.encoder([texts[i] for i in batch])).astype(np.float64)
            exponentials = np.exp(logits - logits.max(axis=-1, keepdims=True))
            probabilities[batch] = exponentials / exponentials.sum(axis=-1, keepdims=True)
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
