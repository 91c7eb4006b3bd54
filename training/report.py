"""Terminal rendering of data checks, evaluations, predictions and versions (rich)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from training.data import DataReport, NearDuplicate
from training.evaluate import Evaluation, Scores
from training.predict import SentencePrediction
from training.registry import VersionInfo


def show_data_report(report: DataReport, console: Console) -> None:
    counts = Table(title=f"{report.path}: {len(report.examples)} valid rows", show_edge=False)
    counts.add_column("label")
    counts.add_column("rows", justify="right")
    counts.add_column("share", justify="right")
    total = max(1, sum(report.label_counts().values()))
    for label, count in sorted(report.label_counts().items()):
        counts.add_row(label, str(count), f"{count / total:.1%}")
    console.print(counts)
    domains = Table(show_edge=False)
    domains.add_column("domain")
    domains.add_column("rows", justify="right")
    for domain, count in sorted(report.domain_counts().items()):
        domains.add_row(domain, str(count))
    console.print(domains)
    for problem in report.problems:
        console.print(f"[red]error[/red] {problem}", highlight=False, markup=True)
    verdict = "[green]OK[/green]" if report.ok else f"[red]{len(report.problems)} error(s)[/red]"
    console.print(f"{report.path}: {verdict}")


def show_near_duplicates(found: list[NearDuplicate], threshold: float, console: Console) -> None:
    for pair in found:
        console.print(f"[red]error[/red] row {pair.test_row}: TF-IDF similarity {pair.similarity:.2f} "
                      f"(limit {threshold}) with training row {pair.train_row}: {pair.train_text!r}",
                      highlight=False)
    if not found:
        console.print(f"no sentence reaches TF-IDF similarity {threshold} with the training data")


def _scores_table(title: str, model: Scores, baseline: Scores, labels: tuple[str, ...]) -> Table:
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


def _confusion_table(scores: Scores, labels: tuple[str, ...]) -> Table:
    table = Table(title="confusion matrix (rows: true, columns: predicted)", show_edge=False)
    table.add_column("")
    for label in labels:
        table.add_column(label, justify="right")
    for label, row in zip(labels, scores.confusion_matrix):
        table.add_row(label, *(str(count) for count in row))
    return table


def show_evaluation(evaluation: Evaluation, console: Console) -> None:
    title = f"model {evaluation.model_version} on {evaluation.data_path} ({evaluation.n} sentences)"
    console.print(_scores_table(title, evaluation.model, evaluation.baseline, evaluation.labels))
    console.print(_confusion_table(evaluation.model, evaluation.labels))
    gain = evaluation.model.macro_f1 - evaluation.baseline.macro_f1
    console.print(f"macro-F1 {evaluation.model.macro_f1:.3f} vs TF-IDF baseline "
                  f"{evaluation.baseline.macro_f1:.3f} ({gain:+.3f}); {len(evaluation.errors)} errors")


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
    for column in ("version", "created", "train rows", "train sha256", "test macro-F1", "promoted"):
        table.add_column(column)
    for info in versions:
        metrics = info.metadata.get("test_metrics", {})
        table.add_row(info.tag, info.created.strftime("%Y-%m-%d %H:%M"), str(info.metadata.get("train_rows", "")),
                      str(info.metadata.get("train_sha256", ""))[:12], f"{metrics.get('macro_f1', float('nan')):.3f}",
                      "[bold green]yes[/bold green]" if info.promoted else "")
    console.print(table)
