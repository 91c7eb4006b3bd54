"""Whether `make train` reproduces a model: two short runs of the default recipe (the student, with
the teacher's stored probabilities) on the same sample and seed, compared on the real test set.

Prints the largest difference of any probability and the share of equal labels (about a minute).
"""

from __future__ import annotations

import argparse
import random
import tempfile
from pathlib import Path

import numpy as np

from stance.config import StanceConfig
from stance.data import load_examples
from stance.inference import REFERENCE_BACKEND, StanceClassifier
from training.pipeline import load_teacher_probabilities, load_training_examples
from training.train import train_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=600, help="labelled sentences sampled")
    parser.add_argument("--transfer", type=int, default=300, help="transfer sentences")
    args = parser.parse_args()
    config = StanceConfig().with_overrides(training={"epochs": 1, "transfer_size": args.transfer, "max_length": 64})
    examples = load_training_examples(config)
    random.Random(0).shuffle(examples)
    test = [e.text for e in load_examples(config.data.real_test_path, max_chars=config.data.max_text_chars)]
    probabilities = []
    with tempfile.TemporaryDirectory() as folder:
        for run in range(2):
            result = train_model(examples[:args.sentences], config, Path(folder) / f"run{run}", show_progress=False,
                                 soft_targets=load_teacher_probabilities(config))
            classifier = StanceClassifier.from_dir(result.model_dir, backend=REFERENCE_BACKEND)
            probabilities.append(classifier.predict_proba(test))
            print(f"run {run + 1}: {result.seconds:.0f} s", flush=True)
    first, second = probabilities
    print(f"{len(test)} real test sentences: largest probability difference {np.abs(first - second).max():.2e}, "
          f"equal labels {np.mean(first.argmax(1) == second.argmax(1)):.4f}")


if __name__ == "__main__":
    main()
