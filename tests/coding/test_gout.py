"""Gout by the joint the clinician names, on the real extractor: the Alphabetic Index sends
"Gout" at a site to "Gout, idiopathic, <site>" (M10.0-), chronic gout to its own category
("Gout, chronic": M1A), whose 7th character says whether there are tophi; gouty bursitis is
coded as the gout ("Bursitis, gouty - see Gout").

Synthetic sentences; each expected code is checked against its tabular description.
"""

from __future__ import annotations

import pytest

from tests.coding.conftest import Coded, described


@pytest.mark.parametrize(
    ("text", "code", "meaning"),
    [
        (
            "Doctor: The aspirate from the right knee showed urate crystals. Assessment: acute "
            "gout flare of the right knee.",
            "M10.061",
            "Idiopathic gout, right knee",
        ),
        (
            "Doctor: Your left big toe joint is hot and swollen. Assessment: gout attack in the "
            "left great toe. Colchicine.",
            "M10.072",
            "Idiopathic gout, left ankle and foot",
        ),
        (
            "Doctor: Assessment: gout of the right wrist, confirmed by the tap.",
            "M10.031",
            "Idiopathic gout, right wrist",
        ),
        (
            "Doctor: Another flare, already settling. Assessment: gout flare. Refill colchicine.",
            "M10.9",
            "Gout, unspecified",
        ),
        (
            "Doctor: Assessment: gouty bursitis of the left elbow at the olecranon. Colchicine.",
            "M10.022",
            "Idiopathic gout, left elbow",
        ),
    ],
)
def test_gout_is_coded_at_its_joint(coded: Coded, text: str, code: str, meaning: str) -> None:
    got = coded(text + "\n")
    assert list(got) == [code], got
    assert got[code].confident and not got[code].missing
    assert described(code) == meaning


@pytest.mark.parametrize(
    ("text", "code", "meaning"),
    [
        (
            # the tophi are said in the exam, far from the gout of the assessment
            "Doctor: On exam there are no tophi over the ankle or the toes, the range is fine, "
            "and the swelling is down. Assessment: chronic gout of the right foot.",
            "M1A.0710",
            "Idiopathic chronic gout, right ankle and foot, without tophus (tophi)",
        ),
        (
            "Doctor: Assessment: chronic tophaceous gout of the left knee. Raise the allopurinol.",
            "M1A.0621",
            "Idiopathic chronic gout, left knee, with tophus (tophi)",
        ),
    ],
)
def test_chronic_gout_takes_its_tophi_from_the_visit(
    coded: Coded, text: str, code: str, meaning: str
) -> None:
    got = coded(text + "\n")
    assert list(got) == [code], got
    assert got[code].confident and not got[code].missing
    assert described(code) == meaning


def test_chronic_gout_without_a_word_on_tophi_is_asked(coded: Coded) -> None:
    got = coded("Doctor: Assessment: chronic gout of the right knee. Continue allopurinol.\n")
    assert list(got) == ["M1A.0610"], got
    assert got["M1A.0610"].missing == ["tophus"]


def test_gout_in_both_big_toes_is_coded_on_each_side(coded: Coded) -> None:
    got = coded("Doctor: Assessment: gout in both big toes. Colchicine.\n")
    assert sorted(got) == ["M10.071", "M10.072"], got


def test_bursitis_not_called_gouty_keeps_its_own_code(coded: Coded) -> None:
    got = coded(
        "Doctor: Assessment: gout of the left great toe; olecranon bursitis of the right elbow "
        "from leaning on it.\n"
    )
    assert sorted(got) == ["M10.072", "M70.21"], got
    # two conditions named together: the bursitis is not called gouty
    got = coded("Doctor: Assessment: gout and prepatellar bursitis of the left knee.\n")
    assert sorted(got) == ["M10.062", "M70.42"], got


def test_chronic_gout_with_its_tophi_said_far_away_is_supported(coded: Coded) -> None:
    """The first mention ("chronic gout of the right foot") is far from "no tophi"; the tophi
    are the visit's, so both readings give the same supported code."""
    text = (
        "Doctor: You have had chronic gout of the right foot for years, flares every month "
        "despite allopurinol, and no tophi on exam. Assessment: chronic idiopathic gout of the "
        "right ankle and foot without tophi.\n"
    )
    got = coded(text)
    assert list(got) == ["M1A.0710"], got
    assert got["M1A.0710"].confident and not got["M1A.0710"].missing


def test_gout_in_the_review_of_systems_is_not_coded(coded: Coded) -> None:
    """A disease named in the review of systems ("musculoskeletal, gout, muscle pain") is no
    diagnosis of this visit: gout is coded from the clinician's assessment (``assessed``)."""
    got = coded(
        "Doctor: review of systems, please make the following changes. musculoskeletal, gout, "
        "muscle pain. neurological, paresthesia, bilateral hands.\n"
        "Doctor: the left ankle and foot look normal.\n"
        "Doctor: Assessment: bilateral carpal tunnel syndrome. Night splints.\n"
    )
    assert "G56.03" in got, got
    assert not [c for c in got if c.startswith(("M10", "M1A"))], got
