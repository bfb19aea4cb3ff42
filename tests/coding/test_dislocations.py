"""Dislocations of the limbs, on the real extractor: the joint, the way it went out (the
shoulder's anterior, posterior or inferior codes; the patella's lateral), partly or wholly out
(the codes' "subluxation" or "dislocation", by the finding's own word), recurrent without a new
injury (chapter 13, no 7th character), and an acromioclavicular separation by its displacement;
sprains of a joint by the joint named (radiocarpal, Lisfranc).

Synthetic sentences; each expected code is checked against its tabular description.
"""

from __future__ import annotations

import pytest

from tests.coding.conftest import Coded, described


@pytest.mark.parametrize(
    ("sentence", "code", "meaning"),
    [
        (
            "Assessment: anterior dislocation of the right shoulder, reduced in the ED.",
            "S43.014A",
            "Anterior dislocation of right humerus, initial encounter",
        ),
        (
            "Assessment: anterior subluxation of the left shoulder.",
            "S43.012A",
            "Anterior subluxation of left humerus, initial encounter",
        ),
        (
            "Assessment: posterior dislocation of the left shoulder after the seizure.",
            "S43.025A",
            "Posterior dislocation of left humerus, initial encounter",
        ),
        (
            "Assessment: dislocation of the right shoulder.",
            "S43.004A",
            "Unspecified dislocation of right shoulder joint, initial encounter",
        ),
        (
            "Assessment: recurrent dislocation of the right shoulder, no new injury.",
            "M24.411",
            "Recurrent dislocation, right shoulder",
        ),
        (
            "Assessment: lateral dislocation of the left patella, reduced.",
            "S83.015A",
            "Lateral dislocation of left patella, initial encounter",
        ),
        (
            "Assessment: dislocation of the right kneecap.",
            "S83.004A",
            "Unspecified dislocation of right patella, initial encounter",
        ),
        (
            "Assessment: type 3 AC joint separation of the right shoulder.",
            "S43.121A",
            "Dislocation of right acromioclavicular joint, 100%-200% displacement, initial",
        ),
    ],
)
def test_a_dislocation_is_coded_by_joint_direction_and_extent(
    coded: Coded, sentence: str, code: str, meaning: str
) -> None:
    got = coded(f"Doctor: {sentence}\n")
    assert list(got) == [code], got
    assert described(code).startswith(meaning)


def test_a_healing_visit_for_a_dislocation_is_a_later_encounter(
    coded: Coded,
) -> None:
    text = (
        "Doctor: Routine follow-up visit three weeks after the dislocation. Assessment: anterior "
        "dislocation of the right shoulder, healing as expected.\n"
    )
    assert list(coded(text)) == ["S43.014D"]


def test_an_ac_separation_is_the_ac_joints_dislocation(coded: Coded) -> None:
    """ "AC separation" names the joint inside the dislocation's own words; a lone "AC" elsewhere
    names no joint, and an acromioclavicular sprain stays a sprain."""
    text = "Doctor: Assessment: right AC separation, about 100 percent displaced. Sling.\n"
    assert list(coded(text)) == ["S43.121A"]
    sprain = "Doctor: Assessment: right acromioclavicular sprain. Sling.\n"
    assert list(coded(sprain)) == ["S43.51XA"]  # Sprain of right AC joint


@pytest.mark.parametrize(
    ("sentence", "code"),
    [
        # Nursemaid's elbow, left elbow, initial encounter
        ("Assessment: nursemaid's elbow on the left, reduced today.", "S53.032A"),
        # Unspecified subluxation of right radial head, initial encounter
        ("Assessment: subluxation of the right radial head.", "S53.001A"),
    ],
)
def test_the_radial_head_is_not_the_ulnohumeral_joint(
    coded: Coded, sentence: str, code: str
) -> None:
    """Once, a toddler's radial head subluxation was coded as the elbow's ulnohumeral joint."""
    assert list(coded(f"Doctor: {sentence}\n")) == [code]


@pytest.mark.parametrize(
    ("sentence", "code", "meaning"),
    [
        (
            "Assessment: sprain of the radiocarpal joint of the right wrist.",
            "S63.521A",
            "Sprain of radiocarpal joint of right wrist",
        ),
        # "Lisfranc" alone names the joint, not only "Lis franc ..."
        ("Assessment: Lisfranc sprain of the right foot.", "S93.621A", "Sprain of tarsometatarsal"),
        (
            "Assessment: sprain of the left Lisfranc ligament.",
            "S93.622A",
            "Sprain of tarsometatarsal",
        ),
    ],
)
def test_a_sprain_is_coded_by_its_joint(
    coded: Coded, sentence: str, code: str, meaning: str
) -> None:
    got = coded(f"Doctor: {sentence}\n")
    assert list(got) == [code], got
    assert described(code).startswith(meaning)


@pytest.mark.parametrize(
    ("sentence", "code", "meaning"),
    [
        ("Assessment: right shoulder SLAP tear.", "S43.431A", "Superior glenoid labrum lesion"),
        (
            "Assessment: tear of the superior labrum of the left shoulder.",
            "S43.432A",
            "Superior glenoid labrum lesion of left shoulder",
        ),
        (
            "Assessment: Bankart tear of the anterior labrum, right shoulder.",
            "S43.491A",
            "Other sprain of right shoulder joint",
        ),
    ],
)
def test_a_labral_tear_of_the_shoulder_is_coded_by_where_it_is(
    coded: Coded, sentence: str, code: str, meaning: str
) -> None:
    got = coded(f"Doctor: {sentence}\n")
    assert list(got) == [code], got
    assert described(code).startswith(meaning)


def test_a_labral_tear_placed_nowhere_or_at_the_hip_gets_no_shoulder_code(coded: Coded) -> None:
    """The labrum of the hip is no glenoid labrum; a shoulder labrum not said to be superior,
    anterior or posterior gets no code rather than a guessed one."""
    assert not coded("Doctor: Assessment: labral tear of the right hip.\n")
    assert not coded("Doctor: Assessment: tear of the labrum of the left shoulder.\n")
