"""A nerve of the arm injured (cut, bruised, torn) is coded by the nerve and the level the
clinician names, in chapter 19 ("Injury, nerve, median, hand": S64.1-), not as an entrapment
(G56.-). On the real extractor; synthetic visits, each expected code checked against its
tabular description. (An entrapment beside an old accident: tests/test_limb_pipeline.py.)"""

from __future__ import annotations

import pytest

from tests.coding.conftest import Coded, described


@pytest.mark.parametrize(
    ("text", "code", "meaning"),
    [
        (
            "Patient: I cut my right wrist on broken glass yesterday and my thumb is numb.\n"
            "Doctor: Assessment: injury of the median nerve at the wrist of the right arm from "
            "the laceration. Surgical exploration.\n",
            "S64.11XA",
            "Injury of median nerve at wrist and hand level of right arm",
        ),
        (
            "Doctor: The ulnar nerve was injured at the forearm level in the fall two days ago. "
            "Assessment: injury of the ulnar nerve at forearm level, left arm.\n",
            "S54.02XA",
            "Injury of ulnar nerve at forearm level, left arm",
        ),
        (
            "Doctor: Assessment: the radial nerve was bruised in the right upper arm when the "
            "shelf fell on it. Wrist drop splint.\n",
            "S44.21XA",
            "Injury of radial nerve at upper arm level, right arm",
        ),
    ],
)
def test_a_nerve_injury_is_coded_by_nerve_and_level(
    coded: Coded, text: str, code: str, meaning: str
) -> None:
    got = coded(text)
    assert list(got) == [code], got
    assert described(code).startswith(meaning)


def test_no_level_no_code_for_a_nerve_of_no_known_place(coded: Coded) -> None:
    """The radial nerve named with no level: no code rather than a guessed one."""
    got = coded("Doctor: Assessment: radial nerve injury. Nerve study next week.\n")
    assert not [c for c in got if c.startswith(("S44", "S54", "S64"))], got
