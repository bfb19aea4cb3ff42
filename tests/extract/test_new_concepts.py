"""The concepts behind the specific codes (kissing spine to pyogenic): present, negated and
possible forms of each phrase, and the look-alikes that must not match."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from scribeplugin.extract.findings import Finding
from tests.extract.test_findings import Expect, _check

Extract = Callable[[object], list[Finding]]
SACRAL, LUMBAR, LS, CERVICAL = (
    "region_sacral",
    "region_lumbar",
    "region_lumbosacral",
    "region_cervical",
)

# (name, text, expectations)
ROWS: list[tuple[str, str, list[Expect]]] = [
    # kissing spine
    (
        "kissing spine",
        "Kissing spine at L4-L5.",
        [("kissing_spine", "present", {"level": "L4-L5", "region": LUMBAR})],
    ),
    ("baastrup's disease", "He has Baastrup's disease.", [("kissing_spine", "present", {})]),
    ("baastrup negated", "No Baastrup syndrome.", [("kissing_spine", "negated", {})]),
    ("kissing spine possible", "Possible kissing spine.", [("kissing_spine", "possible", {})]),
    # coccygodynia
    ("tailbone pain", "I have tailbone pain.", [("coccygodynia", "present", {"region": SACRAL})]),
    ("coccydynia", "Assessment: coccydynia.", [("coccygodynia", "present", {})]),
    ("pain is in the tailbone", "The pain is in my tailbone.", [("coccygodynia", "present", {})]),
    ("tailbone negated", "No pain in the tailbone.", [("coccygodynia", "negated", {})]),
    ("coccygodynia possible", "Could this be coccygodynia?", [("coccygodynia", "possible", {})]),
    (
        "fall on the tailbone is not pain",
        "I fell on my tailbone.",
        [("coccygodynia", "absent", {}), ("coccyx_fracture", "absent", {})],
    ),
    # sacroiliitis
    (
        "sacroiliitis",
        "Sacroiliitis on the right.",
        [("sacroiliitis", "present", {"region": SACRAL, "laterality": "right"})],
    ),
    (
        "inflamed SI joint",
        "Inflamed SI joint on the left.",
        [("sacroiliitis", "present", {"laterality": "left"})],
    ),
    ("sacroiliitis negated", "No sacroiliitis.", [("sacroiliitis", "negated", {})]),
    (
        "inflammation of the sacroiliac joint possible",
        "Possible inflammation of the sacroiliac joint.",
        [("sacroiliitis", "possible", {})],
    ),
    ("SI joint pain is not sacroiliitis", "My SI joint hurts.", [("sacroiliitis", "absent", {})]),
    # occipital neuralgia
    ("occipital neuralgia", "Right occipital neuralgia.", [("occipital_neuralgia", "present", {})]),
    ("occipital negated", "No occipital neuralgia.", [("occipital_neuralgia", "negated", {})]),
    (
        "occipital possible",
        "This may be occipital neuralgia.",
        [("occipital_neuralgia", "possible", {})],
    ),
    # spondylolysis
    ("spondylolysis", "Spondylolysis at L5.", [("spondylolysis", "present", {"level": "L5"})]),
    (
        "pars defects",
        "Bilateral pars defects at L5.",
        [("spondylolysis", "present", {"laterality": "bilateral", "level": "L5"})],
    ),
    (
        "stress fracture through the pars",
        "There is a stress fracture through the pars at L5.",
        [("spondylolysis", "present", {})],
    ),
    ("pars fracture negated", "No pars fracture.", [("spondylolysis", "negated", {})]),
    ("spondylolysis possible", "Possible spondylolysis.", [("spondylolysis", "possible", {})]),
    ("pars intact", "The pars interarticularis is intact.", [("spondylolysis", "absent", {})]),
    # pseudarthrosis
    (
        "pseudarthrosis",
        "Pseudarthrosis at L4-L5.",
        [("pseudarthrosis", "present", {"level": "L4-L5"})],
    ),
    ("pseudoarthrosis", "Pseudoarthrosis.", [("pseudarthrosis", "present", {})]),
    ("nonunion of the fusion", "Nonunion of the fusion.", [("pseudarthrosis", "present", {})]),
    ("fusion did not heal", "The fusion did not heal.", [("pseudarthrosis", "present", {})]),
    ("fusion didn't fuse", "The fusion didn't fuse.", [("pseudarthrosis", "present", {})]),
    (
        "failed fusion",
        "Failed fusion at L5-S1.",
        [("pseudarthrosis", "present", {"level": "L5-S1", "region": LS})],
    ),
    (
        "solid fusion, no pseudarthrosis",
        "The fusion is solid, no pseudarthrosis.",
        [("pseudarthrosis", "negated", {}), ("spine_surgery", "present", {})],
    ),
    ("fusion is solid", "The fusion is solid.", [("pseudarthrosis", "absent", {})]),
    ("pseudarthrosis possible", "Possible pseudarthrosis.", [("pseudarthrosis", "possible", {})]),
    # osteoporotic fracture
    (
        "osteoporotic compression fracture",
        "Osteoporotic compression fracture of L1.",
        [("osteoporotic_fracture", "present", {"level": "L1"})],
    ),
    ("fragility fracture", "Fragility fracture.", [("osteoporotic_fracture", "present", {})]),
    (
        "fracture due to osteoporosis",
        "Compression fracture due to osteoporosis.",
        [("osteoporotic_fracture", "present", {})],
    ),
    (
        "osteoporotic negated",
        "No osteoporotic fracture.",
        [("osteoporotic_fracture", "negated", {})],
    ),
    (
        "osteoporotic possible",
        "Rule out an osteoporotic fracture of L1.",
        [("osteoporotic_fracture", "possible", {})],
    ),
    ("osteoporosis alone", "She has osteoporosis.", [("osteoporotic_fracture", "absent", {})]),
    # coccyx fracture
    ("fractured tailbone", "Fractured tailbone.", [("coccyx_fracture", "present", {})]),
    ("coccyx fracture", "Coccyx fracture.", [("coccyx_fracture", "present", {})]),
    ("broke my tailbone", "I broke my tailbone.", [("coccyx_fracture", "present", {})]),
    ("coccyx fracture negated", "No coccyx fracture.", [("coccyx_fracture", "negated", {})]),
    (
        "coccyx fracture possible",
        "I think I may have broken my tailbone?",
        [("coccyx_fracture", "possible", {})],
    ),
    # nerve root injury
    ("nerve root injury", "Nerve root injury.", [("nerve_root_injury", "present", {})]),
    (
        "stretch injury to the C6 root",
        "Stretch injury to the C6 root.",
        [("nerve_root_injury", "present", {"level": "C6", "region": CERVICAL})],
    ),
    ("root avulsion", "Root avulsion.", [("nerve_root_injury", "present", {})]),
    ("nerve root injury negated", "No nerve root injury.", [("nerve_root_injury", "negated", {})]),
    (
        "nerve root injury possible",
        "Possible C6 nerve root injury.",
        [("nerve_root_injury", "possible", {})],
    ),
    (
        "compressed root is radiculopathy",
        "The nerve root is compressed at L5.",
        [("nerve_root_injury", "absent", {}), ("radiculopathy", "present", {})],
    ),
    # sciatic nerve lesion
    ("piriformis syndrome", "Piriformis syndrome.", [("sciatic_nerve_lesion", "present", {})]),
    (
        "lesion of the sciatic nerve",
        "Lesion of the right sciatic nerve.",
        [("sciatic_nerve_lesion", "present", {"laterality": "right"})],
    ),
    (
        "sciatic nerve entrapment",
        "Sciatic nerve entrapment in the buttock.",
        [("sciatic_nerve_lesion", "present", {}), ("sciatica", "absent", {})],
    ),
    (
        "sciatic nerve compression in the buttock",
        "Sciatic nerve compression in the buttock.",
        [("sciatic_nerve_lesion", "present", {})],
    ),
    (
        "sciatic nerve compression by a disc",
        "The disc is causing sciatic nerve compression.",
        [("sciatic_nerve_lesion", "absent", {})],
    ),
    (
        "piriformis negated",
        "This is not piriformis syndrome.",
        [("sciatic_nerve_lesion", "negated", {})],
    ),
    (
        "piriformis possible",
        "Possible piriformis syndrome.",
        [("sciatic_nerve_lesion", "possible", {})],
    ),
    # vertebrogenic pain: the clinician's word, not the scan's Modic changes
    (
        "vertebrogenic low back pain",
        "Vertebrogenic low back pain.",
        [("vertebrogenic_pain", "present", {}), ("low_back_pain", "present", {})],
    ),
    ("endplate pain", "Endplate pain at L4-L5.", [("vertebrogenic_pain", "present", {})]),
    ("vertebrogenic negated", "No vertebrogenic pain.", [("vertebrogenic_pain", "negated", {})]),
    ("vertebrogenic possible", "Probably vertebrogenic.", [("vertebrogenic_pain", "possible", {})]),
    (
        "modic changes alone",
        "Modic type 1 changes at L4-L5.",
        [("vertebrogenic_pain", "absent", {})],
    ),
    # congenital
    (
        "congenital stenosis",
        "Congenital stenosis.",
        [("congenital", "present", {}), ("spinal_stenosis", "present", {})],
    ),
    (
        "dysplastic slip",
        "Dysplastic spondylolisthesis.",
        [("congenital", "present", {}), ("spondylolisthesis", "present", {})],
    ),
    ("congenital negated", "Not congenital.", [("congenital", "negated", {})]),
    ("congenital possible", "Possibly congenital.", [("congenital", "possible", {})]),
    # pyogenic
    (
        "pyogenic discitis",
        "Pyogenic discitis.",
        [("pyogenic", "present", {}), ("discitis", "present", {})],
    ),
    ("bacterial", "Bacterial infection.", [("pyogenic", "present", {})]),
    ("staph", "The cultures grew Staph aureus.", [("pyogenic", "present", {})]),
    ("staphylococcus", "Staphylococcus aureus.", [("pyogenic", "present", {})]),
    ("MSSA", "MSSA discitis.", [("pyogenic", "present", {}), ("discitis", "present", {})]),
    ("MRSA", "MRSA.", [("pyogenic", "present", {})]),
    ("E. coli", "E. coli discitis.", [("pyogenic", "present", {"text": "E. coli"})]),
    ("escherichia coli", "Escherichia coli.", [("pyogenic", "present", {})]),
    ("gram-negative", "Gram-negative rods.", [("pyogenic", "present", {})]),
    ("MRSA negated", "No MRSA.", [("pyogenic", "negated", {})]),
    ("staph possible", "Maybe it's staph.", [("pyogenic", "possible", {})]),
    (
        "infection of the intervertebral disc",
        "Assessment: pyogenic bacterial infection of the L5-S1 intervertebral disc due to E. coli.",
        [
            ("discitis", "present", {"level": "L5-S1", "region": LS}),
            ("pyogenic", "present", {"text": "E. coli"}),
        ],
    ),
]


@pytest.mark.parametrize(("name", "text", "expected"), ROWS, ids=[r[0] for r in ROWS])
def test_new_concepts(extract: Extract, name: str, text: str, expected: list[Expect]) -> None:
    _check(extract(text), expected)
