"""Reading and validating labelled sentence files (CSV or JSONL).

Row numbers are the file's line numbers, counting a CSV header as line 1, so that
`sed -n 'Np'` or a spreadsheet shows the row an error names.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from stance.labels import LABELS, normalise_label, suggest_label

SUPPORTED_SUFFIXES = (".csv", ".jsonl")
# A file with a `repository` column holds real text: every row must say where it comes from.
PROVENANCE_COLUMNS = ("repository", "commit", "file", "document", "locator")


@dataclass(frozen=True)
class Example:
    """One sentence with its label (None for unlabelled input), domain and, for real text, document."""

    text: str
    label: str | None
    domain: str = ""
    row: int = 0
    document: str = ""  # the source document of a real sentence (repository:file[#part])


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, located by row (0 = the file as a whole)."""

    row: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row else "file"
        return f"{where}, field '{self.field}': {self.message}"


@dataclass
class DataCheck:
    """What checking a file found: the valid examples, the problems, the counts (`stance data check`)."""

    path: Path
    examples: list[Example] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def label_counts(self) -> Counter[str]:
        return Counter(example.label for example in self.examples if example.label)

    def domain_counts(self) -> Counter[str]:
        return Counter(example.domain or "(none)" for example in self.examples)

    def to_dict(self) -> dict:
        return {
            "path": str(self.path),
            "rows": len(self.examples),
            "ok": self.ok,
            "labels": dict(self.label_counts()),
            "domains": dict(self.domain_counts()),
            "problems": [vars(problem) for problem in self.problems],
        }


class DataError(ValueError):
    """A data file failed validation; carries the whole check."""

    def __init__(self, check: DataCheck):
        self.check = check
        shown = "\n".join(f"  {problem}" for problem in check.problems[:20])
        more = len(check.problems) - 20
        suffix = f"\n  ... and {more} more" if more > 0 else ""
        super().__init__(f"{check.path}: {len(check.problems)} problem(s)\n{shown}{suffix}")

    @classmethod
    def about_file(cls, path: Path, field: str, message: str) -> "DataError":
        """An error about a file as a whole (row 0), such as a missing or unreadable one."""
        return cls(DataCheck(path=Path(path), problems=[Problem(0, field, message)]))


def normalise_text(text: str) -> str:
    """The form under which two texts count as the same sentence (case and spacing ignored)."""
    return re.sub(r"\s+", " ", text).strip().casefold()


def _decode_lines(raw: bytes, problems: list[Problem]) -> str:
    """Decode UTF-8, reporting each line that holds bytes that are not UTF-8."""
    lines = raw.split(b"\n")
    decoded = []
    for number, line in enumerate(lines, start=1):
        try:
            decoded.append(line.decode("utf-8"))
        except UnicodeDecodeError as error:
            problems.append(
                Problem(number, "text", f"bytes that are not UTF-8 at byte {error.start} of the line")
            )
            decoded.append(line.decode("utf-8", errors="replace"))
    text = "\n".join(decoded)
    return text.removeprefix("\ufeff")


def _csv_records(text: str, problems: list[Problem]) -> list[tuple[int, dict]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    records = []
    try:
        header = reader.fieldnames or []
        while True:
            start = reader.line_num + 1
            record = next(reader, None)
            if record is None:
                break
            records.append((start, record))
    except csv.Error as error:
        problems.append(Problem(reader.line_num, "text", f"malformed CSV: {error}"))
        header = reader.fieldnames or []
    if any(not (name or "").strip() for name in header):
        problems.append(Problem(1, "header", "an empty column name in the header"))
    return records


def _jsonl_records(text: str, problems: list[Problem]) -> list[tuple[int, dict]]:
    records = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            problems.append(Problem(number, "json", f"not valid JSON ({error.msg})"))
            continue
        if not isinstance(record, dict):
            problems.append(Problem(number, "json", "each line must be a JSON object"))
            continue
        records.append((number, record))
    return records


def read_records(path: Path, problems: list[Problem]) -> list[tuple[int, dict]]:
    """The raw records of a CSV or JSONL file with their row numbers; problems are appended."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        problems.append(Problem(0, "path", f"unsupported file type '{suffix}'; use .csv or .jsonl"))
        return []
    text = _decode_lines(path.read_bytes(), problems)
    if suffix == ".csv":
        return _csv_records(text, problems)
    return _jsonl_records(text, problems)


def _missing_columns(records: list[tuple[int, dict]], required: tuple[str, ...]) -> list[str]:
    if not records:
        return []
    present = set().union(*(record.keys() for _, record in records))
    return [column for column in required if column not in present]


def _check_record(
    row: int, record: dict, require_label: bool, labels: tuple[str, ...], max_chars: int
) -> tuple[Example | None, list[Problem]]:
    problems = []
    text = record.get("text")
    if text is None:
        problems.append(Problem(row, "text", "missing"))
    elif not isinstance(text, str):
        problems.append(Problem(row, "text", f"must be a string, got {type(text).__name__}"))
    elif not text.strip():
        problems.append(Problem(row, "text", "empty"))
    elif len(text) > max_chars:
        problems.append(Problem(row, "text", f"{len(text)} characters, over the limit of {max_chars}"))
    label = None
    if require_label:
        raw_label = record.get("label")
        if raw_label is None or not str(raw_label).strip():
            problems.append(Problem(row, "label", f"missing; expected one of {', '.join(labels)}"))
        else:
            label = normalise_label(str(raw_label))
            if label not in labels:
                hint = suggest_label(label, labels)
                advice = f"did you mean '{hint}'?" if hint else f"expected one of {', '.join(labels)}"
                problems.append(Problem(row, "label", f"unknown label '{raw_label}'; {advice}"))
    if problems:
        return None, problems
    domain = str(record.get("domain") or "").strip()
    document = str(record.get("document") or "").strip()
    return Example(text=text.strip(), label=label, domain=domain, row=row, document=document), []


def _provenance_problems(row: int, record: dict) -> list[Problem]:
    """What a real-text row lacks of its provenance."""
    problems = [Problem(row, column, "missing; every real sentence names its source")
                for column in PROVENANCE_COLUMNS if not str(record.get(column) or "").strip()]
    commit = str(record.get("commit") or "").strip()
    if commit and not re.fullmatch(r"[0-9a-f]{40}", commit):
        problems.append(Problem(row, "commit", f"'{commit}' is not a 40-character git commit"))
    return problems


def _duplicate_problems(examples: list[Example]) -> list[Problem]:
    first_seen: dict[str, Example] = {}
    problems = []
    for example in examples:
        key = normalise_text(example.text)
        earlier = first_seen.get(key)
        if earlier is None:
            first_seen[key] = example
        elif earlier.label != example.label:
            problems.append(
                Problem(
                    example.row,
                    "label",
                    f"the same text is labelled '{earlier.label}' in row {earlier.row} "
                    f"and '{example.label}' here",
                )
            )
        else:
            problems.append(Problem(example.row, "text", f"duplicate of row {earlier.row}"))
    return problems


def check_file(
    path: Path | str,
    *,
    max_chars: int,
    require_label: bool = True,
    labels: tuple[str, ...] = LABELS,
) -> DataCheck:
    """Validate a CSV or JSONL file of sentences and return every problem found, by row.

    `max_chars` is the longest accepted text (`DataSettings.max_text_chars` for labelled files).
    """
    path = Path(path)
    check = DataCheck(path=path)
    if not path.is_file():
        check.problems.append(Problem(0, "path", "no such file"))
        return check
    records = read_records(path, check.problems)
    required = ("text", "label") if require_label else ("text",)
    missing = _missing_columns(records, required)
    if missing:
        check.problems.append(Problem(1, missing[0], f"missing column(s): {', '.join(missing)}"))
        return check
    if not records and not check.problems:
        check.problems.append(Problem(0, "text", "the file holds no rows"))
    real_text = _missing_columns(records, ("repository",)) == [] and bool(records)
    for row, record in records:
        example, problems = _check_record(row, record, require_label, labels, max_chars)
        provenance = _provenance_problems(row, record) if real_text else []
        check.problems.extend(problems + provenance)
        if example is not None and not provenance:
            check.examples.append(example)
    if require_label:
        check.problems.extend(_duplicate_problems(check.examples))
    check.problems.sort(key=lambda problem: problem.row)
    return check


def valid(check: DataCheck) -> DataCheck:
    """`check` itself when it found nothing wrong; raises DataError naming every problem otherwise."""
    if not check.ok:
        raise DataError(check)
    return check


def load_examples(path: Path | str, *, max_chars: int, require_label: bool = True) -> list[Example]:
    """The examples of a valid file; raises DataError naming every problem otherwise."""
    return valid(check_file(path, max_chars=max_chars, require_label=require_label)).examples


def file_sha256(path: Path | str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def shared_documents(test: list[Example], train: list[Example]) -> list[Problem]:
    """Test rows whose source document also gave training rows: a split by document keeps each whole."""
    trained = {}
    for example in train:
        if example.document:
            trained.setdefault(example.document, example.row)
    return [Problem(example.row, "document", f"'{example.document}' also gave training row "
                                             f"{trained[example.document]}; a document belongs to one side only")
            for example in test if example.document in trained]


@dataclass(frozen=True)
class NearDuplicate:
    """A test sentence too close to a training sentence."""

    test_row: int
    train_row: int
    similarity: float
    test_text: str
    train_text: str


def near_duplicates(test: list[Example], train: list[Example], threshold: float) -> list[NearDuplicate]:
    """Test sentences whose TF-IDF cosine similarity to some training sentence is >= threshold
    (`DataSettings.max_train_test_similarity`).

    The vectoriser is fitted on both sets (word unigrams and bigrams), so shared rare words
    weigh as they would for a bag-of-words model that memorised the training data.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    if not test or not train:
        return []
    vectoriser = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    vectoriser.fit([e.text for e in train] + [e.text for e in test])
    test_matrix = vectoriser.transform([e.text for e in test])
    train_matrix = vectoriser.transform([e.text for e in train])
    similarity = (test_matrix @ train_matrix.T).toarray()
    found = []
    for test_index, row in enumerate(similarity):
        train_index = int(row.argmax())
        if row[train_index] >= threshold:
            found.append(NearDuplicate(test[test_index].row, train[train_index].row,
                                       round(float(row[train_index]), 3),
                                       test[test_index].text, train[train_index].text))
    return found
