"""Limb answers through the whole pipeline (real medspaCy, MiniLM, Chroma, rules drafter and
guard, over the default index): what the coding step and the guard do together.

Each visit is synthetic, written for the behaviour it pins down, in the run-on style of
recorded visits: a side stated only beside another finding of the site, a bruise over a
sprain, a side said both ways."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from scribeplugin.config import PROJECT_ROOT, Settings
from scribeplugin.draft.types import SuggestResponse
from scribeplugin.extract.transcript import parse_transcript
from scribeplugin.pipeline import Pipeline
from tests.test_pipeline import check_invariants

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pipeline(default_index: Any, embedder: Any) -> Pipeline:
    return Pipeline.from_settings(Settings(data_dir=default_index.data_dir), embedder=embedder)


def _codes(r: SuggestResponse) -> dict[str, Any]:
    return {c.code: c for c in r.codes}


SPRAIN_BESIDE_BRUISE = """\
Doctor: What happened to the ankle?
Patient: I rolled it stepping off a curb on Sunday and it swelled up right away.
Doctor: Let me look. On the skin of your left ankle there is ecchymosis, so you have some \
bruising over the outside, and there is tenderness over the ligament in front of the fibula. \
The x-ray shows no fracture.
Doctor: So for your problem of ankle pain, you have an ankle sprain. We will get you an air \
cast and crutches, ice and elevation, and I will see you back in two weeks.
"""


def test_a_sprain_keeps_its_code_when_its_side_comes_from_the_bruise(pipeline: Pipeline) -> None:
    """The side of the sprain is said only beside the bruise ("your left ankle ... bruising").
    The code quotes the side word, which the guard accepts; it once quoted the bruise, which
    cannot support a sprain, and the guard removed the right code. The bruise is the sprain's
    sign, not a second injury (I.C.19.b)."""
    r = pipeline.suggest(SPRAIN_BESIDE_BRUISE)
    codes = _codes(r)
    assert "S93.402A" in codes, r.guard  # Sprain of unspecified ligament of left ankle, A
    assert codes["S93.402A"].status == "suggested"
    assert {e.text for e in codes["S93.402A"].evidence} >= {"sprain", "left"}
    assert not any(c.startswith("S90.0") for c in codes)  # no contusion of the ankle
    assert not [a for a in r.guard if a.code == "S93.402A"]


OLD_WRECK = """\
Patient: the numbness in both hands started after my car wreck last December when I broke \
both wrists. They healed, but the tingling got worse over the last month.
Doctor: Positive Tinel and Phalen on both sides. Assessment: bilateral carpal tunnel syndrome. \
Night splints, and a nerve study.
"""


def test_an_old_accident_leaves_the_entrapment_coded(pipeline: Pipeline) -> None:
    """Carpal tunnel syndrome in a visit that tells of a car wreck and wrists broken last year
    stays coded: the pitfall rule about a median nerve injured in a current injury
    (g56-01-current-injury) needs the nerve's injury, and once removed the syndrome on the
    wreck and a broken bone alone."""
    r = pipeline.suggest(OLD_WRECK)
    codes = _codes(r)
    assert "G56.03" in codes, r.guard  # Carpal tunnel syndrome, bilateral upper limbs
    assert codes["G56.03"].status == "suggested"
    assert not [a for a in r.guard if a.code == "G56.03"]


@pytest.mark.parametrize(
    ("text", "code", "rule"),
    [
        (
            "Patient: I've had pain in my right shoulder for three weeks. I fell off my bike last "
            "year but that was my hip.\n"
            "Doctor: The MRI shows a degenerative full-thickness rotator cuff tear. Assessment: "
            "complete rotator cuff tear of the right shoulder, degenerative. Physical therapy.\n",
            "M75.121",
            "m75-101-traumatic-excludes1",
        ),
        (
            "Patient: my right ring finger has been catching for a few weeks. I also slipped on ice "
            "in January but I was fine.\n"
            "Doctor: Assessment: trigger finger of the right ring finger. Steroid injection today.\n",
            "M65.341",
            "m65-331-current-injury",
        ),
    ],
)
def test_an_injury_elsewhere_in_the_visit_does_not_remove_the_diagnosis(
    pipeline: Pipeline, text: str, code: str, rule: str
) -> None:
    """A pitfall rule that reads an injury anywhere in the visit ("I fell off my bike last
    year", "a few weeks") warns that the condition may be that injury's, and removes nothing:
    whether the condition came from an injury is read beside it (the traumatic route)."""
    r = pipeline.suggest(text)
    codes = _codes(r)
    assert code in codes, r.guard
    assert codes[code].status == "suggested"
    warned = {w.rule: w for w in r.warnings}
    assert rule in warned, list(warned)
    assert warned[rule].message.startswith("An injury is documented in this visit; if ")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (
            "Doctor: Two weeks after your right carpal tunnel release; sutures removed today. "
            "Assessment: routine postoperative check after right carpal tunnel release.\n",
            "Z48.811",
        ),
        (
            "Doctor: Six weeks after your right rotator cuff repair, motion is improving. "
            "Assessment: post-op follow-up after rotator cuff repair, doing well. Therapy.\n",
            "Z47.89",
        ),
    ],
)
def test_the_aftercare_of_a_repair_is_suggested_and_cited(
    pipeline: Pipeline, text: str, code: str
) -> None:
    """The aftercare codes are in the default index's scope (Z47, Z48.81-), so the guard finds
    their tabular entries among the retrieved chunks and keeps them."""
    r = pipeline.suggest(text)
    codes = _codes(r)
    assert code in codes, r.guard
    assert codes[code].status == "suggested"
    assert f"tabular:{code}" in {c.ref for c in codes[code].citations}


def test_a_trigger_finger_alone_is_not_warned_about_dupuytren(pipeline: Pipeline) -> None:
    r = pipeline.suggest(
        "Doctor: Assessment: trigger finger of the right middle finger. Injection today.\n"
    )
    assert "M65.331" in _codes(r)
    assert "m65-331-dupuytren" not in {w.rule for w in r.warnings}


SIDE_BOTH_WAYS = """\
Doctor: You're here for the right shoulder pain, is that right?
Patient: Yes, it hurts when I reach up into the cupboard.
Doctor: Any numbness in the hand?
Patient: No.
Doctor: On exam the shoulder has full strength and a painful arc. The x-ray is normal.
Doctor: So for your problem of left shoulder pain, it is most likely a strain of the rotator \
cuff, we will start physical therapy and see you back in six weeks.
"""


def test_a_side_said_both_ways_is_asked_once_and_quoted(pipeline: Pipeline) -> None:
    r = pipeline.suggest(SIDE_BOTH_WAYS)
    codes = _codes(r)
    assert {"M25.511", "M25.512"} <= set(codes)  # Pain in right / left shoulder
    for code, side in (("M25.511", "right"), ("M25.512", "left")):
        assert codes[code].status == "needs_documentation"
        assert side in {e.text for e in codes[code].evidence}
    asked = [p for p in r.prompts if p.id == "missing-laterality"]
    assert len(asked) == 1, [p.text for p in r.prompts]


SIDE_IN_THE_REPLY = """\
Doctor: What brings you in today?
Patient: My knees have been aching for about a month, worse on the stairs.
Doctor: Is it one knee more than the other, or both?
Patient: Both, about the same.
Doctor: On exam there is a small effusion of the right knee and no instability. The x-rays \
show no fracture.
Doctor: So for your problem of knee pain, I think it may be early arthritis but I want an MRI \
to be sure, and we will start physical therapy.
"""


def test_the_reply_gives_the_side_and_is_quoted(pipeline: Pipeline) -> None:
    """The side is said only in the reply ("Both, about the same."); the right knee's effusion
    does not narrow it. Both knees' pain is coded, each quoting "Both", and the guard keeps
    them."""
    r = pipeline.suggest(SIDE_IN_THE_REPLY)
    codes = _codes(r)
    assert {"M25.561", "M25.562"} <= set(codes), (list(codes), r.guard)
    for code in ("M25.561", "M25.562"):
        assert "Both" in {e.text for e in codes[code].evidence}
        assert not [a for a in r.guard if a.code == code]


RA_WITH_A_CT = """\
Doctor: The CT of your chest showed a small nodule we will watch.
Doctor: And for your other problem of rheumatoid arthritis, continue the methotrexate and keep \
following up with your rheumatologist.
"""
RA_WITH_SEROLOGY = """\
Doctor: The rheumatologist checked your rheumatoid factor and anti-CCP last spring.
Doctor: And for your other problem of rheumatoid arthritis, continue the methotrexate.
"""
SEROSTATUS_WARNINGS = {"m06-9-seropositive-documented", "m06-9-seronegative"}


def test_the_serostatus_warnings_rest_on_a_serology_not_on_imaging(pipeline: Pipeline) -> None:
    """Rheumatoid arthritis coded M06.9: the warnings that the serostatus may be in the note
    need a rheumatoid factor or anti-CCP test; a chest CT is no serology (both warnings once
    fired on any imaging, quoting "ct")."""
    r = pipeline.suggest(RA_WITH_A_CT)
    assert "M06.9" in _codes(r)
    assert not SEROSTATUS_WARNINGS & {w.rule for w in r.warnings}
    r = pipeline.suggest(RA_WITH_SEROLOGY)
    assert "M06.9" in _codes(r)
    warned = [w for w in r.warnings if w.rule in SEROSTATUS_WARNINGS]
    assert {w.rule for w in warned} == SEROSTATUS_WARNINGS
    for w in warned:
        assert "rheumatoid factor" in {e.text for e in w.evidence}


NOT_DOUBTS = """\
Patient: I hit my head in the accident, and they told me it was a contusion. My hands still \
go numb at night, and they feel sore, like an old bruise?
Doctor: Any bruising on the wrists?
Patient: Hmm, I can't really tell.
Doctor: On exam Tinel's sign is positive at both wrists.
Doctor: Assessment: bilateral carpal tunnel syndrome, question of cubital tunnel syndrome. \
We will get an EMG, and if it does not settle we can consider a carpal tunnel release.
"""


def test_only_the_clinicians_doubts_about_a_diagnosis_are_queried(pipeline: Pipeline) -> None:
    """A confirmation query asks the clinician about their own uncertain diagnosis ("question of
    cubital tunnel syndrome"): not about what someone once told the patient, the patient's own
    words, what the clinician only asked about and the reply left open ("any bruising?"), or a
    procedure only considered (a release is planned, not doubted)."""
    r = pipeline.suggest(NOT_DOUBTS)
    assert "G56.03" in _codes(r)
    asked = {p.id for p in r.prompts if p.id.startswith("confirm-")}
    assert asked == {"confirm-cubital-tunnel-syndrome"}, [p.text for p in r.prompts]


SAMPLES = PROJECT_ROOT / "examples" / "transcripts" / "ortho"
EXPECTED: dict[str, dict[str, Any]] = yaml.safe_load((SAMPLES / "EXPECTED.yaml").read_text())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_orthopedic_samples(pipeline: Pipeline, name: str) -> None:
    """One synthetic visit per region (examples/transcripts/ortho/EXPECTED.yaml): its codes are
    suggested, the codes a careless coder picks are absent, no warning says something untrue of
    the visit, and the answer keeps the guard's invariants (billable, verbatim evidence, and the
    codes', prompts' and warnings' citations from the index: ``check_invariants``)."""
    expected = EXPECTED[name]
    text = (SAMPLES / name).read_text(encoding="utf-8")
    r = pipeline.suggest(text)
    suggested = {c.code for c in r.codes if c.status == "suggested"}
    assert set(expected["suggested"]) <= suggested, r.model_dump_json(indent=1)[:3000]
    assert not set(expected["not_codes"]) & {c.code for c in r.codes}
    assert not set(expected.get("not_warnings", [])) & {w.rule for w in r.warnings}
    check_invariants(r, parse_transcript(text).text, pipeline)
