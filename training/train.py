"""Fine-tuning the base sentence encoder into the three-way classifier."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from training.artifacts import write_manifest
from training.config import StanceConfig
from training.data import Example
from training.hardware import bf16_supported
from training.labels import id_to_label, label_to_id


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


def split_validation(examples: list[Example], config: StanceConfig) -> tuple[list[Example], list[Example]]:
    """A stratified validation split carved from the training examples, fixed by the seed."""
    from sklearn.model_selection import train_test_split

    labels = [example.label for example in examples]
    return train_test_split(examples, test_size=config.validation_fraction, random_state=config.seed,
                            stratify=labels)


def _macro_f1(eval_prediction) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score

    predicted = np.argmax(eval_prediction.predictions, axis=-1)
    gold = eval_prediction.label_ids
    return {"macro_f1": float(f1_score(gold, predicted, average="macro")),
            "accuracy": float(accuracy_score(gold, predicted))}


def _tokenized(examples: list[Example], tokenizer, config: StanceConfig):
    """Token ids per sentence, unpadded: the collator pads each batch to its own longest member."""
    from datasets import Dataset

    ids = label_to_id(config.labels)
    encoded = tokenizer([e.text for e in examples], truncation=True, max_length=config.max_length)
    return Dataset.from_dict({**dict(encoded), "label": [ids[e.label] for e in examples]})


def uses_bf16(config: StanceConfig) -> bool:
    """Whether training runs under bf16 autocast: "auto" only where the CPU has native bf16.

    Emulated bf16 is slower than fp32, so "auto" leaves CPUs without it on fp32.
    """
    return config.train_bf16 == "on" or (config.train_bf16 == "auto" and bf16_supported())


def collator(tokenizer, config: StanceConfig):
    """Pads each batch to its longest sentence; to max_length only for the fixed-padding baseline."""
    from transformers import DataCollatorWithPadding

    if config.pad_to_max_length:
        return DataCollatorWithPadding(tokenizer, padding="max_length", max_length=config.max_length)
    return DataCollatorWithPadding(tokenizer, padding="longest")


def _training_arguments(config: StanceConfig, checkpoint_dir: Path, show_progress: bool):
    from transformers import TrainingArguments

    return TrainingArguments(
        output_dir=str(checkpoint_dir),
        num_train_epochs=config.epochs,
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=config.inference_batch_size * 2,
        learning_rate=config.learning_rate,
        weight_decay=config.weight_decay,
        warmup_steps=config.warmup_ratio,
        label_smoothing_factor=config.label_smoothing,
        eval_strategy="epoch",
        save_strategy="epoch",
        logging_strategy="epoch",
        save_total_limit=2,
        save_only_model=True,
        load_best_model_at_end=True,
        metric_for_best_model="macro_f1",
        greater_is_better=True,
        seed=config.seed,
        data_seed=config.seed,
        use_cpu=True,
        bf16=uses_bf16(config),
        report_to="none",
        disable_tqdm=not show_progress,
    )


def train_model(examples: list[Example], config: StanceConfig, output_dir: Path, *,
                show_progress: bool = True) -> TrainingResult:
    """Fine-tune the base model on `examples` and write the best checkpoint to `output_dir`.

    The best epoch is chosen by macro-F1 on a validation split carved from `examples`;
    training stops early once it stops improving. The test set plays no part here.
    """
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, EarlyStoppingCallback, Trainer, set_seed
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    started = time.perf_counter()
    set_seed(config.seed)
    train_examples, validation_examples = split_validation(examples, config)
    base = config.resolved_base_model()
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(
        base, num_labels=len(config.labels), id2label=id_to_label(config.labels),
        label2id=label_to_id(config.labels))
    with tempfile.TemporaryDirectory(prefix="stance-checkpoints-") as checkpoint_dir:
        trainer = Trainer(
            model=model,
            args=_training_arguments(config, Path(checkpoint_dir), show_progress),
            train_dataset=_tokenized(train_examples, tokenizer, config),
            eval_dataset=_tokenized(validation_examples, tokenizer, config),
            data_collator=collator(tokenizer, config),
            processing_class=tokenizer,
            compute_metrics=_macro_f1,
            callbacks=[EarlyStoppingCallback(early_stopping_patience=config.early_stopping_patience)],
        )
        trainer.train()
        validation = trainer.evaluate()
        output_dir = Path(output_dir)
        trainer.save_model(str(output_dir))
    write_manifest(output_dir, labels=config.labels, config=config.record())
    return TrainingResult(
        model_dir=output_dir,
        train_rows=len(train_examples),
        validation_rows=len(validation_examples),
        epochs_run=float(trainer.state.epoch or 0),
        seconds=time.perf_counter() - started,
        validation_macro_f1=float(validation["eval_macro_f1"]),
    )
