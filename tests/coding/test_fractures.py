"""Fractures of the limbs, from words to codes on the real extractor (coding/limbs.py,
coding/complete.py and the ``fracture`` routes of corpus/knowledge/coding/limbs.yaml).

A coder reads three more things of a fracture than of a sprain: which part of the bone (the
Alphabetic Index's subterm: "Fracture, clavicle, shaft"), which metacarpal (its finger, in the
code's 6th character), and the course of healing (the 7th character: K nonunion, P malunion).
Each test is a synthetic sentence written for the rule; each expected code is checked against
its tabular description, so a test fails if the code means something else.
"""

from __future__ import annotations

import pytest

from tests.coding.conftest import Coded, described


@pytest.mark.parametrize(
    ("sentence", "code", "meaning"),
    [
        (
            "Assessment: closed fracture of the shaft of the right fifth metacarpal.",
            "S62.326A",
            "Displaced fracture of shaft of fifth metacarpal bone, right hand",
        ),
        (
            "Assessment: nondisplaced fracture of the shaft of the left 4th metacarpal.",
            "S62.355A",
            "Nondisplaced fracture of shaft of fourth metacarpal bone, left hand",
        ),
        (
            "Assessment: boxer's fracture, neck of the right fifth metacarpal.",
            "S62.336A",
            "Displaced fracture of neck of fifth metacarpal bone, right hand",
        ),
        (
            "Assessment: fracture of the right second metacarpal.",
            "S62.300A",
            "Unspecified fracture of second metacarpal bone, right hand",
        ),
        (
            "Assessment: fracture of the shaft of the left first metacarpal.",
            "S62.242A",
            "Displaced fracture of shaft of first metacarpal bone, left hand",
        ),
        (
            "Assessment: fracture of the middle third of the right clavicle.",
            "S42.021A",
            "Displaced fracture of shaft of right clavicle",
        ),
        (
            "Assessment: fracture of the lateral end of the left clavicle.",
            "S42.032A",
            "Displaced fracture of lateral end of left clavicle",
        ),
        (
            "Assessment: nondisplaced fracture of the right scaphoid waist.",
            "S62.024A",
            "Nondisplaced fracture of middle third of navicular [scaphoid] bone of right wrist",
        ),
        (
            "Assessment: fracture of the surgical neck of the left humerus.",
            "S42.212A",
            "Unspecified displaced fracture of surgical neck of left humerus",
        ),
        (
            "Assessment: 2-part displaced fracture of the surgical neck of the right humerus.",
            "S42.221A",
            "2-part displaced fracture of surgical neck of right humerus",
        ),
        (
            "Assessment: three-part fracture of the surgical neck of the left humerus.",
            "S42.232A",
            "3-part fracture of surgical neck of left humerus",
        ),
        (
            "Assessment: closed displaced bimalleolar fracture of the right ankle.",
            "S82.841A",
            "Displaced bimalleolar fracture of right lower leg",
        ),
        (
            # both malleoli named: not the lateral malleolus only (S82.6-)
            "Assessment: fractures of both the lateral and the medial malleolus, left ankle.",
            "S82.842A",
            "Displaced bimalleolar fracture of left lower leg",
        ),
        (
            "Assessment: trimalleolar fracture of the left ankle.",
            "S82.852A",
            "Displaced trimalleolar fracture of left lower leg",
        ),
        (
            "Assessment: fracture of the left scapular body.",
            "S42.112A",
            "Displaced fracture of body of scapula, left shoulder",
        ),
        (
            "Assessment: closed Colles fracture of the right radius.",
            "S52.531A",
            "Colles' fracture of right radius",
        ),
        (
            "Assessment: Smith's fracture of the left distal radius.",
            "S52.542A",
            "Smith's fracture of left radius",
        ),
    ],
)
def test_a_fracture_is_coded_by_its_bone_part_and_finger(
    coded: Coded, sentence: str, code: str, meaning: str
) -> None:
    got = coded(f"Doctor: {sentence}\n")
    assert list(got) == [code], got
    assert described(code).startswith(meaning)
    assert got[code].confident, got[code].missing


def test_a_bone_whose_part_is_not_said_takes_the_unspecified_part(
    coded: Coded,
) -> None:
    """Not a guess at the shaft: "Fracture, clavicle" leads to the unspecified part."""
    got = coded("Doctor: Assessment: fracture of the right clavicle.\n")
    assert list(got) == ["S42.001A"]  # Fracture of unspecified part of right clavicle


def test_a_metacarpal_not_named_is_not_guessed(coded: Coded) -> None:
    """The codes of the shaft name the metacarpal. Without it, the unspecified metacarpal and a
    question; once the first listed (the second metacarpal) was coded for any metacarpal."""
    got = coded("Doctor: Assessment: fracture of a metacarpal shaft, right hand.\n")
    assert list(got) == ["S62.329A"]  # Displaced fracture of shaft of unspecified metacarpal
    assert "digit" in got["S62.329A"].missing


def test_an_ordinal_names_a_finger_only_before_metacarpal(coded: Coded) -> None:
    """ "the fourth and fifth ribs" names no finger: the scapula's fracture takes no ring
    finger from it (the lone ordinal's veto holds for the places read around a finding too)."""
    text = (
        "Doctor: Assessment: fracture of the body of the right scapula and fractures of the "
        "right fourth and fifth ribs.\n"
    )
    got = coded(text)
    assert "S42.111A" in got  # Displaced fracture of body of scapula, right shoulder
    assert not [c for c in got if c.startswith("S62")]


def test_a_physicians_name_is_no_smith_fracture(coded: Coded) -> None:
    text = "Doctor: Dr. Smith saw the fracture of your right wrist yesterday. Assessment: same.\n"
    got = coded(text)
    assert not [c for c in got if c.startswith("S52.54")], got


@pytest.mark.parametrize(
    ("sentence", "code", "course"),
    [
        (
            "Six months on, the CT shows the right clavicle shaft fracture has not healed. "
            "Assessment: nonunion of the right clavicle shaft fracture.",
            "S42.021K",
            "subsequent encounter for fracture with nonunion",
        ),
        (
            "Your right Colles fracture from last year healed crooked. Assessment: malunion of "
            "the Colles fracture of the right radius.",
            "S52.531P",
            "subsequent encounter for closed fracture with malunion",
        ),
        (
            "The bone came through the skin. Assessment: open Colles fracture of the right radius.",
            "S52.531B",
            "initial encounter for open fracture type I or II",
        ),
    ],
)
def test_the_healing_course_and_an_open_wound_set_the_seventh_character(
    coded: Coded, sentence: str, code: str, course: str
) -> None:
    got = coded(f"Doctor: {sentence}\n")
    assert code in got, got
    assert course in described(code)


def test_a_denied_open_fracture_is_closed(coded: Coded) -> None:
    text = (
        "Doctor: The skin is intact, this is not an open fracture. Assessment: Colles fracture "
        "of the right radius.\n"
    )
    assert list(coded(text)) == ["S52.531A"]


@pytest.mark.parametrize(
    ("text", "code", "meaning"),
    [
        (
            # the part is said in the history, the assessment names the bone only
            "Doctor: Four weeks after the displaced surgical neck fracture of your right "
            "humerus. Routine check; healing well. Assessment: right proximal humerus fracture, "
            "routine healing. Start pendulum exercises.",
            "S42.211D",
            "Unspecified displaced fracture of surgical neck of right humerus",
        ),
        (
            # "nondisplaced" is said at the first mention, the nonunion at the assessment
            "Doctor: Six months after the nondisplaced waist fracture of your right scaphoid, the "
            "CT shows no union. Bone graft planned. Assessment: nonunion of the right scaphoid "
            "waist fracture.",
            "S62.024K",
            "Nondisplaced fracture of middle third of navicular [scaphoid] bone of right wrist",
        ),
    ],
)
def test_what_one_mention_says_holds_for_the_same_fracture(
    coded: Coded, text: str, code: str, meaning: str
) -> None:
    got = coded(text + "\n")
    assert list(got) == [code], got
    assert described(code).startswith(meaning)


def test_a_bimalleolar_fracture_names_the_code_a_careless_coder_picks(coded: Coded) -> None:
    """The pitfall rule "both malleoli are one bimalleolar code" fires on the lateral malleolus
    code a careless coder picks, which the bimalleolar route names."""
    got = coded("Doctor: Assessment: bimalleolar fracture of the right ankle.\n")
    assert list(got) == ["S82.841A"]
    assert "S82.61XA" in got["S82.841A"].naive


@pytest.mark.parametrize(
    ("text", "code", "meaning"),
    [
        (
            "doctor: your x-ray shows a displaced fracture of the shaft of the left humerus . "
            "we'll put you in a coaptation splint",
            "S42.302A",
            "Unspecified fracture of shaft of humerus, left arm",
        ),
        (
            "doctor: your left supracondylar humerus fracture is healing well , we'll keep the "
            "cast on",
            "S42.402D",
            "Unspecified fracture of lower end of left humerus",
        ),
        (
            "doctor: there's a fracture of the left ulna , the shaft , from blocking the stick . a "
            "cast . distal pulses are intact",
            "S52.202A",
            "Unspecified fracture of shaft of left ulna",
        ),
        (
            "doctor: the x-ray shows a fracture of the styloid process of the left ulna . a splint",
            "S52.612A",
            "Displaced fracture of left ulna styloid process",
        ),
        (
            "doctor: there's a fracture of the right ulna and the radial styloid looks fine . a "
            "cast",
            "S52.201A",
            "Unspecified fracture of shaft of right ulna",
        ),
        (
            "doctor: you fractured your right femur in the crash . the femur fracture is through "
            "the shaft . traction and surgery",
            "S72.301A",
            "Unspecified fracture of shaft of right femur",
        ),
        (
            "doctor: the x-ray shows a fracture of the right femur . we'll splint it",
            "S72.91XA",
            "Unspecified fracture of right femur",
        ),
        (
            "doctor: you have a tibial plateau fracture on the left . nonweight bearing and we'll "
            "get a ct",
            "S82.102A",
            "Unspecified fracture of upper end of left tibia",
        ),
        (
            "doctor: the x-ray shows a fracture of the distal tibia on the right , a pilon "
            "fracture . we'll splint it",
            "S82.871A",
            "Displaced pilon fracture of right tibia",
        ),
    ],
)
def test_a_long_bone_is_coded_by_its_end_or_shaft(
    coded: Coded, text: str, code: str, meaning: str
) -> None:
    """A long bone named with no end is its shaft, as the Alphabetic Index has it ("Fracture,
    tibia (shaft)"; the femur's is "unspecified"); a named end has its own category, read from
    the words that name the bone ("distal tibia"), not from "distal pulses"."""
    assert described(code).startswith(meaning)
    got = coded(text + "\n")
    assert list(got) == [code], got


def test_an_open_tibial_shaft_fracture_takes_its_open_seventh_character(coded: Coded) -> None:
    assert described("S82.201B").startswith(
        "Unspecified fracture of shaft of right tibia, initial encounter for open fracture"
    )
    got = coded(
        "doctor: the bone is sticking through the skin , this is an open fracture of the right "
        "tibia shaft . we'll take you to the or\n"
    )
    assert list(got) == ["S82.201B"], got
