"""A disease of the whole body named with no site (rheumatoid arthritis, osteoarthritis,
osteoporosis, lupus, psoriatic arthritis) is coded only when the clinician diagnoses it or takes
it up at this visit: a problem list read out, or the history, is not a diagnosis of the visit
(issue 15, "only what the clinician concluded is billed").

Clinicians take a problem up by naming it as the topic of what they say next ("in terms of your
lupus, ...", "from an osteoporosis standpoint, we'll ...", "for your secondary concern of your
rheumatoid arthritis, ..."), so those phrases are assessment cues; "how are you doing in terms
of your knee replacement?" asks instead, and a "CBC with differential" is a blood test, not a
differential diagnosis whose doubt reaches the rest of an unpunctuated sentence.

Synthetic visits on the real extractor; each expected code is checked against its tabular
description.
"""

from __future__ import annotations

import pytest

from scribeplugin.extract.findings import FindingExtractor
from tests.coding.conftest import Coded, described


def test_a_problem_list_read_out_codes_none_of_its_joint_diseases(coded: Coded) -> None:
    got = coded(
        "Doctor: Does he have any current medical problems?\n"
        "Nurse: He does. Congestive heart failure, atrial fibrillation, type 2 diabetes, "
        "hypothyroidism, and multiple joint disease including arthritis, both rheumatoid and "
        "degenerative.\n"
        "Doctor: And what brings him in?\n"
        "Nurse: Lightheadedness for two weeks, worse when he stands up.\n"
        "Doctor: Assessment: orthostatic lightheadedness. We'll check orthostatic vitals.\n"
    )
    assert not [c for c in got if c.startswith(("M05", "M06", "M15", "M19"))], got


@pytest.mark.parametrize(
    ("text", "code", "meaning"),
    [
        (
            "doctor: and in terms of your lupus we'll keep you on the hydroxychloroquine and "
            "see you back in three months",
            "M32.9",
            "Systemic lupus erythematosus, unspecified",
        ),
        (
            "doctor: so from an osteoporosis standpoint we'll continue the alendronate and "
            "repeat the bone density scan next year",
            "M81.0",
            "Age-related osteoporosis without current pathological fracture",
        ),
        (
            "doctor: now for your secondary concern of your rheumatoid arthritis i want you to "
            "keep following up with your rheumatologist and stay on your medication",
            "M06.9",
            "Rheumatoid arthritis, unspecified",
        ),
        (
            "doctor: she's here today for ongoing management of psoriatic arthritis . how have "
            "you been ?\npatient: pretty good , the new injection is working",
            "L40.50",
            "Arthropathic psoriasis, unspecified",
        ),
    ],
)
def test_a_disease_the_clinician_takes_up_by_name_is_coded(
    coded: Coded, text: str, code: str, meaning: str
) -> None:
    assert described(code) == meaning
    got = coded(text)
    assert code in got, got


def test_a_cbc_with_differential_leaves_the_next_problem_certain(coded: Coded) -> None:
    got = coded(
        "doctor: i'm gon na send a cbc with differential and a metabolic panel and we'll check "
        "a urinalysis as well and now for your third problem osteoarthritis i want you to stay "
        "active and take tylenol for the pain\n"
    )
    assert described("M19.90") == "Unspecified osteoarthritis, unspecified site"
    assert "M19.90" in got, got
    assert got["M19.90"].confident


def test_asking_how_a_joint_replacement_is_doing_does_not_code_it(coded: Coded) -> None:
    got = coded(
        "doctor: and how are you doing in terms of your knee replacement i know you had that "
        "done last year\npatient: it seems okay\n"
        "doctor: assessment iron deficiency anemia we'll repeat the blood count\n"
    )
    assert not [c for c in got if c.startswith(("Z96.65", "Z47"))], got


def test_ra_is_rheumatoid_arthritis_but_on_ra_is_room_air(
    coded: Coded, extractor: FindingExtractor
) -> None:
    assert described("M05.9") == "Rheumatoid arthritis with rheumatoid factor, unspecified"
    assert "M05.9" in coded("Doctor: Assessment: seropositive RA, on methotrexate.\n")
    for text in (
        "Doctor: Oxygen saturation 97% on RA, heart regular.\n",
        "Doctor: We checked an RA factor and it was normal.\n",
    ):
        found = [f.concept for f in extractor.extract(text)]
        assert "rheumatoid_arthritis" not in found, (text, found)


def test_a_status_the_clinician_gives_a_listed_disease_takes_it_up(coded: Coded) -> None:
    """MEAT's "evaluated": "DJD, stable" is the clinician's judgement on it; the same disease
    in a list with no word on it is not (the first test)."""
    got = coded(
        "Doctor: Problem list reviewed. Osteoporosis, stable, on alendronate weekly. Nothing "
        "else has changed.\n"
    )
    assert "M81.0" in got, got


def test_the_recovery_from_a_replacement_is_the_visits_reason_without_an_assessment_cue(
    coded: Coded,
) -> None:
    """A replaced joint's status is coded from the clinician's conclusion (``assessed``), or
    when the words of its aftercare are said beside it: the recovery is what the visit is for."""
    assert described("Z47.1") == "Aftercare following joint replacement surgery"
    assert described("Z96.651") == "Presence of right artificial knee joint"
    got = coded(
        "doctor: you're six weeks out from your right total knee replacement and you're doing "
        "great with physical therapy . continue pt\n"
    )
    assert {"Z47.1", "Z96.651"} <= set(got), got


def test_a_bruise_with_a_tear_denied_is_coded(coded: Coded) -> None:
    """ "I don't see anything to suggest a ligament tear": the tear is denied (the "suggest" is
    no plan that ends the negation), so the bruise is not the sign of a deeper injury
    (``sign_of``) and is coded."""
    assert described("S80.02XA") == "Contusion of left knee, initial encounter"
    got = coded(
        "doctor: your knee x-ray doesn't show any fracture and i don't see anything to suggest "
        "a ligament tear . it's just a bruise of the left knee , a contusion . ice it\n"
    )
    assert "S80.02XA" in got and not [c for c in got if c.startswith("S83")], got


def test_both_of_your_knees_is_both_sides(coded: Coded) -> None:
    """ "Both of your knees" names both sides, as "both knees" does: the bilateral code, not the
    unilateral one with a question of side."""
    assert described("M17.0") == "Bilateral primary osteoarthritis of knee"
    got = coded(
        "doctor: both of your knees have osteoarthritis , the left worse than the right . we'll "
        "inject both today\n"
    )
    assert list(got) == ["M17.0"], got
