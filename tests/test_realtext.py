"""Reading officials' words out of the public-domain sources (training.realtext)."""

from __future__ import annotations

from training.realtext import DENIAL_CUES, RealSentence, official_paragraphs, poldis_paragraphs, sample

TRANSCRIPT = ["MS. JEAN-PIERRE:  Good afternoon, everybody.  (Applause.)",
              "We have Admiral John Kirby here today.",
              "Q    Is it true that the talks have collapsed?",
              "Follow-up: and when will you know?",
              "MR. KIRBY:  That report is simply false.",
              "Q  Thanks."]


def test_only_officials_words_are_kept_and_stage_directions_dropped():
    assert list(official_paragraphs(TRANSCRIPT)) == ["Good afternoon, everybody.",
                                                     "We have Admiral John Kirby here today.",
                                                     "That report is simply false."]


def sentence(text: str, whole: bool, document: str = "r/r:f.md") -> RealSentence:
    return RealSentence(text=text, repository="r/r", commit="0" * 40, file=document.split(":")[1],
                        document=document, locator="p1s1", whole=whole)


def test_sampling_mixes_random_and_cue_sentences_without_duplicates():
    found = [sentence(f"Plain sentence number {i} about the budget.", True) for i in range(50)]
    found += [sentence(f"That report number {i} is false.", False) for i in range(50)]
    picked = sample(found, 20, seed=1, shares=(0.5, 0.5, 0.0))
    assert len(picked) == 20 and len({x.text for x in picked}) == 20
    assert sum(bool(DENIAL_CUES.search(x.text)) for x in picked) == 10


def test_sampling_skips_the_documents_of_a_frozen_test_set_and_earlier_rounds_texts():
    found = [sentence(f"That report number {i} is false.", False, f"r/r:{i % 2}.md") for i in range(40)]
    earlier = frozenset({"that report number 2 is false."})
    picked = sample(found, 30, seed=1, shares=(0.0, 1.0, 0.0), exclude=earlier, skip_documents=frozenset({"r/r:1.md"}))
    assert {x.document for x in picked} == {"r/r:0.md"}
    assert len(picked) == 19 and "That report number 2 is false." not in {x.text for x in picked}


def test_a_1960_80_conference_keeps_the_presidents_answers_without_headings_or_questions():
    text = ("SITUATION IN IRAN,THE PRESIDENT. Since the day our Embassy was seized, we have had two goals.,"
            "VOTERS IN ALABAMA Recently there have been some positive signs.,QUESTIONS,SHAH OF IRAN,"
            "Q. Mr. President, was it proper?,Follow-up, sir.,THE 25TH AMENDMENT [12.] Q. Mr. President, will you "
            "keep it?,THE PRESIDENT. That's ancient history, [laughter] and I won't go into it.")
    assert list(official_paragraphs(poldis_paragraphs(text))) == [
        "Since the day our Embassy was seized, we have had two goals.", "Recently there have been some positive signs.",
        "That's ancient history, and I won't go into it."]
