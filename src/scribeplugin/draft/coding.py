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
from typing import TYPE_CHECKING, Any

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
LISTED = 40  # "<condition> at L4-L5 and L5-S1": levels listed right after a condition


@dataclass(slots=True)
class Proposal:
    """One code the findings support, with what supports it and what is still missing."""

    code: str
    path: str  # which coding path chose it, e.g. "disc_herniation+radiculopathy"
    evidence: list[Finding]
    confident: bool = True
    missing: list[str] = field(default_factory=list)  # what the note must add (not yet coded)
    ask: list[str] = field(default_factory=list)  # what the note should add (coded already)
    naive: list[str] = field(default_factory=list)  # codes a careless coder might pick instead


@dataclass(slots=True)
class Facts:
    """The findings of one visit, sorted by what they can support."""

    present: list[Finding]
    uncertain: list[Finding]
    negated: list[Finding]
    text: str = ""  # the transcript, for the few cues that are not findings (pain attribution)
    # Present concepts with the regions and sides they carry (``has`` asks it often).
    present_concepts: frozenset[str] = field(init=False, default=frozenset())
    # Present findings by turn, in ``present`` order: "near" and "listed" look within a turn.
    present_by_turn: dict[int, list[Finding]] = field(init=False, default_factory=dict)
    _link_doubted: bool | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.present_concepts = frozenset(c for f in self.present for c in f.concept_ids)
        for f in self.present:
            self.present_by_turn.setdefault(f.turn_index, []).append(f)

    @classmethod
    def of(cls, findings: Iterable[Finding], text: str = "") -> Facts:
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
        return cls(present, uncertain, negated, text)

    def has(self, *concepts: str) -> bool:
        return not self.present_concepts.isdisjoint(concepts)

    def get(self, *concepts: str) -> list[Finding]:
        return [f for f in self.present if f.concept in concepts]

    def denied(self, *concepts: str) -> bool:
        return any(f.concept in concepts for f in self.negated) and not self.has(*concepts)

    def concepts(self) -> set[str]:
        """Present concepts, with the region and side a finding carries (L5-S1 -> lumbosacral)."""
        return set(self.present_concepts)

    def link_doubted(self) -> bool:
        """``pain_link_doubted`` of this visit, worked out once."""
        if self._link_doubted is None:
            self._link_doubted = pain_link_doubted(self)
        return self._link_doubted


def dominant_region(facts: Facts) -> tuple[str | None, list[Finding]]:
    """The region the visit is about: clinician statements first, then most mentions."""
    regional = [f for f in facts.present if own_region(f) is not None]
    if not regional:
        return None, []
    clinician = [f for f in regional if f.speaker == "clinician"] or regional
    counts = Counter(own_region(f) for f in clinician)
    region = max(counts, key=lambda r: (counts[r], r == "region_lumbosacral"))
    return region, [next(f for f in clinician if own_region(f) == region)]


# How an official description names a region ("..., lumbar region"; not "lumbar" inside
# "thoracolumbar region").
_REGION_NAMED = {
    region: re.compile(rf"(^|[ ,]){re.escape(phrase)}\b")
    for region, phrase in REGION_PHRASE.items()
}


def leaf_for_region(cs: CodeSet, category: str, region: str | None) -> str | None:
    """The billable code under ``category`` whose official description names ``region``."""
    pattern = _REGION_NAMED.get(region or "")
    if pattern is None:
        return None
    for code in cs.billable_descendants(category):
        if pattern.search(cs.lookup(code).description):
            return code
    return None


def region_of_code(cs: CodeSet, code: str) -> str | None:
    """The region a code's official description names (M53.87 -> lumbosacral), if any."""
    entry = cs.get(code)
    if entry is None:
        return None
    return next((r for r, p in _REGION_NAMED.items() if p.search(entry.description)), None)


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


def own_region(f: Finding) -> str | None:
    """The region a finding itself names. A lone vertebra or nerve root ("L5", "the S1 root")
    names no region: an L5 root runs through both L4-L5 and L5-S1. A radiculopathy of a root
    and an infected vertebral body are the exceptions: extraction placed them (a segment through
    the root or vertebra named with it, else its own region: S1 root -> lumbosacral, T8 ->
    thoracic, none at a junction), so "S1 radiculopathy, lumbar and lumbosacral" does not take
    the nearer word "lumbar"."""
    if f.level and "-" not in f.level and f.concept not in _PLACED_AT_A_VERTEBRA:
        return None
    return f.region


_PLACED_AT_A_VERTEBRA = {"radiculopathy", "vertebral_osteomyelitis"}


def near_region(finding: Finding, facts: Facts) -> tuple[str | None, list[Finding]]:
    """The region a finding names itself, or one named close to it in the same turn."""
    region = own_region(finding)
    if region and finding.level and "-" not in finding.level:
        # A root's radiculopathy, a vertebra's infection: the levels that place it are evidence.
        return region, _placing_levels(finding, region, facts)[:1]
    if region:
        return region, _level_named_with(finding, facts)
    near = [
        f
        for f in facts.present_by_turn.get(finding.turn_index, ())
        if own_region(f) is not None and abs(f.start - finding.start) <= NEAR and f is not finding
    ]
    if not near:
        return None, []
    near.sort(key=lambda f: (abs(f.start - finding.start), f.concept != "level"))
    return own_region(near[0]), [near[0]]


def _level_named_with(finding: Finding, facts: Facts) -> list[Finding]:
    """The mention of the segment a finding was placed at ("L4-L5" in "L4-L5 disc herniation"),
    or of its region word ("lumbar" in "lumbar stenosis"), when its own words do not name it:
    the quote that shows the code's region."""
    if finding.level and "-" in finding.level:

        def places(f: Finding) -> bool:
            return f.concept == "level" and f.level == finding.level
    elif finding.level is None and finding.region:

        def places(f: Finding) -> bool:
            return f.concept == finding.region
    else:
        return []
    near = [
        f
        for f in facts.present_by_turn.get(finding.turn_index, ())
        if places(f)
        and abs(f.start - finding.start) <= NEAR
        and not (finding.start <= f.start < finding.end)
    ]
    return [min(near, key=lambda f: abs(f.start - finding.start))] if near else []


def _placing_levels(finding: Finding, region: str, facts: Facts) -> list[Finding]:
    """Level mentions near a finding at one root or vertebra that place it in ``region``,
    nearest first: a segment through it ("L4-L5" for an L5 radiculopathy), then the root or
    vertebra itself."""
    root = finding.level or ""
    near = [
        f
        for f in facts.present_by_turn.get(finding.turn_index, ())
        if f.concept == "level"
        and abs(f.start - finding.start) <= NEAR
        and (
            f.level == root or (f.level and root in f.level.split("-") and own_region(f) == region)
        )
    ]
    near.sort(key=lambda f: (f.level == root, abs(f.start - finding.start)))
    return near


def by_region(facts: Facts, *concepts: str) -> dict[str | None, list[Finding]]:
    """Present findings of ``concepts`` grouped by the region each is documented at.

    Mentions with no region of their own join no group when another mention names one (they
    are about the same condition); when none does, they take the visit's dominant region,
    unless they name a lone vertebra ("at L5"), which leaves the region to be asked for.
    """
    groups: dict[str | None, list[Finding]] = {}
    found = facts.get(*concepts)
    # The clinician's assessment names the regions when it names the condition at all.
    assessed = [f for f in found if f.from_assessment]
    for f in assessed or found:
        for region in dict.fromkeys([near_region(f, facts)[0], *_listed_levels(f, facts)]):
            groups.setdefault(region, []).append(f)
    explicit: dict[str | None, list[Finding]] = {k: v for k, v in groups.items() if k is not None}
    if explicit:
        return explicit
    if None not in groups:
        return {}
    if any(f.level for f in groups[None]):
        return {None: groups[None]}
    return {dominant_region(facts)[0]: groups[None]}


def _listed_levels(finding: Finding, facts: Facts) -> list[str]:
    """Regions of further levels listed right after a condition: "protrusions at L4-L5 and
    L5-S1" is one mention of two regions. The levels after a complication the condition comes
    with are listed too ("spondylosis with L5 and S1 radiculopathy at L4-L5 and L5-S1"); a
    level that opens the next mention ("and L5-S1 disc herniation") is not."""
    out = []
    end = finding.end
    same_turn = facts.present_by_turn.get(finding.turn_index, [])
    if facts.text:
        joined = [
            f
            for f in same_turn
            if f.concept in _COMPLICATIONS
            and 0 <= f.start - end <= LISTED
            and _WITH_GAP.match(facts.text[end : f.start])
        ]
        if joined:
            end = min(joined, key=lambda f: f.start).end
    levels = sorted((f for f in same_turn if f.concept == "level"), key=lambda f: f.start)
    conditions = {f.start for f in same_turn if f.category == "condition"}
    for f in levels:
        if (
            own_region(f)
            and 0 <= f.start - end <= LISTED
            and (not facts.text or _LIST_GAP.match(facts.text[end : f.start]))
            and not (facts.text and _opens_mention(f, facts.text, conditions))
        ):
            out.append(own_region(f))
            end = f.end
    return [r for r in out if r]


def _opens_mention(level: Finding, text: str, conditions: set[int]) -> bool:
    """True for a level right before a condition of its own ("L5-S1 disc herniation")."""
    gap = _LEVEL_TO_CONDITION.match(text, level.end)
    return gap is not None and any(level.end <= s <= gap.end() for s in conditions)


# Complications a condition is coded "with"; the levels listed after them are the condition's.
_COMPLICATIONS = {"radiculopathy", "myelopathy", "neurogenic_claudication"}
# "with", then words of the complication's phrase (sides, roots), no clause end.
_WITH_GAP = re.compile(r"^\s*,?\s*with\b[^.;,]*$", re.IGNORECASE)
# Between a level and a condition it opens: spaces, hyphens, "disc", "facet".
_LEVEL_TO_CONDITION = re.compile(r"(?:[\s-]|\b(?:disc|disk|facet|central|foraminal)\b)*", re.I)

# What may stand between a condition and the levels it lists: "at", "and", "or", commas.
_LIST_GAP = re.compile(r"^(?:[\s,;]|\b(?:at|and|or|the|levels?|&)\b)*$", re.IGNORECASE)
# A clinician doubting or denying that the disc is the pain's source (outpatient rules code
# the pain itself then, and the degeneration without a pain pattern).
_HEDGE = re.compile(
    r"\b(probabl\w*|likely|possibl\w*|maybe|might|may be|can't say|cannot say|not (?:certain|"
    r"sure)|unclear)\b",
    re.IGNORECASE,
)
_DENIED_LINK = re.compile(
    r"\b(not from the disc|not the disc|don't think so|do not think so|doesn't match|don't match|"
    r"not coming from|not related to the disc|unrelated to the disc|doesn't explain|does not "
    r"explain|don't think (?:it|this|that) explains|cause not determined)\b",
    re.IGNORECASE,
)
_LINK = re.compile(r"\b(source|generator|from the|caus\w*|coming from|due to|because of)\b", re.I)
_DISC = re.compile(r"\b(disc|disk|ddd|degenerat\w*)\b", re.IGNORECASE)


def pain_link_doubted(facts: Facts) -> bool:
    """True when a clinician sentence about the disc doubts or denies that it causes the pain."""
    for sentence in re.split(r"(?<=[.?!])\s+|\n", facts.text):
        if not _DISC.search(sentence):
            continue
        if _DENIED_LINK.search(sentence):
            return True
        if _HEDGE.search(sentence) and _LINK.search(sentence):
            return True
    return False


def regions_of(finding: Finding, facts: Facts) -> set[str | None]:
    """Where a finding is documented: its own or nearby region and the levels listed with it
    (None when nowhere)."""
    return {near_region(finding, facts)[0], *_listed_levels(finding, facts)}


def _in_region(findings: list[Finding], region: str | None, facts: Facts) -> list[Finding]:
    """Findings documented at ``region`` (their own or a listed one), or at no region at all."""
    return [f for f in findings if not regions_of(f, facts).isdisjoint((region, None))]


def _pain_pattern(back: bool, leg: bool) -> str:
    if back and leg:
        return "with discogenic back pain and lower extremity pain"
    if back:
        return "with discogenic back pain only"
    if leg:
        return "with lower extremity pain only"
    return "without mention of lumbar back pain or lower extremity pain"


def leaf_for_level(cs: CodeSet, category: str, level: str | None) -> str | None:
    """M50.2 + C5-C6 -> M50.222 (cervical disc codes name their level)."""
    if not level:
        return None
    for code in cs.billable_descendants(category):
        if f"at {level} level" in cs.lookup(code).description:
            return code
    return None


_SEVENTH = {"initial_encounter": "A", "subsequent_encounter": "D", "sequela_encounter": "S"}


def _encounter_of(injury: Finding, facts: Facts, default: str) -> str:
    """The 7th character for one injury: the encounter cue in its own turn when the visit
    mixes encounters (a healing strain and a new one), else the visit's."""
    cues = [f for f in facts.present if f.concept in _SEVENTH]
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
        return _SEVENTH[min(after, key=lambda f: f.start).concept]
    before = [f for f in mine if f.start < injury.start]
    return _SEVENTH[max(before, key=lambda f: f.start).concept] if before else default


# Sprain (ligaments) and strain (muscle and tendon) by site; the 7th character is appended.
INJURY_CODES = {
    ("sprain", "neck"): "S13.4XX",
    ("strain", "neck"): "S16.1XX",
    ("sprain", "thorax"): "S23.3XX",
    ("strain", "thorax"): "S29.012",
    ("sprain", "low_back"): "S33.5XX",
    ("strain", "low_back"): "S39.012",
}


def propose(facts: Facts, cs: CodeSet) -> list[Proposal]:
    """Every code the present findings support, most specific first, one per documented region;
    symptoms a confirmed diagnosis of the same region explains are not coded."""
    out: list[Proposal] = []
    has = facts.has

    def region_ev(f: Finding, region: str | None) -> list[Finding]:
        """The mentions that show ``f`` is at ``region``: its own level or region word, or, for
        a condition listed at several regions ("at L4-L5 and L5-S1"), that region's level."""
        ev = [e for e in near_region(f, facts)[1] if own_region(e) in (region, None)]
        if region is None or ev or own_region(f) == region:
            return ev
        listed = [
            e
            for e in facts.present_by_turn.get(f.turn_index, ())
            if e.concept == "level" and own_region(e) == region and 0 <= e.start - f.end <= NEAR
        ]
        return [min(listed, key=lambda e: e.start)] if listed else []

    def add(category: str, path: str, anchor: list[Finding], region: str | None, **kw: Any) -> None:
        code = leaf_for_region(cs, category, region)
        if code is None:
            # Only the category is supported: the note must name the region or level.
            out.append(
                Proposal(category, path, anchor, confident=False, missing=["level_or_region"], **kw)
            )
        else:
            out.append(Proposal(code, path, anchor + region_ev(anchor[0], region), **kw))

    radicular_all = facts.get("radiculopathy", "sciatica")
    link_doubted = facts.link_doubted()
    non_spinal = has("kidney_stone", "non_spinal_cause")
    explained_radiculopathy: set[str | None] = set()

    # A disc or a vertebra the clinician calls traumatic is an injury of this encounter: coded
    # in chapter 19 (below), not as M50/M51 or M43.1, which exclude it.
    torn = by_region(facts, "traumatic_disc_rupture")
    subluxed = by_region(facts, "traumatic_subluxation")

    # Disc displacement (herniation), with or without radiculopathy, per region.
    herniated = {r: f for r, f in by_region(facts, "disc_herniation").items() if r not in torn}
    for region, found in herniated.items():
        f = found[0]
        radicular = _in_region(radicular_all, region, facts)
        if link_doubted:
            # Sciatica the clinician does not put down to the disc is coded on its own.
            radicular = [r for r in radicular if r.concept == "radiculopathy"]
        if region == "region_cervical":
            category = "M50.1" if radicular else "M50.2"
            code = leaf_for_level(cs, category, f.level) or leaf_for_region(cs, category, region)
            out.append(
                Proposal(
                    code or category,
                    "cervical_disc",
                    [f, *radicular[:1]],
                    naive=["M54.12", "M54.2"] if radicular else ["M54.2"],
                )
            )
            explained_radiculopathy.add(region)
        elif radicular:
            add(
                "M51.1",
                "disc_herniation+radiculopathy",
                [f, *radicular[:1]],
                region,
                naive=["M54.16", "M54.17", "M53.86", "M53.87"],
            )
            explained_radiculopathy.add(region)
        else:
            add("M51.2", "disc_herniation", [f], region, naive=["M53.86", "M53.87"])

    # Disc degeneration: with radiculopathy it is a disc disorder with radiculopathy (M51.1-);
    # otherwise the pain pattern picks the FY2025 leaf.
    for region, found in by_region(facts, "disc_degeneration").items():
        f = found[0]
        radicular = _in_region(facts.get("radiculopathy"), region, facts)
        if region == "region_lumbosacral" and not any(x.level for x in found):
            # "Lumbosacral DDD" with no level: many clinicians mean the whole low back, and the
            # code follows the disc (L5-S1 is M51.37-, L4-L5 M51.36-), so ask for the level.
            add("M51.3", "disc_degeneration", [f], None, naive=["M51.370", "M51.360"])
            continue
        if region in {"region_lumbar", "region_lumbosacral"}:
            if radicular and region not in herniated:
                # The careless pick: the degeneration code for the pain pattern, root pain
                # counted as leg pain (M51.362 for back and leg pain at L4-L5).
                subcat = "M51.36" if region == "region_lumbar" else "M51.37"
                wanted = _pain_pattern(bool(facts.get("low_back_pain", "back_pain")), True)
                pattern = [
                    c
                    for c in cs.billable_descendants(subcat)
                    if cs.lookup(c).description.endswith(wanted)
                ]
                add(
                    "M51.1",
                    "disc_degeneration+radiculopathy",
                    [f, radicular[0]],
                    region,
                    naive=["M54.16", "M54.17", *pattern],
                )
                explained_radiculopathy.add(region)
                continue
            # Pain at a level where a disc displacement is also documented belongs to the
            # displacement; the degeneration is then coded without a pain pattern.
            displaced = region in herniated or link_doubted
            back = [] if displaced else facts.get("low_back_pain", "back_pain")
            leg = [] if displaced else _in_region(facts.get("leg_pain", "sciatica"), region, facts)
            subcat = "M51.36" if region == "region_lumbar" else "M51.37"
            wanted = _pain_pattern(bool(back), bool(leg))
            code = next(
                c
                for c in cs.billable_descendants(subcat)
                if cs.lookup(c).description.endswith(wanted)
            )
            out.append(
                Proposal(
                    code,
                    "disc_degeneration",
                    [f, *region_ev(f, region), *back[:1], *leg[:1]],
                    naive=["M51.36", "M51.37", "M54.50"],
                )
            )
        elif region == "region_cervical":
            code = leaf_for_level(cs, "M50.3", f.level) or leaf_for_region(cs, "M50.3", region)
            out.append(Proposal(code or "M50.3", "cervical_disc_degeneration", [f]))
        else:
            add("M51.3", "disc_degeneration", [f], region)

    # Spinal stenosis: the lumbar codes split on neurogenic claudication.
    claud = facts.get("neurogenic_claudication")
    for region, found in by_region(facts, "spinal_stenosis").items():
        f = found[0]
        if region == "region_lumbar":
            if claud:
                out.append(
                    Proposal(
                        "M48.062",
                        "stenosis+claudication",
                        [f, *region_ev(f, region), claud[0]],
                        naive=["M48.061"],
                    )
                )
            else:
                p = Proposal("M48.061", "stenosis", [f, *region_ev(f, region)], naive=["M48.062"])
                if not facts.denied("neurogenic_claudication"):
                    p.ask.append("neurogenic_claudication")
                out.append(p)
        else:
            add("M48.0", "stenosis", [f], region, naive=["M48.062"] if claud else [])

    # Spondylosis (facet arthropathy): with myelopathy, with radiculopathy, or neither.
    for region, found in by_region(facts, "spondylosis", "facet_arthropathy").items():
        f = found[0]
        radicular = _in_region(radicular_all, region, facts)
        if _in_region(facts.get("myelopathy"), region, facts):
            add(
                "M47.1",
                "spondylosis+myelopathy",
                [f, *facts.get("myelopathy")[:1]],
                region,
                naive=["M47.816", "M47.817", "M47.812"],
            )
        elif radicular and region not in herniated:
            add(
                "M47.2",
                "spondylosis+radiculopathy",
                [f, *radicular[:1]],
                region,
                naive=["M54.16", "M54.17", "M47.816", "M47.817"],
            )
            explained_radiculopathy.add(region)
        else:
            add("M47.81", "spondylosis", [f], region, naive=["M53.86", "M53.87"])

    # A congenital (dysplastic) slip is a malformation: Q76.2, not M43.1-.
    if has("congenital") and has("spondylolisthesis"):
        out.append(
            Proposal(
                "Q76.2",
                "congenital_spondylolisthesis",
                [facts.get("spondylolisthesis")[0], facts.get("congenital")[0]],
                naive=["M43.16", "M43.17"],
            )
        )
    # Slips and disc infection have a "multiple sites" code; instability does not.
    pyogenic = has("pyogenic")
    for concept, category, multiple in (
        ("spondylolisthesis", "M43.1", "M43.19"),
        ("discitis", "M46.3" if pyogenic else "M46.4", "M46.39" if pyogenic else "M46.49"),
        ("instability", "M53.2X", None),
    ):
        if concept == "spondylolisthesis" and has("congenital"):
            continue
        groups = by_region(facts, concept)
        if concept == "spondylolisthesis":
            groups = {r: f for r, f in groups.items() if r not in subluxed}
        if multiple and len([r for r in groups if r]) >= 2:
            found = [g[0] for g in groups.values()]
            out.append(Proposal(multiple, f"{concept}_multiple", found))
            continue
        for region, found in groups.items():
            add(
                category,
                concept,
                [found[0]],
                region,
                naive=["M53.86", "M53.87"] if concept == "instability" else [],
            )

    # Vertebral osteomyelitis: the bone's infection has its own code beside the disc's (M46.2-).
    for region, found in by_region(facts, "vertebral_osteomyelitis").items():
        add("M46.2", "vertebral_osteomyelitis", [found[0]], region)

    # A named lumbosacral disorder no category covers: other specified dorsopathy by region.
    for region, found in by_region(facts, "ligament_syndrome").items():
        add(
            "M53.8",
            "other_specified_dorsopathy",
            [found[0]],
            region if region in REGION_PHRASE else "region_lumbosacral",
            naive=["M53.9", "M54.50"],
        )
    # Named conditions with codes of their own.
    for region, found in by_region(facts, "kissing_spine").items():
        add("M48.2", "kissing_spine", [found[0]], region, naive=["M54.50", "M53.86"])
    for region, found in by_region(facts, "spondylolysis").items():
        if not has("spondylolisthesis"):
            add("M43.0", "spondylolysis", [found[0]], region, naive=["M43.16", "M43.17"])
    for concept, code, naive in (
        ("coccygodynia", "M53.3", ["M53.88", "M54.50"]),
        ("sacroiliitis", "M46.1", ["M53.88", "M54.50"]),
        ("occipital_neuralgia", "M54.81", ["M54.2"]),
        ("pseudarthrosis", "M96.0", ["M53.2X6", "M53.2X7"]),
    ):
        for f in facts.get(concept)[:1]:
            out.append(Proposal(code, concept, [f], naive=naive))
    # A transitional vertebra (lumbarization, sacralization) is a congenital anomaly: Q76.49.
    for f in facts.get("transitional_vertebra")[:1]:
        out.append(Proposal("Q76.49", "transitional_vertebra", [f], naive=["M53.87"]))

    # Injuries: sprain or strain of the low back or neck, with the encounter's 7th character.
    injury = facts.get("injury_event")
    sequela = has("sequela_encounter")
    seventh = "S" if sequela else "D" if has("subsequent_encounter") else "A"
    coded_sites: set[tuple[str, str]] = set()
    for f in facts.get("sprain", "strain"):
        region, ev = near_region(f, facts)
        if region is None:
            region, ev = dominant_region(facts)
        neck = region == "region_cervical" or (region is None and has("neck_pain"))
        site = "neck" if neck else "thorax" if region == "region_thoracic" else "low_back"
        if (f.concept, site) in coded_sites:
            continue
        coded_sites.add((f.concept, site))
        code = INJURY_CODES[(f.concept, site)] + _encounter_of(f, facts, seventh)
        careless = {
            "neck": ["M54.2"],
            # The low back codes are the usual slip for a mid-back injury.
            "thorax": [INJURY_CODES[(f.concept, "low_back")] + seventh, "M54.6"],
            "low_back": ["M54.50", "M53.86"],
        }[site]
        p = Proposal(code, f.concept, [f, *ev, *injury[:1]], naive=careless)
        if not has("initial_encounter", "subsequent_encounter", "sequela_encounter") and not injury:
            # No injury event and no word on the encounter: A or D cannot be told.
            p.missing.append("encounter_type")
        out.append(p)

    # Traumatic disc rupture and traumatic subluxation or dislocation, by region (and level).
    for region, found in torn.items():
        f = found[0]
        stem = _DISC_RUPTURE.get(region or "")
        if stem is None:
            # No region, or T12-L1: the category of the site the visit is about (as for a
            # sprain), with a prompt for the level.
            thoracolumbar = region == "region_thoracolumbar"
            guess = "S13.0" if has("neck_pain") else "S23.0" if thoracolumbar else "S33.0"
            out.append(Proposal(guess, "traumatic_disc_rupture", [f], False, ["level_or_region"]))
            continue
        code = stem + _encounter_of(f, facts, seventh)
        careless = [c for c in (leaf_for_region(cs, "M51.2", region),) if c]  # M51.26, M51.27
        out.append(
            Proposal(
                code,
                "traumatic_disc_rupture",
                [f, *region_ev(f, region), *injury[:1]],
                naive=careless,
            )
        )
    for region, found in subluxed.items():
        f = found[0]
        category = _SUBLUXATION.get(region or "", "S33.1")
        level = next((x.level for x in found if x.level), None)
        kind = "Dislocation" if "disloc" in f.text.lower() else "Subluxation"
        code = _subluxation_leaf(cs, category, level, kind, _encounter_of(f, facts, seventh))
        if code is None:
            # A lumbosacral or unnamed level has no leaf of its own: the note must name it.
            out.append(Proposal(category, "traumatic_subluxation", [f], False, ["level_or_region"]))
        else:
            careless = [c for c in (leaf_for_region(cs, "M43.1", region),) if c]  # M43.16
            out.append(
                Proposal(
                    code,
                    "traumatic_subluxation",
                    [f, *region_ev(f, region), *injury[:1]],
                    naive=careless,
                )
            )

    # Fractures and nerve root injuries carry the encounter's 7th character too.
    fracture_7th = "S" if sequela else "D" if has("subsequent_encounter") else "A"
    for concept, code in (("osteoporotic_fracture", "M80.08X"), ("coccyx_fracture", "S32.2XX")):
        for f in facts.get(concept)[:1]:
            out.append(
                Proposal(
                    code + fracture_7th,
                    concept,
                    [f, *injury[:1]],
                    naive=["M54.50", "M54.9", "M53.88"],
                )
            )
    for f in facts.get("nerve_root_injury")[:1]:
        if near_region(f, facts)[0] in ("region_cervical", None) and has("region_cervical"):
            out.append(
                Proposal(
                    f"S14.2XX{seventh}", "nerve_root_injury", [f, *injury[:1]], naive=["M54.12"]
                )
            )

    # Radiculopathy that no disc or spondylosis of its region explains.
    for region, found in by_region(facts, "radiculopathy").items():
        if region in explained_radiculopathy or (region is None and explained_radiculopathy):
            continue
        # The slip the seed page made: radiculopathy as M54.4- (lumbago with sciatica), on the
        # documented side.
        side, _ = side_of(facts, found)
        sides = ("right", "left") if side == "bilateral" else (side,)
        careless = [leaf_for_side(cs, "M54.4", s) for s in sides]
        add("M54.1", "radiculopathy", [found[0]], region, naive=careless)
        explained_radiculopathy.add(region)

    # Symptoms, only when no confirmed diagnosis of that region explains them. After a sequela
    # the residual condition is coded first, beside the injury code with S.
    described = [cs.lookup(p.code).description.lower() for p in out if cs.get(p.code)]
    # A sequela code or a disc degeneration coded "without mention of pain" explains no pain.
    low_back_dx = any(
        _is_low_back(p.code) for p in out if not p.code.endswith("S") and p.code not in _PAINLESS
    )
    neck_dx = any("cervical" in d or "neck" in d for d in described) and not sequela
    if (
        has("sciatica")
        and (not low_back_dx or link_doubted)
        and not explained_radiculopathy
        and not non_spinal
        and not has("sciatic_nerve_lesion")  # M54.3 Excludes1: lesion of sciatic nerve (G57.0-)
    ):
        sci = facts.get("sciatica")
        side, side_ev = side_of(facts, sci)
        lumbago = has("low_back_pain")
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
    if has("low_back_pain") and not low_back_dx and not non_spinal:
        lbp = facts.get("low_back_pain")
        if has("vertebrogenic_pain"):
            out.append(
                Proposal(
                    "M54.51",
                    "vertebrogenic_low_back_pain",
                    [*lbp[:1], facts.get("vertebrogenic_pain")[0]],
                    naive=["M54.50"],
                )
            )
        else:
            out.append(
                Proposal("M54.50", "low_back_pain", lbp[:1], naive=["M53.86", "M53.87", "M54.9"])
            )
        low_back_dx = True
    if has("neck_pain") and not neck_dx:
        out.append(Proposal("M54.2", "neck_pain", facts.get("neck_pain")[:1]))
        neck_dx = True
    if has("back_pain") and not (low_back_dx or neck_dx or non_spinal or out):
        if has("region_thoracic"):
            out.append(Proposal("M54.6", "thoracic_pain", facts.get("back_pain")[:1]))
        else:
            out.append(
                Proposal(
                    "M54.9",
                    "back_pain_unspecified",
                    facts.get("back_pain")[:1],
                    confident=False,
                    missing=["level_or_region"],
                )
            )
    if has("dorsopathy") and not out:
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


# Traumatic rupture of an intervertebral disc by region (S33.0 is "lumbar": it holds the
# L5-S1 disc too; T12-L1 is left to the clinician); the 7th character is appended.
_DISC_RUPTURE = {
    "region_cervical": "S13.0XX",
    "region_cervicothoracic": "S13.0XX",  # C7-T1, as M50 holds the cervicothoracic discs
    "region_thoracic": "S23.0XX",
    "region_lumbar": "S33.0XX",
    "region_lumbosacral": "S33.0XX",
}
_SUBLUXATION = {"region_cervical": "S13.1", "region_thoracic": "S23.1", "region_lumbar": "S33.1"}
_ENCOUNTER_TEXT = {"A": "initial encounter", "D": "subsequent encounter", "S": "sequela"}


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


def naive_codes(facts: Facts, cs: CodeSet) -> dict[str, list[Finding]]:
    """Codes the symptoms alone would suggest to a careless coder, with the findings that would
    suggest them. They are never suggested; they let the pitfall rules about them fire and
    explain why the real code differs."""
    out: dict[str, list[Finding]] = {}
    radiating = facts.get("sciatica", "leg_pain")
    side, _ = side_of(facts, radiating)
    sides = ("right", "left") if side == "bilateral" else (side,)
    if radiating:
        # "the sciatica and the back pain" in a low back visit reads as lumbago with sciatica.
        lumbago = facts.has("low_back_pain") or (
            facts.has("back_pain") and dominant_region(facts)[0] in LOW_BACK_REGIONS
        )
        category = "M54.4" if lumbago else "M54.3"
        for s in sides:
            out.setdefault(leaf_for_side(cs, category, s), radiating[:1])
    if facts.has("low_back_pain"):
        out.setdefault("M54.50", facts.get("low_back_pain")[:1])
    if facts.has("neck_pain"):
        out.setdefault("M54.2", facts.get("neck_pain")[:1])
    for region, found in by_region(facts, "radiculopathy").items():
        code = leaf_for_region(cs, "M54.1", region)
        if code:
            out.setdefault(code, found[:1])
    if facts.has("neurogenic_claudication"):
        out.setdefault("M48.062", facts.get("neurogenic_claudication")[:1])
    return out


_PAINLESS = {"M51.369", "M51.379"}
# Diagnoses of the low back that explain low back pain and sciatica (integral symptoms).
LOW_BACK_PREFIXES = (
    "M51", "M48.06", "M48.07", "M48.26", "M48.27", "M47.26", "M47.27", "M47.816", "M47.817",
    "M43.06", "M43.07", "M43.16", "M43.17", "M53.2X6", "M53.2X7", "M53.86", "M53.87", "M53.3",
    "M46.1", "M46.36", "M46.37", "M46.46", "M46.47", "M54.1", "M96.0", "M80.08", "Q76.2",
    "Q76.4", "S32.2", "S33", "S39",
)  # fmt: skip


def _is_low_back(code: str) -> bool:
    return code.startswith(LOW_BACK_PREFIXES)


def _dedupe(proposals: list[Proposal]) -> list[Proposal]:
    seen: dict[str, Proposal] = {}
    for p in proposals:
        if p.code in seen:
            seen[p.code].evidence.extend(e for e in p.evidence if e not in seen[p.code].evidence)
        else:
            seen[p.code] = p
    return list(seen.values())
