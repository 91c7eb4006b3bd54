"""The label set, defined once, and how raw labels are read."""

from __future__ import annotations

from stance.labels import LABEL_DESCRIPTIONS, LABELS, id_to_label, label_to_id, normalise_label, suggest_label


def test_three_labels_in_a_fixed_order_each_described():
    assert LABELS == ("assertion", "denial", "euphemism")
    assert set(LABEL_DESCRIPTIONS) == set(LABELS)


def test_ids_and_labels_map_both_ways():
    assert label_to_id() == {"assertion": 0, "denial": 1, "euphemism": 2}
    assert id_to_label() == {0: "assertion", 1: "denial", 2: "euphemism"}
    custom = ("b", "a")
    assert {label: index for index, label in id_to_label(custom).items()} == label_to_id(custom)


def test_raw_labels_are_read_ignoring_case_and_spacing():
    assert normalise_label("  Denial \n") == "denial"


def test_a_misspelt_label_gets_the_closest_suggestion_or_none():
    assert suggest_label("denail") == "denial"
    assert suggest_label("Euphamism") == "euphemism"
    assert suggest_label("opinion") is None
