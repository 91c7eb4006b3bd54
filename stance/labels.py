"""The label set, defined once. Every saved model carries a copy of it."""

from __future__ import annotations

import difflib

LABELS: tuple[str, ...] = ("assertion", "denial", "euphemism")

LABEL_DESCRIPTIONS: dict[str, str] = {
    "assertion": "states something as fact, or reports that someone claims it",
    "denial": "rejects, rebuts or contradicts a claim, report, accusation or rumour",
    "euphemism": "describes an unfavourable fact in softened, vague, technical or positive words",
}


def label_to_id(labels: tuple[str, ...] = LABELS) -> dict[str, int]:
    return {label: index for index, label in enumerate(labels)}


def id_to_label(labels: tuple[str, ...] = LABELS) -> dict[int, str]:
    return dict(enumerate(labels))


def normalise_label(raw: str) -> str:
    """Labels are matched case- and whitespace-insensitively ("Denial " is "denial")."""
    return raw.strip().lower()


def suggest_label(raw: str, labels: tuple[str, ...] = LABELS) -> str | None:
    """The closest known label to a misspelt one, if any is close enough."""
    matches = difflib.get_close_matches(normalise_label(raw), labels, n=1, cutoff=0.5)
    return matches[0] if matches else None
