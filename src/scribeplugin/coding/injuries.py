"""Spine injuries -> codes, with the encounter's 7th character: sprains and strains of the neck,
thorax and low back, traumatic disc rupture and subluxation by level, fractures and nerve root
injuries. Code stems come from the knowledge's ``tables`` (``sprain_strain``, ``disc_rupture``,
``subluxation``, ``fractures``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scribeplugin.coding.coder import Coder
from scribeplugin.coding.facts import Facts, Proposal
from scribeplugin.coding.regions import dominant_region, near_region

if TYPE_CHECKING:
    from scribeplugin.codeset import CodeSet
    from scribeplugin.extract.findings import Finding

SEVENTH = {"initial_encounter": "A", "subsequent_encounter": "D", "sequela_encounter": "S"}
_ENCOUNTER_TEXT = {"A": "initial encounter", "D": "subsequent encounter", "S": "sequela"}


def visit_seventh(facts: Facts) -> str:
    """The visit's 7th character: S for a sequela, D for routine healing, else A."""
    if facts.has("sequela_encounter"):
        return "S"
    return "D" if facts.has("subsequent_encounter") else "A"


def encounter_of(injury: Finding, facts: Facts, default: str) -> str:
    """The 7th character for one injury: the encounter cue in its own turn when the visit
    mixes encounters (a healing strain and a new one), else the visit's."""
    cues = [f for f in facts.present if f.concept in SEVENTH]
    if len({f.concept for f in cues}) < 2:
        return default
    mine = [f for f in cues if f.turn_index == injury.turn_index]
    if not mine:
        return default
    # "a new strain of the neck, first treatment today": the cue after the injury, before the
    # next injury named in the turn, is its own; else the closest one before it.
    others = [
        f.start
        for f in facts.present
        if f.concept in {"sprain", "strain"}
        and f.turn_index == injury.turn_index
        and f.start > injury.start
    ]
    stop = min(others, default=10**9)
    after = [f for f in mine if injury.start < f.start < stop]
    if after:
        return SEVENTH[min(after, key=lambda f: f.start).concept]
    before = [f for f in mine if f.start < injury.start]
    return SEVENTH[max(before, key=lambda f: f.start).concept] if before else default


def sprains_and_strains(c: Coder) -> None:
    """Sprain (ligaments) or strain (muscle and tendon) of the neck, thorax or low back."""
    facts, has, t = c.facts, c.facts.has, c.table("sprain_strain")
    injury = facts.get("injury_event")
    seventh = visit_seventh(facts)
    coded_sites: set[tuple[str, str]] = set()
    # A sprain or strain placed nowhere is the spine's only in a visit about the spine: "just a
    # strain ... to that muscle" in a forearm visit is no low back strain.
    spine_visit = facts.about_spine()
    for f in facts.get("sprain", "strain"):
        region, ev = near_region(f, facts)
        if region is None:
            region, ev = dominant_region(facts)
        if region is None and not spine_visit:
            continue
        neck = region == "region_cervical" or (region is None and has("neck_pain"))
        site = "neck" if neck else "thorax" if region == "region_thoracic" else "low_back"
        if (f.concept, site) in coded_sites:
            continue
        coded_sites.add((f.concept, site))
        code = t.code(f"{f.concept}_{site}") + encounter_of(f, facts, seventh)
        careless = t.codes(f"careless_{site}")
        if site == "thorax":
            # The low back codes are the usual slip for a mid-back injury.
            careless = [t.code(f"{f.concept}_low_back") + seventh, *careless]
        p = Proposal(code, f.concept, [f, *ev, *injury[:1]], naive=careless)
        if not has("initial_encounter", "subsequent_encounter", "sequela_encounter") and not injury:
            # No injury event and no word on the encounter: A or D cannot be told.
            p.missing.append("encounter_type")
        c.out.append(p)


_REGION_KEY = {
    "region_cervical": "cervical",
    "region_cervicothoracic": "cervicothoracic",
    "region_thoracic": "thoracic",
    "region_thoracolumbar": "thoracolumbar",
    "region_lumbar": "lumbar",
    "region_lumbosacral": "lumbosacral",
    "region_sacral": "sacral",
}


def traumatic_discs_and_slips(c: Coder) -> None:
    """Traumatic disc rupture and traumatic subluxation or dislocation, by region and level."""
    facts, has = c.facts, c.facts.has
    injury = facts.get("injury_event")
    seventh = visit_seventh(facts)
    rupture = c.table("disc_rupture")
    for region, found in c.torn.items():
        f = found[0]
        key = _REGION_KEY.get(region or "", "")
        if key not in rupture.data:
            # No region, or T12-L1: the category of the site the visit is about (as for a
            # sprain), with a query for the level.
            thoracolumbar = region == "region_thoracolumbar"
            guess = rupture.code(
                "neck_category"
                if has("neck_pain")
                else "thoracolumbar_category"
                if thoracolumbar
                else "category"
            )
            c.out.append(Proposal(guess, "traumatic_disc_rupture", [f], False, ["level_or_region"]))
            continue
        code = rupture.code(key) + encounter_of(f, facts, seventh)
        careless = [x for x in (c.leaf(rupture.code("careless_category"), region),) if x]
        c.out.append(
            Proposal(
                code,
                "traumatic_disc_rupture",
                [f, *c.region_ev(f, region), *injury[:1]],
                naive=careless,
            )
        )
    slip = c.table("subluxation")
    for region, found in c.subluxed.items():
        f = found[0]
        key = _REGION_KEY.get(region or "", "")
        category = slip.code(key) if key in slip.data else slip.code("lumbar")
        level = next((x.level for x in found if x.level), None)
        kind = "Dislocation" if "disloc" in f.text.lower() else "Subluxation"
        leaf = _subluxation_leaf(c.cs, category, level, kind, encounter_of(f, facts, seventh))
        if leaf is None:
            # A lumbosacral or unnamed level has no leaf of its own: the note must name it.
            c.out.append(
                Proposal(category, "traumatic_subluxation", [f], False, ["level_or_region"])
            )
        else:
            careless = [x for x in (c.leaf(slip.code("careless_category"), region),) if x]
            c.out.append(
                Proposal(
                    leaf,
                    "traumatic_subluxation",
                    [f, *c.region_ev(f, region), *injury[:1]],
                    naive=careless,
                )
            )


def _subluxation_leaf(
    cs: CodeSet, category: str, level: str | None, kind: str, seventh: str
) -> str | None:
    """S33.1 + L3-L4 + Subluxation + A -> S33.130A ("Subluxation of L3/L4 lumbar vertebra,
    initial encounter"); None when the level has no code of its own (L5-S1) or is not named."""
    if not level or "-" not in level:
        return None
    upper, lower = level.split("-", 1)
    head = f"{kind} of {upper}/{lower} "
    tail = _ENCOUNTER_TEXT[seventh]
    for code in cs.billable_descendants(category):
        d = cs.lookup(code).description
        if d.startswith(head) and d.endswith(tail):
            return code
    return None


def fractures(c: Coder) -> None:
    """Vertebral fractures and nerve root injuries, with the encounter's 7th character."""
    facts, t = c.facts, c.table("fractures")
    injury = facts.get("injury_event")
    seventh = visit_seventh(facts)
    for concept in ("osteoporotic_fracture", "coccyx_fracture"):
        for f in facts.get(concept)[:1]:
            c.out.append(
                Proposal(
                    t.code(concept) + seventh,
                    concept,
                    [f, *injury[:1]],
                    naive=t.codes("careless"),
                )
            )
    for f in facts.get("nerve_root_injury")[:1]:
        if near_region(f, facts)[0] in ("region_cervical", None) and facts.has("region_cervical"):
            c.out.append(
                Proposal(
                    t.code("nerve_root_injury") + seventh,
                    "nerve_root_injury",
                    [f, *injury[:1]],
                    naive=t.codes("careless_nerve_root_injury"),
                )
            )
