"""What the `stance` command shows in the terminal (rich): data checks, evaluations, predictions,
versions and retraining runs. The files a run writes are made elsewhere (training.evaluate,
training.retrain_report); this module only draws.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from stance.data import DataCheck, NearDuplicate
from stance.predict import SentencePrediction
from stance.registry import VersionInfo
from training.evaluate import Evaluation
from training.metrics import Metrics
from training.retrain import RetrainResult

SHOWN_DISAGREEMENTS = 15


def show_data_check(check: DataCheck, console: Console) -> None:
    counts = Table(title=f"{check.path}: {len(check.examples)} valid rows", show_edge=False)
    counts.add_column("label")
    counts.add_column("rows", justify="right")
    counts.add_column("share", justify="right")
    total = max(1, sum(check.label_counts().values()))
    for label, count in sorted(check.label_counts().items()):
        counts.add_row(label, str(count), f"{count / total:.1%}")
    console.print(counts)
    domains = Table(show_edge=False)
    domains.add_column("domain")
    domains.add_column("rows", justify="right")
    for domain, count in sorted(check.domain_counts().items()):
        domains.add_row(domain, str(count))
    console.print(domains)
    for problem in check.problems:
        console.print(f"[red]error[/red] {problem}", highlight=False, markup=True)
    verdict = "[green]OK[/green]" if check.ok else f"[red]{len(check.problems)} error(s)[/red]"
    console.print(f"{check.path}: {verdict}")


def show_near_duplicates(found: list[NearDuplicate], threshold: float, console: Console) -> None:
    for pair in found:
        console.print(f"[red]error[/red] row {pair.test_row}: TF-IDF similarity {pair.similarity:.2f} "
                      f"(limit {threshold}) with training row {pair.train_row}: {pair.train_text!r}",
                      highlight=False)
    if not found:
        console.print(f"no sentence reaches TF-IDF similarity {threshold} with the training data")


def _metrics_table(title: str, model: Metrics, baseline: Metrics, labels: tuple[str, ...]) -> Table:
    table = Table(title=title, show_edge=False)
    for column in ("class", "precision", "recall", "F1", "support", "baseline F1"):
        table.add_column(column, justify="left" if column == "class" else "right")
    for label in labels:
        row = model.per_class[label]
        table.add_row(label, f"{row['precision']:.3f}", f"{row['recall']:.3f}", f"{row['f1']:.3f}",
                      str(row["support"]), f"{baseline.per_class[label]['f1']:.3f}")
    table.add_section()
    table.add_row("macro", "", "", f"[bold]{model.macro_f1:.3f}[/bold]", "", f"{baseline.macro_f1:.3f}")
    table.add_row("accuracy", "", "", f"{model.accuracy:.3f}", "", f"{baseline.accuracy:.3f}")
    return table


def _confusion_table(metrics: Metrics, labels: tuple[str, ...]) -> Table:
    table = Table(title="confusion matrix (rows: true, columns: predicted)", show_edge=False)
    table.add_column("")
    for label in labels:
        table.add_column(label, justify="right")
    for label, row in zip(labels, metrics.confusion_matrix):
        table.add_row(label, *(str(count) for count in row))
    return table


def show_evaluation(evaluation: Evaluation, console: Console) -> None:
    title = f"model {evaluation.model_version} on {evaluation.data_path} ({evaluation.n} sentences)"
    console.print(_metrics_table(title, evaluation.model, evaluation.baseline, evaluation.labels))
    console.print(_confusion_table(evaluation.model, evaluation.labels))
    gain = evaluation.model.macro_f1 - evaluation.baseline.macro_f1
    console.print(f"macro-F1 {evaluation.model.macro_f1:.3f} vs TF-IDF baseline "
                  f"{evaluation.baseline.macro_f1:.3f} ({gain:+.3f}); {len(evaluation.errors)} errors")


def show_test_sets(evaluations: dict[str, Evaluation], console: Console) -> None:
    """One line per test set: the model's macro-F1 and class F1 beside the baseline's macro-F1."""
    first = next(iter(evaluations.values()))
    table = Table(title=f"model {first.model_version} on each frozen test set", show_edge=False)
    for column in ("test set", "sentences", "macro-F1", *(f"F1 {label}" for label in first.labels),
                   "baseline macro-F1"):
        table.add_column(column, justify="left" if column == "test set" else "right")
    for evaluation in evaluations.values():
        model = evaluation.model
        table.add_row(evaluation.data_path, str(evaluation.n), f"[bold]{model.macro_f1:.3f}[/bold]",
                      *(f"{model.per_class[label]['f1']:.3f}" for label in evaluation.labels),
                      f"{evaluation.baseline.macro_f1:.3f}")
    console.print(table)


def show_predictions(rows: list[SentencePrediction], labels: tuple[str, ...], model_version: str,
                     console: Console) -> None:
    table = Table(title=f"model {model_version}", show_lines=False)
    table.add_column("doc", justify="right")
    table.add_column("start-end", justify="right")
    table.add_column("sentence", overflow="fold", ratio=1)
    table.add_column("label")
    for label in labels:
        table.add_column(label[:5], justify="right")
    for row in rows:
        table.add_row(str(row.document), f"{row.start}-{row.end}", row.text, row.label,
                      *(f"{row.scores[label]:.2f}" for label in labels))
    console.print(table)


def show_versions(versions: list[VersionInfo], console: Console) -> None:
    table = Table(title="model versions", show_edge=False)
    for column in ("version", "created", "train rows", "train sha256", "test macro-F1", "backend", "origin",
                   "promoted"):
        table.add_column(column)
    for info in versions:
        metrics = info.metadata.get("test_metrics", {})
        table.add_row(info.tag, info.created.strftime("%Y-%m-%d %H:%M"), str(info.metadata.get("train_rows", "")),
                      str(info.metadata.get("train_sha256", ""))[:12], f"{metrics.get('macro_f1', float('nan')):.3f}",
                      _backend_summary(info.backend), _origin(info.metadata),
                      "[bold green]yes[/bold green]" if info.promoted else "")
    console.print(table)


def _origin(metadata: dict) -> str:
    """How a version came to be: trained, retrained with new rows, or imported from the shipped model."""
    if metadata.get("retrain"):
        return f"retrain +{metadata['retrain']['added']} ({metadata['retrain']['source']})"
    if metadata.get("shipped_from"):
        return f"shipped ({metadata['shipped_from']})"
    return "stance train"


def _backend_summary(check: dict | None) -> str:
    if not check:
        return "torch-fp32 (not checked)"
    chosen = check["backends"][check["chosen"]]
    if check.get("shipped"):
        return (f"{check['chosen']} (shipped: the only export; agreed {chosen['agreement']:.1%} with fp32 "
                "where it was checked)")
    if not chosen.get("supported"):
        return f"{check['chosen']} (forced; not measured on this CPU)"
    forced = "forced, " if check.get("forced") else ""
    return f"{check['chosen']} ({forced}agrees {chosen['agreement']:.1%}, {chosen['sentences_per_s']:.0f}/s)"


def show_retrain(result: RetrainResult, console: Console) -> None:
    """Champion and challenger side by side, the gate's interval and decision, the rows to check."""
    plan = result.plan
    console.print(f"{plan.source}: {plan.new_rows} rows, {len(plan.added)} added to training, "
                  f"{len(plan.holdout)} held out, {len(plan.skipped)} identical rows skipped, "
                  f"{len(plan.relabelled)} relabelled")
    for relabel in plan.relabelled:
        console.print(f"  relabelled training row {relabel.train_row} '{relabel.old_label}' -> "
                      f"'{relabel.new_label}' (new file row {relabel.new_row}): {relabel.text}", highlight=False)
    console.print(f"challenger trained on {result.training.rows} "
                  f"sentences in {result.training.seconds:.0f} s ({result.training.epochs_run:g} epochs)")
    console.print(_side_by_side(result))
    for name, decision in result.verdict.decisions.items():
        low, high = decision.interval
        console.print(f"{name.replace('_', ' ')}: macro-F1 difference {decision.macro_f1_difference:+.3f}, "
                      f"{decision.confidence:.0%} paired bootstrap interval [{low:+.3f}, {high:+.3f}]")
    for reason in result.verdict.reasons:
        console.print(f"[red]gate[/red] {reason}", highlight=False)
    if result.promoted:
        how = "[yellow]forced past the gate[/yellow]" if result.forced else "[green]accepted by the gate[/green]"
        console.print(f"{how}: [bold]{result.challenger}[/bold] is promoted and the merged data replaced the "
                      "training file")
    else:
        console.print(f"[red]refused[/red]: [bold]{result.champion}[/bold] stays promoted; the training data is "
                      "unchanged and the challenger was not stored")
        _show_disagreements(result, console)
    console.print(f"retrain took {result.seconds:.0f} s")


def _side_by_side(result: RetrainResult) -> Table:
    table = Table(title="champion and challenger", show_edge=False)
    table.add_column("")
    sets = [(name.replace("_", " "), evaluation.model, result.challenger_tests[name].model)
            for name, evaluation in result.champion_tests.items()]
    if result.holdout:
        sets.append(("holdout", result.holdout["champion"], result.holdout["challenger"]))
    for name, _, _ in sets:
        for column in (f"{name} champion", f"{name} challenger", "change"):
            table.add_column(column, justify="right")
    labels = result.champion_tests["test"].labels
    rows = [(f"F1 {label}", lambda s, label=label: s.per_class[label]["f1"]) for label in labels]
    rows += [("macro-F1", lambda s: s.macro_f1), ("accuracy", lambda s: s.accuracy)]
    for name, value in rows:
        cells = []
        for _, champion, challenger in sets:
            before, after = value(champion), value(challenger)
            colour = "green" if after > before else "red" if after < before else "white"
            cells += [f"{before:.3f}", f"{after:.3f}", f"[{colour}]{after - before:+.3f}[/{colour}]"]
        table.add_row(name, *cells)
    return table


def _show_disagreements(result: RetrainResult, console: Console) -> None:
    if not result.disagreements:
        console.print("the two models agree on every new row")
        return
    table = Table(title=f"new rows the champion and the challenger label differently "
                        f"({len(result.disagreements)}; check these labels first)", show_edge=False)
    for column in ("row", "sentence", "your label", "champion", "challenger"):
        table.add_column(column, overflow="fold", ratio=1 if column == "sentence" else None)
    for row in result.disagreements[:SHOWN_DISAGREEMENTS]:
        table.add_row(str(row["row"]), row["text"], row["label"], row["champion"], row["challenger"])
    console.print(table)
    if len(result.disagreements) > SHOWN_DISAGREEMENTS:
        console.print(f"... and {len(result.disagreements) - SHOWN_DISAGREEMENTS} more in disagreements.csv")
