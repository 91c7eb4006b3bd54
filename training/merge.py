"""Merging an analyst's labelled rows into the training data (the first steps of `stance retrain`).

Nothing here writes the training file: `plan_merge` validates and returns the merged rows,
and the caller writes them to a pending file that replaces the real one only once the new
model is accepted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from stance.data import (DataCheck, DataError, Example, Problem, check_file, file_sha256, normalise_text,
                         read_records, valid)
from stance.files import csv_text

# Columns the merged training file gains so that every row says where it came from.
PROVENANCE_COLUMNS = ("source", "added", "relabelled_from")


@dataclass(frozen=True)
class Relabel:
    """A training row whose label the new file replaces (`--relabel`)."""

    train_row: int
    new_row: int
    text: str
    old_label: str
    new_label: str


@dataclass
class MergePlan:
    """What merging a new file would change, and the merged training rows."""

    source: Path
    source_sha256: str
    new_rows: int
    added: list[Example] = field(default_factory=list)
    holdout: list[Example] = field(default_factory=list)
    skipped: list[Example] = field(default_factory=list)
    relabelled: list[Relabel] = field(default_factory=list)
    records: list[dict] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)

    @property
    def changes_anything(self) -> bool:
        return bool(self.added or self.relabelled)

    def summary(self) -> dict:
        return {
            "source": str(self.source),
            "source_sha256": self.source_sha256,
            "new_rows": self.new_rows,
            "added": len(self.added),
            "holdout": len(self.holdout),
            "skipped_identical": len(self.skipped),
            "relabelled": [vars(relabel) for relabel in self.relabelled],
            "merged_rows": len(self.records),
        }


def plan_merge(new_path: Path, train_path: Path, test_path: Path, *, labels: tuple[str, ...], max_chars: int,
               relabel: bool, holdout_fraction: float, seed: int, added_on: str) -> MergePlan:
    """Validate `new_path` against the training and test data and merge it into the training rows.

    Raises DataError naming every offending row of the new file: the rules of
    `stance data check`, a sentence of the frozen test set, or a sentence already in the
    training data under another label (unless `relabel`).
    """
    new_path, train_path = Path(new_path), Path(train_path)
    new = check_file(new_path, labels=labels, max_chars=max_chars)
    train = valid(check_file(train_path, labels=labels, max_chars=max_chars))
    test = valid(check_file(test_path, labels=labels, max_chars=max_chars))
    in_train = {normalise_text(example.text): example for example in train.examples}
    in_test = {normalise_text(example.text): example for example in test.examples}

    plan = MergePlan(source=new_path, source_sha256=file_sha256(new_path), new_rows=len(new.examples))
    problems, fresh = list(new.problems), []
    for example in new.examples:
        key = normalise_text(example.text)
        existing = in_train.get(key)
        if key in in_test:
            problems.append(Problem(example.row, "text", f"this sentence is in the frozen test set "
                                    f"({test_path} row {in_test[key].row}) and cannot be used for training"))
        elif existing is None:
            fresh.append(example)
        elif existing.label == example.label:
            plan.skipped.append(example)
        elif relabel:
            plan.relabelled.append(Relabel(existing.row, example.row, existing.text, existing.label, example.label))
        else:
            problems.append(Problem(example.row, "label", f"labelled '{example.label}' here but "
                                    f"'{existing.label}' in {train_path} row {existing.row}; "
                                    "pass --relabel to replace the old label"))
    if problems:
        problems.sort(key=lambda problem: problem.row)
        raise DataError(DataCheck(path=new_path, examples=new.examples, problems=problems))
    plan.added, plan.holdout = split_holdout(fresh, holdout_fraction, seed)
    plan.columns, plan.records = _merged_records(train_path, plan, new_path.name, added_on)
    return plan


def split_holdout(examples: list[Example], fraction: float, seed: int) -> tuple[list[Example], list[Example]]:
    """Keep `fraction` of the new rows aside (stratified by label where every label allows it)."""
    if fraction <= 0 or not examples:
        return examples, []
    from sklearn.model_selection import train_test_split

    size = max(1, round(fraction * len(examples)))
    if size >= len(examples):
        raise DataError.about_file(Path("--holdout"), "holdout", f"a holdout of {fraction:g} keeps all "
                                   f"{len(examples)} new rows aside; nothing would be left to train on")
    labels = [example.label for example in examples]
    counts = {label: labels.count(label) for label in set(labels)}
    stratify = labels if min(counts.values()) >= 2 and size >= len(counts) else None
    kept, held = train_test_split(examples, test_size=size, random_state=seed, stratify=stratify)
    return sorted(kept, key=lambda e: e.row), sorted(held, key=lambda e: e.row)


def _merged_records(train_path: Path, plan: MergePlan, source: str, added_on: str) -> tuple[list[str], list[dict]]:
    problems: list[Problem] = []
    rows = read_records(train_path, problems)
    relabels = {relabel.train_row: relabel for relabel in plan.relabelled}
    records = []
    for row, record in rows:
        record = dict(record)
        if row in relabels:
            record.update(label=relabels[row].new_label, source=source, added=added_on,
                          relabelled_from=relabels[row].old_label)
        records.append(record)
    for example in plan.added:
        records.append({"text": example.text, "label": example.label, "domain": example.domain,
                        "source": source, "added": added_on, "relabelled_from": ""})
    columns = list(dict.fromkeys([*(rows[0][1].keys() if rows else ("text", "label", "domain")),
                                  *PROVENANCE_COLUMNS]))
    return columns, records


def render_records(records: list[dict], columns: list[str], suffix: str) -> str:
    """The merged rows in the training file's own format (CSV or JSONL)."""
    if suffix.lower() == ".jsonl":
        return "".join(json.dumps({c: r.get(c, "") for c in columns}, ensure_ascii=False) + "\n" for r in records)
    return csv_text(({column: record.get(column) or "" for column in columns} for record in records), columns)
