"""Findings and their assertion on small sentences and short dialogues (tables)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from scribeplugin.concepts import concepts
from scribeplugin.extract.findings import Finding

Extract = Callable[[object], list[Finding]]
# (concept, assertion, attributes that must match; "text" picks among several of a concept)
Expect = tuple[str, str, dict[str, Any]]


def _check(findings: list[Finding], expected: list[Expect]) -> None:
    """Every expectation is met by some finding of its concept ("absent": by none)."""
    for f in findings:
        assert f.concept in concepts()
        assert f.category == concepts()[f.concept].category
    for concept, assertion, attrs in expected:
        cands = [f for f in findings if f.concept == concept]
        if assertion == "absent":
            assert not cands, cands
            continue
        ok = [
            f
            for f in cands
            if f.assertion == assertion and all(getattr(f, k) == v for k, v in attrs.items())
        ]
        assert ok, (
            f"expected {concept} {assertion} {attrs}; got "
            f"{[(f.text, f.assertion, {k: getattr(f, k) for k in attrs}) for f in cands]}"
        )


SENTENCES: list[tuple[str, list[Expect]]] = [
    # the brief's assertion examples
    ("No radiculopathy.", [("radiculopathy", "negated", {})]),
    ("Patient denies leg pain.", [("leg_pain", "negated", {})]),
    (
        "MRI negative for disc herniation.",
        [("disc_herniation", "negated", {}), ("imaging", "present", {})],
    ),
    ("Rule out stenosis.", [("spinal_stenosis", "possible", {})]),
    ("r/o lumbar stenosis", [("spinal_stenosis", "possible", {"region": "region_lumbar"})]),
    (
        "Possible facet arthropathy at L4-5.",
        [("facet_arthropathy", "possible", {"level": "L4-L5", "region": "region_lumbar"})],
    ),
    ("Mother had stenosis.", [("spinal_stenosis", "family", {})]),
    ("History of back surgery ten years ago.", [("spine_surgery", "historical", {})]),
    # more negation, uncertainty, history, family
    (
        "No numbness, tingling or weakness.",
        [("paresthesia", "negated", {"text": "tingling"}), ("weakness", "negated", {})],
    ),
    (
        "No numbness, I have tingling in my left foot.",
        [
            ("paresthesia", "negated", {"text": "numbness"}),
            ("paresthesia", "present", {"text": "tingling", "laterality": "left"}),
        ],
    ),
    (
        "No leg pain but the back pain is severe.",
        [("leg_pain", "negated", {}), ("back_pain", "present", {})],
    ),
    (
        "The MRI did not show any disc herniation.",
        [("disc_herniation", "negated", {}), ("imaging", "present", {})],
    ),
    ("The MRI was unremarkable.", [("imaging", "present", {})]),
    (
        "The MRI, the one your doctor ordered, is negative for disc herniation.",
        [("disc_herniation", "negated", {}), ("imaging", "present", {})],
    ),
    ("Nothing is going down the leg.", [("leg_pain", "negated", {})]),
    ("I didn't lift anything or fall.", [("injury_event", "negated", {})]),
    (
        "Since therapy hasn't helped, I'd recommend a left S1 epidural steroid injection.",
        [
            ("treatment_failed", "present", {}),
            ("conservative_treatment", "possible", {"text": "epidural steroid injection"}),
            ("level", "present", {"level": "S1"}),
        ],
    ),
    ("I wouldn't recommend an epidural.", [("conservative_treatment", "negated", {})]),
    ("I don't think this is sciatica.", [("sciatica", "negated", {})]),
    ("The MRI was negative.", [("imaging", "present", {})]),
    ("No MRI yet.", [("imaging", "negated", {})]),
    (
        "Disc herniation versus stenosis.",
        [("disc_herniation", "possible", {}), ("spinal_stenosis", "possible", {})],
    ),
    (
        "Findings consistent with L5-S1 spondylolisthesis.",
        [("spondylolisthesis", "possible", {"level": "L5-S1"})],
    ),
    ("Probable lumbar radiculopathy.", [("radiculopathy", "possible", {})]),
    ("I don't know if it's a pinched nerve.", [("radiculopathy", "possible", {})]),
    ("If the numbness gets worse, come back.", [("paresthesia", "possible", {})]),
    # a hedge on where or how long is not doubt about the problem
    ("I'd say maybe it's been going on for about a month.", [("acute", "present", {})]),
    ("Maybe a little bit to the upper back.", [("region_thoracic", "present", {})]),
    (
        "Six-month history of low back pain.",
        [("low_back_pain", "present", {}), ("chronic", "present", {})],
    ),
    ("He has a history of chronic low back pain.", [("low_back_pain", "present", {})]),
    ("History of lumbar discectomy in 2015.", [("spine_surgery", "historical", {})]),
    ("I had sciatica years ago but it went away.", [("sciatica", "historical", {})]),
    ("I've had sciatica for two years.", [("sciatica", "present", {}), ("chronic", "present", {})]),
    ("Status post L4-5 fusion.", [("spine_surgery", "historical", {"level": "L4-L5"})]),
    ("My father has degenerative disc disease.", [("disc_degeneration", "family", {})]),
    ("My friend had a herniated disc.", [("disc_herniation", "family", {})]),
    ("Back problems run in the family.", [("dorsopathy", "family", {})]),
    ("My wife says I can't sit through a movie.", [("functional_limitation", "present", {})]),
    ("My husband drove me because my back pain is so bad.", [("back_pain", "present", {})]),
    # conditions, synonyms and abbreviations
    (
        "L5-S1 disc herniation with left S1 radiculopathy.",
        [
            ("disc_herniation", "present", {"level": "L5-S1", "region": "region_lumbosacral"}),
            ("radiculopathy", "present", {"laterality": "left", "level": "S1"}),
            ("level", "present", {"text": "L5-S1", "region": "region_lumbosacral"}),
        ],
    ),
    ("HNP at L4-L5.", [("disc_herniation", "present", {"level": "L4-L5"})]),
    ("Bulging disc at L4/5.", [("disc_herniation", "present", {"level": "L4-L5"})]),
    ("I have a slipped disc.", [("disc_herniation", "present", {})]),
    ("DDD at L5 S1.", [("disc_degeneration", "present", {"level": "L5-S1"})]),
    (
        "Degenerative disc disease of the lumbar spine.",
        [("disc_degeneration", "present", {"region": "region_lumbar"})],
    ),
    ("Disc desiccation at L3-4.", [("disc_degeneration", "present", {"level": "L3-L4"})]),
    ("I have a pinched nerve in my back.", [("radiculopathy", "present", {})]),
    ("The disc is pressing on the nerve.", [("radiculopathy", "present", {})]),
    (
        "Lumbar spinal stenosis with neurogenic claudication.",
        [
            ("spinal_stenosis", "present", {"region": "region_lumbar"}),
            ("neurogenic_claudication", "present", {}),
        ],
    ),
    ("Severe foraminal narrowing at L4-5.", [("spinal_stenosis", "present", {"level": "L4-L5"})]),
    ("She has aortic stenosis.", []),
    ("Facet joint arthritis at L4-L5 and L5-S1.", [("facet_arthropathy", "present", {})]),
    ("Lumbar spondylosis.", [("spondylosis", "present", {"region": "region_lumbar"})]),
    ("Arthritis in my lower back.", [("spondylosis", "present", {"region": "region_lumbar"})]),
    # a slip of L4 on L5 is the L4-L5 segment (was level "L4": the vertebra, not the segment)
    (
        "Grade 1 anterolisthesis of L4 on L5.",
        [("spondylolisthesis", "present", {"level": "L4-L5", "region": "region_lumbar"})],
    ),
    (
        "Lumbosacral transitional vertebra.",
        [("transitional_vertebra", "present", {"region": "region_lumbosacral"})],
    ),
    ("Sacralized L5.", [("transitional_vertebra", "present", {"level": "L5"})]),
    ("Bertolotti syndrome.", [("transitional_vertebra", "present", {})]),
    (
        "Chronic left iliolumbar ligament syndrome at the lumbosacral junction.",
        [("ligament_syndrome", "present", {"laterality": "left", "region": "region_lumbosacral"})],
    ),
    (
        "Signal change in the iliolumbar ligament on the left.",
        [("ligament_syndrome", "present", {"laterality": "left"})],
    ),
    (
        "Cervical myelopathy from cord compression.",
        [("myelopathy", "present", {"region": "region_cervical"})],
    ),
    ("Segmental instability at L4-5.", [("instability", "present", {"level": "L4-L5"})]),
    ("Knee instability.", []),
    (
        "At the store I lean on the cart and I can go the whole store that way.",
        [("neurogenic_claudication", "present", {})],
    ),
    (
        "After maybe a block and a half, both my legs get heavy and achy, from my buttocks down "
        "to my thighs.",
        [("leg_pain", "present", {})],
    ),
    (
        "The protrusion does not touch the nerve roots.",
        [("disc_herniation", "present", {}), ("treatment_failed", "absent", {})],
    ),
    ("Discitis at L2-3.", [("discitis", "present", {"level": "L2-L3"})]),
    (
        "Lumbar strain after a fall.",
        [("strain", "present", {"region": "region_lumbar"}), ("injury_event", "present", {})],
    ),
    (
        "Whiplash after a car accident.",
        [("sprain", "present", {}), ("injury_event", "present", {"text": "car accident"})],
    ),
    ("I have a bad back.", [("dorsopathy", "present", {})]),
    # symptoms
    ("Low back pain.", [("low_back_pain", "present", {"region": "region_lumbar"})]),
    ("LBP.", [("low_back_pain", "present", {})]),
    ("Lumbago.", [("low_back_pain", "present", {})]),
    ("My lower back is killing me.", [("low_back_pain", "present", {})]),
    ("Pain in my lower back.", [("low_back_pain", "present", {})]),
    ("My back hurts.", [("back_pain", "present", {})]),
    ("Upper back pain.", [("back_pain", "present", {"region": "region_thoracic"})]),
    ("Neck pain.", [("neck_pain", "present", {"region": "region_cervical"})]),
    ("Sciatica on the right.", [("sciatica", "present", {"laterality": "right"})]),
    ("The pain is shooting down my left leg.", [("leg_pain", "present", {"laterality": "left"})]),
    (
        "It radiates into the back of my right thigh.",
        [("leg_pain", "present", {"laterality": "right"})],
    ),
    ("Bilateral leg pain.", [("leg_pain", "present", {"laterality": "bilateral"})]),
    ("Pain goes down both legs.", [("leg_pain", "present", {"laterality": "bilateral"})]),
    ("Numbness goes down my leg.", [("paresthesia", "present", {})]),
    ("Pins and needles in my toes.", [("paresthesia", "present", {})]),
    ("My foot falls asleep.", [("paresthesia", "present", {})]),
    ("Left foot drop.", [("weakness", "present", {"laterality": "left"})]),
    ("My leg gives out.", [("weakness", "present", {})]),
    # levels and regions
    ("T12-L1 compression fracture.", [("level", "present", {"region": "region_thoracolumbar"})]),
    ("C7-T1.", [("level", "present", {"level": "C7-T1", "region": "region_cervicothoracic"})]),
    ("C5-6 disc.", [("level", "present", {"level": "C5-C6", "region": "region_cervical"})]),
    ("S1 joint.", [("level", "present", {"level": "S1", "region": "region_sacral"})]),
    ("L five S one.", [("level", "present", {"level": "L5-S1"})]),
    ("At l4 l5.", [("level", "present", {"level": "L4-L5"})]),
    ("T2-weighted images.", []),
    ("Heart sounds S1 and S2 normal.", []),
    ("Tenderness over the lumbosacral junction.", [("region_lumbosacral", "present", {})]),
    ("SI joint pain.", [("region_sacral", "present", {})]),
    ("Tenderness over the tailbone.", [("region_sacral", "present", {})]),
    # tailbone pain is coccygodynia, which carries its region
    ("Pain at the tailbone.", [("coccygodynia", "present", {"region": "region_sacral"})]),
    ("Mid back.", [("region_thoracic", "present", {})]),
    # laterality needs a body part or a side
    ("That's all right.", []),
    ("I left work early.", []),
    ("Pain on the right side.", [("right", "present", {})]),
    ("Right-sided sciatica.", [("sciatica", "present", {"laterality": "right"})]),
    # imaging, function, treatment, chronicity, injury, encounter, causes
    ("X-ray of the lumbar spine.", [("imaging", "present", {"region": "region_lumbar"})]),
    ("The CT scan showed a fracture.", [("imaging", "present", {})]),
    ("He had an M R I last year.", [("imaging", "present", {})]),
    ("I can't sit for more than twenty minutes.", [("functional_limitation", "present", {})]),
    ("I have trouble walking more than a block.", [("functional_limitation", "present", {})]),
    ("I've missed work all week.", [("functional_limitation", "present", {})]),
    ("It wakes me up at night.", [("functional_limitation", "present", {})]),
    ("The pain keeps me from sleeping.", [("functional_limitation", "present", {})]),
    ("Ice only helped temporarily.", [("treatment_failed", "present", {})]),
    ("I'm able to walk fine.", [("functional_limitation", "absent", {})]),
    (
        "Physical therapy for six weeks didn't help.",
        [("conservative_treatment", "present", {}), ("treatment_failed", "present", {})],
    ),
    (
        "Gabapentin and ibuprofen gave no relief.",
        [
            ("conservative_treatment", "present", {"text": "Gabapentin"}),
            ("treatment_failed", "present", {}),
        ],
    ),
    (
        "The epidural steroid injection helped a little.",
        [("conservative_treatment", "present", {}), ("treatment_failed", "present", {})],
    ),
    (
        "PT helped a lot.",
        [("conservative_treatment", "present", {}), ("treatment_failed", "absent", {})],
    ),
    ("Chronic low back pain.", [("chronic", "present", {})]),
    ("Back pain for years.", [("chronic", "present", {})]),
    ("The pain started about six months ago.", [("chronic", "present", {})]),
    (
        "The pain started yesterday after lifting a box.",
        [("acute", "present", {}), ("injury_event", "present", {})],
    ),
    ("Back pain for two weeks.", [("acute", "present", {})]),
    ("I fell asleep on the couch.", []),
    (
        "I was in a car accident last week.",
        [("injury_event", "present", {}), ("acute", "present", {})],
    ),
    ("I hurt my back moving furniture.", [("injury_event", "present", {})]),
    ("No injury.", [("injury_event", "negated", {})]),
    ("He has smoked a pack a day for twenty years.", [("chronic", "absent", {})]),
    ("This is a follow-up visit.", [("subsequent_encounter", "present", {})]),
    ("First visit for this problem.", [("initial_encounter", "present", {})]),
    ("The flank pain is from a kidney stone.", [("kidney_stone", "present", {})]),
    ("Pyelonephritis.", [("non_spinal_cause", "present", {})]),
    ("Strain your urine.", []),
    ("The pain is coming from your hip.", [("non_spinal_cause", "present", {})]),
]


def test_every_concept_has_target_rules() -> None:
    from scribeplugin.extract import rules
    from scribeplugin.knowledge.extraction import default_knowledge

    labels = set(rules.build_target_rules())
    # A site named only through its digits or structures ("thumb" is digit_thumb, whose site is
    # site_thumb) is found through them.
    named_through = {c.site for c in default_knowledge().concepts.values() if c.site}
    missing = [
        c
        for c in concepts()
        if rules.label_of(c) not in labels and c not in ("left", "right") and c not in named_through
    ]
    assert not missing, (
        f"concepts without target patterns in corpus/knowledge/extraction: {missing}"
    )


@pytest.mark.parametrize(("text", "expected"), SENTENCES, ids=[s for s, _ in SENTENCES])
def test_sentences(extract: Extract, text: str, expected: list[Expect]) -> None:
    findings = extract(text)
    if not expected:
        assert findings == [] or all(
            f.category not in ("condition", "level", "laterality", "cause", "encounter")
            for f in findings
        ), findings
    _check(findings, expected)
