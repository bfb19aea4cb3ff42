"""The vocabulary of finding concepts: what extraction finds and what rules may test.

One list, used by the extractor (which concepts it can emit), the rules (which concepts a
condition may name; an unknown name is a lint error) and the drafter (which code a concept
points to). Keep it small and clinical.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Category(StrEnum):
    condition = "condition"
    symptom = "symptom"
    region = "region"
    level = "level"
    laterality = "laterality"
    imaging = "imaging"
    function = "function"
    treatment = "treatment"
    chronicity = "chronicity"
    encounter = "encounter"
    cause = "cause"


@dataclass(frozen=True, slots=True)
class Concept:
    id: str
    category: Category
    description: str


_C = Category
CONCEPTS: dict[str, Concept] = {
    c.id: c
    for c in [
        # conditions the clinician diagnoses
        Concept(
            "radiculopathy", _C.condition, "nerve root compromise: radiculopathy, pinched nerve"
        ),
        Concept("disc_herniation", _C.condition, "disc herniation, protrusion, extrusion, bulge"),
        Concept("disc_degeneration", _C.condition, "degenerative disc disease, disc degeneration"),
        Concept("spinal_stenosis", _C.condition, "spinal, central or foraminal canal stenosis"),
        Concept("neurogenic_claudication", _C.condition, "leg pain on walking eased by flexion"),
        Concept("spondylosis", _C.condition, "spondylosis, spinal osteoarthritis"),
        Concept("facet_arthropathy", _C.condition, "facet arthropathy or facet joint arthritis"),
        Concept("spondylolisthesis", _C.condition, "slip of one vertebra on another"),
        Concept("instability", _C.condition, "segmental or ligamentous spinal instability"),
        Concept("transitional_vertebra", _C.condition, "lumbosacral transitional vertebra"),
        Concept(
            "ligament_syndrome",
            _C.condition,
            "chronic iliolumbar or lumbosacral ligament pain syndrome (no specific code)",
        ),
        Concept("myelopathy", _C.condition, "spinal cord compression or myelopathy"),
        Concept("kissing_spine", _C.condition, "kissing spine, Baastrup disease"),
        Concept("coccygodynia", _C.condition, "coccygodynia, coccydynia, tailbone pain"),
        Concept("sacroiliitis", _C.condition, "sacroiliitis, inflamed sacroiliac joint"),
        Concept("occipital_neuralgia", _C.condition, "occipital neuralgia"),
        Concept("spondylolysis", _C.condition, "spondylolysis, pars defect (no slip)"),
        Concept("pseudarthrosis", _C.condition, "pseudarthrosis, nonunion of a spinal fusion"),
        Concept(
            "osteoporotic_fracture", _C.condition, "osteoporotic vertebral compression fracture"
        ),
        Concept("coccyx_fracture", _C.condition, "fracture of the coccyx (tailbone)"),
        Concept("nerve_root_injury", _C.condition, "traumatic injury of a nerve root"),
        Concept(
            "traumatic_disc_rupture", _C.condition, "a disc torn by a current injury (traumatic)"
        ),
        Concept(
            "traumatic_subluxation",
            _C.condition,
            "a vertebra subluxed or dislocated by a current injury (traumatic)",
        ),
        Concept("sciatic_nerve_lesion", _C.condition, "piriformis syndrome, sciatic nerve lesion"),
        Concept("vertebrogenic_pain", _C.symptom, "vertebrogenic (endplate, Modic) low back pain"),
        Concept("congenital", _C.cause, "congenital or dysplastic origin of a spinal condition"),
        Concept("pyogenic", _C.cause, "pyogenic or bacterial infection (staph, MSSA, E. coli)"),
        Concept("discitis", _C.condition, "infection of the disc space"),
        Concept("vertebral_osteomyelitis", _C.condition, "infection of a vertebral body (bone)"),
        Concept("sprain", _C.condition, "ligament sprain of the spine"),
        Concept("strain", _C.condition, "muscle or tendon strain"),
        Concept("dorsopathy", _C.condition, "a back disorder named only in general terms"),
        # symptoms
        Concept("low_back_pain", _C.symptom, "low back pain, lumbago"),
        Concept("neck_pain", _C.symptom, "neck pain, cervicalgia"),
        Concept("sciatica", _C.symptom, "sciatica, pain along the sciatic nerve"),
        Concept("leg_pain", _C.symptom, "pain radiating into the buttock, leg or foot"),
        Concept("paresthesia", _C.symptom, "numbness, tingling, pins and needles"),
        Concept("weakness", _C.symptom, "muscle weakness, foot drop"),
        Concept("back_pain", _C.symptom, "back pain without a stated region"),
        # where
        Concept("region_cervical", _C.region, "cervical spine, neck"),
        Concept("region_thoracic", _C.region, "thoracic spine, mid back"),
        Concept("region_cervicothoracic", _C.region, "cervicothoracic junction, C7-T1"),
        Concept("region_thoracolumbar", _C.region, "thoracolumbar junction"),
        Concept("region_lumbar", _C.region, "lumbar spine above L5-S1"),
        Concept("region_lumbosacral", _C.region, "lumbosacral junction, L5-S1"),
        Concept("region_sacral", _C.region, "sacrum, sacrococcygeal region"),
        Concept("level", _C.level, "a named spinal level such as L4-L5"),
        Concept("left", _C.laterality, "left side"),
        Concept("right", _C.laterality, "right side"),
        Concept("bilateral", _C.laterality, "both sides"),
        # evidence for necessity
        Concept("imaging", _C.imaging, "an imaging study (X-ray, MRI, CT) and its result"),
        Concept("functional_limitation", _C.function, "limits on walking, sitting, work, ADLs"),
        Concept("conservative_treatment", _C.treatment, "physical therapy, medication, injections"),
        Concept("treatment_failed", _C.treatment, "treatment tried without lasting relief"),
        Concept("spine_surgery", _C.treatment, "spine surgery: discectomy, laminectomy, fusion"),
        Concept("chronic", _C.chronicity, "present for three months or more"),
        Concept("acute", _C.chronicity, "recent onset"),
        # injuries and encounters
        Concept("injury_event", _C.encounter, "a recent fall, lift, collision or other trauma"),
        Concept("initial_encounter", _C.encounter, "first active treatment of an injury"),
        Concept("subsequent_encounter", _C.encounter, "follow-up during healing of an injury"),
        Concept(
            "sequela_encounter",
            _C.encounter,
            "a late effect of a healed injury: sequela, late effect, residual from the old injury",
        ),
        # non-spinal causes of back pain
        Concept("kidney_stone", _C.cause, "renal or ureteral calculus, renal colic"),
        Concept("non_spinal_cause", _C.cause, "back pain attributed to a non-spinal organ"),
    ]
}


def is_concept(name: str) -> bool:
    return name in CONCEPTS
