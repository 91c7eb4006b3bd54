"""Joining the blind labelling passes and splitting the real sentences by document (training.realsplit)."""

from __future__ import annotations

import pytest

from training.realsplit import agreement, settle, split_by_document


def test_two_agreeing_passes_decide_and_a_third_reading_settles_a_disagreement():
    first = {"a": "denial", "b": "assertion", "c": "euphemism", "d": "denial"}
    second = {"a": "denial", "b": "euphemism", "c": "assertion", "d": "assertion"}
    third = {"b": "euphemism", "c": "denial"}
    assert settle((first, second, third)) == {"a": "denial", "b": "euphemism"}


def test_agreement_counts_the_ids_both_passes_labelled():
    figures = agreement({"a": "denial", "b": "assertion", "c": "euphemism", "x": "denial"},
                        {"a": "denial", "b": "assertion", "c": "assertion"})
    assert (figures["labelled_twice"], figures["agreed"], figures["agreement"]) == (3, 2, pytest.approx(0.6667))
    assert figures["disagreements"] == [("euphemism/assertion", 1)] and 0 < figures["cohen_kappa"] < 1


def test_the_test_set_takes_whole_documents_until_it_is_big_enough():
    documents = {f"s{i}": f"doc{i // 3}" for i in range(30)}  # ten documents of three sentences
    test = split_by_document(sorted(documents), documents, test_size=7, seed=1)
    assert len(test) == 9 and len({documents[i] for i in test}) == 3
    assert split_by_document(sorted(documents), documents, 7, seed=1) == test
