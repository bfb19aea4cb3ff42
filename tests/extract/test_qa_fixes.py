"""Extraction errors the QA eval suite found (evals/cases), one row per phrase, each pinned down
on a small sentence or a short dialogue: concept, assertion and level/region/side."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from scribeplugin.extract.findings import Finding
from tests.extract.test_findings import Expect, _check

Extract = Callable[[object], list[Finding]]
LS, LUMBAR = "region_lumbosacral", "region_lumbar"

# (case or item it comes from, text, expectations)
QA_ROWS: list[tuple[str, str, list[Expect]]] = [
    # 1. negation after a colon (m51-361-clinician-says-sciatica-means-referred)
    ("1 no root compressed", "No nerve root is compressed.", [("radiculopathy", "negated", {})]),
    (
        "1 colon then no",
        "It is not a pinched nerve: no nerve root is compressed on the MRI.",
        [
            ("radiculopathy", "negated", {"text": "nerve root is compressed"}),
            ("imaging", "present", {}),  # the study the finding is absent on
        ],
    ),
    ("1 trailing colon no", "Numbness: no.", [("paresthesia", "negated", {})]),
    # 2. uncertainty (m46-possible-discitis-after-surgery, m51-possible-early-degeneration)
    ("2 cannot be excluded", "Early discitis cannot be excluded.", [("discitis", "possible", {})]),
    (
        "2 can't rule out",
        "I can't rule out a disc herniation.",
        [("disc_herniation", "possible", {})],
    ),
    (
        "2 can rule out stays negated",
        "We can rule out a disc herniation.",
        [("disc_herniation", "negated", {})],
    ),
    (
        "2 might",
        "The X-ray might show disc degeneration at L4-L5.",
        [("disc_degeneration", "possible", {"level": "L4-L5", "region": LUMBAR})],
    ),
    ("2 possibly", "This is possibly a disc herniation.", [("disc_herniation", "possible", {})]),
    ("2 may be", "It may be spinal stenosis.", [("spinal_stenosis", "possible", {})]),
    ("2 could be", "It could be sciatica.", [("sciatica", "possible", {})]),
    ("2 concerning for", "The MRI is concerning for discitis.", [("discitis", "possible", {})]),
    ("2 suspicious for", "The MRI is suspicious for discitis.", [("discitis", "possible", {})]),
    (
        "2 report cannot exclude",
        "Doctor: The MRI report says post-operative changes and that early discitis cannot be "
        "excluded.",
        [
            ("discitis", "possible", {"from_assessment": False}),
            ("subsequent_encounter", "absent", {}),
        ],
    ),
    # 3. resolved is history (m46-discitis-resolved-follow-up, m47-history-facet-...-resolved)
    ("3 has resolved", "The sciatica has resolved.", [("sciatica", "historical", {})]),
    (
        "3 resolved before",
        "Resolved left sciatica.",
        [("sciatica", "historical", {"laterality": "left"})],
    ),
    (
        "3 resolved ends at and",
        "The sciatica has resolved and the back pain is worse.",
        [("sciatica", "historical", {}), ("back_pain", "present", {})],
    ),
    ("3 resolving is not resolved", "The sciatica is resolving.", [("sciatica", "present", {})]),
    ("3 completely gone", "The leg pain is completely gone.", [("leg_pain", "historical", {})]),
    ("3 has cleared up", "The numbness has cleared up.", [("paresthesia", "historical", {})]),
    ("3 no longer", "I no longer have sciatica.", [("sciatica", "historical", {})]),
    (
        "3 it's completely gone",
        "Patient: None since the ablation for the facet syndrome at L4-L5. It's completely gone.",
        [("facet_arthropathy", "historical", {"level": "L4-L5"})],
    ),
    (
        "3 answered it's gone",
        "Doctor: How is the sciatica?\nPatient: It's completely gone.",
        [("sciatica", "historical", {"in_question": True})],
    ),
    (
        "3 no, it's gone",
        "Doctor: Any leg pain?\nPatient: No, it's gone.",
        [("leg_pain", "historical", {"in_question": True})],
    ),
    (
        "3 gone down is not gone",
        "The back pain has gone down a bit.",
        [("back_pain", "present", {})],
    ),
    (
        "3 the clinician's resolution outweighs earlier mentions",
        "Doctor: You finished the antibiotics for the L3-L4 discitis.\nPatient: I feel normal.\n"
        "Doctor: The discitis has resolved.",
        [
            ("discitis", "historical", {"level": "L3-L4"}),
            ("discitis", "historical", {"text": "discitis", "level": None}),
        ],
    ),
    # 4. a report read out is possible until the clinician affirms it
    # (m51-369-incidental-degeneration-neck-visit)
    (
        "4 report read out",
        "Patient: I brought a report from another doctor. It says mild disc degeneration at "
        "L2-L3.\nDoctor: Thanks, I'll scan it in. Does your lower back bother you?\n"
        "Patient: Not at all. It's my neck.",
        [
            ("disc_degeneration", "possible", {"level": "L2-L3"}),
            ("region_lumbar", "negated", {}),
        ],
    ),
    (
        "4 report confirmed by the assessment",
        "Patient: The report says disc degeneration at L4-L5.\n"
        "Doctor: Assessment: L4-L5 disc degeneration.",
        [("disc_degeneration", "present", {"speaker": "patient", "region": LUMBAR})],
    ),
    (
        "4 report confirmed in reply",
        "Patient: The report says I have disc degeneration.\nDoctor: Yes, that's right.",
        [("disc_degeneration", "present", {"speaker": "patient"})],
    ),
    # 5. patterns
    (
        "5 low in the back",
        "The pain is low in the back.",
        [("low_back_pain", "present", {"region": LUMBAR})],
    ),
    (
        "5 lower in the back of the thigh",
        "It hurts lower in the back of my thigh.",
        [
            ("low_back_pain", "absent", {}),
        ],
    ),
    (
        "5 back and buttock pain",
        "Back and buttock pain.",
        [
            ("low_back_pain", "present", {"text": "Back", "region": LUMBAR}),
            ("leg_pain", "present", {"text": "buttock pain"}),
        ],
    ),
    (
        "5 low back and right buttock pain",
        "Low back and right buttock pain.",
        [("low_back_pain", "present", {}), ("leg_pain", "present", {"laterality": "right"})],
    ),
    (
        "5 upper back and leg pain",
        "Upper back and leg pain.",
        [
            ("back_pain", "present", {}),
            ("low_back_pain", "absent", {}),
            ("leg_pain", "present", {}),
        ],
    ),
    (
        "5 lumbosacral spine disorder",
        "For now I'd call it a lumbosacral spine disorder.",
        [("dorsopathy", "present", {"region": LS})],
    ),
    (
        "5 lumbar spine disorder",
        "Lumbar spine disorder.",
        [("dorsopathy", "present", {"region": LUMBAR})],
    ),
    (
        "5 arthritis of the facets",
        "Your X-rays confirm arthritis of the L4-L5 facets.",
        [("facet_arthropathy", "present", {"level": "L4-L5", "region": LUMBAR})],
    ),
    (
        "5 no arthritis of the facets",
        "No disc herniation and no arthritis of the facets.",
        [("facet_arthropathy", "negated", {})],
    ),
    (
        "5 referral letter",
        "Doctor: The referral letter says myelopathy.",
        [("myelopathy", "possible", {"from_assessment": False})],
    ),
    (
        "5 referral letter header",
        "Referral letter read into the visit: severe L5-S1 spondylosis with myelopathy.",
        [("myelopathy", "possible", {}), ("spondylosis", "possible", {"region": LS})],
    ),
    # 6. roots are not segments; "L5 on S1" is L5-S1
    (
        "6 L5 root alone",
        "Left L5 radiculopathy.",
        [
            ("radiculopathy", "present", {"level": "L5", "region": None, "laterality": "left"}),
            ("level", "present", {"level": "L5", "region": None}),
        ],
    ),
    (
        "6 S1 root: lumbosacral by convention",
        "S1 radiculopathy.",
        [("radiculopathy", "present", {"level": "S1", "region": LS})],
    ),
    (
        "6 root with a segment in the sentence",
        "Right L5 radiculopathy from foraminal stenosis at L5-S1.",
        [("radiculopathy", "present", {"level": "L5", "region": LS, "laterality": "right"})],
    ),
    (
        "6 the L5 root is a root",
        "The L4-L5 herniation compresses the right L5 root.",
        [
            ("level", "present", {"text": "L5", "level": "L5", "region": None}),
            ("disc_herniation", "present", {"level": "L4-L5", "region": LUMBAR}),
        ],
    ),
    (
        "6 segment named in the same turn",
        "Doctor: Assessment: left L5 radiculopathy. The root is pinched in the L5-S1 foramen.",
        [("radiculopathy", "present", {"text": "radiculopathy", "level": "L5", "region": LS})],
    ),
    (
        "6 a normal segment does not place the root",
        "Doctor: You have a right L5 radiculopathy. L5-S1 is normal.",
        [
            ("radiculopathy", "present", {"level": "L5", "region": None}),
            ("level", "negated", {"level": "L5-S1"}),
        ],
    ),
    (
        "6 the S1 root is not the sacrum",
        "The disc touches the S1 root.",
        [("level", "present", {"level": "S1", "region": None})],
    ),
    (
        "6 L5 on S1",
        "Spondylolisthesis of L5 on S1.",
        [
            ("spondylolisthesis", "present", {"level": "L5-S1", "region": LS}),
            ("level", "present", {"text": "L5 on S1", "level": "L5-S1", "region": LS}),
        ],
    ),
    (
        "6 anterolisthesis of L5",
        "The report says grade 1 anterolisthesis of L5.",
        [("spondylolisthesis", "possible", {"level": "L5-S1", "region": LS})],
    ),
    (
        "6 L5 slipped forward on S1",
        "L5 has slipped forward on S1.",
        [("spondylolisthesis", "present", {"level": "L5-S1", "region": LS})],
    ),
    (
        "6 slip and stenosis at the same segment",
        "At L5-S1 you have facet arthropathy, and it has let L5 slip forward on S1, grade 1, "
        "with stenosis of the canal at L5-S1.",
        [
            ("spinal_stenosis", "present", {"level": "L5-S1", "region": LS}),
            ("spondylolisthesis", "present", {"level": "L5-S1", "region": LS}),
            ("level", "present", {"region": LS}),
            ("region_sacral", "absent", {}),
        ],
    ),
    (
        "6 lone vertebra",
        "Your bending films show instability at L5.",
        [("instability", "present", {"level": "L5", "region": None})],
    ),
    # 7. a place said to be fine is negated (s29-mid-back-muscle-strain)
    (
        "7 the low back is fine",
        "The mid back is tender; the low back is fine.",
        [("region_lumbar", "negated", {}), ("region_thoracic", "present", {})],
    ),
    (
        "7 no pain in the low back",
        "No pain in the low back.",
        [("low_back_pain", "negated", {"region": LUMBAR})],
    ),
    (
        "7 two levels are open",
        "Moderate stenosis at L3-L4. L4-L5 and L5-S1 are open.",
        [
            ("level", "negated", {"level": "L5-S1"}),
            ("level", "negated", {"level": "L4-L5"}),
            ("level", "present", {"level": "L3-L4"}),
        ],
    ),
    (
        "7 only the subject is normal",
        "The slip is at L5-S1, and L4-L5 is aligned.",
        [("level", "present", {"level": "L5-S1"}), ("level", "negated", {"level": "L4-L5"})],
    ),
    # 8. encounters
    (
        "8 first time we're seeing you",
        "Doctor: This is the first time we're seeing you for this. What happened?",
        [("initial_encounter", "present", {})],
    ),
    (
        "8 first time I'm seeing you",
        "Doctor: First time I'm seeing you for this?\nPatient: Yes.",
        [("initial_encounter", "present", {})],
    ),
    ("8 new problem", "Doctor: This is a new problem.", [("initial_encounter", "present", {})]),
    (
        "8 initial evaluation",
        "Initial evaluation of neck pain.",
        [("initial_encounter", "present", {})],
    ),
    (
        "8 routine healing",
        "Doctor: Assessment: lumbar sprain, healing, routine follow-up.",
        [("subsequent_encounter", "present", {"text": "healing"})],
    ),
    (
        "8 healing as expected",
        "Assessment: cervical sprain, healing as expected.",
        [("subsequent_encounter", "present", {})],
    ),
    (
        "8 check how it's healing",
        "We're just here to check how it's healing.",
        [("subsequent_encounter", "present", {})],
    ),
    ("8 recheck", "Sprain recheck.", [("subsequent_encounter", "present", {})]),
    (
        "8 ER then new provider",
        "Doctor: I'm following up on your emergency room visit for the whiplash.\n"
        "Patient: They told me to follow up with spine.\n"
        "Doctor: Assessment: cervical sprain, under active treatment.",
        [("subsequent_encounter", "absent", {}), ("initial_encounter", "present", {})],
    ),
    (
        "8 finished active treatment",
        "You finished active treatment with me last visit.",
        [("initial_encounter", "absent", {})],
    ),
    (
        "8 follow-up MRI is not an encounter",
        "The follow-up MRI shows healing.",
        [("subsequent_encounter", "absent", {})],
    ),
    (
        "8 sequela",
        "Assessment: low back pain as a sequela of the old strain.",
        [("sequela_encounter", "present", {})],
    ),
    (
        "8 late effect",
        "Chronic neck pain, a late effect of the whiplash sprain.",
        [("sequela_encounter", "present", {})],
    ),
    (
        "8 residual from the old injury",
        "The ache is residual from the old injury.",
        [("sequela_encounter", "present", {})],
    ),
    # 9. dialogue and function (m51-16-l4-l5-right-l5-radiculopathy, format-plain-...)
    (
        "9 both",
        "DR: You did six weeks of PT and the gabapentin?\nPT: Both. The leg is no better.",
        [
            ("conservative_treatment", "present", {"text": "gabapentin"}),
            ("conservative_treatment", "present", {"text": "of PT"}),
        ],
    ),
    (
        "9 can no longer walk his dog",
        "He can no longer walk his dog.",
        [("functional_limitation", "present", {})],
    ),
    ("9 can't walk the dog", "I can't walk the dog.", [("functional_limitation", "present", {})]),
    # 10. a mention without a place takes the one the others agree on
    (
        "10 the assessment mention carries the place",
        "Doctor: The EMG confirms a left L5 radiculopathy.\n"
        "Doctor: Assessment: left L5 radiculopathy at L5-S1, lumbosacral.",
        [
            (
                "radiculopathy",
                "present",
                {"turn_index": 0, "level": "L5", "region": LS, "from_assessment": True},
            )
        ],
    ),
    (
        "10 discitis named before its level",
        "Doctor: You have discitis.\nPatient: Where?\nDoctor: The MRI shows discitis at L3-L4.",
        [("discitis", "present", {"turn_index": 0, "level": "L3-L4", "region": LUMBAR})],
    ),
    (
        "10 two regions: no guess",
        "Doctor: Discitis at L3-L4 and discitis at L5-S1.\nDoctor: Assessment: discitis.",
        [("discitis", "present", {"turn_index": 1, "level": None, "region": None})],
    ),
    (
        "3/6 without ends at a new item",
        "Assessment: lumbar spinal stenosis without claudication, and left L4 radiculopathy.",
        [
            ("neurogenic_claudication", "negated", {}),
            ("radiculopathy", "present", {"level": "L4", "region": LUMBAR}),
        ],
    ),
    (
        "without a list",
        "Back pain without numbness, tingling, and weakness.",
        [("weakness", "negated", {}), ("paresthesia", "negated", {"text": "tingling"})],
    ),
    # 11. a root goes with the segment of its own clause, not the nearest one
    # (m51-two-regions-radiculopathy)
    (
        "11 root in its clause",
        "Assessment: left L4-L5 disc herniation with L5 radiculopathy and left L5-S1 disc "
        "herniation with S1 radiculopathy.",
        [
            ("radiculopathy", "present", {"level": "L5", "region": LUMBAR}),
            ("radiculopathy", "present", {"level": "S1", "region": LS}),
        ],
    ),
    (
        "11 the segment the root is placed at",
        "Left L5 radiculopathy from a foraminal disc at L5-S1, and the L4-L5 disc is normal.",
        [("radiculopathy", "present", {"level": "L5", "region": LS})],
    ),
    # 12. injuries named as traumatic (m51-traumatic-disc-rupture-ladder-fall,
    # m43-16-acute-traumatic-subluxation)
    (
        "12 traumatic disc",
        "Assessment: acute traumatic rupture of the L4-L5 disc from the fall.",
        [("traumatic_disc_rupture", "present", {"level": "L4-L5", "region": LUMBAR})],
    ),
    (
        "12 traumatic disc herniation",
        "Traumatic C5-C6 disc herniation from the crash.",
        [("traumatic_disc_rupture", "present", {"region": "region_cervical"})],
    ),
    (
        "12 no traumatic rupture",
        "No traumatic disc rupture; the L4-L5 herniation is old.",
        [("traumatic_disc_rupture", "negated", {}), ("disc_herniation", "present", {})],
    ),
    (
        "12 traumatic subluxation",
        "The CT shows an acute traumatic subluxation of L3 on L4.",
        [("traumatic_subluxation", "present", {"level": "L3-L4", "region": LUMBAR})],
    ),
    ("12 a plain herniation", "L4-L5 disc herniation.", [("traumatic_disc_rupture", "absent", {})]),
    # 13. the bone's infection beside the disc's (m46-46-spondylodiscitis-with-osteomyelitis)
    (
        "13 vertebral osteomyelitis",
        "My diagnosis is discitis at L2-L3 with vertebral osteomyelitis of L2 and L3.",
        [
            ("vertebral_osteomyelitis", "present", {"region": LUMBAR}),
            ("discitis", "present", {"level": "L2-L3"}),
        ],
    ),
    (
        "13 a query is possible",
        "Query to the attending: is vertebral osteomyelitis also present?",
        [("vertebral_osteomyelitis", "possible", {})],
    ),
    (
        "13 not the foot's",
        "The X-ray shows osteomyelitis of the toe.",
        [("vertebral_osteomyelitis", "absent", {})],
    ),
    # 14. instability of something else (real dialogues: a knee, an OCD fragment, the legs)
    ("14 knee", "Do you have any instability in this knee?", [("instability", "absent", {})]),
    (
        "14 fragment",
        "There's gross instability of the fragment.",
        [("instability", "absent", {})],
    ),
    (
        "14 legs",
        "Do you have any feelings of instability in the legs?",
        [("instability", "absent", {})],
    ),
    (
        "14 spine kept",
        "Flexion and extension films show instability at L4-L5.",
        [("instability", "present", {"level": "L4-L5"})],
    ),
    ("14 bare kept", "I want to rule out instability.", [("instability", "possible", {})]),
    # 15. a limb's sprain or strain is not the spine's (real dialogues: ankle, MCL, shoulder):
    # it takes the limb's site (places.Sites._site) and no region
    (
        "15 ankle",
        "It seems this may just be an ankle sprain.",
        [("sprain", "possible", {"site": "site_ankle", "region": None})],
    ),
    (
        "15 mcl back then",
        "Yeah, I sprained my MCL while playing hockey back then.",
        [("sprain", "historical", {"site": "site_knee", "structure": "structure_mcl"})],
    ),
    (
        "15 shoulder",
        "So right side shoulder strain.",
        [("strain", "present", {"site": "site_shoulder", "laterality": "right", "region": None})],
    ),
    ("15 arm unsited", "I strained my arm lifting the couch.", [("strain", "absent", {})]),
    (
        "15 back kept",
        "I strained my lower back lifting and the pain goes into my leg.",
        [("strain", "present", {"site": None})],
    ),
    ("15 lumbar kept", "Lumbar sprain from the fall.", [("sprain", "present", {"site": None})]),
    (
        "15 spine nearer",
        "Strain of the low back muscles, and my knee hurts too.",
        [("strain", "present", {"site": None}), ("limb_pain", "present", {"site": "site_knee"})],
    ),
    (
        "15 own words first",
        "The right knee is fine but the left ankle sprain is new.",
        [("sprain", "present", {"site": "site_ankle", "laterality": "left"})],
    ),
    (
        "15 site word wins",
        "He tore the lateral collateral ligament of the elbow.",
        [("tear", "present", {"site": "site_elbow", "structure": None})],
    ),
    (
        "15 digit",
        "There is a fracture of the right ring finger.",
        [("fracture", "present", {"site": "site_finger", "digit": "digit_ring"})],
    ),
    (
        "15 shared site",
        "Doctor: X-rays show osteoarthritis of the left knee.\nDoctor: Assessment: osteoarthritis.",
        [("osteoarthritis", "present", {"site": "site_knee", "laterality": "left"})],
    ),
    ("15 tear of nothing", "There was a tear in my jeans.", [("tear", "absent", {})]),
    (
        "15 a form read out",
        "Doctor: But you did indicate that you have some back pain and joint pain.",
        [("back_pain", "possible", {})],
    ),
    (
        "15 a review of systems sheet",
        "Doctor: The nurse did a review of systems sheet and you were endorsing left elbow pain.",
        [("limb_pain", "possible", {"site": "site_elbow"})],
    ),
    (
        "15 post-traumatic",
        "Doctor: Assessment: post-traumatic osteoarthritis of the right shoulder.",
        [("osteoarthritis_post_traumatic", "present", {"site": "site_shoulder"})],
    ),
    (
        "15 a healed fracture is past",
        "Doctor: X-rays show the healed fracture and glenohumeral arthritis.",
        [
            ("fracture", "historical", {}),
            ("osteoarthritis", "present", {"site": "site_shoulder"}),
        ],
    ),
    (
        "15 digit in the clause",
        "You have a trigger finger of the right ring finger.",
        [("trigger_finger", "present", {"site": "site_finger", "digit": "digit_ring"})],
    ),
    (
        "15 side before the condition",
        "Assessment: right carpal tunnel syndrome.",
        [("carpal_tunnel_syndrome", "present", {"laterality": "right"})],
    ),
    (
        "15 bursitis alone",
        "Doctor: I think you have olecranon bursitis.",
        [("bursitis", "present", {"site": "site_elbow", "structure": "structure_olecranon"})],
    ),
    (
        "15 the operation, not the condition",
        "You did have a carpal tunnel release done about two years ago.",
        [("carpal_tunnel_syndrome", "absent", {})],
    ),
    (
        "15 an operation to come",  # no replaced joint yet
        "She's having a right knee replacement end of june.",
        [("joint_replacement", "absent", {})],
    ),
    (
        "15 a cranial nerve",
        "The nerve compression causes this shooting electrical pain in the face.",
        [("radiculopathy", "absent", {})],
    ),
    (
        "15 a hedge reaches a few words",
        "Doctor: I think you have a strain of your posterior cruciate ligament, and what that "
        "will mean for you is that we are going to brace your right knee.",
        [("strain", "present", {"structure": "structure_pcl"})],
    ),
    # 16. real visits, dev split (evals/real): new wording, not the visits' text
    (
        "16 a conclusion ends the negation before it",
        "Doctor: the films show you didn't dislocate anything so based on the films and the "
        "exam you have a sprain of the lcl.",
        [("sprain", "present", {"structure": "structure_lcl", "from_assessment": True})],
    ),
    (
        "16 the problem list read out is the assessment",
        "Doctor: and for your second problem, your left hip pain, we will get you into therapy.",
        [("limb_pain", "present", {"site": "site_hip", "from_assessment": True})],
    ),
    (
        "16 may very well have",
        "Doctor: from the exam you may very well have torn the medial meniscus of that knee.",
        [("tear", "possible", {"structure": "structure_medial_meniscus"})],
    ),
    (
        "16 treated and over",
        "Doctor: and your trigger finger, you had that released last spring, any catching since?",
        [("trigger_finger", "historical", {})],
    ),
    (
        "16 a run-on turn that opens with a question is no question throughout",
        "Doctor: can you hop on the table for me alright so i see some swelling over the outside "
        "of the ankle and no bony tenderness and the films were clean so for your first problem "
        "i think you have a sprain of the atfl of your left ankle so we will get you a brace and "
        "some therapy any questions",
        [("sprain", "present", {"structure": "structure_atfl", "in_question": False})],
    ),
    (
        "16 my diagnosis would be",
        "Doctor: so looking at the films and your exam my diagnosis today would be de quervain "
        "tenosynovitis of the left wrist.",
        [("de_quervain", "present", {"from_assessment": True})],
    ),
    (
        "16 would be, without the diagnosis, still hedges",
        "Doctor: if it keeps locking that would be a meniscus tear.",
        [("tear", "possible", {})],
    ),
    (
        "16 another list item's chronic does not make this one ongoing",
        "Doctor: your medical history is notable for chronic kidney disease, gout, "
        "hypertension and reflux.",
        [("gout", "historical", {})],
    ),
    (
        "16 a history said to go on is not the past",
        "Doctor: you have a history of gout that is still flaring every few months.",
        [("gout", "present", {})],
    ),
    (
        "16 the injury of a late effect stays",
        "Doctor: Assessment: stiffness of the neck, a late effect of the whiplash sprain "
        "four years ago.",
        [("sprain", "present", {})],
    ),
    (
        "16 a numbered metatarsal",
        "Doctor: the x-ray shows a fracture of the 3rd metatarsal of your left foot.",
        [("fracture", "present", {"structure": "structure_metatarsal_third"})],
    ),
    (
        "16 the fifth metatarsal, spelled as a numeral",
        "Doctor: you have a fracture at the base of the 5th metatarsal on the right.",
        [("fracture", "present", {"structure": "structure_metatarsal_fifth"})],
    ),
    # 17. NegEx/ConText set: a witness is not the one with the problem; a problem awaited to
    # resolve is still there; a history ends where the visit's complaint begins
    (
        "17 a relative who acts on the patient is a witness",
        "Doctor: so your daughter drove you in with pain in the right hip.",
        [("limb_pain", "present", {"site": "site_hip"})],
    ),
    (
        "17 a relative's own condition stays theirs",
        "Patient: my sister had her hip replaced for arthritis.",
        [("osteoarthritis", "family", {})],
    ),
    (
        "17 until it has resolved",
        "Doctor: stay in the brace until the sciatica has resolved.",
        [("sciatica", "present", {})],
    ),
    (
        "17 the history ends at the presenting complaint",
        "Doctor: she has a history of gout and presents today with pain in the left knee.",
        [("gout", "historical", {}), ("limb_pain", "present", {"site": "site_knee"})],
    ),
    # 18. real-visit dev split
    (
        "18 a polite if is no hypothesis over the exam that follows",
        "Doctor: i'd like to examine you if that's alright with you so on exam of the right "
        "wrist there is tenderness over the snuffbox and so for your first problem of right "
        "wrist pain we will get you a splint",
        [("limb_pain", "present", {"site": "site_wrist", "from_assessment": True})],
    ),
    (
        "18 nor is if you don't mind",
        "Doctor: if you don't mind hopping up on the table i see you have left elbow pain over the "
        "lateral epicondyle",
        [("limb_pain", "present", {"site": "site_elbow"})],
    ),
    (
        "18 the reply gives the side of the site asked about",
        "Doctor: does it bother one hip more than the other, or both?\nPatient: um, both of "
        "them, pretty much the same.",
        [
            ("site_hip", "present", {"laterality": "bilateral"}),
            ("bilateral", "present", {"text": "both", "speaker": "patient"}),
        ],
    ),
    (
        "18 which one, the left one",
        "Doctor: which wrist is it?\nPatient: the left one, since the fall.",
        [("site_wrist", "present", {"laterality": "left"})],
    ),
    (
        "18 a which-question without its question mark",
        "Doctor: okay and which shoulder are we talking about\nPatient: my left shoulder",
        [("site_shoulder", "present", {"laterality": "left", "speaker": "clinician"})],
    ),
    (
        "18 pain denied in its own words",
        "Patient: the elbow is sore, but my left wrist doesn't really ache.",
        [("limb_pain", "negated", {"site": "site_wrist", "laterality": "left"})],
    ),
    (
        "18 pain affirmed stays affirmed",
        "Patient: my left wrist has been aching since the fall.",
        [("limb_pain", "present", {"site": "site_wrist", "laterality": "left"})],
    ),
    (
        "18 the pain with a site",
        "Doctor: and how's the pain with your left ankle on a scale of one to ten",
        [("limb_pain", "present", {"site": "site_ankle", "laterality": "left"})],
    ),
    (
        "18 could've been",
        "Doctor: well it sounds like it could've been gout with your kidney disease.",
        [("gout", "possible", {})],
    ),
    (
        "19 a blood test named after a disease is no disease",
        "Doctor: we'll check the CRP, the ESR and the rheumatoid factor for your stiff back.",
        [("rheumatoid_arthritis", "absent", {})],
    ),
    (
        "19 persistence is no negation",
        "Doctor: the stiffness doesn't go away for an hour, so this is rheumatoid arthritis.",
        [("rheumatoid_arthritis", "present", {})],
    ),
    (
        "19 symptoms that point towards a diagnosis",
        "Doctor: all of your symptoms point towards gout in that big toe.",
        [("gout", "possible", {})],
    ),
    (
        "20 the most likely guess a few words on",
        "Doctor: the most likely thing is that this is a gout flare in that toe.",
        [("gout", "possible", {})],
    ),
    (
        "20 a site that became painful",
        "Patient: my right shoulder suddenly became very painful three days ago.",
        [("limb_pain", "present", {"site": "site_shoulder", "laterality": "right"})],
    ),
    (
        "20 a site that got sore",
        "Patient: the left knee got really sore after the game.",
        [("limb_pain", "present", {"site": "site_knee", "laterality": "left"})],
    ),
    (
        "20 plural sites that hurt",
        "Patient: both knees hurt, the right one much more, and my feet ache at night.",
        [
            ("limb_pain", "present", {"site": "site_knee", "laterality": "bilateral"}),
            ("limb_pain", "present", {"site": "site_foot"}),
        ],
    ),
    (
        "20 a singular site's bare hurt is no statement",
        "Doctor: OK, due to the joints in your thumb hurt at all.\nPatient: Um no.",
        [("limb_pain", "absent", {})],
    ),
    (
        "20 a site stiff and sore",
        "Patient: my right elbow has been stiff and sore for years.",
        [("limb_pain", "present", {"site": "site_elbow", "laterality": "right"})],
    ),
    (
        "20 the most likely cause would be",
        "Doctor: the most likely cause would be a sprain of the ankle ligaments.",
        [("sprain", "possible", {})],
    ),
    (
        "19 sounds more like is a leaning",
        "Doctor: it sounds more like rheumatoid arthritis, we will run the blood tests.",
        [("rheumatoid_arthritis", "possible", {})],
    ),
    (
        "19 sounds like stays the clinician's assessment",
        "Doctor: it sounds like rheumatoid arthritis, and we will start methotrexate.",
        [("rheumatoid_arthritis", "present", {})],
    ),
    (
        "19 a hedged guess",
        "Doctor: so you may have some sort of lumbar radiculopathy, we'll get an MRI.",
        [("radiculopathy", "possible", {})],
    ),
    (
        "19 the second of two guesses",
        "Doctor: maybe a sacral nerve problem, or like a lower lumbar radiculopathy.",
        [("radiculopathy", "possible", {})],
    ),
    (
        "19 infra patellar is not the kneecap",
        "Doctor: it is an infra patellar bursitis of the right knee.",
        [("bursitis", "present", {"site": "site_knee", "structure": None})],
    ),
    (
        "19 a fracture that has healed is past",
        "Doctor: the left elbow is stiff, but that fracture appears to have healed very well.",
        [("fracture", "historical", {})],
    ),
    (
        "19 operated on before this visit",
        "Doctor: and we did an ORIF on his fracture dislocation of the left elbow last year.",
        [("dislocation", "historical", {}), ("fracture", "historical", {})],
    ),
    (
        "19 a candidate for a procedure has not had it",
        "Doctor: I think you'd be a good candidate for knee replacements.",
        [("joint_replacement", "possible", {})],
    ),
    (
        "19 the back of the neck said haltingly",
        "Patient: I get pain at the back in the front of my neck when I do that.",
        [("back_pain", "absent", {})],
    ),
    (
        "19 could be reaches past a long structure name",
        "Doctor: so this could be an MCL or medial collateral ligament strain of the knee.",
        [("strain", "possible", {"site": "site_knee"})],
    ),
    (
        "19 a guess's other name is a guess",
        "Doctor: what might happen is something called adhesive capsulitis, or just commonly "
        "known as a frozen shoulder.",
        [("adhesive_capsulitis", "possible", {"text": "frozen shoulder"})],
    ),
    (
        "19 the site of the sentence before",
        "Doctor: so, how is your knee doing today? Hope the osteoarthritis is getting better.",
        [("osteoarthritis", "present", {"site": "site_knee"})],
    ),
    (
        "19 not a site said to be normal",
        "Doctor: the right knee is normal. Assessment: a contusion from the coffee table.",
        [("contusion", "present", {"site": None})],
    ),
    (
        "19 not when the sentence before names two sites",
        "Doctor: your knee and your hip were both stiff. I think it is osteoarthritis.",
        [("osteoarthritis", "present", {"site": None})],
    ),
    (
        "19 the top of the humerus is its upper end",
        "Doctor: you broke the top of your right humerus in the fall.",
        [("fracture", "present", {"site": "site_shoulder"})],
    ),
    (
        "19 a differential concludes neither",
        "Doctor: so it's a rotator cuff tear or um a rotator cuff impingement syndrome.",
        [("tear", "possible", {}), ("impingement", "possible", {})],
    ),
    (
        "19 an abbreviation spelled out is no differential",
        "Doctor: you have an MCL strain, or a medial collateral ligament strain, of the knee.",
        [("strain", "present", {"site": "site_knee"})],
    ),
    (
        "19 two denied stay denied",
        "Doctor: the x-ray shows no fracture or dislocation of the left wrist.",
        [("fracture", "negated", {}), ("dislocation", "negated", {})],
    ),
    (
        "19 an unknown cause denies nothing after it",
        "Doctor: Assessment: left-sided sciatica, cause not determined, and a small L4-L5 disc "
        "protrusion.",
        [("disc_herniation", "present", {})],
    ),
    (
        "19 a general statement is not this patient's",
        "Doctor: there is a common fracture that can happen to the wrist when you fall.",
        [("fracture", "possible", {})],
    ),
    (
        "18 right as agreement is no side",
        "Doctor: which is worse the elbow or the wrist?\nPatient: right, the elbow mostly.",
        [("site_elbow", "present", {"laterality": None, "speaker": "clinician"})],
    ),
    (
        "21 pain in both of my knees",
        "Patient: I have had pain in both of my knees since the summer.",
        [("limb_pain", "present", {"site": "site_knee", "laterality": "bilateral"})],
    ),
    (
        "21 both feet as speech has it",
        "Patient: my both my my feet are actually really sore too from the yard work.",
        [("limb_pain", "present", {"site": "site_foot", "laterality": "bilateral"})],
    ),
    (
        "21 a traumatic tear of a limb's tendon is no disc",
        "Doctor: Assessment: traumatic tear of the extensor tendon origin of the right elbow.",
        [("traumatic_disc_rupture", "absent", {})],
    ),
    (
        "21 a traumatic dislocation of a limb's joint",
        "Doctor: Assessment: traumatic dislocation of the right shoulder from the fall.",
        [
            ("traumatic_subluxation", "absent", {}),
            ("dislocation", "present", {"site": "site_shoulder", "laterality": "right"}),
        ],
    ),
    (
        "21 a traumatic dislocation named before its joint is the limb's",
        "Doctor: the x-ray shows a traumatic dislocation, right shoulder, anterior.",
        [("traumatic_subluxation", "absent", {})],
    ),
    (
        "21 it hurts where its sentence says",
        "Patient: I rolled my right ankle stepping off a curb this morning and it hurts to walk.",
        [("limb_pain", "present", {"site": "site_ankle", "laterality": "right"})],
    ),
    (
        "21 it hurts, and nowhere said",
        "Patient: it hurts all the time, worse at night.",
        [("limb_pain", "absent", {})],
    ),
    (
        "21 it hurts after the back is no limb's",
        "Patient: my back went out last week and it hurts to bend.",
        [("limb_pain", "absent", {})],
    ),
    (
        "21 broken glass is no fracture",
        "Patient: I cut my right wrist on broken glass yesterday.",
        [("fracture", "absent", {})],
    ),
    (
        "21 a nerve of the arm injured",
        "Doctor: Assessment: the ulnar nerve was lacerated at the right wrist.",
        [("nerve_injury", "present", {"site": "site_wrist", "laterality": "right"})],
    ),
    (
        "21 a cord of the palm",
        "Doctor: a palmar cord pulls the ring finger down, which is Dupuytren's contracture.",
        [("dupuytren", "present", {})],
    ),
    (
        "21 no fall is no injury",
        "Patient: Five days ago, when I woke up. I didn't do anything unusual, no fall, no "
        "lifting.",
        [("injury_event", "negated", {})],
    ),
    (
        "21 what the patient did not do is no treatment that failed",
        "Patient: I didn't do anything unusual that day, I just woke up with it.",
        [("treatment_failed", "absent", {})],
    ),
    (
        "21 instability asked of nothing spinal",
        "Doctor: Is there any instability?\nPatient: Yes, and there's pain with it too.",
        [("instability", "absent", {})],
    ),
    (
        "21 instability asked of the back",
        "Doctor: Is there any instability in your back?\nPatient: Yes.",
        [("instability", "present", {})],
    ),
    (
        "21 a traumatic subluxation of the spine stays the spine's",
        "Doctor: Assessment: traumatic subluxation of C5 on C6 after the car crash.",
        [("traumatic_subluxation", "present", {}), ("dislocation", "absent", {})],
    ),
    # 22. probes written for the withheld-diagnosis symptom, and the external dialogues
    (
        "22 pain said beside another complaint of the site",
        "Patient: my right knee is swollen and hurts since yesterday.",
        [("limb_pain", "present", {"site": "site_knee", "laterality": "right"})],
    ),
    (
        "22 or beside warmth",
        "Patient: my left elbow is warm and sore to touch.",
        [("limb_pain", "present", {"site": "site_elbow", "laterality": "left"})],
    ),
    (
        "22 a CBC with differential is no differential diagnosis",
        "doctor: i'm gon na send a cbc with differential and we'll check a urinalysis and for "
        "your third problem osteoarthritis keep walking",
        [("osteoarthritis", "present", {"from_assessment": True})],
    ),
    (
        "22 RA is rheumatoid arthritis",
        "Doctor: Assessment: seropositive RA, continue methotrexate.",
        [("rheumatoid_arthritis", "present", {"from_assessment": True})],
    ),
    (
        "22 an imaging finding set aside as normal is not the clinician's diagnosis",
        "Doctor: the mri shows a small disc bulge at l4-5 that is really a normal finding at "
        "your age and your pain is coming from the muscles, a lumbar strain.",
        [("disc_herniation", "negated", {}), ("strain", "present", {})],
    ),
    (
        "22 nor is one normal for the patient's age",
        "Doctor: the x-ray shows some mild arthritis in the right knee that is normal for your "
        "age.",
        [("osteoarthritis", "negated", {})],
    ),
    (
        "22 nothing seen to suggest a diagnosis denies it",
        "Doctor: your knee x-ray doesn't show any fracture and i don't see anything to suggest a "
        "ligament tear.",
        [("fracture", "negated", {}), ("tear", "negated", {})],
    ),
    (
        "22 nor does nothing to suggest it",
        "Doctor: there's nothing to suggest a fracture of the wrist.",
        [("fracture", "negated", {})],
    ),
    (
        "22 a name given through fillers is no plan that ends the negation",
        "Doctor: you don't have any evidence of a , um , what we would call a pinched nerve or "
        "radiculopathy . this is low back pain from a muscle strain .",
        [("radiculopathy", "negated", {}), ("strain", "present", {})],
    ),
    (
        "22 only a possibility",
        "Doctor: a herniated disc in the neck is only a possibility at this point , so we'll get "
        "an mri .",
        [("disc_herniation", "possible", {})],
    ),
    (
        "22 pain said as it in reply takes the site the question named",
        "Doctor: How is the right knee?\nPatient: It aches every day, worse on stairs.",
        [("limb_pain", "present", {"site": "site_knee"})],
    ),
    (
        "22 but not when the question named two sites",
        "Doctor: Is it the knee or the hip that bothers you?\nPatient: It aches every day.",
        [("limb_pain", "absent", {})],
    ),
    (
        "22 other patients' conditions are not the patient's",
        "Doctor: a lot of patients with carpal tunnel syndrome get better with splints , but your "
        "numbness is from your neck .",
        [("carpal_tunnel_syndrome", "family", {})],
    ),
    (
        "22 nor is one other patient's",
        "Doctor: i had a patient last week with a torn acl just like you . you have a bone bruise "
        "of the left knee .",
        [("tear", "family", {}), ("contusion", "present", {"site": "site_knee"})],
    ),
    (
        "22 room air is not",
        "Doctor: saturation 98 percent on RA.",
        [("rheumatoid_arthritis", "absent", {})],
    ),
]


@pytest.mark.parametrize(("name", "text", "expected"), QA_ROWS, ids=[r[0] for r in QA_ROWS])
def test_qa_fixes(extract: Extract, name: str, text: str, expected: list[Expect]) -> None:
    _check(extract(text), expected)
