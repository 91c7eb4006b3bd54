"""Fine-tuning the base sentence encoder into the three-way classifier (the transformers `Trainer`).

The Trainer picks the best epoch by macro-F1 on a validation split, scoring it through its own
batching and the tokenizer's Python wrapper: a second path beside `StanceClassifier`, used only
to choose the epoch. The validation macro-F1 a run reports is measured again on the saved model
through `StanceClassifier.predict`, the call evaluation and serving make.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from stance.artifacts import write_manifest
from stance.config import StanceConfig, TrainingSettings
from stance.data import Example
from stance.inference import REFERENCE_BACKEND, StanceClassifier
from stance.labels import id_to_label, label_to_id
from training.distill import SoftTargets, distillation_loss, training_rows
from training.hardware import bf16_supported
from training.metrics import class_f1, label_ids, metrics_of


@dataclass(frozen=True)
class TrainingResult:
    """Where the trained model was written and how training went."""

    model_dir: Path
    train_rows: int
    validation_rows: int
    epochs_run: float
    seconds: float
    validation_macro_f1: float

    @property
    def rows(self) -> int:
        """Every labelled sentence the run was given: training plus validation split."""
        return self.train_rows + self.validation_rows


def split_validation(examples: list[Example], settings: TrainingSettings) -> tuple[list[Example], list[Example]]:
    """A stratified validation split carved from the training examples, fixed by the seed."""
    from sklearn.model_selection import train_test_split

    labels = [example.label for example in examples]
    return train_test_split(examples, test_size=settings.validation_fraction, random_state=settings.seed,
                            stratify=labels)


def _epoch_macro_f1(eval_prediction) -> dict[str, float]:
    """The Trainer's per-epoch metric (its `compute_metrics`), from label ids."""
    logits = eval_prediction.predictions
    predicted = np.argmax(logits, axis=-1)
    return {"macro_f1": float(class_f1(eval_prediction.label_ids, predicted, logits.shape[-1]).mean())}


def _tokenized(examples: list[Example], tokenizer, config: StanceConfig, soft: SoftTargets | None = None):
    """Token ids per sentence, unpadded: the collator pads each batch to its own longest member.

    With `soft`, each row also carries the teacher's probabilities ("teacher", NaN where none) and
    the transfer sentences follow the examples, with no gold label (-100).
    """
    from datasets import Dataset

    if soft is None:
        texts, gold = [e.text for e in examples], label_ids([e.label for e in examples], config.labels).tolist()
        columns = {"label": gold}
    else:
        texts, gold, teacher = training_rows(examples, soft)
        columns = {"label": [-100 if g is None else g for g in gold], "teacher": teacher.tolist()}
    encoded = tokenizer(texts, truncation=True, max_length=config.training.max_length)
    return Dataset.from_dict({**dict(encoded), **columns})


def class_weights(examples: list[Example], config: StanceConfig) -> list[float] | None:
    """Each label's loss weight, n / (labels x the label's count) for "balanced"; None for "none".

    Balanced weights make every class count as much in the loss as it would in an evenly labelled
    set, whatever the mix of the training sentences.
    """
    if config.training.class_weights == "none":
        return None
    counts = np.bincount(label_ids([e.label for e in examples], config.labels), minlength=len(config.labels))
    return [len(examples) / (len(config.labels) * max(1, count)) for count in counts]


def _distillation_loss(weights: list[float] | None, config: StanceConfig):
    """`training.distill.distillation_loss` with this run's class weights and settings."""
    import torch

    weight = torch.tensor(weights, dtype=torch.float32) if weights else None
    settings = config.training

    def loss(logits, labels, teacher):
        return distillation_loss(logits, labels, teacher, weight=weight, label_smoothing=settings.label_smoothing,
                                 distill_weight=settings.distill_weight, temperature=settings.distill_temperature)

    return loss


def _weighted_loss(weights: list[float], label_smoothing: float):
    """The Trainer's loss (`compute_loss_func`): cross-entropy with class weights and label smoothing."""
    import torch

    weight = torch.tensor(weights, dtype=torch.float32)

    def loss(outputs, labels, num_items_in_batch=None):
        return torch.nn.functional.cross_entropy(outputs.logits.float(), labels, weight=weight,
                                                 label_smoothing=label_smoothing)

    return loss


class _TeacherCollator:
    """Pads a batch as the plain collator does and stacks the rows' teacher probabilities."""

    def __init__(self, pad):
        self.pad = pad

    def __call__(self, features: list[dict]):
        import torch

        teacher = torch.tensor([feature.pop("teacher") for feature in features], dtype=torch.float32)
        batch = self.pad(features)
        batch["teacher"] = teacher
        return batch


def _distillation_trainer(loss, **kwargs):
    """A Trainer whose loss sees the teacher's probabilities (`training.distill.distillation_loss`)."""
    from transformers import Trainer

    class DistillationTrainer(Trainer):
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            teacher, labels = inputs.pop("teacher"), inputs.pop("labels")
            outputs = model(**inputs)
            value = loss(outputs.logits.float(), labels, teacher)
            return (value, outputs) if return_outputs else value

    return DistillationTrainer(**kwargs)


def uses_bf16(settings: TrainingSettings) -> bool:
    """Whether training runs under bf16 autocast: "auto" only where the CPU has native bf16.

    Emulated bf16 is slower than fp32, so "auto" leaves CPUs without it on fp32.
    """
    return settings.bf16 == "on" or (settings.bf16 == "auto" and bf16_supported())


def collator(tokenizer, settings: TrainingSettings):
    """Pads each batch to its longest sentence; to max_length only for the fixed-padding baseline."""
    from transformers import DataCollatorWithPadding

    if settings.pad_to_max_length:
        return DataCollatorWithPadding(tokenizer, padding="max_length", max_length=settings.max_length)
    return DataCollatorWithPadding(tokenizer, padding="longest")


def _training_arguments(config: StanceConfig, checkpoint_dir: Path, show_progress: bool, resumable: bool,
                        distilling: bool = False):
    """The Trainer's arguments; a resumable run keeps the optimiser's state in each checkpoint too,
    and a distilling one keeps the teacher column the model's forward does not take."""
    from transformers import TrainingArguments

    settings = config.training
    return TrainingArguments(
        output_dir=str(checkpoint_dir),
        num_train_epochs=settings.epochs,
        per_device_train_batch_size=settings.batch_size,
        per_device_eval_batch_size=config.inference.batch_size * 2,
        learning_rate=settings.learning_rate,
        weight_decay=settings.weight_decay,
        warmup_steps=settings.warmup_ratio,
        label_smoothing_factor=settings.label_smoothing,
        eval_strategy="epoch",
        save_strategy="epoch",
        logging_strategy="epoch",
        save_total_limit=2,
        save_only_model=not resumable,
        load_best_model_at_end=True,
        metric_for_best_model="macro_f1",
        greater_is_better=True,
        seed=settings.seed,
        data_seed=settings.seed,
        use_cpu=True,
        bf16=uses_bf16(settings),
        report_to="none",
        disable_tqdm=not show_progress,
        remove_unused_columns=not distilling,
    )


def train_model(examples: list[Example], config: StanceConfig, output_dir: Path, *,
                show_progress: bool = True, checkpoint_dir: Path | None = None,
                soft_targets: SoftTargets | None = None) -> TrainingResult:
    """Fine-tune the base model on `examples` and write the best checkpoint to `output_dir`.

    The best epoch is chosen by macro-F1 on a validation split carved from `examples`;
    training stops early once it stops improving. The test set plays no part here. With
    `checkpoint_dir`, each epoch's checkpoint is kept there and a run stopped part-way resumes from
    the last one (the teacher's long runs); otherwise checkpoints live in a temporary folder.
    With `soft_targets`, the model also learns from the teacher's probabilities (`training.distill`).
    """
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, EarlyStoppingCallback, Trainer, set_seed

    started = time.perf_counter()
    set_seed(config.training.seed)
    train_examples, validation_examples = split_validation(examples, config.training)
    base = config.training.resolved_base_model()
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(
        base, num_labels=len(config.labels), id2label=id_to_label(config.labels),
        label2id=label_to_id(config.labels))
    weights = class_weights(train_examples, config)
    with _checkpoints(checkpoint_dir) as checkpoints:
        arguments = dict(
            model=model,
            args=_training_arguments(config, checkpoints, show_progress, resumable=checkpoint_dir is not None,
                                     distilling=soft_targets is not None),
            train_dataset=_tokenized(train_examples, tokenizer, config, soft_targets),
            processing_class=tokenizer,
            compute_metrics=_epoch_macro_f1,
            callbacks=[EarlyStoppingCallback(early_stopping_patience=config.training.early_stopping_patience)],
        )
        if soft_targets is None:
            trainer = Trainer(
                **arguments, eval_dataset=_tokenized(validation_examples, tokenizer, config),
                data_collator=collator(tokenizer, config.training),
                compute_loss_func=_weighted_loss(weights, config.training.label_smoothing) if weights else None)
        else:
            without_transfer = replace(soft_targets, transfer=[])
            trainer = _distillation_trainer(
                _distillation_loss(weights, config), **arguments,
                eval_dataset=_tokenized(validation_examples, tokenizer, config, without_transfer),
                data_collator=_TeacherCollator(collator(tokenizer, config.training)))
        trainer.train(resume_from_checkpoint=_last_checkpoint(checkpoints))
        output_dir = Path(output_dir)
        trainer.save_model(str(output_dir))
    write_manifest(output_dir, labels=config.labels, config=config.record())
    return TrainingResult(
        model_dir=output_dir,
        train_rows=len(train_examples),
        validation_rows=len(validation_examples),
        epochs_run=float(trainer.state.epoch or 0),
        seconds=time.perf_counter() - started,
        validation_macro_f1=validation_macro_f1(output_dir, validation_examples, config),
    )


@contextmanager
def _checkpoints(folder: Path | None) -> Iterator[Path]:
    """The checkpoint folder: `folder`, kept, or a temporary one removed afterwards."""
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        yield folder
        return
    with tempfile.TemporaryDirectory(prefix="stance-checkpoints-") as temporary:
        yield Path(temporary)


def _last_checkpoint(folder: Path) -> str | None:
    """The newest complete checkpoint in `folder`, to resume from; None to start afresh."""
    from transformers.trainer_utils import get_last_checkpoint

    return get_last_checkpoint(str(folder)) if folder.is_dir() else None


def validation_macro_f1(model_dir: Path, validation: list[Example], config: StanceConfig) -> float:
    """The saved model's macro-F1 on the validation split, through the inference path users call."""
    classifier = StanceClassifier.from_dir(model_dir, backend=REFERENCE_BACKEND, batch_size=config.inference.batch_size)
    predicted = [prediction.label for prediction in classifier.predict([e.text for e in validation])]
    return metrics_of([e.label for e in validation], predicted, config.labels).macro_f1
