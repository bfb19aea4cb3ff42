"""Sentence units: ASR text must split, and a leading "no," must stand apart from the claim."""

from __future__ import annotations

import pytest

from scribeplugin.extract.transcript import parse_transcript
from scribeplugin.extract.units import is_question, split_units


def _texts(text: str) -> list[str]:
    t = parse_transcript(text)
    return [t.text[u.start : u.end] for u in split_units(t)]


def test_asr_text_splits_into_sentences() -> None:
    text = (
        "[doctor] any numbness ? [patient] no . it just hurts in my lower back . "
        "i had an mri , it showed a disc bulge ; the pt did n't help"
    )
    assert _texts(text) == [
        "any numbness ?",
        "no .",
        "it just hurts in my lower back .",
        "i had an mri ,",
        "it showed a disc bulge ;",
        "the pt did n't help",
    ]


def test_a_comma_before_a_new_subject_splits() -> None:
    assert _texts("No numbness, tingling or weakness, I just have back pain.") == [
        "No numbness, tingling or weakness,",
        "I just have back pain.",
    ]


def test_abbreviations_do_not_split() -> None:
    assert _texts("I saw Dr. Smith vs. Dr. Jones, e.g. last week. Then I rested.") == [
        "I saw Dr. Smith vs. Dr. Jones, e.g. last week.",
        "Then I rested.",
    ]


def test_lines_split() -> None:
    assert _texts("Assessment:\nL5-S1 disc herniation\nPlan: PT") == [
        "Assessment:",
        "L5-S1 disc herniation",
        "Plan: PT",
    ]


@pytest.mark.parametrize(
    ("reply", "units", "polarity"),
    [
        ("No.", ["No."], "no"),
        ("No, it's just my back.", ["No,", "it's just my back."], "no"),
        ("no it 's just my back", ["no", "it 's just my back"], "no"),
        (
            "Uh no it's just the uh the low back pain.",
            ["Uh no", "it's just the uh the low back pain."],
            "no",
        ),
        ("No numbness at all.", ["No numbness at all."], "no"),
        ("I don't have any numbness.", ["I don't have any numbness."], "no"),
        ("Yeah, in my left foot.", ["Yeah,", "in my left foot."], "yes"),
        ("yeah it goes down my leg", ["yeah", "it goes down my leg"], "yes"),
        ("Yeah no, I've been healthy.", ["Yeah no,", "I've been healthy."], "no"),
        ("Not really, just the back.", ["Not really,", "just the back."], "no"),
        ("Right here in my lower back.", ["Right here in my lower back."], None),
        ("It started last week.", ["It started last week."], None),
    ],
)
def test_answers(reply: str, units: list[str], polarity: str | None) -> None:
    t = parse_transcript(f"Doctor: Any leg pain?\nPatient: {reply}")
    us = split_units(t)
    assert [t.text[u.start : u.end] for u in us[1:]] == units
    assert us[1].polarity == polarity


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        ("Any numbness or tingling?", True),
        ("any numbness or tingling", True),
        ("and do you have any leg pain", True),
        ("How long has this been going on", True),
        ("So the pain goes down your leg?", True),
        ("Is there any weakness.", True),
        ("Do these stretches twice a day.", False),
        ("It hurts when I bend.", False),
        ("You have sciatica.", False),
    ],
)
def test_questions(sentence: str, question: bool) -> None:
    assert is_question(sentence) is question


def test_assessment_section() -> None:
    t = parse_transcript("History: back pain.\nAssessment: lumbar strain.\nNo fracture.\nExam: ok.")
    flags = [u.assessment_section for u in split_units(t)]
    assert flags == [False, True, True, False]


def test_a_header_dictated_inline_opens_its_section() -> None:
    """ "... full motion. Assessment: osteoarthritis of the left knee; status post right total
    knee arthroplasty." The units after the inline header are the assessment's, the one before
    it is not; a header-like word inside the exam ("Note: ...") opens no assessment."""
    t = parse_transcript(
        "Doctor: The right knee is stable with full motion. Assessment: osteoarthritis of the "
        "left knee; status post right total knee arthroplasty.\n"
        "Doctor: Note: the wound is clean.\n"
    )
    units = split_units(t)
    flags = [(t.text[u.start : u.end], u.assessment_section) for u in units]
    assert flags[0] == ("The right knee is stable with full motion.", False)
    assert [f for _, f in flags[1:3]] == [True, True], flags
    assert flags[-1][1] is False, flags


def test_a_header_right_after_the_speakers_label_opens_its_section() -> None:
    """ "Doctor: Assessment: A; B.": the header is the turn's first word, after the label, not
    at the start of a transcript line; both clauses are the assessment's."""
    t = parse_transcript(
        "Patient: It hurts.\n"
        "Doctor: Assessment: osteoarthritis of the left knee; status post right total knee "
        "arthroplasty.\n"
        "Doctor: See you in three months.\n"
    )
    flags = [(t.text[u.start : u.end], u.assessment_section) for u in split_units(t)]
    assert [f for _, f in flags] == [False, True, True, False], flags
