"""Step 5 of extraction: where each finding is (spinal level, region, side).

Level, region and laterality are attached from the finding's own words or the nearest mention
in the same unit. A root or lone vertebra ("L5 radiculopathy", "instability at L5") is not a
segment: its region comes from a segment through it in the same unit or turn (``_place``). A
condition mentioned without a place takes the one its other mentions agree on
(:func:`share_places`). Which words name a region or side, the region of each level and the
convention for nerve roots are knowledge (``concepts.yaml``: ``named_by``, ``spine``, ``roots``).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence

from scribeplugin.deadline import Deadline, check
from scribeplugin.extract import normalize
from scribeplugin.extract.mentions import Raw
from scribeplugin.extract.transcript import Transcript
from scribeplugin.extract.units import Unit
from scribeplugin.knowledge.extraction import Category, ExtractionKnowledge

_LEVEL_CATS = {Category.condition, Category.symptom, Category.imaging, Category.treatment}
_LATERAL_CATS = {
    Category.condition,
    Category.symptom,
    Category.treatment,
    Category.level,
    Category.region,
}
_ROOT_AFTER = re.compile(r"[\s-]*(?:nerve[\s-]+)?(?:roots?|radicul\w*|nerves?)\b", re.IGNORECASE)
# What ends a clause between a root and a segment: "..., and", "but", "while", ";".
_CLAUSE_BREAK = re.compile(r"[;.]|\b(?:and|but|while|whereas|plus)\b", re.IGNORECASE)
# How far from a finding (characters) a segment may be to place it: in our transcripts the one
# chosen is at most 186 characters away; the window keeps the search linear in a long turn.
SEGMENT_WINDOW = 1000


class Sites:
    """Regions and sides by the knowledge: of a level, of a root, named in a text."""

    def __init__(self, knowledge: ExtractionKnowledge) -> None:
        regions = knowledge.of_category(Category.region)
        self._by_letters = {c.spine: c.id for c in regions if c.spine}
        self._by_root = {r: c.id for c in regions if c.roots for r in c.roots.split("|")}
        self._region_words = [(knowledge.regex(c.named_by), c.id) for c in regions if c.named_by]
        self._side_words = [
            (knowledge.regex(c.named_by), c.id)
            for c in knowledge.of_category(Category.laterality)
            if c.named_by
        ]
        self.own_region = {c.id: c.own_region for c in knowledge.concepts.values() if c.own_region}
        self.lone_level = {c.id: c.lone_level for c in knowledge.concepts.values()}
        self.sited = {c.id for c in knowledge.concepts.values() if c.sited}
        self.site_of = {c.id: c.site for c in knowledge.concepts.values() if c.site}
        self._travels = {c.id for c in knowledge.concepts.values() if c.travels}
        self._site_normal = knowledge.regex("@SITE_NORMAL")

    def region_of_level(self, level: str) -> str | None:
        """The region concept a level (or range of levels) lies in; None when it cannot be told.

        A lone vertebra at a junction is ambiguous: "instability at L5" may be at L4-L5 (lumbar)
        or L5-S1 (lumbosacral), so L5 alone has no region, nor have C7, T1, T12 and L1 (nor C8
        and L6). A vertebra whose two segments share a region (L3: L2-L3, L3-L4) takes that
        region. S1 and the lower sacral levels name the sacrum itself.
        """
        parts = level.split("-")
        first, last = parts[0], parts[-1]
        a, b = first[0], last[0]
        if len(parts) == 1:
            if a == "S":
                return self._by_letters.get("S")
            regions = {self.region_of_level(seg) for seg in normalize.segments_of(first)}
            return regions.pop() if len(regions) == 1 else None
        return self._by_letters.get(a if a == b else a + b)

    def region_of_root(self, root: str) -> str | None:
        """The region a nerve root alone (no segment named) points to.

        A root can be compressed at either segment it passes: the L5 root in the L4-L5 lateral
        recess or the L5-S1 foramen, so an L5 root alone has no region. A region's ``roots``
        keep a convention: S1 radiculopathy is coded to the lumbosacral region, since the S1
        root is compressed at L5-S1 in nearly every case.
        """
        return self._by_root.get(root) or self.region_of_level(root)

    def region_in(self, text: str) -> str | None:
        for regex, region in self._region_words:
            if regex.search(text):
                return region
        return None

    def laterality_in(self, text: str) -> str | None:
        for regex, side in self._side_words:
            if regex.search(text):
                return side
        return None

    def attach(
        self,
        transcript: Transcript,
        raws: list[Raw],
        places: Iterable[Raw] = (),
        deadline: Deadline | None = None,
        units: Sequence[Unit] = (),
    ) -> list[Raw]:
        """Level, region and laterality: the finding's own words first, then the nearest
        mention; the limb site of a sited finding (:meth:`_site`) from ``places``, the sites,
        structures and digits named in its unit. Returns the findings that stay: one whose
        ``unsited`` veto held and that took no site is none.

        A level that names one vertebra or one root ("L5") is not a segment: an L5 root can be
        compressed at L4-L5 or at L5-S1, so the region comes from a segment through it named in
        the same unit, else in the same turn (see ``_place``); without one a root or a junction
        vertebra has no region. With a ``deadline``, it is checked before every unit.
        """
        text = transcript.text
        by_unit: dict[int, list[Raw]] = {}
        by_turn: dict[int, list[Raw]] = {}
        for r in raws:
            by_unit.setdefault(r.unit, []).append(r)
            if r.concept == "level":
                r.level = normalize.parse_level(text[r.start : r.end])
                r.region = self.region_of_level(r.level) if r.level else None
                if r.level and _ROOT_AFTER.match(text, r.end):
                    r.region = None  # "the S1 root", "L5 radiculopathy": a root, not a place
                if r.level and r.assertion != "negated":
                    by_turn.setdefault(r.turn, []).append(r)
            elif r.category == Category.region:
                r.region = r.concept
            elif r.category == Category.laterality:
                r.laterality = r.concept
        turn_levels = {turn: _ByStart(group) for turn, group in by_turn.items()}
        none = _ByStart([])
        for group in by_unit.values():
            check(deadline, "in extraction")
            levels = [r for r in group if r.concept == "level" and r.assertion != "negated"]
            unit_levels = _ByStart(levels)
            regions = [
                r for r in group if r.category == Category.region and r.assertion != "negated"
            ]
            sides = [r for r in group if r.category == Category.laterality]
            for r in group:
                own = text[r.start : r.end]
                if r.category in _LEVEL_CATS:
                    near = _nearest(r, levels)
                    r.level = normalize.parse_level(own) or (near.level if near else None)
                    if r.level:
                        r.region = self._place(
                            r, r.level, unit_levels, turn_levels.get(r.turn, none), text
                        )
                    r.region = r.region or self.region_in(own) or _nearest_concept(r, regions)
                    r.region = r.region or self.own_region.get(r.concept)
                if r.category in _LATERAL_CATS and r.laterality is None:
                    r.laterality = self.laterality_in(own) or _nearest_concept(r, sides)
        by_unit_places: dict[int, list[Raw]] = {}
        for p in places:
            by_unit_places.setdefault(p.unit, []).append(p)
        for r in raws:
            if r.concept in self.sited:
                self._site(r, by_unit_places.get(r.unit, []), by_unit.get(r.unit, []), text)
                if r.site is None and not by_unit_places.get(r.unit):
                    asked = _asked_just_before(r, units)
                    self._site_before(r, by_unit.get(r.unit - 1, []), text, asked)
        return [r for r in raws if not (r.needs_site and r.site is None)]

    def _site_before(self, r: Raw, before: list[Raw], text: str, asked: bool = False) -> None:
        """A sited finding whose sentence names no place takes the one site the sentence
        before it, in the same turn, names ("how is your knee doing today? Hope the
        osteoarthritis is getting better"), or the clinician's question it answers names ("How
        is the right knee?" / "It aches every day": ``asked``); two sites there, a spine
        region, or a site said to be normal ("the knee is normal") leave it unplaced."""
        if r.region is not None or r.level is not None:
            return
        named = [p for p in before if (p.turn == r.turn or asked) and p.assertion != "negated"]
        if named and self._site_normal.search(text[named[0].start : r.start]):
            return
        if any(p.category in (Category.region, Category.level) for p in named):
            return
        sites = {
            p.concept if p.category == Category.site else self.site_of.get(p.concept)
            for p in named
            if p.category in (Category.site, Category.structure)
        }
        if len(sites) != 1 or None in sites:
            return
        structures = {p.concept for p in named if p.category == Category.structure}
        r.site = sites.pop()
        r.structure = structures.pop() if len(structures) == 1 else None
        r.cues.append(f"site:{r.site} (the sentence before)")

    def _site(self, r: Raw, places: list[Raw], unit_raws: list[Raw], text: str) -> None:
        """Site, structure and digit of a sited finding: from its own words ("knee sprain",
        "MCL tear"), else from those of its clause nearest it, else the nearest in its unit.

        A spine word nearer than any site keeps the finding the spine's ("a strain of the low
        back, and my knee hurts"). A structure gives its site and a digit its site; a site word
        beside a structure of another site wins ("the collateral ligament of the elbow"), the
        structure is dropped. A finding that takes a site is no longer the spine's.
        """
        own = [p for p in places if r.start <= p.start and p.end <= r.end]
        if not own and self.region_in(text[r.start : r.end]):
            return  # "lumbar strain"
        if own:
            chosen = own
            if {p.concept for p in own} <= self._travels:
                # "the ulnar nerve was cut at the right wrist": a nerve is where its clause says
                sites = [
                    p
                    for p in places
                    if p.category == Category.site
                    and not _CLAUSE_BREAK.search(_between(text, r, p))
                ]
                if sites:
                    chosen = [*own, min(sites, key=lambda p: _distance(r, p))]
        else:
            near = _nearest(r, places)
            if near is None:
                return
            spine = _nearest(
                r,
                (
                    o
                    for o in unit_raws
                    if o.category in (Category.region, Category.level)
                    or (o.region is not None and o.category == Category.symptom)
                ),
            )
            if spine is not None and _distance(r, spine) < _distance(r, near):
                return
            clause = [p for p in places if not _CLAUSE_BREAK.search(_between(text, r, p))]
            chosen = clause or [near]
        by_cat: dict[Category, list[Raw]] = {}
        for p in sorted(chosen, key=lambda p: _distance(r, p)):
            by_cat.setdefault(p.category, []).append(p)
        if own and Category.digit not in by_cat:
            # "trigger finger of the right ring finger": the own words name the site, the
            # clause names which finger
            clause = [p for p in places if not _CLAUSE_BREAK.search(_between(text, r, p))]
            digits = [p for p in clause if p.category == Category.digit]
            if digits:
                by_cat[Category.digit] = sorted(digits, key=lambda p: _distance(r, p))
        site = by_cat[Category.site][0].concept if Category.site in by_cat else None
        structure = by_cat[Category.structure][0].concept if Category.structure in by_cat else None
        digit = by_cat[Category.digit][0].concept if Category.digit in by_cat else None
        if structure is not None:
            if site is not None and self.site_of.get(structure) != site:
                structure = None  # the site word wins
            else:
                site = self.site_of.get(structure)
        if digit is not None:
            digit_site = self.site_of.get(digit)
            if structure is not None and site in ("site_hand", "site_foot"):
                pass  # "the fifth metacarpal": a bone of the hand, the little finger's ray
            elif site is None or site in ("site_hand", "site_foot", digit_site):
                site = digit_site
            else:
                digit = None
        if site is None:
            return
        r.site, r.structure, r.digit = site, structure, digit
        r.region, r.level = None, None
        r.cues.append(f"site:{site}")

    def _place(
        self, r: Raw, level: str, unit_levels: _ByStart, turn_levels: _ByStart, text: str
    ) -> str | None:
        """The region of a finding at ``level``; may narrow ``r.level`` to a segment.

        - a segment ("L5-S1") is its own region;
        - a slipped vertebra ("anterolisthesis of L5", ``lone_level: slip``) slips on the one
          below: L5-S1;
        - a root ("L5 radiculopathy", ``lone_level: root``) or lone vertebra ("instability at
          L5") takes the region of a segment through it named in the same unit, else in the
          same turn ("compressing the L5 root at L5-S1"), one in the same clause first
          (``_segment_through``); a root keeps the root as its level, a vertebra takes the
          segment;
        - otherwise a root's region is :meth:`region_of_root` (S1 -> lumbosacral by convention)
          and a vertebra's :meth:`region_of_level` (None at a junction).
        """
        if normalize.is_segment(level):
            return self.region_of_level(level)
        lone = self.lone_level.get(r.concept, "vertebra")
        if lone == "slip":
            below = normalize.segment_below(level)
            if below is not None:
                r.level = below
                return self.region_of_level(below)
        seg = _segment_through(r, level, unit_levels, text) or _segment_through(
            r, level, turn_levels, text
        )
        if seg is not None:
            if lone != "root":
                r.level = seg
            return self.region_of_level(seg)
        if lone == "root":
            return self.region_of_root(level)
        return self.region_of_level(level)


class _ByStart:
    """Level mentions in text order, found by position."""

    __slots__ = ("raws", "starts")

    def __init__(self, raws: Sequence[Raw]) -> None:
        self.raws = sorted(raws, key=lambda r: r.start)  # stable: already in text order
        self.starts = [r.start for r in self.raws]

    def near(self, r: Raw, window: int) -> list[Raw]:
        """The mentions that start within ``window`` characters of ``r``."""
        lo = bisect.bisect_left(self.starts, r.start - window)
        hi = bisect.bisect_right(self.starts, r.end + window)
        return self.raws[lo:hi]


def _segment_through(r: Raw, vertebra: str, levels: _ByStart, text: str) -> str | None:
    """The named segment that the vertebra (or root) ``vertebra`` takes part in: the nearest one
    in the same clause, else the nearest (within SEGMENT_WINDOW). In "L4-L5 herniation with L5
    radiculopathy and L5-S1 herniation with S1 radiculopathy" the L5 root goes with L4-L5,
    though L5-S1 is closer."""
    through = [
        o
        for o in levels.near(r, SEGMENT_WINDOW)
        if o is not r
        and o.level
        and normalize.is_segment(o.level)
        and vertebra in o.level.split("-")
    ]
    if len(through) > 1:
        through = _same_clause(r, through, text) or through
    best = _nearest(r, through)
    return best.level if best else None


def _same_clause(r: Raw, through: list[Raw], text: str) -> list[Raw]:
    """The mentions in ``through`` with no clause break between them and ``r`` that may be the
    nearest such: those overlapping ``r``, and the nearest on each side when nothing breaks the
    clause before it. A break between ``r`` and the nearest mention on one side lies between
    ``r`` and every farther one too, so only the nearest need be read (reading each would cost
    the square of the text between)."""
    left = [o for o in through if o.end <= r.start]
    right = [o for o in through if o.start >= r.end]
    keep = {id(o) for o in through} - {id(o) for o in left} - {id(o) for o in right}
    if left:
        edge = max(o.end for o in left)
        if not _CLAUSE_BREAK.search(text[edge : r.start]):
            keep.update(id(o) for o in left if o.end == edge)
    if right:
        edge = min(o.start for o in right)
        if not _CLAUSE_BREAK.search(text[r.end : edge]):
            keep.update(id(o) for o in right if o.start == edge)
    return [o for o in through if id(o) in keep]


def _distance(a: Raw, b: Raw) -> int:
    return max(0, b.start - a.end, a.start - b.end)


def _between(text: str, a: Raw, b: Raw) -> str:
    return text[a.end : b.start] if a.end <= b.start else text[b.end : a.start]


def _nearest(r: Raw, others: Iterable[Raw]) -> Raw | None:
    best = None
    best_d = None
    for o in others:
        if o is r:
            continue
        d = min(abs(o.start - r.end), abs(r.start - o.end))
        if best_d is None or d < best_d:
            best, best_d = o, d
    return best


def _asked_just_before(r: Raw, units: Sequence[Unit]) -> bool:
    """Is ``r`` the patient's, in the first sentence of a reply to the clinician's question
    just before it?"""
    if r.speaker != "patient" or not 0 < r.unit < len(units):
        return False
    mine, before = units[r.unit], units[r.unit - 1]
    return (
        before.question
        and before.turn_index == mine.turn_index - 1
        and before.speaker == "clinician"
    )


def _nearest_concept(r: Raw, others: list[Raw]) -> str | None:
    o = _nearest(r, others)
    return o.concept if o else None


def _share_site(group: list[Raw]) -> None:
    """A sited condition named without a site ("Assessment: osteoarthritis.") takes the site
    its other mentions agree on, with their structure and digit when those agree too; a
    mention that names a spine region keeps it."""
    donors = [r for r in group if r.site is not None]
    if not donors or len({r.site for r in donors}) != 1:
        return
    structures = {r.structure for r in donors}
    digits = {r.digit for r in donors}
    sides = {r.laterality for r in donors}
    for r in group:
        if r.site is None and r.region is None:
            r.site = donors[0].site
            if r.laterality is None and len(sides) == 1:
                r.laterality = next(iter(sides))
            r.structure = structures.pop() if len(structures) == 1 else None
            r.digit = digits.pop() if len(digits) == 1 else None
            r.cues.append("site:from another mention")


def same_place(a: str, b: str) -> bool:
    """Two levels that may name one place: equal, or a root/vertebra and a segment through it."""
    pa, pb = set(a.split("-")), set(b.split("-"))
    return pa <= pb or pb <= pa


def share_places(raws: list[Raw]) -> None:
    """A condition mentioned without a place takes the place its other mentions agree on.

    The drafter reads the clinician's assessment first; "Assessment: discitis." must not hide
    "discitis at L3-L4" said earlier. Only present or possible mentions give and take, only
    when they agree on one region, and a root or vertebra ("L5") only takes a region a mention
    of the same root or a segment through it gives.
    """
    by_concept: dict[str, list[Raw]] = {}
    for r in raws:
        if (
            not r.dropped
            and r.category == Category.condition
            and r.assertion in ("present", "possible")
        ):
            by_concept.setdefault(r.concept, []).append(r)
    for group in by_concept.values():
        _share_site(group)
        donors = [r for r in group if r.region is not None]
        regions = {r.region for r in donors}
        if len(regions) != 1:
            continue
        region = regions.pop()
        levels = {r.level for r in donors if r.level}
        for r in group:
            if r.region is not None:
                continue
            if r.level is not None:
                if not any(same_place(r.level, lv) for lv in levels):
                    continue
            elif len(levels) == 1:
                r.level = next(iter(levels))
            r.region = region
            r.cues.append("place:from another mention")
