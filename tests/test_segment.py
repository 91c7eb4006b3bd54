"""Sentence splitting keeps exact character offsets."""

from __future__ import annotations

from conftest import ROOT
from stance.segment import split_sentences


def test_offsets_slice_back_to_each_sentence():
    text = ("Mr. Smith arrived in Washington on Jan. 5.  The U.S. Army denied it!\n\n"
            "HEADLINE WITHOUT A STOP\nIs it true? It is.  It is.")
    spans = split_sentences(text)
    assert [s.text for s in spans] == ["Mr. Smith arrived in Washington on Jan. 5.", "The U.S. Army denied it!",
                                       "HEADLINE WITHOUT A STOP", "Is it true?", "It is.", "It is."]
    for span in spans:
        assert text[span.start:span.end] == span.text
    assert spans[-1].start > spans[-2].start


def test_seed_article_offsets_are_exact():
    text = (ROOT / "seeds" / "seed_article.txt").read_text(encoding="utf-8")
    spans = split_sentences(text)
    assert len(spans) >= 10
    assert all(text[s.start:s.end] == s.text for s in spans)
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:]))


def test_blank_text_has_no_sentences():
    assert split_sentences("  \n\n ") == []
