"""A symptom only the patient mentions is coded when the visit takes it up, and not when it is a
passing mention (coding/facts.py): the real visits D2N039 (back pain named to explain ibuprofen
in a blood-pressure visit) and vague_back.txt (a back complaint the clinician asks after), on
the real extractor. And the careless coder's codes: pain down the leg is read as sciatica only
in a visit about the spine."""

from __future__ import annotations

import pytest

from scribeplugin.codeset import get_codeset
from scribeplugin.coding.analysis import Analysis
from scribeplugin.extract.findings import FindingExtractor


@pytest.fixture(scope="module")
def extractor() -> FindingExtractor:
    return FindingExtractor()


def codes(extractor: FindingExtractor, text: str) -> list[str]:
    return [p.code for p in Analysis.of(extractor.extract(text), get_codeset(), text).proposals]


def test_a_passing_mention_is_not_coded(extractor: FindingExtractor) -> None:
    text = (
        "Doctor: Do you take any anti-inflammatories like Advil?\n"
        "Patient: Just once in a while for my back pain, not every day.\n"
        "Doctor: Okay, and what kind of alcohol intake do you have?\n"
        "Patient: A couple of beers a week.\n"
    )
    assert codes(extractor, text) == []


def test_a_symptom_the_clinician_asks_after_is_coded(extractor: FindingExtractor) -> None:
    text = (
        "Doctor: What can I help you with?\n"
        "Patient: My back's been bothering me for months.\n"
        "Doctor: Where does it bother you most?\n"
        "Patient: It moves around.\n"
    )
    assert codes(extractor, text) == ["M54.9"]  # Dorsalgia, unspecified, to be documented


def test_a_symptom_the_clinician_names_is_coded(extractor: FindingExtractor) -> None:
    text = (
        "Patient: Just once in a while for my back pain.\n"
        "Doctor: Okay, and what kind of alcohol intake do you have?\n"
        "Doctor: Assessment: low back pain, mechanical. Stretching program.\n"
    )
    assert codes(extractor, text) == ["M54.50"]  # Low back pain, unspecified


def naive(extractor: FindingExtractor, text: str) -> frozenset[str]:
    return Analysis.of(extractor.extract(text), get_codeset(), text).naive


def test_pain_down_the_leg_in_a_knee_visit_is_no_careless_sciatica(
    extractor: FindingExtractor,
) -> None:
    """ "A shooting pain down to my ankle" when the kneecap is moved, in a visit about a knee
    sprain: no careless M54.3- (so no sciatica warning beside a knee code)."""
    text = (
        "Doctor: Does it hurt when I move your kneecap?\n"
        "Patient: It gives me a shooting pain down to my ankle, but it doesn't hurt my knee.\n"
        "Doctor: Assessment: a sprain of the medial collateral ligament of the right knee.\n"
    )
    assert not [c for c in naive(extractor, text) if c.startswith("M54")]


def test_pain_down_the_leg_with_low_back_pain_is_the_careless_sciatica(
    extractor: FindingExtractor,
) -> None:
    text = (
        "Patient: My low back hurts and I get a shooting pain down my right leg.\n"
        "Doctor: Assessment: L4-L5 disc herniation with right L5 radiculopathy.\n"
    )
    assert any(c.startswith("M54.4") or c.startswith("M54.3") for c in naive(extractor, text))


def test_back_pain_in_the_upper_back_beside_neck_pain_is_thoracic(
    extractor: FindingExtractor,
) -> None:
    """ "Pain in your neck and your upper back", then "your back pain, neck pain": the neck's
    pain and the thoracic spine's, not the neck's alone."""
    text = (
        "Doctor: Do you have pain anywhere?\n"
        "Patient: Yes, up here and here, for years now.\n"
        "Doctor: Okay, so in your neck and your upper back.\n"
        "Doctor: Assessment: the back pain and the neck pain come from the posture at work; "
        "we will start physical therapy.\n"
    )
    assert sorted(codes(extractor, text)) == ["M54.2", "M54.6"]  # Cervicalgia; thoracic spine
