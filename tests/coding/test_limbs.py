"""Limb conditions -> codes (coding/limbs.py, coding/complete.py), on findings built by hand.

The findings are what extraction gives (concept, site, structure, digit, side, speaker,
assertion); the codes are checked against the tabular list's meaning, one case per rule of the
resolver: route by structure, site or digit, side from the finding or its site, bilateral
codes, the 7th character, axes left open, the pain of a withheld diagnosis, pain nobody
addresses, a site with no route, and no spine code for a limb.
"""

from __future__ import annotations

from typing import Any

import pytest

from scribeplugin.codeset import get_codeset
from scribeplugin.coding.analysis import Analysis, _dedupe
from scribeplugin.coding.complete import Wanted, complete
from scribeplugin.coding.facts import Proposal
from scribeplugin.extract.findings import Finding
from scribeplugin.knowledge.extraction import Category

CATEGORY = {
    "limb_pain": Category.symptom,
    "subsequent_encounter": Category.encounter,
    "region_lumbar": Category.region,
    "right": Category.laterality,
    "left": Category.laterality,
    "bilateral": Category.laterality,
    "structure_acl": Category.structure,
    "site_knee": Category.site,
    "digit_ring": Category.digit,
}


def f(concept: str, at: int, **kw: Any) -> Finding:
    """A finding of ``concept`` at offset ``at`` of the clinician (unless said otherwise)."""
    kw.setdefault("speaker", "clinician")
    kw.setdefault("turn_index", 0)
    return Finding(
        concept=concept,
        category=CATEGORY.get(concept, Category.condition),
        text=concept,
        start=at,
        end=at + len(concept),
        **kw,
    )


def codes(*findings: Finding, text: str = "") -> dict[str, Any]:
    a = Analysis.of(list(findings), get_codeset(), text or " " * 2000)
    return {p.code: p for p in a.proposals}


def test_a_ligament_strain_is_the_ligaments_sprain_on_its_side() -> None:
    got = codes(f("strain", 10, site="site_knee", structure="structure_mcl", laterality="left"))
    assert list(got) == ["S83.412A"]  # Sprain of medial collateral ligament of left knee, A
    assert got["S83.412A"].confident and not got["S83.412A"].missing


def test_the_side_comes_from_the_sites_other_mentions() -> None:
    got = codes(
        f("limb_pain", 5, site="site_knee", laterality="right", speaker="patient"),
        f("sprain", 300, site="site_knee"),
    )
    assert "S83.91XA" in got  # Sprain of unspecified site of right knee, A
    assert "M25.561" not in got  # the sprain explains the knee pain


def test_both_knees_have_a_bilateral_code() -> None:
    assert list(codes(f("osteoarthritis", 10, site="site_knee", laterality="bilateral"))) == [
        "M17.0"
    ]


def test_arthritis_of_both_knees_explains_the_pain_of_either() -> None:
    """The pain of the left knee is part of the bilateral osteoarthritis (M17.0), as the left
    knee's own osteoarthritis would explain it: no M25.562 beside it."""
    got = codes(
        f("osteoarthritis", 10, site="site_knee", laterality="bilateral", from_assessment=True),
        f("limb_pain", 200, site="site_knee", laterality="left", from_assessment=True),
    )
    assert list(got) == ["M17.0"]


def test_a_side_nobody_states_is_unspecified_and_asked_for() -> None:
    got = codes(f("osteoarthritis", 10, site="site_knee"))
    assert list(got) == ["M17.10"]  # Unilateral primary osteoarthritis, unspecified knee
    assert got["M17.10"].missing == ["laterality"] and not got["M17.10"].confident


def test_a_fracture_takes_its_digit_side_and_the_displaced_closed_default() -> None:
    got = codes(
        f(
            "fracture",
            10,
            site="site_finger",
            structure="structure_distal_phalanx",
            digit="digit_middle",
            laterality="right",
        )
    )
    assert list(got) == ["S62.632A"]


def test_routine_healing_is_the_subsequent_encounter() -> None:
    got = codes(
        f("sprain", 10, site="site_knee", structure="structure_mcl", laterality="right"),
        f("subsequent_encounter", 200),
    )
    assert list(got) == ["S83.411D"]


def test_a_withheld_diagnosis_codes_the_pain_of_its_site() -> None:
    got = codes(
        f("limb_pain", 5, site="site_knee", laterality="right", speaker="patient"),
        f("sprain", 300, site="site_knee", assertion="possible"),
    )
    assert list(got) == ["M25.561"] and got["M25.561"].path == "symptom_for_uncertain"


def test_pain_nobody_addresses_is_not_coded() -> None:
    # The patient mentions a sore wrist in passing; the visit is about something else.
    assert codes(f("limb_pain", 5, site="site_wrist", laterality="left", speaker="patient")) == {}


def test_pain_the_clinician_assesses_is_coded() -> None:
    got = codes(
        f("limb_pain", 5, site="site_wrist", laterality="left", speaker="patient"),
        f("limb_pain", 90, site="site_wrist", from_assessment=True),
    )
    assert list(got) == ["M25.532"]  # Pain in left wrist


def test_pain_the_clinician_only_asks_about_is_not_coded() -> None:
    """ "What have you taken for that heel pain?" in the history is no assessment of it."""
    got = codes(
        f("limb_pain", 5, site="site_foot", laterality="left", speaker="patient"),
        f("limb_pain", 90, site="site_foot", in_question=True),
    )
    assert got == {}


def test_a_bruise_at_the_site_of_a_deeper_injury_is_not_coded() -> None:
    """I.C.19.b: "there's bruising over the outer wrist" beside a wrist sprain, concluded."""
    bruise = f("contusion", 10, site="site_wrist", laterality="left", from_assessment=True)
    sprain = f("sprain", 300, site="site_wrist", laterality="left", from_assessment=True)
    got = codes(bruise, sprain)
    assert list(got) == ["S63.502A"]  # Unspecified sprain of left wrist, A; no S60.212A
    assert "S60.212A" in got["S63.502A"].naive  # the contusion code, for the pitfall rules


def test_a_bruise_over_a_suspected_sprain_is_its_sign_and_the_pain_is_coded() -> None:
    """ "Findings consistent with a sprain" (withheld) and "that's bruising" on exam: the
    bruise is the suspected sprain's sign, not a second diagnosis; the pain is coded."""
    got = codes(
        f("limb_pain", 5, site="site_wrist", laterality="left", speaker="patient"),
        f("contusion", 100, site="site_wrist", laterality="left", from_assessment=True),
        f("sprain", 300, site="site_wrist", laterality="left", assertion="possible"),
    )
    assert list(got) == ["M25.532"]  # Pain in left wrist


def test_a_contusion_of_another_site_is_still_coded() -> None:
    got = codes(
        f("contusion", 10, site="site_knee", laterality="left", from_assessment=True),
        f("sprain", 300, site="site_wrist", laterality="left", from_assessment=True),
    )
    assert sorted(got) == ["S63.502A", "S80.02XA"]  # wrist sprain; Contusion of left knee


@pytest.mark.parametrize(
    ("ordinal", "code"),
    [("first", "S92.312A"), ("third", "S92.332A"), ("fifth", "S92.352A")],
)
def test_a_metatarsal_fracture_is_coded_by_its_bone(ordinal: str, code: str) -> None:
    frac = f(
        "fracture",
        10,
        site="site_foot",
        structure=f"structure_metatarsal_{ordinal}",
        laterality="left",
        from_assessment=True,
    )
    assert list(codes(frac)) == [code]  # Displaced fracture of <ordinal> metatarsal, left foot


def test_the_side_evidence_is_the_side_word_not_another_condition() -> None:
    """The sprain takes its side from the bruise's "right": the evidence is that word (the
    guard drops a code whose quote is a finding that cannot support it)."""
    right = f("right", 40, laterality="right")
    bruise = f("contusion", 50, site="site_ankle", laterality="right")
    sprain = f("sprain", 300, site="site_ankle", from_assessment=True)
    got = codes(right, bruise, sprain)
    assert list(got) == ["S93.401A"]  # Sprain of unspecified ligament of right ankle, A
    quoted = {e.concept for e in got["S93.401A"].evidence}
    assert "right" in quoted and "contusion" not in quoted


def test_a_condition_only_the_patient_names_is_not_coded() -> None:
    got = codes(f("osteoarthritis", 10, site="site_knee", laterality="right", speaker="patient"))
    assert got == {}


def test_a_site_the_knowledge_cannot_code_gets_no_code() -> None:
    assert codes(f("tendinitis", 10, site="site_wrist", laterality="right")) == {}


def test_an_elbow_strain_is_not_a_spine_code() -> None:
    got = codes(
        f("strain", 10, site="site_elbow", laterality="left"),
        f("region_lumbar", 400, region="region_lumbar"),
    )
    assert list(got) == ["S56.912A"]  # forearm-level muscles, left arm: not S39.012A


def test_a_systemic_condition_needs_no_site_but_spinal_arthritis_is_not_it() -> None:
    assert list(codes(f("gout", 10, from_assessment=True))) == ["M10.9"]
    assert "M19.90" not in codes(f("osteoarthritis", 10, region="region_lumbar"))


@pytest.mark.parametrize(
    ("category", "wanted", "code", "missing"),
    [
        ("S62.63", Wanted("right"), "S62.639A", ["digit"]),  # unspecified finger: no side
        ("S52.5", Wanted("right"), "S52.501A", ["type"]),  # lower end of radius, type open
        ("S82.6", Wanted("left", encounter="D"), "S82.62XD", []),  # closed, routine healing
        ("M25.56", Wanted("bilateral"), "M25.561", []),  # no bilateral code: right and left
        ("G56.0", Wanted("bilateral"), "G56.03", []),  # a bilateral code exists
        ("S56.91", Wanted(), "S56.919A", ["laterality"]),
        # pain of the whole foot or hand is no question of which toe or finger
        ("M79.67", Wanted("right", whole=True), "M79.671", []),  # Pain in right foot
        ("M79.67", Wanted(whole=True), "M79.673", ["laterality"]),  # Pain in unspecified foot
        ("M79.64", Wanted("left", whole=True), "M79.642", []),  # Pain in left hand
        ("M79.64", Wanted("left", digit="thumb", whole=True), "M79.642", []),  # at the thumb base
        ("M79.67", Wanted("right"), "M79.671", ["digit"]),  # "pain" of a toe, which one?
        # a named digit takes the digits' code: Pain in right toe(s), Pain in left finger(s)
        ("M79.67", Wanted("right", digit="great"), "M79.674", []),
        ("M79.64", Wanted("left", digit="index"), "M79.645", []),
        ("M79.64", Wanted("left", digit="thumb"), "M79.642", ["digit"]),  # thumb: asked
    ],
)
def test_completion_in_the_tabular_list(
    category: str, wanted: Wanted, code: str, missing: list[str]
) -> None:
    done = complete(get_codeset(), category, wanted)
    assert done.codes[0] == code and done.missing == missing
    if category == "M25.56":
        assert done.codes == ["M25.561", "M25.562"]


def test_a_site_only_code_gives_way_to_its_named_structure() -> None:
    """ "an MCL strain ... you strained that ligament": one injury, the ligament's code."""
    got = codes(
        f("strain", 10, site="site_knee", structure="structure_mcl", laterality="left"),
        f("strain", 200, site="site_knee", laterality="left"),
    )
    assert list(got) == ["S83.412A"]  # not S83.92XA, sprain of unspecified site of left knee


def test_an_exam_sign_is_coded_only_from_the_assessment() -> None:
    bruise = f("contusion", 10, site="site_ankle", laterality="right")
    assert codes(bruise) == {}  # "there is some bruising" on exam is no diagnosis
    concluded = f("contusion", 10, site="site_ankle", laterality="right", from_assessment=True)
    assert list(codes(concluded)) == ["S90.01XA"]  # Contusion of right ankle, A


def test_a_joint_replacement_mentioned_in_passing_is_no_status_code() -> None:
    asked = f("joint_replacement", 10, site="site_knee", laterality="right", in_question=True)
    assert codes(asked) == {}
    stated = f("joint_replacement", 10, site="site_knee", laterality="right", from_assessment=True)
    assert list(codes(stated)) == ["Z96.651"]  # Presence of right artificial knee joint


def test_trigger_finger_is_coded_by_its_finger() -> None:
    got = codes(f("trigger_finger", 10, site="site_finger", digit="digit_ring", laterality="right"))
    assert list(got) == ["M65.341"]  # Trigger finger, right ring finger


def test_a_plan_cue_beside_an_exam_sign_is_no_conclusion() -> None:
    """ "I would like to do a focused exam ... there is some bruising": a run-on sentence."""
    exam = f(
        "contusion",
        10,
        site="site_foot",
        laterality="right",
        from_assessment=True,
        cues=("PLAN:i would like",),
    )
    assert codes(exam) == {}


def test_a_fragility_fracture_of_a_limb_is_the_osteoporosis_code_at_its_site() -> None:
    """M80.0- with the site replaces the S code and M81.0 (Excludes1: M80); not the vertebra's
    M80.08X-."""
    got = codes(
        f(
            "fracture",
            10,
            site="site_shoulder",
            structure="structure_proximal_humerus",
            laterality="right",
        ),
        f("osteoporotic_fracture", 60),
        f("osteoporosis", 120),
    )
    assert list(got) == ["M80.021A"]  # Age-related osteoporosis w current path fx, r humerus


def test_a_vertebral_osteoporotic_fracture_replaces_the_osteoporosis_code() -> None:
    got = codes(f("osteoporotic_fracture", 10), f("osteoporosis", 80))
    assert list(got) == ["M80.08XA"]  # and not M81.0, which Excludes1 M80


def test_a_strain_placed_nowhere_in_a_limb_visit_is_no_low_back_strain() -> None:
    """ "just a strain ... to that muscle" after a forearm exam (a real visit): no S39.012A."""
    got = codes(f("limb_pain", 5, site="site_forearm", speaker="patient"), f("strain", 200))
    assert not any(code.startswith(("S39", "S33", "S13", "S16", "S23", "S29")) for code in got)
    spine = codes(f("region_lumbar", 5, region="region_lumbar"), f("strain", 40))
    assert "S39.012A" in spine  # with the low back named, the low back's


def test_degenerative_changes_placed_nowhere_in_a_limb_visit_are_no_spondylosis() -> None:
    """ "X-rays today show joint space narrowing and osteophytes" in a knee visit: the knee's
    arthritis, no M47.81 beside M17.11 (a spine code in a non-spine visit)."""
    knee = f("osteoarthritis", 300, site="site_knee", laterality="right", from_assessment=True)
    got = codes(f("spondylosis", 100), knee)
    assert list(got) == ["M17.11"]
    spine = codes(f("region_lumbar", 5, region="region_lumbar"), f("spondylosis", 40))
    assert "M47.816" in spine  # with the low back named, the low back's


def test_post_traumatic_arthritis_has_its_own_codes() -> None:
    got = codes(
        f("osteoarthritis_post_traumatic", 10, site="site_shoulder", laterality="right"),
        f("osteoarthritis", 200, site="site_shoulder", laterality="right"),
    )
    assert list(got) == ["M19.111"]  # Post-traumatic osteoarthritis, right shoulder; not M19.011
    both = codes(f("osteoarthritis_post_traumatic", 10, site="site_knee", laterality="bilateral"))
    assert list(both) == ["M17.2"]  # Bilateral post-traumatic osteoarthritis of knee


def test_a_fracture_said_to_be_nondisplaced_is_coded_so() -> None:
    text = "X-ray: a nondisplaced fracture of the right lateral malleolus."
    at = text.index("fracture")
    lateral = {
        "site": "site_ankle",
        "structure": "structure_lateral_malleolus",
        "laterality": "right",
    }
    # Nondisplaced fracture of lateral malleolus of right fibula, initial, closed
    assert list(codes(f("fracture", at, **lateral), text=text)) == ["S82.64XA"]
    plain = text.replace("nondisplaced", "simple")
    assert list(codes(f("fracture", at - 3, **lateral), text=plain)) == ["S82.61XA"]  # displaced


def test_both_sides_from_two_mentions_ask_for_the_side() -> None:
    """ "your left shoulder pain" in one line, "your right shoulder" pain in another, and
    nobody says both: the side is in doubt, so neither code is suggested."""
    got = codes(
        f("limb_pain", 10, site="site_shoulder", laterality="right", from_assessment=True),
        f("limb_pain", 900, site="site_shoulder", laterality="left", from_assessment=True),
    )
    assert sorted(got) == ["M25.511", "M25.512"]
    assert all(not p.confident and "laterality" in p.missing for p in got.values())


def test_both_sides_said_together_are_both_coded() -> None:
    got = codes(f("limb_pain", 10, site="site_knee", laterality="bilateral", from_assessment=True))
    assert sorted(got) == ["M25.561", "M25.562"] and all(p.confident for p in got.values())


def test_bilateral_pain_beside_one_sides_injury_codes_the_other_side() -> None:
    """ "Both knees hurt" and the right knee's sprain: the right knee's pain is the sprain's."""
    got = codes(
        f("limb_pain", 10, site="site_knee", laterality="bilateral", from_assessment=True),
        f("sprain", 300, site="site_knee", laterality="right", from_assessment=True),
    )
    assert sorted(got) == ["M25.562", "S83.91XA"]  # Pain in left knee; sprain of right knee


def test_the_turn_names_the_finger_and_side_of_a_condition() -> None:
    """ "a sprain of the PIP joint. That's the left ring finger": the next sentence of the turn
    names the digit and the side."""
    sprain = f("sprain", 10, site="site_finger", structure="structure_pip_joint")
    left = f("left", 60, laterality="left")
    ring = f("digit_ring", 65)
    got = codes(sprain, left, ring)
    assert list(got) == ["S63.635A"]  # Sprain of interphalangeal joint of left ring finger, A


def test_a_side_the_visit_gives_the_site_once() -> None:
    """ "Which knee?" "My right knee." and later "a sprain of the knee"."""
    right = f("right", 20, speaker="patient", turn_index=1, laterality="right")
    knee = f("site_knee", 26, speaker="patient", turn_index=1)
    sprain = f("sprain", 400, site="site_knee", turn_index=5, from_assessment=True)
    assert list(codes(right, knee, sprain)) == ["S83.91XA"]  # Sprain of right knee, A


def test_the_site_asked_about_takes_the_side_of_the_reply() -> None:
    """ "Is it one knee versus the other, or both?" "Both equally." and later the right knee's
    effusion: the knee pain is both knees', quoting the reply's "both"."""
    knee = f("site_knee", 20, turn_index=1, laterality="bilateral", cues=("answer:side",))
    both = f(
        "bilateral",
        80,
        speaker="patient",
        turn_index=2,
        laterality="bilateral",
        cues=("answer:side",),
    )
    effusion = f("effusion", 300, site="site_knee", laterality="right", turn_index=5)
    pain = f("limb_pain", 600, site="site_knee", turn_index=8, from_assessment=True)
    got = codes(knee, both, effusion, pain)
    assert {"M25.561", "M25.562"} <= set(got)  # Pain in right knee, in left knee
    for code in ("M25.561", "M25.562"):
        assert both in got[code].evidence


def test_a_systemic_condition_takes_no_side_from_a_limb() -> None:
    """Lupus with the right knee's effusion in the visit: M32.9 quotes no side word."""
    right = f("right", 270, laterality="right", turn_index=5)
    knee = f("site_knee", 276, turn_index=5)  # "the right knee"
    effusion = f("effusion", 300, site="site_knee", laterality="right", turn_index=5)
    lupus = f("lupus", 900, turn_index=9, from_assessment=True)
    got = codes(right, knee, effusion, lupus)
    assert "M32.9" in got  # Systemic lupus erythematosus, unspecified
    assert right not in got["M32.9"].evidence


def test_a_side_whose_pain_is_denied_is_not_coded_from_both() -> None:
    """ "So both of your knees hurt" / "my left knee doesn't really hurt", and the right knee's
    sprain: no knee pain code is left (the right knee's pain is the sprain's)."""
    both = f("limb_pain", 10, site="site_knee", laterality="bilateral", from_assessment=True)
    denied = f("limb_pain", 90, site="site_knee", laterality="left", speaker="patient",
               assertion="negated", turn_index=1)  # fmt: skip
    sprain = f("sprain", 300, site="site_knee", laterality="right", from_assessment=True)
    assert sorted(codes(both, denied, sprain)) == ["S83.91XA"]  # Sprain of right knee, A
    assert sorted(codes(both, sprain)) == ["M25.562", "S83.91XA"]  # without the denial


def test_an_effusion_does_not_explain_the_pain_of_its_site() -> None:
    """A suspected tear (withheld, IV.H), an effusion the assessment names and the knee's pain:
    the pain is coded beside the effusion, both signs, neither a diagnosis."""
    tear = f("tear", 10, site="site_knee", laterality="right", assertion="possible",
             from_assessment=True)  # fmt: skip
    effusion = f("effusion", 60, site="site_knee", laterality="right", from_assessment=True)
    pain = f("limb_pain", 200, site="site_knee", laterality="right", turn_index=2)
    assert sorted(codes(tear, effusion, pain)) == ["M25.461", "M25.561"]


def test_foot_pain_is_the_foots_code_with_nothing_to_ask() -> None:
    """ "Pain in my right foot", assessed: M79.671, not a query about which toe."""
    got = codes(f("limb_pain", 10, site="site_foot", laterality="right", from_assessment=True))
    assert list(got) == ["M79.671"]  # Pain in right foot
    assert got["M79.671"].confident and not got["M79.671"].missing


def test_a_withheld_systemic_diagnosis_codes_the_pain_the_clinician_took_up() -> None:
    """ "It could've been gout" (withheld, IV.H) after "how long have you had that foot pain?":
    the foot's pain is coded, its side asked for; without the withheld gout it is not."""
    said = f("limb_pain", 10, site="site_foot", speaker="patient", turn_index=1)
    asked = f("limb_pain", 90, site="site_foot", assertion="possible", in_question=True,
              turn_index=2)  # fmt: skip
    gout = f("gout", 400, assertion="possible", from_assessment=True, turn_index=6)
    got = codes(said, asked, gout)
    assert list(got) == ["M79.673"]  # Pain in unspecified foot
    assert got["M79.673"].missing == ["laterality"]
    assert codes(said, asked) == {}


def test_a_withheld_tears_warnings_are_those_of_its_structure() -> None:
    """A suspected ACL tear with the knee's pain coded: the cards' uncertain-diagnosis warning
    for the ACL fires, the meniscus cards' do not (they name a structure not mentioned)."""
    from scribeplugin.coding.facts import Facts
    from scribeplugin.coding.ruleset import evaluate
    from scribeplugin.config import Settings
    from scribeplugin.corpus.rules import load_rules

    tear = f("tear", 10, site="site_knee", structure="structure_acl", assertion="possible")
    acl = f("structure_acl", 30, assertion="possible")
    hits = {h.rule.id for h in evaluate(load_rules(Settings().corpus_dir), ["M25.561"],
                                        Facts.of([tear, acl]))}  # fmt: skip
    assert "s83-511a-uncertain-diagnosis" in hits
    assert not hits & {"s83-241a-uncertain-diagnosis", "m23-221-uncertain-diagnosis"}


def test_a_code_one_reading_supports_fully_is_supported() -> None:
    """Two readings of one code: the first left an axis open, the second settles it. The code
    is supported, on the settling reading's evidence first, with the other's kept."""
    open_side = f("gout", 10, site="site_foot")
    settled = f("gout", 200, site="site_foot", laterality="right")
    first = Proposal("M10.071", "limb:gout", [open_side], confident=False, missing=["laterality"])
    second = Proposal("M10.071", "limb:gout", [settled])
    (merged,) = _dedupe([first, second])
    assert merged.confident and not merged.missing
    assert merged.evidence == [settled, open_side]
    # and a supported reading first stays as it is
    (kept,) = _dedupe([Proposal("M10.071", "limb:gout", [settled]), first])
    assert kept.confident and kept.evidence == [settled, open_side]
