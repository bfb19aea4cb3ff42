"""Tears, tendinitis and bursitis by their kind, on the real extractor: the Alphabetic Index's
subterms a coder walks ("Tear, rotator cuff, nontraumatic, complete"; "Tendinitis, calcific,
shoulder"; "Bursitis, infective, elbow"), read near the finding (``coding.phrases.part_*``)
unless denied or doubted.

Synthetic sentences; each expected code is checked against its tabular description.
"""

from __future__ import annotations

import pytest

from tests.coding.conftest import Coded, described


@pytest.mark.parametrize(
    ("sentence", "code", "meaning"),
    [
        (
            "Assessment: full-thickness rotator cuff tear of the right shoulder, degenerative.",
            "M75.121",
            "Complete rotator cuff tear or rupture of right shoulder, not specified as traumatic",
        ),
        (
            "Assessment: partial-thickness tear of the left rotator cuff.",
            "M75.112",
            "Incomplete rotator cuff tear or rupture of left shoulder, not specified as traumatic",
        ),
        (
            "Assessment: rotator cuff tear of the right shoulder.",
            "M75.101",
            "Unspecified rotator cuff tear or rupture of right shoulder, not specified as",
        ),
        (
            "Assessment: rotator cuff tear of the right shoulder from the fall on Sunday.",
            "S46.011A",
            "Strain of muscle(s) and tendon(s) of the rotator cuff of right shoulder",
        ),
        (
            "Assessment: calcific tendinitis of the left shoulder.",
            "M75.32",
            "Calcific tendinitis of left shoulder",
        ),
        (
            # "Palsy, ulnar nerve (tardy)": the lesion of the ulnar nerve
            "Assessment: tardy ulnar nerve palsy of the right arm.",
            "G56.21",
            "Lesion of ulnar nerve, right upper limb",
        ),
        (
            "Assessment: right insertional Achilles tendinopathy.",
            "M76.61",
            "Achilles tendinitis, right leg",
        ),
        (
            "Assessment: right jumper's knee from basketball.",
            "M76.51",
            "Patellar tendinitis, right knee",
        ),
        (
            "Assessment: bicipital tendinitis of the right shoulder.",
            "M75.21",
            "Bicipital tendinitis, right shoulder",
        ),
    ],
)
def test_a_tear_or_tendinitis_is_coded_by_its_kind(
    coded: Coded, sentence: str, code: str, meaning: str
) -> None:
    got = coded(f"Doctor: {sentence}\n")
    assert list(got) == [code], got
    assert described(code).startswith(meaning)


def test_a_denied_extent_is_not_read(coded: Coded) -> None:
    """ "not a full-thickness tear": the extent is denied, so the tear is not complete."""
    text = (
        "Doctor: The MRI shows this is not a full-thickness tear. Assessment: rotator cuff tear "
        "of the right shoulder.\n"
    )
    assert list(coded(text)) == ["M75.101"]


def test_a_wound_check_after_repair_is_a_later_encounter(coded: Coded) -> None:
    text = (
        "Doctor: Two weeks after the repair of your right rotator cuff tear from the fall. "
        "Routine wound check. Assessment: traumatic rotator cuff tear of the right shoulder, "
        "healing after repair.\n"
    )
    assert list(coded(text)) == ["S46.011D"]  # subsequent encounter


def test_a_traumatic_tear_names_the_code_a_careless_coder_picks(
    coded: Coded,
) -> None:
    """The pitfall rule "M75.1 excludes traumatic tears" fires on the naive M75.1- code the
    traumatic route names, since the engine itself codes S46.01-."""
    got = coded("Doctor: Assessment: traumatic rotator cuff tear, right shoulder.\n")
    assert list(got) == ["S46.011A"]
    assert "M75.101" in got["S46.011A"].naive


@pytest.mark.parametrize(
    ("sentence", "code"),
    [
        # Infective bursitis of left elbow
        ("Assessment: septic olecranon bursitis of the left elbow, on antibiotics.", "M71.122"),
        # Prepatellar bursitis, right knee: the infection is only possible, the culture pending
        ("Assessment: prepatellar bursitis of the right knee, possible septic bursitis.", "M70.41"),
        ("Assessment: prepatellar bursitis of the right knee, not infected.", "M70.41"),
    ],
)
def test_a_bursitis_is_infective_only_when_the_clinician_says_so(
    coded: Coded, sentence: str, code: str
) -> None:
    assert list(coded(f"Doctor: {sentence}\n")) == [code]


@pytest.mark.parametrize(
    ("sentence", "code", "meaning"),
    [
        (
            "Assessment: primary osteoarthritis of the right thumb carpometacarpal joint.",
            "M18.11",
            "Unilateral primary osteoarthritis of first carpometacarpal joint, right hand",
        ),
        (
            "Assessment: osteoarthritis at the base of both thumbs.",
            "M18.0",
            "Bilateral primary osteoarthritis of first carpometacarpal joints",
        ),
        (
            "Assessment: seropositive rheumatoid arthritis of multiple sites, no lung or other "
            "organ involvement.",
            "M05.79",
            "Rheumatoid arthritis with rheumatoid factor of multiple sites without organ",
        ),
        (
            "Your rheumatoid factor is positive. Assessment: rheumatoid arthritis.",
            "M05.9",
            "Rheumatoid arthritis with rheumatoid factor, unspecified",
        ),
        (
            "Assessment: seronegative rheumatoid arthritis.",
            "M06.00",
            "Rheumatoid arthritis without rheumatoid factor, unspecified site",
        ),
        (
            "Assessment: chronic tear of the posterior horn of the medial meniscus, right knee.",
            "M23.221",
            "Derangement of posterior horn of medial meniscus due to old tear or injury, right",
        ),
        (
            "Assessment: patellar tendinitis of the right knee.",
            "M76.51",
            "Patellar tendinitis, right knee",
        ),
    ],
)
def test_arthritis_and_derangement_by_their_kind(
    coded: Coded, sentence: str, code: str, meaning: str
) -> None:
    got = coded(f"Doctor: {sentence}\n")
    assert list(got) == [code], got
    assert described(code).startswith(meaning)


def test_the_patients_age_is_no_old_tear(coded: Coded) -> None:
    """ "a 45-year-old" names no old injury: a fresh tear of the posterior horn stays S83.2-."""
    got = coded(
        "Doctor: Assessment: a 45-year-old with a tear of the posterior horn of the medial "
        "meniscus of the right knee from the fall.\n",
    )
    assert [c for c in got if c.startswith("S83.2")], got
    assert not [c for c in got if c.startswith("M23.2")], got


def test_a_route_with_two_parts_needs_both(coded: Coded) -> None:
    """The old-tear derangement route names both "old" and the horn: a fresh tear of the
    posterior horn stays a current injury (S83.2-)."""
    got = coded(
        "Doctor: Assessment: tear of the posterior horn of the medial meniscus of the right "
        "knee from the fall.\n",
    )
    assert [c for c in got if c.startswith("S83.2")], got
    assert not [c for c in got if c.startswith("M23.2")], got


@pytest.mark.parametrize(
    ("sentence", "code", "meaning"),
    [
        (
            # not the kneecap's cartilage: "Chondromalacia, knee"
            "Assessment: chondromalacia of the medial femoral condyle of the right knee.",
            "M94.261",
            "Chondromalacia, right knee",
        ),
        (
            "Assessment: chondromalacia patellae of the right knee; the femoral condyles look fine.",
            "M22.41",
            "Chondromalacia patellae, right knee",
        ),
        (
            # the cuff's capsule sprained, not its tendons strained
            "Assessment: sprain of the right rotator cuff capsule after the fall.",
            "S43.421A",
            "Sprain of right rotator cuff capsule",
        ),
        (
            # "Tendinitis" see also Enthesopathy, shoulder region: Lesion, shoulder, specified NEC
            "Assessment: rotator cuff tendinitis of the right shoulder, no tear. Therapy.",
            "M75.81",
            "Other shoulder lesions, right shoulder",
        ),
        (
            # "Calcification, bursa, shoulder", not the bursitis's M75.5-
            "Assessment: calcified subacromial bursa of the left shoulder with bursitis.",
            "M75.32",
            "Calcific tendinitis of left shoulder",
        ),
        (
            "Assessment: Dupuytren's contracture of the left hand, mild. We will watch it.",
            "M72.0",
            "Palmar fascial fibromatosis [Dupuytren]",
        ),
        (
            "Assessment: juvenile rheumatoid arthritis, polyarticular. Rheumatology referral.",
            "M08.00",
            "Unspecified juvenile rheumatoid arthritis of unspecified site",
        ),
    ],
)
def test_a_condition_is_coded_by_the_part_its_kind_names(
    coded: Coded, sentence: str, code: str, meaning: str
) -> None:
    got = coded(f"Doctor: {sentence}\n")
    assert list(got) == [code], got
    assert described(code).startswith(meaning)


@pytest.mark.parametrize(
    ("sentence", "codes"),
    [
        (
            "Assessment: rotator cuff tendinitis and subacromial bursitis of the right shoulder.",
            {"M75.81", "M75.51"},
        ),
        (
            "Assessment: calcific tendinitis of the right shoulder with secondary impingement "
            "syndrome of the supraspinatus.",
            {"M75.31", "M75.41"},
        ),
    ],
)
def test_two_conditions_of_one_category_are_both_coded(
    coded: Coded, sentence: str, codes: set[str]
) -> None:
    """One named structure does not make another condition of the same category and site the
    site-only reading of it (the sprain of the knee beside the MCL's is; bursitis beside the
    cuff's tendinitis is not)."""
    got = coded(f"Doctor: {sentence}\n")
    assert set(got) == codes, got


@pytest.mark.parametrize(
    ("sentence", "code", "meaning"),
    [
        (
            "Assessment: chronic tear of the medial meniscus of the right knee, no new injury.",
            "M23.203",
            "Derangement of unspecified medial meniscus due to old tear or injury, right knee",
        ),
        (
            "Assessment: chronic tear of the lateral meniscus of the left knee, no new injury.",
            "M23.201",
            "Derangement of unspecified lateral meniscus due to old tear or injury, left knee",
        ),
    ],
)
def test_an_old_tear_of_no_horn_is_the_meniscus_derangement(
    coded: Coded, sentence: str, code: str, meaning: str
) -> None:
    """'Derangement, knee, meniscus, due to old tear, medial' (M23.20-): its 6th character says
    which meniscus as well as which knee, read from the route's Index path."""
    got = coded(f"Doctor: {sentence}\n")
    assert list(got) == [code], got
    assert described(code) == meaning
    assert got[code].confident and not got[code].missing
