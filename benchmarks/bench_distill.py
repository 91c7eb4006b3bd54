"""Plain training against distillation from the teacher's stored probabilities.

Trains MiniLM once per setup, through the pipeline `stance train` uses: plain (gold labels alone)
and distilled from `data/teacher_probs.csv.gz` with each transfer size asked for. Each run is timed
and each model scored, on its chosen backend, on every frozen test set and on each `--extra`
labelled file (e.g. ../shared/realdev/dev.csv), beside the TF-IDF baseline and, with `--teacher`,
the teacher. `--model NAME=DIR` scores a model folder already trained (a registry version's folder
gives its training time too) instead of training that setup again: a full run of the three default
sizes and the plain setup takes about two hours on two cores.

Writes benchmarks/results/distill.json and distill.png (macro-F1 per setup and test set).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import yaml

from stance.config import StanceConfig
from stance.data import Example, load_examples
from stance.inference import StanceClassifier
from training.evaluate import evaluate, fit_baseline
from training.figures import png_bytes
from training.pipeline import load_test_sets, load_training_examples, train_candidate

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def setup_configs(base: StanceConfig, sizes: list[int], teacher_probs: Path) -> dict[str, StanceConfig]:
    """The plain setup and one distilled setup per transfer size, named for the report."""
    setups = {"plain": base.without_teacher()}
    for size in sizes:
        setups[f"distilled, {size} transfer"] = base.with_overrides(
            data={"teacher_probs_path": teacher_probs}, training={"transfer_size": size})
    return setups


def score(classifier: StanceClassifier, test_sets: dict[str, list[Example]], baseline) -> dict[str, dict]:
    """Macro-F1, per-class F1 and the baseline's macro-F1 on each test set."""
    scores = {}
    for name, examples in test_sets.items():
        evaluation = evaluate(classifier, examples, baseline, data_path=name)
        scores[name] = {"macro_f1": evaluation.model.macro_f1,
                        "per_class_f1": {label: values["f1"] for label, values in evaluation.model.per_class.items()},
                        "baseline_macro_f1": evaluation.baseline.macro_f1}
    return scores


def train_and_score(config: StanceConfig, train_examples: list[Example], frozen: dict[str, list[Example]],
                    test_sets: dict[str, list[Example]], baseline) -> dict:
    """One training run of `config` in a scratch folder, timed and scored."""
    with tempfile.TemporaryDirectory() as folder:
        candidate = train_candidate(config, Path(folder), train_examples, frozen)
        return {"training_seconds": round(candidate.training.seconds, 1), "backend": candidate.classifier.backend,
                "scores": score(candidate.classifier, test_sets, baseline)}


def score_folder(path: Path, test_sets: dict[str, list[Example]], baseline) -> dict:
    """A model folder already trained, scored; its training time when it is a registry version."""
    classifier = StanceClassifier.from_dir(path)
    model_yaml = path / "model.yaml"
    metadata = yaml.safe_load(model_yaml.read_text())["metadata"] if model_yaml.exists() else {}
    return {"training_seconds": metadata.get("training_seconds"), "backend": classifier.backend,
            "model_dir": str(path), "scores": score(classifier, test_sets, baseline)}


def named_folders(pairs: list[str]) -> dict[str, Path]:
    """NAME=DIR arguments as a mapping; a malformed one or a missing folder stops the run."""
    folders = {}
    for pair in pairs:
        name, separator, folder = pair.partition("=")
        if not separator or not name or not Path(folder).is_dir():
            raise SystemExit(f"--model {pair!r}: expected NAME=DIR with an existing model folder")
        folders[name] = Path(folder)
    return folders


def table(results: dict[str, dict], set_names: list[str]) -> str:
    """The terminal report: one row per system, macro-F1 (per-class F1) per test set, training time."""
    lines = [f"{'system':32}" + "".join(f"{name[:26]:>28}" for name in set_names) + f"{'train s':>9}"]
    for system, result in results.items():
        cells = []
        for name in set_names:
            s = result["scores"][name]
            per_class = "/".join(f"{f1:.2f}" for f1 in s["per_class_f1"].values())
            cells.append(f"{s['macro_f1']:.3f} ({per_class})".rjust(28))
        seconds = result.get("training_seconds")
        lines.append(f"{system[:32]:32}" + "".join(cells) + (f"{seconds:>9.0f}" if seconds else f"{'-':>9}"))
    return "\n".join(lines)


def figure(results: dict[str, dict], set_names: list[str]) -> bytes:
    """Grouped bars: macro-F1 of each system on each test set."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    systems = list(results)
    width = 0.8 / len(systems)
    fig, axis = plt.subplots(figsize=(5.2 + 2.4 * len(set_names), 4.6))
    for i, system in enumerate(systems):
        values = [results[system]["scores"][name]["macro_f1"] for name in set_names]
        bars = axis.bar([j + i * width for j in range(len(set_names))], values, width, label=system)
        axis.bar_label(bars, fmt="%.3f", fontsize=7, rotation=90, padding=2)
    axis.set_xticks([j + width * (len(systems) - 1) / 2 for j in range(len(set_names))],
                    [Path(name).name for name in set_names])
    axis.set_ylim(0.4, 1.02)
    axis.set_ylabel("macro-F1")
    axis.set_title("plain training against distillation from the teacher")
    axis.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return png_bytes(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[0, 10_000, 40_000],
                        help="transfer sizes of the distilled setups to train")
    parser.add_argument("--no-plain", action="store_true", help="do not train the plain setup")
    parser.add_argument("--model", action="append", default=[], metavar="NAME=DIR",
                        help="score this trained model folder as NAME instead of training (repeatable)")
    parser.add_argument("--teacher", type=Path, help="the teacher's folder (.teacher/trained), scored too")
    parser.add_argument("--extra", type=Path, action="append", default=[],
                        help="another labelled file to score on, e.g. ../shared/realdev/dev.csv")
    parser.add_argument("--teacher-probs", type=Path, default=ROOT / "data" / "teacher_probs.csv.gz")
    args = parser.parse_args()

    base = StanceConfig()
    train_examples = load_training_examples(base)
    frozen = load_test_sets(base)
    test_sets = {**{str(path): frozen[name] for name, path in base.test_sets().items()},
                 **{str(path): load_examples(path, max_chars=base.data.max_text_chars) for path in args.extra}}
    baseline = fit_baseline(train_examples, base.training.seed)
    folders = named_folders(args.model)
    if args.teacher:
        folders["teacher (all-mpnet-base-v2)"] = args.teacher

    results = {}
    for name, config in setup_configs(base, args.sizes, args.teacher_probs).items():
        if name == "plain" and args.no_plain or name in folders:
            continue
        print(f"training: {name} ...", flush=True)
        results[name] = train_and_score(config, train_examples, frozen, test_sets, baseline)
    for name, folder in folders.items():
        print(f"scoring: {name} ({folder}) ...", flush=True)
        results[name] = score_folder(folder, test_sets, baseline)
    first = next(iter(results.values()))
    results["TF-IDF baseline"] = {"scores": {name: {"macro_f1": s["baseline_macro_f1"],
                                                    "per_class_f1": {}} for name, s in first["scores"].items()}}

    set_names = list(test_sets)
    print(table(results, set_names))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "distill.json").write_text(json.dumps({"test_sets": {n: len(e) for n, e in test_sets.items()},
                                                      "systems": results}, indent=2))
    (RESULTS / "distill.png").write_bytes(figure(results, set_names))
    print(f"wrote {RESULTS / 'distill.json'} and {RESULTS / 'distill.png'}")


if __name__ == "__main__":
    main()
