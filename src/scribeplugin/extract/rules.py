"""medspaCy rules: TargetRules for every concept, and the ConText rules the defaults miss.

Target patterns are spaCy token patterns (fast, and independent of ASR spacing: "can't" and
"ca n't" both tokenize to ``ca`` ``n't``) written in a small notation, one string per pattern:

- ``a|b|c``: one token whose lower-case text is one of these; a trailing ``?`` makes it optional;
- ``#``: a number (digits or a number word); ``_``: any one word;
- ``re:<regex>``: one token whose lower-case text matches; ``=TEXT``: exact, case-sensitive text;
- ``@NAME``: a word list defined below (``@LEG``, ``@ACT``...).

medspaCy's regex target rules rebuild the document text once per rule and per document, which
costs more than all the token rules together on a 1,500-word visit, so none are used.

Target labels are concept ids in upper case, plus ``DURATION`` (chronic or acute, decided from
the number and unit), ``LEFT``/``RIGHT`` (a laterality word in a body-part context, tagged on
the token before matching) and ``SPLIT_LABELS`` (one span read as two concepts: "back and
buttock pain").

ConText categories beyond medspaCy's: ``GUESS`` (the patient's theory), ``ASSESSMENT`` and
``PLAN`` (the clinician concludes or plans) and ``REPORTED`` (a document read out).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from scribeplugin.concepts import CONCEPTS, Category

if TYPE_CHECKING:
    from medspacy.context import ConTextRule
    from medspacy.target_matcher import TargetRule
    from spacy.tokens import Span

_WORDS: dict[str, str] = {
    "MY": "my|the|your|his|her|their|this|that|a|an|both|one",
    "LEG": "leg|legs|buttock|buttocks|butt|glute|glutes|gluteal|thigh|thighs|calf|calves|foot|"
    "feet|toe|toes|ankle|ankles|shin|shins|hamstring|hamstrings|extremity|extremities|heel|heels",
    "LEGCORE": "leg|legs|buttock|buttocks|butt|glute|glutes|gluteal|thigh|thighs|calf|calves|"
    "hamstring|hamstrings|shin|shins",
    "PAINW": "pain|pains|ache|aches|aching|achy|discomfort|soreness|hurting|hurts|hurt|sore|"
    "burning|shooting|stabbing|throbbing|spasm|spasms|cramping|cramps",
    "PAINN": "pain|pains|ache|aches|aching|discomfort|soreness|spasm|spasms",
    "RADIATE": "shoot|shoots|shooting|shot|radiate|radiates|radiating|radiated|go|goes|going|"
    "went|gone|travel|travels|traveling|travelling|traveled|run|runs|running|ran|spread|spreads|"
    "spreading|spread|move|moves|moving|moved|extend|extends|extending|refer|refers|referring|"
    "referred|come|comes|coming|sends|sending|down",
    "INTO": "down|into|to|through|towards|toward|in",
    "HURTING": "hurting|killing|sore|aching|bothering|hurts|painful|achy|acting|aches|throbbing",
    "ADV": "really|very|so|kind|kinda|sort|of|just|still|always|quite|pretty|been|being|getting",
    "ACT": "sit|sitting|sat|stand|standing|stood|walk|walking|walked|sleep|sleeping|slept|bend|"
    "bending|bent|lift|lifting|lifted|drive|driving|drove|work|working|climb|climbing|stairs|"
    "exercise|exercising|run|running|jog|jogging|play|playing|carry|carrying|turn|turning|twist|"
    "twisting|reach|reaching|kneel|kneeling|squat|squatting|dress|dressing|shower|showering|bathe|"
    "bathing|cook|cooking|clean|cleaning|garden|gardening|golf|stoop|stooping|vacuum|vacuuming|"
    "concentrate|focus|function|sleep|rest|move|moving|get|getting|put|putting|tie|hike|hiking|"
    "swim|swimming|travel|shop|shopping|dance|pick|picking|hold|holding",
    "NEGABLE": "ca|can|could|cant|couldnt|cannot|wo|would",
    "ACTCORE": "sit|sitting|stand|standing|walk|walking|sleep|sleeping|bend|bending|lift|"
    "lifting|drive|driving|climb|climbing|stairs|exercise|exercising|run|running|jog|jogging|"
    "kneel|kneeling|squat|squatting|garden|gardening|golf|hike|hiking|swim|swimming|dance",
    "NT": "n't|not|n’t",
    "HELPV": "help|helped|helping|helps|worked|working|improve|improved|improving|"
    "relieve|relieved|relieving|last|lasted",
    "Q": "the|past|last|about|around|almost|nearly|approximately|roughly|like|maybe|probably|"
    "good|at|least|more|than|over|couple|few|of|a|an|several|many|just|under|little",
    "PLANVERB": "order|ordering|recommend|recommending|suggest|suggesting|need|needing|want|"
    "start|starting|schedule|scheduling|refer|referring|prescribe|prescribing|try|trying|plan|"
    "planning|get|getting|do|doing|think|consider|considering|advise|use",
    "UNIT": "day|days|week|weeks|month|months|year|years|decade|decades|wk|wks|mo|mos|yr|yrs|"
    "hour|hours|night|nights",
    "LEVELTOK": r"re:^[ctls](?:[1-9]|1[0-2])$",
    "NUMTOK": r"re:^(?:[1-9]|1[0-2])$",
}
_NUMBER_WORDS = "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
_WORDS["NUMWORD"] = _NUMBER_WORDS
_ALL_SEP = "-|–|—|/|to|through|thru"


def tokens(spec: str) -> list[dict[str, Any]]:
    """A spaCy token pattern from the notation in the module docstring."""
    pattern: list[dict[str, Any]] = []
    for item in spec.split():
        optional = len(item) > 1 and item.endswith("?")
        if optional:
            item = item[:-1]
        if item.startswith("@") and "|" not in item:
            item = _WORDS[item[1:]]
        elif "@" in item:
            item = "|".join(_WORDS[w[1:]] if w.startswith("@") else w for w in item.split("|"))
        tok: dict[str, Any]
        if item == "#":
            tok = {"LIKE_NUM": True}
        elif item == "_":
            tok = {"IS_PUNCT": False}
        elif item.startswith("re:"):
            tok = {"LOWER": {"REGEX": item[3:]}}
        elif item.startswith("="):
            tok = {"ORTH": item[1:]}
        else:
            words = set(item.split("|"))
            words |= {w.replace("'", "’") for w in words if "'" in w}
            tok = {"LOWER": {"IN": sorted(words)}} if len(words) > 1 else {"LOWER": item}
        if optional:
            tok["OP"] = "?"
        pattern.append(tok)
    return pattern


# concept id (or DURATION) -> patterns. Keep each list readable: one idea per line.
TARGETS: dict[str, list[str]] = {
    # ---- conditions
    "radiculopathy": [
        "radiculopathy|radiculopathies|radiculitis|radiculopathic|radiculoneuritis",
        "radicular symptoms|signs|component|features|syndrome|findings",
        "pinched|compressed|trapped|impinged|irritated|inflamed|squashed|squished|squeezed "
        "nerve|nerves|root|roots",
        "pinched|compressed|trapped|impinged|irritated nerve|spinal root|roots",
        "nerve|nerves root|roots? compression|impingement|irritation|entrapment|involvement|"
        "encroachment|compromise",
        "nerve|nerves root|roots? is|are|being|getting|got? pinched|compressed|impinged|squeezed|"
        "trapped|irritated",
        "pressing|pushing|pressure|press|presses|pushes|impinging|compressing|pinching|"
        "irritating|touching|hitting on|against|into? @MY? nerve|nerves|root|roots",
    ],
    "disc_herniation": [
        "herniated|herniating|ruptured|slipped|bulging|bulged|protruding|protruded|prolapsed|"
        "extruded|displaced|blown|sequestered disc|discs|disk|disks|discal",
        "disc|disk|discal herniation|herniations|bulge|bulges|bulging|protrusion|protrusions|"
        "extrusion|extrusions|prolapse|prolapses|rupture|displacement|sequestration|fragment",
        "herniation|herniations|hnp|herniated|protrusion|extrusion|bulge|bulges",
        "herniated nucleus pulposus",
        "disc|disk is|has? bulging|herniated|slipped|ruptured|protruding",
    ],
    "disc_degeneration": [
        "degenerative disc|disk|discs|disks disease|diseases|disorder|changes|change|disc|disk?",
        "degenerative disc|disk|discs|disks",
        "ddd",
        "disc|disk|discs|disks degeneration|desiccation|dessication|degenerating|collapse",
        "disc|disk space|height narrowing|loss",
        "degenerated|degenerating|desiccated|dessicated|worn|dehydrated|thinning|thin "
        "disc|discs|disk|disks",
        "loss of disc|disk height|space",
    ],
    "spinal_stenosis": [
        "stenosis|stenoses|stenotic",
        "narrowing of @MY? spinal? canal|foramen|foramina|neuroforamen|neuroforamina|spine",
        "foraminal|neuroforaminal|canal|recess narrowing",
        "narrowed|narrow|tight spinal? canal|foramen|foramina|neuroforamina",
    ],
    "neurogenic_claudication": [
        "neurogenic|neurogenous|spinal|pseudo|pseudo- -? claudication",
        "claudication|pseudoclaudication",
        "shopping cart sign",
        "lean|leaning|leans|lean on|over|forward on? @MY? shopping? cart|carts",
    ],
    "spondylosis": [
        "spondylosis|spondylitic|spondylotic|spondyloarthrosis",
        "arthritis|osteoarthritis|arthritic|oa in|of|on @MY? low|lower|upper|mid? -? "
        "spine|back|neck|vertebrae|lumbar|cervical",
        "spinal|spine|back|neck|lumbar|cervical|thoracic arthritis|osteoarthritis",
        "degenerative changes|change|arthritis|spondylosis",
        "bone|bony spur|spurs|spurring",
        "osteophyte|osteophytes|osteophytic|spurring",
    ],
    "facet_arthropathy": [
        "facet|facets|facetal|zygapophyseal|zygapophysial joint|joints? arthropathy|arthritis|"
        "osteoarthritis|hypertrophy|disease|syndrome|degeneration|arthrosis|mediated|pain|"
        "changes|dysfunction|problems|problem|hypertrophic|arthropathies",
        "facetogenic",
        # "arthritis of the L4-L5 facets", "hypertrophy of the right L5-S1 facet joints"
        "arthritis|osteoarthritis|arthropathy|arthrosis|hypertrophy|degeneration of|in|at|"
        "involving the|my|both|his|her? left|right|bilateral|lumbar|cervical|thoracic? "
        "@LEVELTOK? -|–|/? @LEVELTOK? @NUMTOK? facet|facets|facetal|zygapophyseal "
        "joint|joints?",
    ],
    "spondylolisthesis": [
        "spondylolisthesis|spondylolistheses|anterolisthesis|retrolisthesis|listhesis|"
        "olisthesis|spondylolisthetic",
        "slipped|slipping vertebra|vertebrae|vertebral",
        "vertebra|vertebrae|bone has|have|is? slipped|slipping",
        # "L5 has slipped forward on S1": the slip names its segment (normalize.parse_level)
        "@LEVELTOK has|is|was|had? slipped|slipping|slips|slip forward|backward|anteriorly|"
        "posteriorly|back? on|over @LEVELTOK",
        "@LEVELTOK has|is|was|had? slipped|slipping|slips|slip forward|backward|anteriorly|"
        "posteriorly|back? on|over the sacrum ,? on|onto|over? @LEVELTOK?",
        "@LEVELTOK has|is|was|had? slipped|slipping|slips|slip forward|backward|anteriorly|"
        "posteriorly",
        "isthmic|degenerative|dysplastic|spondylolytic|lytic|anterior|forward|vertebral "
        "slip|slips|slippage",
        "slip|slippage of @LEVELTOK",
    ],
    "instability": [
        "segmental|spinal|ligamentous|mechanical|sagittal|translational? instability",
        "unstable spine|segment|segments|spinal|motion",
        "instability",
    ],
    "transitional_vertebra": [
        "lumbosacral|lumbo-sacral? transitional vertebra|vertebrae|vertebral|segment|anatomy",
        "lstv",
        "sacralization|sacralisation|sacralized|sacralised|lumbarization|lumbarisation|"
        "lumbarized|lumbarised @LEVELTOK?",
        "bertolotti|bertolotti's|bertolottis syndrome?",
        "sixth|extra lumbar vertebra|vertebrae|segment",
        "six lumbar vertebrae",
    ],
    "ligament_syndrome": [
        "iliolumbar|ilio-lumbar|lumbosacral|lumbo-sacral ligament|ligaments syndrome|pain|"
        "sprain|strain|insufficiency|laxity|enthesopathy|thickening|injury|tear|inflammation?",
        "iliolumbar syndrome",
        "ilio -? lumbar ligament|ligaments syndrome|pain|sprain|strain|insufficiency?",
        "ligament|ligamentous pain syndrome",
    ],
    "myelopathy": [
        "myelopathy|myelopathic|myelomalacia",
        "spinal? cord compression|impingement|signal|flattening|effacement",
        "compression|compressing|impingement|pressing|pressure of|on @MY? spinal? cord",
    ],
    "kissing_spine": [
        "kissing spine|spines|spinous",
        "baastrup|baastrup's|baastrups|bastrup|bastrup's 's? disease|syndrome|sign|phenomenon?",
        "interspinous bursitis|neoarthrosis",
        "spinous processes are|were? touching|kissing|abutting|rubbing",
    ],
    "coccygodynia": [
        "coccydynia|coccygodynia|coccygodynias|coccalgia|coccygalgia",
        "tailbone|coccyx|coccygeal @PAINN",
        "tail bone @PAINN",
        "@PAINW is|'s? in|on|at|of|around @MY? tailbone|coccyx",
        "@PAINW is|'s? in|on|at|of|around @MY? tail bone",
        "tailbone|coccyx is|'s|has|was? @ADV? @ADV? @HURTING",
    ],
    "sacroiliitis": [
        "sacroiliitis|sacroilitis|sacro-iliitis",
        "inflamed|inflammatory|inflammation|inflammed @MY? left|right|bilateral|both? "
        "si|sacroiliac joint|joints",
        "inflamed|inflammatory|inflammation|inflammed @MY? left|right|bilateral|both? "
        "sacro -? iliac joint|joints",
        "inflammation of|in @MY? left|right|bilateral|both? si|sacroiliac joint|joints",
        "inflammation of|in @MY? left|right|bilateral|both? sacro -? iliac joint|joints",
        "si|sacroiliac joint|joints is|are|was|were|look|looks @ADV? inflamed",
        "si|sacroiliac joint|joints inflammation|synovitis",
        "sacro -? iliac joint|joints inflammation|synovitis",
    ],
    "occipital_neuralgia": [
        "occipital neuralgia|neuralgias|neuritis",
        "greater|lesser|third occipital nerve|nerves pain|irritation|entrapment|neuralgia",
        "arnold's|arnolds neuralgia",
        "arnold 's neuralgia",
    ],
    # "pars interarticularis is intact" names the pars, not a defect in it.
    "spondylolysis": [
        "spondylolysis|spondylolyses",
        "pars|interarticularis defect|defects|fracture|fractures|break|breaks|lysis|stress",
        "fracture|fractures|defect|defects|break|breaks|lysis of|in|through @MY? left|right|"
        "bilateral|both? @LEVELTOK? pars|pars interarticularis",
        "stress fracture|fractures|reaction of|in|through @MY? left|right|bilateral|both? "
        "@LEVELTOK? pars",
    ],
    "pseudarthrosis": [
        "pseudarthrosis|pseudoarthrosis|pseudarthroses|pseudoarthroses|pseudo-arthrosis",
        "pseudo -? arthrosis",
        "nonunion|non-union|non-unions|nonunions of|at|across @MY? @LEVELTOK? -? @LEVELTOK? "
        "fusion|arthrodesis|graft",
        "non -? union of|at|across @MY? @LEVELTOK? -? @LEVELTOK? fusion|arthrodesis|graft",
        "failed fusion|fusions|arthrodesis",
        "fusion|arthrodesis failure|failed",
        "failure of @MY? fusion|arthrodesis",
        # "the fusion did not heal"; not "the fusion is solid"
        "fusion|graft|arthrodesis did|has|had|does|have|is|was @NT yet? fully|completely|"
        "solidly? heal|healed|fuse|fused|take|taken|solidify|solidified|solid|united",
        "fusion|graft|arthrodesis never heal|healed|fused|took|solidified",
        "failed to fuse",
    ],
    "osteoporotic_fracture": [
        "osteoporotic|osteoporosis|fragility|insufficiency vertebral|spinal|"
        "compression|wedge? fracture|fractures|fx",
        "osteoporotic|osteoporosis|fragility|insufficiency -? related|associated "
        "vertebral|spinal|compression|wedge? fracture|fractures",
        "fracture|fractures from|due|secondary to? @MY? osteoporosis",
    ],
    "coccyx_fracture": [
        "coccyx|coccygeal|tailbone fracture|fractures|fx|break",
        "tail bone fracture|fractures|break",
        "fractured|broken|broke|cracked|fracture|fractures|break|breaking @MY? tailbone|coccyx",
        "fractured|broken|broke|cracked|fracture|fractures|break|breaking @MY? tail bone",
        "fracture|fractures of @MY? coccyx|tailbone",
        "tailbone|coccyx is|was broken|fractured|cracked",
    ],
    "nerve_root_injury": [
        "nerve? root injury|injuries|avulsion|avulsions|trauma|contusion|stretch",
        "@LEVELTOK nerve? root|roots injury|injuries|avulsion|avulsions|contusion",
        "stretch|traction|avulsion|crush injury|injuries to|of @MY? left|right? @LEVELTOK? "
        "nerve? root|roots",
        "stretch|traction|avulsion|crush injury|injuries to|of @MY? left|right? @LEVELTOK nerve",
        "avulsion|avulsed|injured|stretched|injury of|to? @MY? left|right? @LEVELTOK? nerve? "
        "root|roots",
        "nerve? root|roots was|were|got|has|had been? avulsed|stretched|injured|damaged",
    ],
    # Injuries named as such: the word "traumatic" is what makes a torn disc or a slipped or
    # dislocated vertebra an injury code rather than M51.- or M43.1-.
    "traumatic_disc_rupture": [
        "traumatic|traumatically disc|disk? rupture|ruptured|herniation|herniated|tear|torn",
        "traumatic|traumatically ruptured|torn|herniated disc|disk",
        "traumatic rupture|tear|herniation of @MY? @LEVELTOK? -|–? @LEVELTOK? disc|disk",
        "traumatic @LEVELTOK -|–? @LEVELTOK disc|disk rupture|herniation|tear",
    ],
    "traumatic_subluxation": [
        "traumatic|traumatically subluxation|subluxations|subluxed|dislocation|dislocations|"
        "dislocated",
        "traumatic @LEVELTOK -|–|/|on? @LEVELTOK? subluxation|dislocation",
    ],
    "sciatic_nerve_lesion": [
        "piriformis syndrome|entrapment|compression",
        "deep gluteal syndrome",
        "sciatic nerve lesion|lesions|entrapment|injury|injuries|palsy|neuropathy|damage|trauma",
        # compression of the sciatic nerve is a root problem unless it is placed in the buttock
        "sciatic nerve compression|compressed|irritation|impingement in|at|by @MY? left|right? "
        "buttock|buttocks|gluteal|glute|piriformis|hip|notch",
        "entrapment|injury|lesion|damage of|to @MY? left|right? sciatic nerve",
        "piriformis is|was? compressing|pinching|irritating|entrapping|trapping @MY? "
        "sciatic nerve?",
    ],
    # Modic or endplate changes on a scan do not make the diagnosis (M54.51 needs the clinician's
    # "vertebrogenic"), and "vertebrogenic low back pain" leaves "low back pain" its own target.
    "vertebrogenic_pain": [
        "vertebrogenic|vertebrogenous",
        "vertebrogenic pain|syndrome",
        "end -? plate pain",
        "endplate|endplates pain",
    ],
    "congenital": [
        "congenital|congenitally|dysplastic",
    ],
    "pyogenic": [
        "pyogenic|bacterial|staph|staphylococcus|staphylococcal|mssa|mrsa|streptococcus|"
        "streptococcal|klebsiella|pseudomonas|enterococcus",
        "s. aureus",
        "e. coli",
        "e coli",
        "escherichia coli",
        "gram -? negative|positive bacteria|bacilli|rods|cocci|organism|organisms|infection?",
        "gram-negative|gram-positive",
    ],
    "discitis": [
        "discitis|diskitis|spondylodiscitis|spondylodiskitis",
        "disc|disk space? infection",
        "infected disc|disk|discs",
        "infection in|of @MY? disc|disk",
        # "infection of the L5-S1 intervertebral disc"
        "infection|infections in|of|at @MY? @LEVELTOK -|–|/? re:^[ctls]?(?:[1-9]|1[0-2])$? "
        "intervertebral? disc|disk|discs|disks|space",
        "infection|infections in|of @MY? intervertebral disc|disk|discs|disks",
    ],
    # Only the spine's: "osteomyelitis" alone may be a foot's.
    "vertebral_osteomyelitis": [
        "vertebral|spinal|spine osteomyelitis",
        "osteomyelitis of|in|at @MY? vertebra|vertebrae|vertebral|spine|@LEVELTOK",
        "@LEVELTOK and|-|–? @LEVELTOK? vertebral? osteomyelitis",
    ],
    "sprain": ["sprain|sprained|sprains|whiplash"],
    "strain": [
        "strain|strained|strains",
        "pulled|pulling|tore|torn @MY? muscle|muscles",
        "muscle|muscular strain|pull|tear",
    ],
    "dorsopathy": [
        "back|spine|spinal problem|problems|issue|issues|trouble|troubles|condition|disorder|"
        "disorders|disease",
        "bad back",
        "dorsopathy|dorsopathies",
        # "lumbosacral spine disorder": longer than the region span, so the region rides along
        "lumbar|lumbosacral|cervical|thoracic|thoracolumbar|cervicothoracic|sacral|low|lower|"
        "upper|mid|middle -? back|spine|spinal problem|problems|issue|issues|trouble|troubles|"
        "condition|disorder|disorders|disease|dysfunction",
        "lumbo -? sacral spine|spinal problem|problems|issue|issues|condition|disorder|"
        "disorders|disease|dysfunction",
    ],
    # ---- symptoms
    "low_back_pain": [
        "low|lower -? back @PAINN",
        "low|lower -? backache|backaches",
        "lumbago|lbp",
        "lumbar|lumbosacral back? pain|ache|discomfort|pains",
        "@PAINW in|on|at|across|of|into @MY? low|lower -? back",
        "low|lower -? back is|'s|has|was? @ADV? @ADV? @HURTING|ached|ache|hurt",
        "low|lower down? in|on|across @MY? back",
    ],
    # "back and buttock pain": one span, split into low_back_pain and leg_pain (findings.py)
    "back_and_leg_pain": [
        "low|lower? -? back and|& @MY? left|right|both? @LEGCORE @PAINN",
    ],
    "back_pain": [
        "upper|mid|middle|thoracic? -? back @PAINN",
        "backache|backaches|back-ache",
        "back -? ache|aches",
        "@PAINW in|on|at|across|of|into @MY? upper|mid|middle? -? back",
        "back is|'s|has|was? @ADV? @ADV? @HURTING",
        "sore|aching|achy|painful back",
    ],
    "neck_pain": [
        "neck @PAINN",
        "cervicalgia|neckache",
        "@PAINW in|on|of|at @MY? neck",
        "neck is|'s|has|was? @ADV? @ADV? @HURTING",
        "sore|stiff|aching|painful neck",
    ],
    "sciatica": [
        "sciatica|sciatic",
        "sciatic nerve? pain|symptoms|irritation|nerve|type",
    ],
    "leg_pain": [
        "@LEGCORE @PAINN",
        "radicular|radiating|referred|shooting pain|pains|symptoms|sensation",
        "@RADIATE all? the? way? @INTO @MY? back|side|front|outside|inside|bottom|top? of? @MY? "
        "left|right|both? @LEG",
        "@PAINW @INTO @MY? left|right|both? @LEG",
        "down|into @MY? left|right|both? @LEG",
        "@PAINW in @MY? back|side|front|outside|inside|bottom? of? @MY? left|right|both? @LEGCORE",
    ],
    "paresthesia": [
        "numbness|numb|tingling|tingle|tingles|tingly|paresthesia|paresthesias|paraesthesia|"
        "paraesthesiae|paraesthesias|paresthesiae|dysesthesia|dysesthesias|hypoesthesia",
        "pins -? and|& -? needles",
        "decreased|reduced|diminished|altered|abnormal|loss|lost|lack of? sensation|feeling",
        "leg|legs|foot|feet|toes|arm|hand|hands|calf falls|fall|falling|fell|goes|going|went "
        "asleep|dead",
        "electric|electrical|burning sensation|sensations|shocks",
    ],
    "weakness": [
        "weakness|weak|weaker|weakened",
        "foot|drop drop|foot",
        "footdrop",
        "give|gives|giving|gave out|way",
        "buckle|buckles|buckling|buckled",
        "loss|lost|decreased|reduced of? strength",
    ],
    # ---- where
    "region_lumbar": [
        "lumbar",
        "lumbar spine|region|area|vertebrae|vertebra|level|levels|segment|segments|paraspinals|"
        "paraspinal|muscles?",
        "l -? spine",
        "low|lower -? back",
        "lower lumbar",
    ],
    "region_lumbosacral": [
        "lumbosacral spine|junction|region|area|level?",
        "lumbo -? sacral spine|junction|region|area?",
        "ls spine",
    ],
    "region_sacral": [
        "sacrum|sacral|sacroiliac|coccyx|coccygeal|tailbone|sacrococcygeal|coccydynia",
        "sacro -? iliac",
        "si joint|joints",
        "tail bone",
        "=SI",
    ],
    "region_thoracic": [
        "thoracic spine|region|area|vertebrae|level|levels?",
        "t -? spine",
        "mid|middle|upper -? back",
        "dorsal spine",
    ],
    "region_thoracolumbar": ["thoracolumbar junction|spine|region|area?", "thoraco -? lumbar"],
    "region_cervicothoracic": [
        "cervicothoracic junction|spine|region|area?",
        "cervico -? thoracic",
    ],
    "region_cervical": [
        "cervical spine|region|area|vertebrae|level|levels|paraspinals|paraspinal|muscles?",
        "c -? spine",
        "neck",
    ],
    "level": [
        "@LEVELTOK @ALLSEP? @LEVELTOK",
        "@LEVELTOK -|–|—|/|to|through|thru @NUMTOK",
        r"re:^[ctls](?:[1-9]|1[0-2])(?:[-–/]?[ctls]?)(?:[1-9]|1[0-2])$",
        "@LEVELTOK",
        "c|t|l @NUMWORD @ALLSEP? c|t|l|s @NUMWORD",
        "between @LEVELTOK and @LEVELTOK",
        # "L5 on S1" is the L5-S1 segment (normalize.parse_level)
        "@LEVELTOK on|over|onto @LEVELTOK",
        "l|c|t @NUMWORD",
        "l|c|t @NUMWORD @NUMWORD",
        "l|c|t @NUMWORD @ALLSEP? @LEVELTOK",
        "=S @NUMWORD",
    ],
    "bilateral": [
        "bilateral|bilaterally",
        "both sides|legs|feet|buttocks|arms|hands|hips|thighs|calves|knees|shoulders",
        "left|right and|& right|left -? sided|sides|legs|feet|buttocks|arms|hands|hips|thighs|"
        "calves|knees|shoulders|extremities",
    ],
    # ---- evidence for necessity
    "imaging": [
        "mri|mris|m.r.i.|m.r.i|mr|magnetic resonance scan|scans|imaging|images|study|studies",
        "mri|mris|m.r.i.",
        "m r i",
        "c t scan|scans|myelogram?",
        "=C =T",
        "magnetic resonance",
        "x -? ray|rays|rayed",
        "xray|xrays|x-ray|x-rays",
        "radiograph|radiographs|radiography|films",
        "ct|cat scan|scans|myelogram",
        "ct",
        "imaging|scan|scans|myelogram|myelography",
        "bone scan|scans",
    ],
    "functional_limitation": [
        "@NEGABLE @NT _? _? @ACT",
        "do|does @NT _? _? @ACTCORE",
        "cant|couldnt|cannot|unable _? _? @ACT",
        "ca|can|could no longer _? _? @ACT",
        "no longer able to _? _? @ACT",
        "unable to _? _? @ACT",
        "not|n't|n’t|never able to _? _? @ACT",
        "hard|harder|difficult|tough|painful|impossible|challenging|uncomfortable for? "
        "me|him|her? to _? @ACT",
        "difficulty|difficulties|trouble|problems|problem|struggle|struggling|struggles|issues "
        "with? _? @ACT",
        "limits|limited|limiting|limitation|limitations|restricts|restricted|interferes|"
        "interfering|interfered|affects|affecting|affected|impacts|impacting|impacted|keeps|"
        "stops|stopping|prevents|preventing in|with|on|me|from? my|his|her|your|the? daily? "
        "@ACT|activities|activity|job|work|sleep|life|day|function|mobility",
        "miss|missed|missing|skip|skipped _? _? _? work|school|shifts|shift",
        "miss|missed|missing|skip|skipped days|weeks",
        "off|out of? work|job",
        "time off work?",
        "stopped|quit|stop work|exercising|running|golfing|playing|jogging",
        "light|modified|restricted duty|duties",
        "disability|bedbound|bedridden|housebound",
        "bed bound|ridden",
        "work restrictions|restriction",
        "wakes|woke|waking|wake|keeps|kept|keeping me|him|her up",
        "keeps|kept|stops|stopped|prevents|prevented me|him|her from _? @ACT",
        "wake|wakes|waking|woke up? at|in the? night",
        "can|could only @ACT",
        "adls|adl",
        "activities of daily living",
        "use|using|uses|used|need|needs a|my? cane|walker|wheelchair|crutches|rollator",
        "limp|limping",
    ],
    "conservative_treatment": [
        "physical therapy|therapist|therapists|rehab|rehabilitation",
        "physiotherapy|physio|physiotherapist|physiatry|rehab|rehabilitation",
        "=PT",
        "did|doing|done|start|started|starting|tried|trying|finished|completed|continue|"
        "continued|of|some|more|formal|outpatient pt",
        "=P =T",
        "chiropractor|chiropractic|chiro|chiropractors|adjustments|manipulation|manipulations",
        "massage|massages|acupuncture|dry needling",
        "home exercise program|programs|exercises",
        "exercises|stretches|stretching|strengthening|mckenzie|yoga|pilates",
        "ibuprofen|advil|motrin|aleve|naproxen|naprosyn|nsaid|nsaids|antiinflammatory|"
        "antiinflammatories|tylenol|acetaminophen|paracetamol|gabapentin|neurontin|pregabalin|"
        "lyrica|flexeril|cyclobenzaprine|methocarbamol|robaxin|tizanidine|zanaflex|baclofen|"
        "prednisone|prednisolone|medrol|methylprednisolone|dosepak|meloxicam|mobic|diclofenac|"
        "voltaren|celebrex|celecoxib|etodolac|nabumetone|ketorolac|toradol|tramadol|ultram|"
        "opioid|opioids|oxycodone|hydrocodone|norco|percocet|vicodin|codeine|duloxetine|"
        "cymbalta|amitriptyline|nortriptyline|lidocaine|lidoderm|steroids|naprosyn",
        "anti -? inflammatory|inflammatories",
        "muscle relaxant|relaxants|relaxer|relaxers",
        "steroid|medrol dose|dosepak|pack|taper|burst|injection|injections|shot|shots",
        "pain medication|medications|medicine|medicines|meds|killers|killer|relievers|reliever",
        "painkillers|painkiller",
        "over the counter",
        "epidural|epidurals|esi|esis|injection|injections|cortisone|nerve|facet|branch block|"
        "blocks|injection|injections|shot|shots",
        "epidural|epidurals|injection|injections|cortisone|esi|esis|injected",
        "medial branch block|blocks",
        "transforaminal|interlaminar|caudal|lumbar|cervical? epidural steroid|steroids? "
        "injection|injections|shot|shots|block|blocks",
        "selective? nerve root block|blocks|injection|injections",
        "radiofrequency ablation|rfa|rhizotomy|neurotomy",
        "trigger point injection|injections",
        "tens unit|machine?",
        "back|lumbar? brace|support|corset",
        "traction|heating pad|pads",
        "ice|heat and|or heat|ice",
        "ice|heat packs|pack",
        "bed rest",
    ],
    "spine_surgery": [
        "back|spine|spinal|neck|lumbar|cervical|disc|disk surgery|surgeries|operation|operations|"
        "procedure",
        "surgery|operation|operated on|to @MY? low|lower? back|spine|neck|disc|disk",
        "discectomy|diskectomy|microdiscectomy|microdiskectomy|laminectomy|laminectomies|"
        "laminotomy|hemilaminectomy|foraminotomy|fusion|fusions|acdf|tlif|plif|alif|xlif|"
        "kyphoplasty|vertebroplasty|laminoplasty|corpectomy|arthrodesis",
        "disc|disk replacement|arthroplasty",
        "decompression|decompressive surgery|laminectomy?",
        "spinal decompression",
    ],
    "treatment_failed": [
        "@NT really|much|even|seem|seemed|actually|that|to|at|all|any? to? @HELPV",
        "did|does|has|have|had|was|is @NT really|even|seem|seemed|actually? to? work",
        "@NT do|did|done anything|much|nothing",
        "@NT do|did|done a thing",
        "@NT make|made|making any|a|much? difference",
        "nothing has|really|seems|seemed|ever|else? to? @HELPV",
        "did|does|do|has|have|done nothing|little",
        "no|little|minimal|minor|temporary|partial|brief|short|limited|without term? -? relief|"
        "improvement|benefit|help|success",
        "only temporary|temporarily|briefly",
        "only short -? term",
        "failed|failing|failure of? _? _? treatment|therapy|management|care|pt|injections|"
        "injection|medications|meds|trial|trials|conservative|treatments",
        "wore|wears|wear|wearing off",
        "stopped|quit working|helping",
        "only helped|helps|help|works|worked a|for little|bit|while|few|couple|temporarily",
        "helped|helps a little|bit|while",
        "helped|helps|help|worked|works temporarily|briefly",
        "no better|different",
        "not any better",
    ],
    "chronic": [
        "chronic|chronically|longstanding|long-standing|chronicity",
        "long -? standing|term",
        "persistent|ongoing|intractable",
    ],
    "acute": [
        "acute|acutely|sudden|suddenly|abrupt|abruptly",
        "new onset|pain",
        "just started|began|happened",
    ],
    "DURATION": [
        "for|over|x|since|past|last @Q? @Q? @Q? #? to|-|or? #? @Q? @UNIT",
        "# -? @UNIT now|history|duration|straight|running",
        "started|began|start|begin|begun|onset|happened|noticed|developed _? _? _? @Q? @Q? #? "
        "@Q? @UNIT ago",
        "since|started|began|happened|onset yesterday|today|monday|tuesday|wednesday|thursday|"
        "friday|saturday|sunday|weekend",
        "since|started|began|happened last|this night|week|weekend|morning|evening",
        "since re:^(?:19|20)\\d\\d$",
        "like|about|around|almost|nearly|roughly|approximately|maybe|probably|least @Q? # @UNIT",
    ],
    # ---- injuries and encounters
    "injury_event": [
        # "in the fall" is a season and "L4 has slipped forward" a spondylolisthesis: not events.
        "fell|falling|tripped",
        "a|any|or|no|recent|another|multiple fall|falls|spill",
        "fall|falls from|off|onto|down",
        "slipped on|off|and|while|down",
        "slip and fall",
        "car|auto|motor|vehicle|traffic|bike|bicycle|motorcycle|work|workplace|sports|skiing|"
        "ski|football|mva|mvc accident|accidents|crash|collision|wreck",
        "motor vehicle accident|collision|crash",
        "collision|collisions",
        "mva|mvc|accident|accidents",
        "rear -? ended|end",
        "injury|injuries|injured|trauma|traumatic",
        "hurt|injured|tweaked|twisted|wrenched|strained|pulled|threw|tore my|his|her|the back|"
        "neck|spine|self|myself|himself|herself",
        "threw out my|his|her back|neck",
        "while|when|after|from i|he|she? was? lifting|picking|unloading|moving|carrying|"
        "shoveling|shovelling|bending|twisting|gardening|pushing|pulling|loading",
        "was lifting|unloading|moving|carrying|shoveling|shovelling|loading",
        "lifted",
        "hit|struck by",
        "picked up",
        "landed on",
    ],
    "initial_encounter": [
        "first visit|appointment|consult|consultation",
        "new patient|consult",
        "initial visit|evaluation|consult|consultation|encounter|assessment|appointment",
        "establish care",
        # "the first time we're seeing you for this", "first time I'm seeing anyone"
        "first time _? _? seeing|seen|see you|anyone|anybody|someone|us|a",
        "new problem|complaint",
        # the 7th character A: active treatment, whoever gave the earlier care
        "active treatment|care",
        "first treatment|treatments today|now|for",
    ],
    # Only an explicit routine-healing visit: "follow up with spine" or a follow-up MRI is not
    # one, and a new provider's active treatment after the ED is still an initial encounter.
    "subsequent_encounter": [
        "follow -? up visit|visits|appointment|exam|examination|check|checkup",
        "followup|follow-up visit|visits|appointment|exam|examination|check|checkup",
        "routine follow -? up|ups",
        "routine followup|follow-up|recheck|check|visit|healing",
        "recheck|rechecks",
        "re -? check",
        "return|repeat visit",
        "post -? op|operative visit|check|appointment",
        "postop|postoperative visit|check|appointment",
        "healing as? expected|normally|well|nicely|fine|properly",
        "healing on schedule|track",
        "check|checking|checked|see|seeing|recheck|rechecking how|on? it|it's|the|your|its "
        "'s? healing",
        # "lumbar sprain, healing" (findings._VETO keeps a bare "healing" only after a comma)
        "healing",
    ],
    "sequela_encounter": [
        "sequela|sequelae|sequelas",
        "late effect|effects",
        "residual|residuals @PAINN? from|of the? old|prior|previous|earlier? "
        "injury|injuries|sprain|strain|accident|whiplash|fall|trauma",
        "left over|leftover from",
    ],
    # ---- non-spinal causes of back pain
    "kidney_stone": [
        "kidney|renal|ureteral|ureteric|ureter|bladder stone|stones|calculus|calculi",
        "nephrolithiasis|urolithiasis|ureterolithiasis|nephrolith",
        "renal|kidney colic",
        "stone|stones in @MY? left|right? kidney|kidneys|ureter|ureters",
        "coming|comes|stems|stemming|originating|due|caused|secondary from|to|by @MY? "
        "kidney|renal|ureteral|ureteric|bladder stone|stones|calculus|calculi",
    ],
    "non_spinal_cause": [
        "pyelonephritis|pyelo|urosepsis|uti|utis|pancreatitis|cholecystitis|endometriosis|"
        "prostatitis|shingles|zoster|appendicitis|aaa|diverticulitis|gallbladder",
        "kidney|bladder|urinary tract? infection|infections",
        "abdominal? aortic aneurysm|dissection",
        "gallbladder|gall attack|stones|bladder",
        "gallstones|gallstone",
        "ovarian cyst|cysts",
        "herpes zoster",
        "pelvic inflammatory disease",
        "coming|comes|stems|stemming|originating|referred|radiating from @MY? kidney|kidneys|"
        "ureter|bladder|aorta|hip|hips|pelvis|abdomen|gallbladder|pancreas|belly|stomach|"
        "uterus|ovary|ovaries",
    ],
}
_WORDS["ALLSEP"] = _ALL_SEP

# Laterality is tagged on the token (see findings._tag_laterality), so "left" needs a context.
LATERALITY_LABELS = {"LEFT": "left", "RIGHT": "right"}
# fmt: off
LATERAL_BODY = frozenset(
    {
        "leg", "legs", "arm", "arms", "hip", "hips", "buttock", "buttocks", "butt", "glute",
        "glutes", "gluteal", "thigh", "thighs", "calf", "calves", "foot", "feet", "knee", "knees",
        "shoulder", "shoulders", "hand", "hands", "side", "sides", "sided", "flank", "lower",
        "upper", "low", "neck", "ankle", "ankles", "toe", "toes", "heel", "elbow", "wrist", "groin",
        "shin", "paraspinal", "paraspinals", "si", "sacroiliac", "sciatic", "sciatica", "extremity",
        "extremities", "great", "big", "lateral", "posterior", "anterior", "radiculopathy",
        "radicular", "foraminal", "paracentral", "facet", "lumbar", "cervical", "hamstring",
        "hamstrings", "l3", "l4", "l5", "s1", "c5", "c6", "c7", "c8",
        "iliolumbar", "lumbosacral", "sacral", "disc", "disk", "nerve", "root", "ligament",
        "transverse", "pars", "pedicle", "subarticular", "recess", "piriformis", "iliac",
        "trapezius", "rib", "ribs", "chest", "abdomen", "kidney", "ureter", "renal", "finger",
        "fingers", "thumb", "ear", "eye", "temple", "occipital", "scapula", "l1", "l2", "t12",
        "s2",
    }
)
# fmt: on


def label_of(concept: str) -> str:
    return concept.upper()


def concept_of(label: str) -> str:
    return LATERALITY_LABELS.get(label, label.lower())


# Target labels that are not concepts: one span, two findings (see findings._split_target).
SPLIT_LABELS = {"BACK_AND_LEG_PAIN": ("LOW_BACK_PAIN", "LEG_PAIN")}


def _labels(*categories: Category) -> set[str]:
    return {label_of(c.id) for c in CONCEPTS.values() if c.category in categories}


CONDITION_LABELS = _labels(Category.condition, Category.cause)
SYMPTOM_LABELS = _labels(Category.symptom)
WHERE_LABELS = _labels(Category.region, Category.level, Category.laterality) | set(
    LATERALITY_LABELS
)
PLACE_LABELS = _labels(Category.region, Category.level)
PAST_OK_LABELS = CONDITION_LABELS | SYMPTOM_LABELS | {"INJURY_EVENT", "SPINE_SURGERY"}
PLANNED_LABELS = {
    "CONSERVATIVE_TREATMENT",
    "SPINE_SURGERY",
    "IMAGING",
    "INITIAL_ENCOUNTER",
    "SUBSEQUENT_ENCOUNTER",
}


def build_target_rules() -> dict[str, list[TargetRule]]:
    """TargetRules by target label (a concept id in upper case, ``DURATION``, ``LEFT``...)."""
    from medspacy.target_matcher import TargetRule

    out: dict[str, list[TargetRule]] = {}
    for concept, specs in TARGETS.items():
        label = "DURATION" if concept == "DURATION" else label_of(concept)
        out[label] = [
            TargetRule(f"{concept}: {spec}", label, pattern=tokens(spec)) for spec in specs
        ]
    for label, side in LATERALITY_LABELS.items():
        # The word test is implied by the tagger (findings._tag_laterality); it lets the matcher
        # try the rule only at the word.
        pattern = [{"LOWER": side, "_": {"scribe_lat": side}}]
        out[label] = [TargetRule(side, label, pattern=pattern)]
    return out


# ---- ConText

_ONSET = re.compile(
    r"\b(?:start|started|starting|began|begin|begun|since|came on|first noticed|onset|"
    r"going on|still|currently|ongoing|chronic|worsening|getting worse|for (?:the )?(?:past|last)|"
    r"for (?:about |around |almost |over )?(?:\d+|one|two|three|four|five|six|seven|eight|nine|"
    r"ten|eleven|twelve|a|several|many|a few|a couple of) (?:day|week|month|year)s?)\b",
    re.IGNORECASE,
)
_FIRST_PERSON = {"i", "i'm", "i’m", "me", "my", "myself", "i've", "i’ve", "i'd", "mine"}
_DURATION_WORDS = {"day", "days", "week", "weeks", "month", "months", "year", "years", "-"}


def _past_not_ongoing(target: Span, modifier: Span, between: Span) -> bool:
    """'History of' / 'years ago' mark the past only when the sentence does not say it goes on."""
    if modifier.start > 0 and modifier.doc[modifier.start - 1].lower_ in _DURATION_WORDS:
        return False  # "a six-month history of"
    return _ONSET.search(target.doc.text) is None


def _not_about_me(target: Span, modifier: Span, between: Span) -> bool:
    """'My wife says I can't sit' is about the patient, not the wife."""
    return not any(t.lower_ in _FIRST_PERSON for t in between)


def _old_not_age(target: Span, modifier: Span, between: Span) -> bool:
    return not (modifier.start > 0 and modifier.doc[modifier.start - 1].lower_ in {"years", "year"})


# What may stand between a place and "is normal" when the place is its subject.
_SUBJECT_WORDS = {
    "-", "–", "/", "the", "both", "disc", "discs", "disk", "disks", "level", "levels", "facet",
    "facets", "joint", "joints", "spine", "junction", "region", "area", "foramen", "foramina",
    "canal", "above", "below", "segment", "segments", "alignment",
}  # fmt: skip
_PLURAL_VERBS = {"are", "were", "look", "feel", "seem", "remain"}
_LEVEL_WORD = re.compile(r"^(?:[ctls](?:[1-9]|1[0-2])|[1-9]|1[0-2])$")


def _subject_of_normal(target: Span, modifier: Span, between: Span) -> bool:
    """'L4-L5 and L5-S1 are open', 'the low back is fine': the place is the subject. Not in
    'the slip is at L5-S1, and L4-L5 is aligned' (L5-S1 is not what is aligned)."""
    plural = modifier[0].lower_ in _PLURAL_VERBS
    for tok in between:
        if tok.i >= modifier.start:
            break  # medspaCy's span runs to the end of the modifier
        low = tok.lower_
        if low in _SUBJECT_WORDS or _LEVEL_WORD.match(low):
            continue
        if plural and low in ("and", "&"):
            continue
        if tok._.scribe_lat or low in ("cervical", "thoracic", "lumbar", "lumbosacral", "sacral"):
            continue
        return False
    return True


# "stenosis without claudication, and left L4 radiculopathy": the list of what is absent ends
# where a new item with its own side or level starts.
_NEW_LIST_ITEM = re.compile(
    r",\s*(?:and|but|plus|with|also)\s+(?:an?\s+|the\s+)?(?:left|right|bilateral|[ctls]\d)",
    re.IGNORECASE,
)


def _list_continues(target: Span, modifier: Span, between: Span) -> bool:
    if _is_source_study(target):
        return False
    return target.start < modifier.start or _NEW_LIST_ITEM.search(between.text) is None


def _is_source_study(target: Span) -> bool:
    """'no herniation on the MRI': the study is where the finding is absent, not absent itself."""
    if target.label_ != "IMAGING" or target.start < 2:
        return False
    doc = target.doc
    return doc[target.start - 1].lower_ in ("the", "this", "your", "my", "his", "her") and (
        doc[target.start - 2].lower_ in ("on", "in", "by", "per")
    )


def _gone_for_good(target: Span, modifier: Span, between: Span) -> bool:
    """'the pain is gone', not 'the pain has gone down a bit' (or 'gone into my leg')."""
    doc = modifier.doc
    nxt = doc[modifier.end].lower_ if modifier.end < len(doc) else ""
    return nxt not in {"down", "up", "into", "to", "through", "in", "on", "from", "out", "over"}


def _adjacent_if_forward(target: Span, modifier: Span, between: Span) -> bool:
    """A trailing cue reaches back over its clause; a leading one only the words it qualifies
    ("resolved left sciatica", not "resolved and the back pain is worse")."""
    if target.end <= modifier.start:
        return True
    gap = modifier.doc[modifier.end : target.start]
    return len(gap) <= 2 and not any(t.is_punct or t.lower_ in ("and", "but", "or") for t in gap)


def _colon_no(target: Span, modifier: Span, between: Span) -> bool:
    """': no' negates what follows ("not a pinched nerve: no root is compressed"), and what
    comes before only when nothing follows it ("Fever: no.")."""
    if target.start >= modifier.end:
        return not _is_source_study(target)
    return all(t.is_punct for t in modifier.doc[modifier.end :])


def _ctx(
    literal: str,
    category: str,
    pattern: str | list[dict[str, Any]] | None = None,
    direction: str = "FORWARD",
    allowed: Iterable[str] | None = None,
    excluded: Iterable[str] | None = None,
    max_scope: int | None = None,
    on_modifies: Callable[[Span, Span, Span], bool] | None = None,
) -> dict[str, Any]:
    return {
        "literal": literal,
        "category": category,
        "pattern": tokens(pattern) if isinstance(pattern, str) else pattern,
        "direction": direction,
        "allowed_types": set(allowed) if allowed is not None else None,
        "excluded_types": set(excluded) if excluded is not None else None,
        "max_scope": max_scope,
        "on_modifies": on_modifies,
    }


NEG, POSS, HIST, FAM, HYPO = (
    "NEGATED_EXISTENCE",
    "POSSIBLE_EXISTENCE",
    "HISTORICAL",
    "FAMILY",
    "HYPOTHETICAL",
)
GUESS, PLAN, ASSESS = "GUESS", "PLAN", "ASSESSMENT"
NEGATED_PLAN = "not going to order"
# A document read out ("the report says ...", "the referral letter says myelopathy"): what it
# names is possible until the clinician affirms it.
REPORTED = "REPORTED"
# HISTORICAL cues that say a problem has resolved (not merely that it happened before).
RESOLVED_LITERALS = {"resolved", "now resolved", "no longer present", "no longer", "gone"}
RESOLVED_LITERALS |= {"went away", "cleared up"}
_FAMILY_WORDS = (
    "aunt|aunts|brother|brothers|child|children|cousin|cousins|dad|dads|daughter|daughters|"
    "family|families|father|fathers|grandchild|grandchildren|granddaughter|grandfather|"
    "grandmother|grandparent|grandparents|grandson|husband|mom|moms|mother|mothers|mum|mums|"
    "nephew|niece|parent|parents|partner|sibling|siblings|sister|sisters|son|sons|spouse|uncle|"
    "uncles|wife|grandma|grandpa|granny|nana|friend|friends|coworker|coworkers|colleague|"
    "colleagues|neighbor|neighbour|boyfriend|girlfriend|fiance|fiancee|relative|relatives|"
    "boss|roommate"
)
# Default rules replaced or re-categorised (literal -> None to drop, or a new category).
_DEFAULT_OVERRIDES: dict[str, str | None] = {
    "evaluate for": POSS,  # "MRI to evaluate for stenosis" is uncertain, not negated
    "test for": POSS,
    "checked for": POSS,
    "history": None,  # replaced by a rule that knows "a six-month history of" is ongoing
    "family": None,  # replaced: "my wife says I can't sit" is not family history
    "any other": None,  # clinicians' questions; answered turns decide
    # a resolved problem is history, not a denial ("the discitis has resolved"); see "resolved"
    "resolved": None,
    "now resolved": HIST,
    "no longer present": HIST,
    # replaced by a rule that negates forward too ("not a pinched nerve: no root is compressed")
    ": no": None,
    ": none": None,
}
# Default negations that describe a test result: they must not negate the test itself.
_RESULT_NEGATIONS = {
    "was negative",
    "has been negative",
    "negative on",
    "non diagnostic",
    "free",
    "are not evident",
    "not significant",
    "unremarkable for",
}
_IMAGING_ETC = {"IMAGING", "CONSERVATIVE_TREATMENT", "SPINE_SURGERY"}

CUSTOM_CONTEXT: list[dict[str, Any]] = [
    # negation the defaults miss
    _ctx("n’t", NEG, "n’t|never"),
    _ctx("no sign of", NEG, "no|without sign|signs|evidence|indication of?"),
    _ctx("denies", NEG, "denies|denied|deny|denying|negative"),
    # longer than the default "is negative" (BACKWARD), which would otherwise win the overlap
    _ctx("is negative for", NEG, "is|was|are|were|been|came|come|comes back? negative|neg for"),
    _ctx("nothing", NEG, "nothing|nothing's", max_scope=6),
    # a negated plan or finding: the cue after the negation must not end its scope
    _ctx(NEGATED_PLAN, NEG, "@NT be? going|gon? to|na? @PLANVERB"),
    _ctx("not show", NEG, "@NT show|shows|showed|shown|find|found|suggest|confirm"),
    _ctx("absent", NEG, "absent|none", "BACKWARD", excluded=_IMAGING_ETC),
    _ctx(": no", NEG, ": no|none", "BIDIRECTIONAL", on_modifies=_colon_no),
    # "the low back is fine", "L5-S1 is normal": the place is not where the problem is
    _ctx(
        "is fine",
        NEG,
        "is|are|was|were|feels|feel|looks|look|seems|seem|remains|remain|'s fine|normal|okay|ok|"
        "unremarkable|healthy|intact|aligned|clean|clear|open|patent|spared|preserved",
        "BACKWARD",
        allowed=PLACE_LABELS,
        max_scope=10,
        on_modifies=_subject_of_normal,
    ),
    # "a query about the word myelopathy" names a word, not a diagnosis
    _ctx("the word", POSS, "the word|term|label|phrase", max_scope=3),
    _ctx(
        "not present",
        NEG,
        "not present|seen|noted|evident|identified",
        "BACKWARD",
        excluded=_IMAGING_ETC,
    ),
    _ctx("not consistent with", NEG, "not consistent|compatible with"),
    _ctx("no longer", HIST, "no|not longer|anymore", excluded={"FUNCTIONAL_LIMITATION"}),
    _ctx(
        "gone",
        HIST,
        "completely|totally|fully|all|now? gone",
        "BACKWARD",
        allowed=PAST_OK_LABELS,
        max_scope=8,
        on_modifies=_gone_for_good,
    ),
    # pseudo-negations and uncertainty
    _ctx(
        "no change",
        "PSEUDO",
        "no|not change|changes|changed|worse|better|matter|wonder|"
        "doubt|problem|worries|idea|question",
        "PSEUDO",
    ),
    _ctx("not only", "PSEUDO", "not only|just|bad|sure|that|too|great", "PSEUDO"),
    _ctx("versus", POSS, "versus|vs|vs.", "BIDIRECTIONAL", max_scope=6),
    _ctx("differential", POSS, "differential|ddx|differentials diagnosis|diagnoses|includes?"),
    _ctx("question of", POSS, "question|questions of|for"),
    _ctx(
        "questionable",
        POSS,
        "questionable|query|presumed|presumptive|probable|suspected|"
        "suspect|suspicion|suspicious|possibly|potential|potentially|perhaps|maybe",
        max_scope=6,  # a hedge reaches the next few words, not the rest of a long sentence
    ),
    _ctx("concern for", POSS, "concern|concerned|concerning|worried|worry for|about"),
    _ctx(
        "could be",
        POSS,
        "could|may|might|would be|have|represent|indicate|show|shows|suggest|reflect|explain|"
        "cause|involve|mean",
    ),
    _ctx("might", POSS, "might", max_scope=6),
    # "early discitis cannot be excluded", "can't rule out stenosis", "we cannot exclude it";
    # the negation word is required: "we can rule out a fracture" stays a negation.
    _ctx(
        "cannot be excluded",
        POSS,
        "ca|can|could @NT be excluded|ruled|eliminated out?",
        "BACKWARD",
        max_scope=8,
    ),
    _ctx(
        "cant be excluded",
        POSS,
        "cannot|cant|couldnt be excluded|ruled|eliminated out?",
        "BACKWARD",
        max_scope=8,
    ),
    _ctx("not excluded", POSS, "not|n't|n’t been? excluded", "BACKWARD", max_scope=8),
    _ctx("can't rule out", POSS, "ca|can|could|did|do @NT rule|exclude|eliminate out?"),
    _ctx("cant rule out", POSS, "cannot|cant|couldnt|didnt|dont rule|exclude|eliminate out?"),
    _ctx("consistent with", POSS, "consistent|compatible with"),
    _ctx("in keeping with", POSS, "in keeping with"),
    _ctx("working diagnosis", POSS, "working|presumptive|tentative diagnosis"),
    _ctx(
        "look for",
        POSS,
        "to? look|looking|check|checking|test|testing|assess|assessing|"
        "evaluate|evaluating|screen|screening|work for",
    ),
    _ctx("work up for", POSS, "work|working -? up for|of"),
    _ctx("evaluation for", POSS, "evaluation|workup|work-up of|for"),
    _ctx("not sure if", POSS, "not sure|certain if|whether|about|that"),
    _ctx("unsure", POSS, "unsure|unclear|uncertain"),
    _ctx("don't know if", POSS, "do|did n't|n’t|not know if|whether"),
    _ctx("wonder if", POSS, "wonder|wondering|wondered if|whether"),
    _ctx("is it", POSS, "is|could|might|would|can it be?"),
    # the patient's own theories; for a clinician the same words state an impression
    _ctx(
        "i think",
        GUESS,
        "i think|thought|guess|suppose|believe|figure|figured|feel|reckon",
        allowed=CONDITION_LABELS,
    ),
    _ctx("i feel like", GUESS, "i feel like", allowed=CONDITION_LABELS),
    _ctx("i read", GUESS, "i read|googled|looked|searched", allowed=CONDITION_LABELS),
    _ctx(
        "online", GUESS, "online|internet|google|webmd", "BIDIRECTIONAL", allowed=CONDITION_LABELS
    ),
    _ctx(
        "someone said",
        GUESS,
        "someone|somebody|they|he|she|friend|chiropractor|"
        "neighbor|neighbour said|told|thinks|thought|says",
        allowed=CONDITION_LABELS,
    ),
    _ctx("told me", GUESS, "told|tells me|him|her", allowed=CONDITION_LABELS),
    # what a document says, whoever reads it out
    _ctx(
        "the report says",
        REPORTED,
        "report|reports|letter|referral|records|record|note|notes|paperwork|radiologist|"
        "radiology|reading says|said|states|stated|mentions|mentioned|reads|read|lists|listed|"
        "describes|described|calls|called|documents|documented|suggests|suggested|reports",
        allowed=CONDITION_LABELS,
    ),
    _ctx(
        "it says",
        REPORTED,
        "it|this says|said|states|stated|reads|lists|mentions",
        allowed=CONDITION_LABELS,
    ),
    # the past
    _ctx("history", HIST, "history|hx|hist", on_modifies=_past_not_ongoing, allowed=PAST_OK_LABELS),
    _ctx(
        "years ago",
        HIST,
        f"re:^(?:\\d+|a|many|several|some|couple|few|{_NUMBER_WORDS})$? of? years|decades ago|back",
        "BIDIRECTIONAL",
        allowed=PAST_OK_LABELS,
        on_modifies=_past_not_ongoing,
        max_scope=12,
    ),
    _ctx(
        "in 2015",
        HIST,
        "in|back|around re:^(?:19|20)\\d\\d$",
        "BIDIRECTIONAL",
        allowed=PAST_OK_LABELS,
        on_modifies=_past_not_ongoing,
        max_scope=10,
    ),
    _ctx(
        "previous",
        HIST,
        "previous|previously|prior|former|formerly|remote",
        allowed=PAST_OK_LABELS,
        max_scope=6,
    ),
    _ctx(
        "in the past",
        HIST,
        "in the past|before",
        "BIDIRECTIONAL",
        allowed=PAST_OK_LABELS,
        max_scope=8,
        on_modifies=_past_not_ongoing,
    ),
    _ctx("used to", HIST, "used to have|get|suffer?", allowed=PAST_OK_LABELS),
    _ctx(
        "as a child",
        HIST,
        "as a child|kid|teenager|teen",
        "BIDIRECTIONAL",
        allowed=PAST_OK_LABELS,
        max_scope=8,
    ),
    _ctx(
        "when i was younger",
        HIST,
        "when i was younger|little|young|a|in kid|child|teenager|school|college?",
        "BIDIRECTIONAL",
        allowed=PAST_OK_LABELS,
        max_scope=8,
    ),
    _ctx(
        "over the years",
        HIST,
        "over the years",
        "BIDIRECTIONAL",
        allowed=PAST_OK_LABELS,
        max_scope=8,
    ),
    _ctx(
        "long ago",
        HIST,
        "a? long time|while? ago|back",
        "BIDIRECTIONAL",
        allowed=PAST_OK_LABELS,
        max_scope=8,
        on_modifies=_past_not_ongoing,
    ),
    _ctx(
        "went away",
        HIST,
        "went|gone|go away completely?",
        "BACKWARD",
        allowed=PAST_OK_LABELS,
        max_scope=8,
    ),
    _ctx(
        "cleared up",
        HIST,
        "cleared|healed up?",
        "BACKWARD",
        allowed=PAST_OK_LABELS,
        max_scope=8,
    ),
    # "the discitis has resolved", "resolved sciatica"
    _ctx(
        "resolved",
        HIST,
        "resolved",
        "BIDIRECTIONAL",
        allowed=PAST_OK_LABELS,
        max_scope=8,
        on_modifies=_adjacent_if_forward,
    ),
    _ctx("old", HIST, "old", allowed=PAST_OK_LABELS, max_scope=2, on_modifies=_old_not_age),
    _ctx("had surgery", HIST, "had|underwent", allowed={"SPINE_SURGERY"}, max_scope=4),
    _ctx("status post", HIST, "status post", allowed={"SPINE_SURGERY"}),
    _ctx("s/p", HIST, "s / p", allowed={"SPINE_SURGERY"}),
    # other people's conditions
    _ctx("family", FAM, f"{_FAMILY_WORDS} 's|'|’s?", on_modifies=_not_about_me),
    _ctx("runs in the family", FAM, "runs|run in the|my|our family", "BACKWARD"),
    _ctx("family history", FAM, "family history|hx", "FORWARD"),
    _ctx("fhx", FAM, "fhx|fh"),
    # what the clinician concludes or plans
    _ctx(
        "diagnosis",
        ASSESS,
        "diagnosis|diagnoses|diagnosed|dx|impression|assessment|impressions|diagnose",
    ),
    _ctx("sounds like", ASSESS, "it|this|that? sounds|looks|seems like"),
    _ctx("what you have is", ASSESS, "what you have|'ve got? _? _? is|'s"),
    _ctx("you have", ASSESS, "you have|'ve got? a|an|some?", allowed=CONDITION_LABELS, max_scope=4),
    _ctx("this is", ASSESS, "this|that|it is|'s a|an|your?", allowed=CONDITION_LABELS, max_scope=4),
    _ctx("suffering from", ASSESS, "suffering|suffer from|with"),
    _ctx(
        "shows",
        ASSESS,
        "shows|showed|show|showing|shown|revealed|reveals|reveal|"
        "demonstrates|demonstrated|demonstrating|confirms|confirmed|confirm|found|finds",
    ),
    _ctx("due to", ASSESS, "due|secondary|related|attributable to"),
    _ctx("caused by", ASSESS, "caused|explained|driven by"),
    _ctx("because of", ASSESS, "because of"),
    _ctx("coming from", ASSESS, "coming|comes|stems|stemming|originating from"),
    _ctx("continue", ASSESS, "continue|continuing|continued"),
    _ctx("keep doing", ASSESS, "keep|stay doing|on"),
    _ctx("we'll", PLAN, "we|i 'll|will|’ll|'d|’d|would|shall"),
    _ctx("going to", PLAN, "going to"),
    _ctx("gonna", PLAN, "gon na"),
    _ctx("let's", PLAN, "let|lets 's|us?"),
    _ctx(
        "plan",
        PLAN,
        "plan|plans|planning|planned|recommend|recommended|recommending|"
        "recommendation|suggest|suggested|suggesting|order|ordering|ordered|refer|referral|"
        "referring|prescribe|prescribing|prescribed|schedule|scheduling|consider|considering|"
        "trial|try|start|starting|arrange|arranging|request|requesting|book",
    ),
    _ctx("i want you to", PLAN, "i|we want you? to"),
    _ctx("i'd like", PLAN, "i|we 'd|’d|would like you? to"),
    _ctx("you should", PLAN, "you should|need|must|'ll|will|can to?"),
    _ctx("next step", PLAN, "next step|steps|option|options"),
]


# Modifier categories whose scope ends where the clinician concludes or plans, or where the
# patient offers a theory ("my mother had stenosis and I think I have it"; "PT hasn't helped, so
# I'd recommend an injection"). A plan cue right after a negation is part of it ("not going to
# order", a NEG rule above); assessment cues do not end a negation ("I don't think this is X").
TERMINATING_TYPES = {
    NEG: [PLAN, GUESS],
    REPORTED: [PLAN, ASSESS, GUESS],
    FAM: [PLAN, ASSESS, GUESS],
    HIST: [PLAN, ASSESS, GUESS],
}


def build_context_rules() -> list[ConTextRule]:
    """medspaCy's default English ConText rules, adjusted, plus the custom rules above."""
    import json
    from pathlib import Path

    import medspacy
    from medspacy.context import ConTextRule

    path = Path(medspacy.__file__).resolve().parents[1] / "resources" / "en" / "context_rules.json"
    items: list[dict[str, Any]] = []
    for raw in json.loads(path.read_text(encoding="utf-8"))["context_rules"]:
        item = dict(raw)
        if item["literal"] in _DEFAULT_OVERRIDES:
            new = _DEFAULT_OVERRIDES[item["literal"]]
            if new is None:
                continue
            item["category"] = new
        if item["literal"] in ("no", "without", "with no") and item["category"] == NEG:
            item["on_modifies"] = _list_continues
        if item["literal"] == "possible":
            item["max_scope"] = 6  # "possible left-sided L5-S1 disc herniation", not a paragraph
        if item["literal"] in _RESULT_NEGATIONS:
            item["excluded_types"] = set(_IMAGING_ETC)
        items.append(item)
    items.extend(CUSTOM_CONTEXT)
    return [ConTextRule(**item) for item in items]
