"""A replaced joint on the real extractor: its status (Z96.6-) when the visit addresses it, the
aftercare of its recovery first-listed before it ("Aftercare, following surgery, joint
replacement": Z47.1), and no aftercare code after a replacement done for a fracture, whose
aftercare is the fracture's 7th character D (I.C.21.c.7). The arthritis a replacement treated is
gone from that joint, not from the other side's.

Synthetic sentences.
"""

from __future__ import annotations

import pytest

from tests.coding.conftest import Coded, described


@pytest.mark.parametrize(
    "text",
    [
        "Doctor: Three weeks after your right total knee replacement, the wound is healed and "
        "flexion is 100 degrees. Assessment: right total knee replacement, recovering well. "
        "Continue physical therapy.",
        "Doctor: Assessment: aftercare following right knee joint replacement. Continue therapy.",
        "Doctor: This is your post-op check after the right knee arthroplasty. Assessment: status "
        "post right total knee arthroplasty, healing as expected.",
    ],
)
def test_the_recovery_after_a_replacement_is_aftercare_first(coded: Coded, text: str) -> None:
    got = coded(text + "\n")
    assert list(got) == ["Z47.1", "Z96.651"], got
    assert described("Z47.1") == "Aftercare following joint replacement surgery"
    assert all(p.confident and not p.missing for p in got.values())


def test_a_replacement_years_ago_is_only_its_status(coded: Coded) -> None:
    text = (
        "Doctor: Two years after your right total knee replacement, the left knee now hurts. "
        "Assessment: left knee osteoarthritis; right total knee replacement doing well.\n"
    )
    assert sorted(coded(text)) == ["M17.12", "Z96.651"]


def test_a_replacement_for_a_fracture_is_the_fractures_aftercare(coded: Coded) -> None:
    text = (
        "Doctor: Six weeks after the hemiarthroplasty of your right hip for the femoral neck "
        "fracture, a routine postoperative check. Assessment: right femoral neck fracture, "
        "routine healing after hemiarthroplasty.\n"
    )
    got = coded(text)
    assert sorted(got) == ["S72.001D", "Z96.641"], got


def test_the_replaced_joints_arthritis_is_gone_but_not_the_other_sides(coded: Coded) -> None:
    replaced = (
        "Doctor: Three weeks after your right total knee replacement for arthritis. Assessment: "
        "aftercare following right knee joint replacement.\n"
    )
    assert list(coded(replaced)) == ["Z47.1", "Z96.651"]
    other = (
        "Doctor: Assessment: primary osteoarthritis of the left knee; status post right total "
        "knee arthroplasty.\n"
    )
    assert sorted(coded(other)) == ["M17.12", "Z96.651"]
    # "both knees" with the right one replaced: the bilateral code would say the replaced knee
    # is arthritic
    both = (
        "Doctor: Assessment: osteoarthritis of both knees, status post right total knee "
        "replacement.\n"
    )
    assert list(coded(both)) == ["Z96.651"]


@pytest.mark.parametrize(
    ("text", "code", "meaning"),
    [
        (
            "Doctor: Two weeks after your right carpal tunnel release; sutures removed today. "
            "Assessment: routine postoperative check after right carpal tunnel release.",
            "Z48.811",
            "Encounter for surgical aftercare following surgery on the nervous system",
        ),
        (
            "Doctor: Six weeks after your right rotator cuff repair, motion is improving. "
            "Assessment: post-op follow-up after rotator cuff repair, doing well. Therapy.",
            "Z47.89",
            "Encounter for other orthopedic aftercare",
        ),
    ],
)
def test_the_recovery_after_a_repair_or_release_is_its_aftercare(
    coded: Coded, text: str, code: str, meaning: str
) -> None:
    """A treatment with no code of its own (the repaired tear, the released nerve are not
    coded) is coded by the recovery after it: 'Aftercare, following surgery, orthopedic NEC'
    (Z47.89), '..., nervous system' (Z48.811)."""
    got = coded(text + "\n")
    assert list(got) == [code], got
    assert described(code) == meaning


@pytest.mark.parametrize(
    "text",
    [
        # planned, not done
        "Doctor: Assessment: right carpal tunnel syndrome. We discussed a carpal tunnel release "
        "if the splint fails.",
        # done long ago, not this visit's recovery
        "Patient: I had a knee arthroscopy ten years ago.\nDoctor: Assessment: osteoarthritis of "
        "the right knee. Injection today.",
        # said in passing, not assessed: the visit is for something else
        "Doctor: It's been six weeks since your rotator cuff repair, glad it feels great.\n"
        "Doctor: Assessment: hypertension, stable. Refill the lisinopril.",
    ],
)
def test_a_repair_not_in_its_recovery_is_no_aftercare(coded: Coded, text: str) -> None:
    got = coded(text + "\n")
    assert not [c for c in got if c.startswith(("Z47", "Z48"))], got
