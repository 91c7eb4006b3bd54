"""Training throughput of the two setups: fp32 with fixed padding (the baseline) and dynamic padding
(with bf16 autocast where the CPU has native bf16). One epoch on a stratified sample of data/train.csv.

Writes benchmarks/results/training.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import tempfile
from pathlib import Path

from training.config import StanceConfig
from training.data import Example
from training.hardware import bf16_supported
from training.train import train_model

ROOT = Path(__file__).resolve().parents[1]


def sample(path: Path, n: int, seed: int = 0) -> list[Example]:
    with path.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    random.Random(seed).shuffle(rows)
    return [Example(text=row["text"], label=row["label"], row=i) for i, row in enumerate(rows[:n])]


def measure(examples: list[Example], config: StanceConfig) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        result = train_model(examples, config, Path(folder) / "model", show_progress=False)
    return {"sentences_per_s": round(result.train_rows * config.epochs / result.seconds, 1),
            "seconds": round(result.seconds, 1), "validation_macro_f1": round(result.validation_macro_f1, 4)}


def measure_both(sentences: int) -> dict:
    """Training sentences/s of the fixed-padding fp32 baseline and of the configured fast setup."""
    examples = sample(ROOT / "data" / "train.csv", sentences)
    base = StanceConfig(epochs=1)
    setups = {
        "fp32, fixed padding to 128": base.model_copy(update={"pad_to_max_length": True, "train_bf16": "off"}),
        "dynamic padding" + (", bf16 autocast" if bf16_supported() else ", fp32 (no native bf16)"):
            base.model_copy(update={"train_bf16": "auto"}),
    }
    results = {name: measure(examples, config) for name, config in setups.items()}
    baseline, fast = (results[name]["sentences_per_s"] for name in setups)
    return {"sentences": sentences, "setups": results, "speedup": round(fast / baseline, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=480)
    args = parser.parse_args()
    results = measure_both(args.sentences)
    for name, result in results["setups"].items():
        print(f"{name:45} {result['sentences_per_s']:>8} sentences/s  ({result['seconds']} s)")
    print(f"speed-up {results['speedup']:.2f}x")
    out = ROOT / "benchmarks" / "results" / "training.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
