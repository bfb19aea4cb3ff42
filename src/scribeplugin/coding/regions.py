"""Where a finding is: spinal regions, levels and sides, and the codes that name them.

A region-specific code is found in the code set itself (the child of a category whose official
description names the region, ``coding.regions`` of the knowledge), so the tables name
categories, not hundreds of leaves. How far a place may sit from a condition and still apply is
measured in characters within a turn (``NEAR``, ``LISTED``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from scribeplugin.codeset import CodeSet
from scribeplugin.coding.facts import Facts
from scribeplugin.knowledge.coding import CodingKnowledge

if TYPE_CHECKING:
    from scribeplugin.extract.findings import Finding

# How far (characters, same turn) a region or level may sit from a condition and still apply.
NEAR = 160
LISTED = 40  # "<condition> at L4-L5 and L5-S1": levels listed right after a condition


def dominant_region(facts: Facts) -> tuple[str | None, list[Finding]]:
    """The region the visit is about: clinician statements first, then most mentions."""
    regional = [f for f in facts.present if own_region(f, facts) is not None]
    if not regional:
        return None, []
    clinician = [f for f in regional if f.speaker == "clinician"] or regional
    counts = Counter(own_region(f, facts) for f in clinician)
    region = max(counts, key=lambda r: (counts[r], r == "region_lumbosacral"))
    return region, [next(f for f in clinician if own_region(f, facts) == region)]


def leaf_for_region(
    cs: CodeSet, k: CodingKnowledge, category: str, region: str | None
) -> str | None:
    """The billable code under ``category`` whose official description names ``region``."""
    pattern = k.region_named.get(region or "")
    if pattern is None:
        return None
    for code in cs.billable_descendants(category):
        if pattern.search(cs.lookup(code).description):
            return code
    return None


def region_of_code(cs: CodeSet, k: CodingKnowledge, code: str) -> str | None:
    """The region a code's official description names (M53.87 -> lumbosacral), if any."""
    entry = cs.get(code)
    if entry is None:
        return None
    return next((r for r, p in k.region_named.items() if p.search(entry.description)), None)


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
    legs = facts.knowledge.group("leg")
    leg = [f for f in facts.present if f.concept in legs and f.laterality]
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


def own_region(f: Finding, facts: Facts) -> str | None:
    """The region a finding itself names. A lone vertebra or nerve root ("L5", "the S1 root")
    names no region: an L5 root runs through both L4-L5 and L5-S1. A radiculopathy of a root
    and an infected vertebral body are the exceptions: extraction placed them (a segment through
    the root or vertebra named with it, else its own region: S1 root -> lumbosacral, T8 ->
    thoracic, none at a junction), so "S1 radiculopathy, lumbar and lumbosacral" does not take
    the nearer word "lumbar"."""
    if (
        f.level
        and "-" not in f.level
        and f.concept not in facts.knowledge.group("placed_at_vertebra")
    ):
        return None
    return f.region


def near_region(finding: Finding, facts: Facts) -> tuple[str | None, list[Finding]]:
    """The region a finding names itself, or one named close to it in the same turn."""
    region = own_region(finding, facts)
    if region and finding.level and "-" not in finding.level:
        # A root's radiculopathy, a vertebra's infection: the levels that place it are evidence.
        return region, _placing_levels(finding, region, facts)[:1]
    if region:
        return region, _level_named_with(finding, facts)
    near = [
        f
        for f in facts.near(finding.turn_index, finding.start - NEAR, finding.start + NEAR)
        if own_region(f, facts) is not None
        and abs(f.start - finding.start) <= NEAR
        and f is not finding
    ]
    if not near:
        return None, []
    near.sort(key=lambda f: (abs(f.start - finding.start), f.concept != "level"))
    return own_region(near[0], facts), [near[0]]


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
        for f in facts.near(finding.turn_index, finding.start - NEAR, finding.start + NEAR)
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
        for f in facts.near(finding.turn_index, finding.start - NEAR, finding.start + NEAR)
        if f.concept == "level"
        and abs(f.start - finding.start) <= NEAR
        and (
            f.level == root
            or (f.level and root in f.level.split("-") and own_region(f, facts) == region)
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
    level that opens the next mention ("and L5-S1 disc herniation") is not.

    Only the findings just after ``finding`` are read (each listed level within LISTED
    characters of the one before), so a long turn costs no more than a short one."""
    out = []
    end = finding.end
    turn = finding.turn_index
    if facts.text:
        joined = [
            f
            for f in facts.near(turn, end, end + LISTED)
            if f.concept in facts.knowledge.group("complications")
            and 0 <= f.start - end <= LISTED
            and _WITH_GAP.match(facts.text[end : f.start])
        ]
        if joined:
            end = min(joined, key=lambda f: f.start).end
    while True:  # the next level within LISTED of the last one taken, in text order
        ahead = sorted(
            (f for f in facts.near(turn, end, end + LISTED) if f.concept == "level"),
            key=lambda f: f.start,
        )
        taken = None
        for f in ahead:
            if (
                own_region(f, facts)
                and 0 <= f.start - end <= LISTED
                and (not facts.text or _LIST_GAP.match(facts.text[end : f.start]))
                and not (facts.text and _opens_mention(f, facts))
            ):
                taken = f
                break
        if taken is None:
            break
        out.append(own_region(taken, facts))
        end = taken.end
    return [r for r in out if r]


def _opens_mention(level: Finding, facts: Facts) -> bool:
    """True for a level right before a condition of its own ("L5-S1 disc herniation")."""
    gap = _LEVEL_TO_CONDITION.match(facts.text, level.end)
    return gap is not None and any(
        f.category == "condition" for f in facts.near(level.turn_index, level.end, gap.end())
    )


# "with", then words of the complication's phrase (sides, roots), no clause end.
_WITH_GAP = re.compile(r"^\s*,?\s*with\b[^.;,]*$", re.IGNORECASE)
# Between a level and a condition it opens: spaces, hyphens, "disc", "facet".
_LEVEL_TO_CONDITION = re.compile(r"(?:[\s-]|\b(?:disc|disk|facet|central|foraminal)\b)*", re.I)

# What may stand between a condition and the levels it lists: "at", "and", "or", commas.
_LIST_GAP = re.compile(r"^(?:[\s,;]|\b(?:at|and|or|the|levels?|&)\b)*$", re.IGNORECASE)


def regions_of(finding: Finding, facts: Facts) -> set[str | None]:
    """Where a finding is documented: its own or nearby region and the levels listed with it
    (None when nowhere)."""
    return {near_region(finding, facts)[0], *_listed_levels(finding, facts)}


def in_region(findings: list[Finding], region: str | None, facts: Facts) -> list[Finding]:
    """Findings documented at ``region`` (their own or a listed one), or at no region at all."""
    return [f for f in findings if not regions_of(f, facts).isdisjoint((region, None))]


def leaf_for_level(cs: CodeSet, category: str, level: str | None) -> str | None:
    """M50.2 + C5-C6 -> M50.222 (cervical disc codes name their level)."""
    if not level:
        return None
    for code in cs.billable_descendants(category):
        if f"at {level} level" in cs.lookup(code).description:
            return code
    return None
