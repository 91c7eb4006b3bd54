"""Training speed of the two setups: fp32 with fixed padding (the baseline) and dynamic padding
(with bf16 autocast where the CPU has native bf16).

By default one epoch on a stratified sample of data/train.csv (sentences/s, a few minutes); with
`--full`, the whole `make train` run of each setup on the full training file (about an hour here),
each model then scored on data/test.csv through `StanceClassifier` on the fp32 reference backend.

Writes benchmarks/results/training.json (or training_full.json).
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from pathlib import Path

from stance.config import StanceConfig
from stance.data import Example, load_examples
from stance.inference import REFERENCE_BACKEND, StanceClassifier
from training.hardware import bf16_supported
from training.metrics import metrics_of
from training.train import train_model

ROOT = Path(__file__).resolve().parents[1]


def sample(path: Path, n: int, max_chars: int, seed: int = 0) -> list[Example]:
    """A fixed random sample of `n` labelled sentences of `path`."""
    examples = load_examples(path, max_chars=max_chars)
    random.Random(seed).shuffle(examples)
    return examples[:n]


def setups(base: StanceConfig) -> dict[str, StanceConfig]:
    """The fixed-padding fp32 baseline and the configured fast setup, named for the report."""
    fast = "dynamic padding" + (", bf16 autocast" if bf16_supported() else ", fp32 (no native bf16)")
    return {
        f"fp32, fixed padding to {base.training.max_length}":
            base.with_overrides(training={"pad_to_max_length": True, "bf16": "off"}),
        fast: base.with_overrides(training={"bf16": "auto"}),
    }


def measure(examples: list[Example], config: StanceConfig, test: list[Example] | None = None) -> dict:
    """Train once; seconds, sentences/s over the epochs run and, given `test`, its test macro-F1."""
    with tempfile.TemporaryDirectory() as folder:
        result = train_model(examples, config, Path(folder) / "model", show_progress=False)
        measured = {"sentences_per_s": round(result.train_rows * result.epochs_run / result.seconds, 1),
                    "seconds": round(result.seconds, 1), "epochs_run": result.epochs_run,
                    "validation_macro_f1": round(result.validation_macro_f1, 4)}
        if test is not None:
            classifier = StanceClassifier.from_dir(result.model_dir, backend=REFERENCE_BACKEND)
            predicted = [p.label for p in classifier.predict([e.text for e in test])]
            measured["test_macro_f1"] = metrics_of([e.label for e in test], predicted, classifier.labels).macro_f1
    return measured


def measure_both(sentences: int | None) -> dict:
    """Both setups on a sample of `sentences` for one epoch, or (None) full `make train` runs."""
    base = StanceConfig()
    data = base.data
    if sentences is None:
        examples = load_examples(data.train_path, max_chars=data.max_text_chars)
        test = load_examples(data.test_path, max_chars=data.max_text_chars)
    else:
        examples, test = sample(data.train_path, sentences, data.max_text_chars), None
        base = base.with_overrides(training={"epochs": 1})
    results = {}
    for name, config in setups(base).items():
        print(f"training: {name} ...", flush=True)
        results[name] = measure(examples, config, test)
        print(f"  {results[name]}", flush=True)
    baseline, fast = results.values()
    summary = {"sentences": len(examples), "setups": results,
               "speedup": round(fast["sentences_per_s"] / baseline["sentences_per_s"], 2)}
    if test is not None:
        summary["time_ratio"] = round(baseline["seconds"] / fast["seconds"], 2)
        summary["test_macro_f1_difference"] = round(fast["test_macro_f1"] - baseline["test_macro_f1"], 4)
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=480, help="sample size for the one-epoch measurement")
    parser.add_argument("--full", action="store_true", help="full `make train` runs of both setups")
    args = parser.parse_args()
    results = measure_both(None if args.full else args.sentences)
    for name, result in results["setups"].items():
        print(f"{name:45} {result['sentences_per_s']:>8} sentences/s  ({result['seconds']} s, "
              f"{result['epochs_run']:g} epochs)" + (f"  test macro-F1 {result['test_macro_f1']:.3f}"
                                                      if "test_macro_f1" in result else ""))
    print(f"speed-up {results['speedup']:.2f}x sentences/s" +
          (f", {results['time_ratio']:.2f}x shorter, test macro-F1 difference "
           f"{results['test_macro_f1_difference']:+.3f}" if "time_ratio" in results else ""))
    out = ROOT / "benchmarks" / "results" / ("training_full.json" if args.full else "training.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
