"""Joining the blind labelling passes and splitting the real sentences by document (training.realsplit)."""

from __future__ import annotations

import pytest

from stance.data import normalise_text
from training.realsplit import (beside_frozen_test, agreement, extend_split, latest_readings, settle,
                               split_by_document)


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


def test_a_kept_split_keeps_each_earlier_document_on_its_side_and_draws_only_new_ones():
    documents = {f"s{i}": f"doc{i // 2}" for i in range(40)}  # twenty documents of two sentences
    kept = {"doc0": "test", "doc1": "train", "doc2": "test"}
    test = extend_split(sorted(documents), documents, kept, test_share=0.25, seed=3)
    assert {"s0", "s1", "s4", "s5"} <= test and not {"s2", "s3"} & test
    drawn = test - {"s0", "s1", "s4", "s5"}
    assert len(drawn) == 8  # a quarter of the 34 sentences in new documents, in whole documents


def test_a_sentence_read_again_in_a_later_round_takes_its_latest_reading():
    candidates = {"r1": {"document": "d", "locator": "p1s1"}, "r2": {"document": "d", "locator": "p1s2"},
                  "v1": {"document": "d", "locator": "p1s1"}}
    assert latest_readings(candidates) == {"r1": "v1", "r2": "r2", "v1": "v1"}


def test_a_frozen_test_set_stays_as_it_is_and_new_near_copies_of_it_leave_training():
    candidates = {
        "a1": {"text": "That report is false and we said so at the time.", "document": "d:test"},
        "a2": {"text": "The embassy reopened on Monday morning after repairs.", "document": "d:test"},
        "b1": {"text": "That report is false and we said so at the time!", "document": "d:other"},
        "b2": {"text": "Grain shipments resumed through the northern corridor.", "document": "d:other"},
        "c1": {"text": "A new sentence read later from the test document.", "document": "d:test"},
    }
    label = {"a1": "denial", "a2": "assertion", "b1": "denial", "b2": "assertion", "c1": "assertion"}
    documents = {i: row["document"] for i, row in candidates.items()}
    frozen = {normalise_text(candidates[i]["text"]): "d:test" for i in ("a1", "a2")}
    files, dropped = beside_frozen_test(candidates, label, documents, frozen)
    assert files == {"real_train.csv": ["b2"], "real_test.csv": ["a1", "a2"]}
    assert dropped == {"real_train_vs_real_test": 1, "real_train_vs_written_test": 0}
