"""Dialogue-aware assertion: questions, answers, proposals, guesses and the clinician's word."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from scribeplugin.extract.findings import Finding
from tests.extract.test_findings import Expect, _check

Extract = Callable[[object], list[Finding]]

DIALOGUES: list[tuple[str, str, list[Expect]]] = [
    (
        "a denial, then the patient's theory",
        "Patient: No numbness, I think it's a pinched nerve.",
        [("paresthesia", "negated", {}), ("radiculopathy", "possible", {})],
    ),
    (
        "a plan declined by the clinician",
        "Doctor: I'm not going to order an MRI yet.",
        [("imaging", "negated", {"from_assessment": True})],
    ),
    (
        "a plan cue after the negation does not end it",
        "Patient: I wouldn't call it pain, I would call it tingling.",
        [("paresthesia", "present", {})],
    ),
    (
        "denied in the next turn",
        "Doctor: Any numbness or tingling?\nPatient: No.",
        [
            ("paresthesia", "negated", {"text": "numbness", "in_question": True}),
            ("paresthesia", "negated", {"text": "tingling"}),
        ],
    ),
    (
        "confirmed, with a side",
        "Doctor: Any numbness or tingling?\nPatient: Yes, in my left foot.",
        [("paresthesia", "present", {"text": "numbness", "laterality": "left"})],
    ),
    (
        "denied with a clause after the no",
        "Doctor: Does the pain go down your leg?\nPatient: No, it stays in my lower back.",
        [("leg_pain", "negated", {}), ("region_lumbar", "present", {})],
    ),
    (
        "a no that opens an answer does not negate what follows",
        "D: Any other symptoms?\nP: Uh no it's just the uh the low back pain.",
        [("low_back_pain", "present", {})],
    ),
    (
        "the reply names the concept itself",
        "Doctor: Any weakness in your legs?\nPatient: My right leg feels weak.",
        [
            ("weakness", "present", {"text": "weakness", "laterality": "right"}),
            ("weakness", "present", {"text": "weak"}),
        ],
    ),
    (
        "only the symptom named is confirmed",
        "Doctor: Any numbness, tingling or weakness?\nPatient: Just some tingling.",
        [("paresthesia", "present", {"text": "tingling"}), ("weakness", "negated", {})],
    ),
    (
        "unanswered question",
        "Doctor: Have you noticed any weakness?",
        [("weakness", "possible", {"in_question": True})],
    ),
    (
        "question answered by another question",
        "Doctor: Any numbness in your feet?\nDoctor: Or tingling?\nPatient: Nope.",
        [
            ("paresthesia", "negated", {"text": "numbness"}),
            ("paresthesia", "negated", {"text": "tingling"}),
        ],
    ),
    (
        "a relative answers",
        "Doctor: Has he had any falls?\nGuest_family: Yes, he fell last week.",
        [("injury_event", "present", {"text": "any falls"})],
    ),
    (
        "patient's guess stays possible",
        "Patient: I think it's a slipped disc.\nDoctor: Let me examine you first.",
        [("disc_herniation", "possible", {"speaker": "patient"})],
    ),
    (
        "patient's question is a guess",
        "Patient: Could it be sciatica?\nDoctor: Let's see.",
        [("sciatica", "possible", {})],
    ),
    (
        "patient's guess confirmed",
        "Patient: I think it's a slipped disc.\nDoctor: Yes, that's right.",
        [("disc_herniation", "present", {"speaker": "patient"})],
    ),
    (
        "patient's guess rejected",
        "Patient: Is it a pinched nerve?\nDoctor: No, I don't think so.",
        [("radiculopathy", "negated", {"speaker": "patient"})],
    ),
    (
        "the assessment outweighs the patient",
        "Patient: I'm sure it's a slipped disc.\nDoctor: OK.\n"
        "Doctor: My impression is that this is not a disc herniation; it's a muscle strain.",
        [
            ("disc_herniation", "negated", {"speaker": "patient"}),
            ("disc_herniation", "negated", {"speaker": "clinician", "from_assessment": True}),
            ("strain", "present", {}),
        ],
    ),
    (
        "the assessment confirms the patient's guess",
        "Patient: Maybe I have a pinched nerve.\nDoctor: Let me look.\n"
        "Doctor: It sounds like you have a pinched nerve at L5.",
        [
            ("radiculopathy", "present", {"speaker": "patient"}),
            (
                "radiculopathy",
                "present",
                {"speaker": "clinician", "from_assessment": True, "level": "L5"},
            ),
        ],
    ),
    (
        "clinician's proposal confirmed",
        "Doctor: So the pain shoots down your right leg?\nPatient: Yes.",
        [("leg_pain", "present", {"laterality": "right"})],
    ),
    (
        "clinician's statement confirmed",
        "Doctor: It sounds like sciatica.\nPatient: That makes sense.",
        [("sciatica", "present", {"from_assessment": True})],
    ),
    (
        "clinician's summary rejected",
        "Doctor: So you've had this pain for about two weeks.\nPatient: No, more like six months.",
        [("acute", "negated", {}), ("chronic", "present", {})],
    ),
    (
        "family history asked and answered",
        "Doctor: Any family history of back problems?\nPatient: Yes, my dad had a herniated disc.",
        [("dorsopathy", "family", {}), ("disc_herniation", "family", {})],
    ),
    (
        "family history denied",
        "Doctor: Any family history of spinal stenosis?\nPatient: No.",
        [("spinal_stenosis", "negated", {})],
    ),
    (
        "treatment tried and failed",
        "Doctor: Have you tried physical therapy?\n"
        "Patient: Yes, for six weeks, but it didn't help.",
        [
            ("conservative_treatment", "present", {"in_question": True}),
            ("treatment_failed", "present", {"speaker": "patient"}),
        ],
    ),
    (
        "plan is possible until done",
        "Doctor: We'll start physical therapy and order an MRI of the lumbar spine.",
        [
            ("conservative_treatment", "possible", {"from_assessment": True}),
            ("imaging", "possible", {"from_assessment": True, "region": "region_lumbar"}),
        ],
    ),
    (
        "continuing a treatment is present",
        "Doctor: Continue the gabapentin.",
        [("conservative_treatment", "present", {"from_assessment": True})],
    ),
    (
        "assessment section of a note",
        "Assessment:\nLumbar radiculopathy, left L5.\nPlan: PT referral.",
        [
            (
                "radiculopathy",
                "present",
                {
                    "from_assessment": True,
                    "laterality": "left",
                    "level": "L5",
                    "region": "region_lumbar",
                },
            ),
            ("conservative_treatment", "possible", {"from_assessment": True}),
        ],
    ),
    (
        "renal colic, not a back problem",
        "Doctor: This pain is renal colic from the stone in your right ureter. "
        "Strain your urine so we can catch the stone.",
        [("kidney_stone", "present", {"from_assessment": True, "text": "renal colic"})],
    ),
    (
        "what you have is",
        "Doctor: What you have right now is low back pain with sciatica on the right side.",
        [
            ("low_back_pain", "present", {"from_assessment": True}),
            ("sciatica", "present", {"from_assessment": True, "laterality": "right"}),
        ],
    ),
    (
        "a relative talking about the patient is not family history",
        "Doctor: What brings you in?\nGuest_family: My mom has been having back pain for months.",
        [("back_pain", "present", {"speaker": "other"}), ("chronic", "present", {})],
    ),
    (
        "non-spinal cause named by the clinician",
        "Patient: My back is killing me on the left side.\n"
        "Doctor: This pain is coming from a kidney stone, not your spine.",
        [
            ("back_pain", "present", {"laterality": "left"}),
            ("kidney_stone", "present", {"from_assessment": True}),
        ],
    ),
]


@pytest.mark.parametrize(("name", "text", "expected"), DIALOGUES, ids=[d[0] for d in DIALOGUES])
def test_dialogues(extract: Extract, name: str, text: str, expected: list[Expect]) -> None:
    _check(extract(text), expected)


ASR = (
    "[doctor] hi there , what brings you in today ? [patient] my lower back has been killing me "
    "for about six months . [doctor] okay . any numbness or tingling ? [patient] no . "
    "[doctor] does the pain go down your leg ? [patient] yeah , it shoots down my right leg "
    "all the way to my foot . [doctor] have you had any imaging ? [patient] yes , i had an mri "
    "last month that showed a disc herniation at l5-s1 . [doctor] have you tried anything for "
    "it ? [patient] i did physical therapy for six weeks but it did n't help . i ca n't sit for "
    "more than twenty minutes and i 've missed a lot of work . [doctor] okay . so my impression "
    "is an l5-s1 disc herniation with right s1 radiculopathy . we 'll get you set up for an "
    "epidural steroid injection ."
)


def test_asr_visit(extract: Extract) -> None:
    findings = extract(ASR)
    _check(
        findings,
        [
            ("low_back_pain", "present", {"speaker": "patient"}),
            ("chronic", "present", {}),
            ("paresthesia", "negated", {"text": "numbness"}),
            ("leg_pain", "present", {"speaker": "clinician", "laterality": "right"}),
            ("leg_pain", "present", {"speaker": "patient", "laterality": "right"}),
            ("imaging", "present", {"text": "mri"}),
            ("disc_herniation", "present", {"speaker": "patient", "level": "L5-S1"}),
            ("conservative_treatment", "present", {"text": "physical therapy"}),
            ("treatment_failed", "present", {}),
            ("functional_limitation", "present", {"text": "ca n't sit"}),
            ("functional_limitation", "present", {"text": "missed a lot of work"}),
            (
                "disc_herniation",
                "present",
                {"speaker": "clinician", "from_assessment": True, "region": "region_lumbosacral"},
            ),
            ("radiculopathy", "present", {"laterality": "right", "region": "region_lumbosacral"}),
            (
                "conservative_treatment",
                "possible",
                {"text": "epidural steroid injection", "from_assessment": True},
            ),
        ],
    )
    # the early "no" negates the numbness question, nothing after it
    negated = {f.concept for f in findings if f.assertion == "negated"}
    assert negated == {"paresthesia"}


def test_json_segments(extract: Extract) -> None:
    findings = extract(
        [
            {"speaker": "Doctor", "text": "Any leg pain?"},
            {"speaker": "Patient", "text": "No, just the low back pain."},
        ]
    )
    _check(findings, [("leg_pain", "negated", {}), ("low_back_pain", "present", {})])


@pytest.mark.parametrize(
    "labels",
    [
        ("Doctor", "Patient"),
        ("DR", "PT"),
        ("D", "P"),
        ("Dr. Patel", "Patient"),
        ("Physician", "Patient"),
        ("Clinician", "Patient"),
        ("Provider", "Patient"),
        ("[doctor]", "[patient]"),
    ],
)
def test_every_speaker_format(extract: Extract, labels: tuple[str, str]) -> None:
    doc, pat = labels
    sep = " " if doc.startswith("[") else ": "
    text = (
        f"{doc}{sep}Any numbness in your legs?\n{pat}{sep}No.\n"
        f"{doc}{sep}Does the pain radiate?\n{pat}{sep}Yes, down my left leg.\n"
        f"{doc}{sep}We'll start physical therapy."
    )
    findings = extract(text)
    _check(
        findings,
        [
            ("paresthesia", "negated", {"speaker": "clinician"}),
            ("leg_pain", "present", {"speaker": "patient", "laterality": "left"}),
            ("conservative_treatment", "possible", {"from_assessment": True}),
        ],
    )
