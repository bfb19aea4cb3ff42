"""From findings to ICD-10-CM codes: the deterministic coding logic of the rules drafter.

The logic follows the tabular list and the outpatient guidelines that matter most in a spine
clinic: the most specific billable code the evidence supports (region, laterality, with or
without radiculopathy or claudication, pain pattern, encounter), no code for a possible,
negated, family or history-only finding, no symptom code when a confirmed diagnosis of the same
region explains it, and no dorsopathy for back pain the clinician puts down to another organ.

Region-specific codes are found in the code set itself (the child of a category whose official
description names the region), so the table below names categories, not hundreds of leaves.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scribeplugin.codeset import CodeSet

if TYPE_CHECKING:
    from scribeplugin.extract.findings import Finding

REGION_PHRASE = {
    "region_cervical": "cervical region",
    "region_thoracic": "thoracic region",
    "region_cervicothoracic": "cervicothoracic region",
    "region_thoracolumbar": "thoracolumbar region",
    "region_lumbar": "lumbar region",
    "region_lumbosacral": "lumbosacral region",
    "region_sacral": "sacral and sacrococcygeal region",
}
LOW_BACK_REGIONS = {"region_lumbar", "region_lumbosacral", "region_sacral"}
# How far (characters, same turn) a region or level may sit from a condition and still apply.
NEAR = 160


@dataclass(slots=True)
class Proposal:
    """One code the findings support, with what supports it and what is still missing."""

    code: str
    path: str  # which coding path chose it, e.g. "disc_herniation+radiculopathy"
    evidence: list[Finding]
    confident: bool = True
    missing: list[str] = field(default_factory=list)  # what the note should add
    rationale: str = ""
    naive: list[str] = field(default_factory=list)  # codes a careless coder might pick instead


@dataclass(slots=True)
class Facts:
    """The findings of one visit, sorted by what they can support."""

    present: list[Finding]
    uncertain: list[Finding]
    negated: list[Finding]

    @classmethod
    def of(cls, findings: Iterable[Finding]) -> Facts:
        present, uncertain, negated = [], [], []
        for f in findings:
            if f.assertion == "present":
                present.append(f)
            elif f.assertion == "possible":
                uncertain.append(f)
            elif f.assertion == "negated":
                negated.append(f)
            # historical and family findings support nothing
        # The clinician's assessment outweighs other mentions: it leads wherever one is taken.
        present.sort(key=lambda f: (not f.from_assessment, f.speaker != "clinician", f.start))
        return cls(present, uncertain, negated)

    def has(self, *concepts: str) -> bool:
        return any(c in concepts for f in self.present for c in f.concept_ids)

    def get(self, *concepts: str) -> list[Finding]:
        return [f for f in self.present if f.concept in concepts]

    def denied(self, *concepts: str) -> bool:
        return any(f.concept in concepts for f in self.negated) and not self.has(*concepts)

    def concepts(self) -> set[str]:
        """Present concepts, with the region and side a finding carries (L5-S1 -> lumbosacral)."""
        return {c for f in self.present for c in f.concept_ids}


def region_of(finding: Finding, facts: Facts) -> tuple[str | None, list[Finding]]:
    """The region a condition is documented at: a level or region word near it, else the visit's."""
    if getattr(finding, "region", None):
        return finding.region, []
    near = [
        f
        for f in facts.present
        if f.region is not None
        and f.turn_index == finding.turn_index
        and abs(f.start - finding.start) <= NEAR
        and f is not finding
    ]
    if near:
        # The closest one; a named level beats a region word at the same distance.
        near.sort(key=lambda f: (abs(f.start - finding.start), f.concept != "level"))
        return near[0].region, [near[0]]
    return dominant_region(facts)


def dominant_region(facts: Facts) -> tuple[str | None, list[Finding]]:
    """The region the visit is about: clinician statements first, then most mentions."""
    regional = [f for f in facts.present if f.region is not None]
    if not regional:
        return None, []
    clinician = [f for f in regional if f.speaker == "clinician"] or regional
    counts = Counter(f.region for f in clinician)
    region = max(counts, key=lambda r: (counts[r], r == "region_lumbosacral"))
    return region, [next(f for f in clinician if f.region == region)]


def leaf_for_region(cs: CodeSet, category: str, region: str | None) -> str | None:
    """The billable code under ``category`` whose official description names ``region``."""
    if region is None or region not in REGION_PHRASE:
        return None
    phrase = REGION_PHRASE[region]
    pattern = re.compile(rf"(^|[ ,]){re.escape(phrase)}\b")
    for code in cs.billable_descendants(category):
        if pattern.search(cs.lookup(code).description):
            return code
    return None


_LATERALITY_SUFFIX = {"right": "right side", "left": "left side"}


def leaf_for_side(cs: CodeSet, category: str, side: str | None) -> str:
    """M54.4 + right -> M54.41; no side or both sides -> the 'unspecified side' code."""
    wanted = _LATERALITY_SUFFIX.get(side or "", "unspecified side")
    for code in cs.billable_descendants(category):
        if cs.lookup(code).description.endswith(wanted):
            return code
    return cs.billable_descendants(category)[0]


def side_of(facts: Facts, near: Sequence[Finding]) -> tuple[str | None, list[Finding]]:
    """The side of the leg symptoms: stated on them, else the one side named in the visit."""
    leg = [f for f in facts.present if f.concept in _LEG_CONCEPTS and f.laterality]
    stated = {f.laterality for f in [*near, *leg] if f.laterality in {"left", "right", "bilateral"}}
    if len(stated) == 1:
        side = stated.pop()
        return side, [next(f for f in [*near, *leg] if f.laterality == side)]
    sides = [f for f in facts.present if f.concept in {"left", "right", "bilateral"}]
    found = {f.concept for f in sides}
    if len(found) == 1 and not stated:
        side = found.pop()
        return side, [next(f for f in sides if f.concept == side)]
    return None, []


_LEG_CONCEPTS = {"sciatica", "leg_pain", "radiculopathy", "paresthesia", "weakness"}


def propose(facts: Facts, cs: CodeSet) -> list[Proposal]:
    """Every code the present findings support, most specific first; integral symptoms dropped."""
    out: list[Proposal] = []
    has = facts.has

    def add(
        category: str,
        path: str,
        anchor: list[Finding],
        region_hint: str | None = None,
        **kw: object,
    ) -> Proposal | None:
        region, region_ev = region_of(anchor[0], facts)
        region = region_hint or region
        code = leaf_for_region(cs, category, region)
        if code is None:
            # Only the category is supported: the note must name the region or level.
            p = Proposal(category, path, anchor, confident=False, missing=["level_or_region"], **kw)  # type: ignore[arg-type]
        else:
            p = Proposal(code, path, anchor + region_ev, **kw)  # type: ignore[arg-type]
        out.append(p)
        return p

    radicular = facts.get("radiculopathy", "sciatica")
    non_spinal = has("kidney_stone", "non_spinal_cause")

    # Disc displacement (herniation) with or without radiculopathy.
    for f in facts.get("disc_herniation")[:1]:
        region, _ = region_of(f, facts)
        if region == "region_cervical":
            add(
                "M50.1" if radicular else "M50.2",
                "cervical_disc",
                [f, *radicular[:1]],
                naive=["M54.12"] if radicular else [],
            )
        elif radicular:
            lumbago = facts.has("sciatica") and facts.has("low_back_pain")
            add(
                "M51.1",
                "disc_herniation+radiculopathy",
                [f, *radicular[:1]],
                naive=["M54.16", "M54.17", "M53.86", "M53.87", *(["M54.40"] if lumbago else [])],
            )
        else:
            add("M51.2", "disc_herniation", [f], naive=["M53.86", "M53.87"])

    # Disc degeneration: the pain pattern picks the FY2025 leaf.
    for f in facts.get("disc_degeneration")[:1]:
        region, _ = region_of(f, facts)
        if region in {"region_lumbar", "region_lumbosacral"}:
            back = facts.get("low_back_pain", "back_pain")
            leg = facts.get("leg_pain", "sciatica")
            subcat = "M51.36" if region == "region_lumbar" else "M51.37"
            wanted = (
                "with discogenic back pain and lower extremity pain"
                if back and leg
                else "with discogenic back pain only"
                if back
                else "with lower extremity pain only"
                if leg
                else "without mention of lumbar back pain or lower extremity pain"
            )
            code = next(
                c
                for c in cs.billable_descendants(subcat)
                if cs.lookup(c).description.endswith(wanted)
            )
            region_ev = region_of(f, facts)[1]
            out.append(
                Proposal(
                    code,
                    "disc_degeneration",
                    [f, *region_ev, *back[:1], *leg[:1]],
                    naive=["M51.36", "M51.37", "M54.50"],
                )
            )
        elif region == "region_cervical":
            add("M50.3", "cervical_disc_degeneration", [f])
        else:
            add("M51.3", "disc_degeneration", [f])

    # Spinal stenosis: lumbar splits on neurogenic claudication.
    for f in facts.get("spinal_stenosis")[:1]:
        region, region_ev = region_of(f, facts)
        if region == "region_lumbar":
            claud = facts.get("neurogenic_claudication")
            if claud:
                out.append(Proposal("M48.062", "stenosis+claudication", [f, *region_ev, claud[0]]))
            else:
                p = Proposal("M48.061", "stenosis", [f, *region_ev], naive=["M48.062"])
                if not facts.denied("neurogenic_claudication"):
                    p.missing.append("neurogenic_claudication")
                out.append(p)
        else:
            add("M48.0", "stenosis", [f])

    # Spondylosis (facet arthropathy): with radiculopathy, with myelopathy, or neither.
    for f in facts.get("spondylosis", "facet_arthropathy")[:1]:
        if facts.has("myelopathy"):
            add("M47.1", "spondylosis+myelopathy", [f, *facts.get("myelopathy")[:1]])
        elif radicular and not facts.has("disc_herniation"):
            add(
                "M47.2",
                "spondylosis+radiculopathy",
                [f, *radicular[:1]],
                naive=["M54.16", "M54.17"],
            )
        else:
            add("M47.81", "spondylosis", [f], naive=["M53.86", "M53.87"])

    for concept, category in (
        ("spondylolisthesis", "M43.1"),
        ("instability", "M53.2X"),
        ("discitis", "M46.4"),
    ):
        for f in facts.get(concept)[:1]:
            add(
                category,
                concept,
                [f],
                naive=["M53.86", "M53.87"] if concept == "instability" else [],
            )

    # A named lumbosacral disorder no category covers: other specified dorsopathy by region.
    for f in facts.get("ligament_syndrome")[:1]:
        region, _ = region_of(f, facts)
        add(
            "M53.8",
            "other_specified_dorsopathy",
            [f],
            region_hint=None if region in REGION_PHRASE else "region_lumbosacral",
            naive=["M53.9", "M54.50"],
        )
    # A transitional vertebra (lumbarization, sacralization) is a congenital anomaly: Q76.49.
    for f in facts.get("transitional_vertebra")[:1]:
        out.append(Proposal("Q76.49", "transitional_vertebra", [f], naive=["M53.87"]))

    # Injuries: sprain or strain of the low back or neck, with the encounter's 7th character.
    injury = facts.get("injury_event")
    seventh = "D" if facts.has("subsequent_encounter") else "A"
    for f in facts.get("sprain", "strain")[:2]:
        region, region_ev = region_of(f, facts)
        neck = region == "region_cervical" or (region is None and facts.has("neck_pain"))
        if f.concept == "sprain":
            code = f"S13.4XX{seventh}" if neck else f"S33.5XX{seventh}"
        else:
            code = f"S16.1XX{seventh}" if neck else f"S39.012{seventh}"
        p = Proposal(
            code,
            f.concept,
            [f, *region_ev, *injury[:1]],
            naive=["M54.2"] if neck else ["M54.50", "M53.86"],
        )
        if not facts.has("initial_encounter", "subsequent_encounter") and not injury:
            # No injury event and no word on the encounter: A or D cannot be told.
            p.missing.append("encounter_type")
        out.append(p)

    specific = {p.path for p in out}
    # Radiculopathy with no disc or spondylosis to explain it.
    if facts.has("radiculopathy") and not specific & {
        "disc_herniation+radiculopathy",
        "spondylosis+radiculopathy",
        "cervical_disc",
    }:
        f = facts.get("radiculopathy")[0]
        add("M54.1", "radiculopathy", [f], naive=["M54.41", "M54.42", "M54.40"])
        specific.add("radiculopathy")

    low_back_dx = any(cs.get(p.code) is not None and _is_low_back(p.code) for p in out)
    neck_dx = any(
        p.code.startswith(("M50", "M47.12", "M47.22", "M48.02", "S13", "S16")) for p in out
    )

    # Symptoms, only when no confirmed diagnosis of that region explains them.
    if (
        facts.has("sciatica")
        and not low_back_dx
        and "radiculopathy" not in specific
        and not non_spinal
    ):
        sci = facts.get("sciatica")
        side, side_ev = side_of(facts, sci)
        lumbago = facts.has("low_back_pain")
        category, path = ("M54.4", "lumbago_with_sciatica") if lumbago else ("M54.3", "sciatica")
        # No code says "bilateral": both legs are coded right and left.
        for one_side in ("right", "left") if side == "bilateral" else (side,):
            out.append(
                Proposal(
                    leaf_for_side(cs, category, one_side),
                    path,
                    [sci[0], *facts.get("low_back_pain")[:1], *side_ev],
                    missing=[] if side else ["laterality"],
                )
            )
        low_back_dx = True
    if facts.has("low_back_pain") and not low_back_dx and not non_spinal:
        lbp = facts.get("low_back_pain")
        out.append(
            Proposal("M54.50", "low_back_pain", lbp[:1], naive=["M53.86", "M53.87", "M54.9"])
        )
        low_back_dx = True
    if facts.has("neck_pain") and not neck_dx:
        out.append(Proposal("M54.2", "neck_pain", facts.get("neck_pain")[:1]))
        neck_dx = True
    if facts.has("back_pain") and not (low_back_dx or neck_dx or non_spinal or out):
        p = Proposal(
            "M54.9",
            "back_pain_unspecified",
            facts.get("back_pain")[:1],
            confident=False,
            missing=["level_or_region"],
        )
        out.append(p)
    if facts.has("dorsopathy") and not out:
        out.append(
            Proposal(
                "M53.9",
                "dorsopathy_unspecified",
                facts.get("dorsopathy")[:1],
                confident=False,
                missing=["named_condition"],
            )
        )
    return _dedupe(out)


def _is_low_back(code: str) -> bool:
    return code.startswith(
        (
            "M51",
            "M48.06",
            "M48.07",
            "M47.26",
            "M47.27",
            "M47.816",
            "M47.817",
            "M43.16",
            "M43.17",
            "M53.2X6",
            "M53.2X7",
            "M53.86",
            "M53.87",
            "M46.46",
            "M46.47",
            "S33",
            "S39",
            "M54.1",
            "Q76.4",
        )
    )


def _dedupe(proposals: list[Proposal]) -> list[Proposal]:
    seen: dict[str, Proposal] = {}
    for p in proposals:
        if p.code in seen:
            seen[p.code].evidence.extend(e for e in p.evidence if e not in seen[p.code].evidence)
        else:
            seen[p.code] = p
    return list(seen.values())
