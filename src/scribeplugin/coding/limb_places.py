"""Where a limb finding is, for its code and its evidence: its side (its own, the one its
site's other findings carry, the side word its turn or visit puts before the site's name), the
finger or toe its turn names, and the words that place it, quoted beside it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scribeplugin.concepts import concepts

if TYPE_CHECKING:
    from scribeplugin.coding.facts import Facts
    from scribeplugin.extract.findings import Finding


def where_ev(facts: Facts, f: Finding) -> list[Finding]:
    """The words that place a limb finding, as evidence beside it: the nearest mention in its
    turn of its structure, digit, site and side ("sprain of the medial collateral ligament of
    the left knee")."""
    wanted = {c for c in (f.structure, f.digit, f.site, f.laterality) if c}
    nearest: dict[str, Finding] = {}
    for g in facts.present:
        if g.concept in wanted and g.turn_index == f.turn_index:
            best = nearest.get(g.concept)
            if best is None or _distance(f, g) < _distance(f, best):
                nearest[g.concept] = g
    return sorted(nearest.values(), key=lambda g: g.start)


def side_of_site(facts: Facts, f: Finding) -> tuple[str | None, list[Finding]]:
    """The side of a limb finding: its own, else the one side the visit documents for its site
    (both sides when the visit names both), with the words that say it."""
    known = concepts()
    if f.laterality or (f.site is None and not (f.concept in known and known[f.concept].sited)):
        return f.laterality, []  # its own side; a systemic condition (gout, lupus) has none
    same = [
        g
        for g in (*facts.limb, *facts.uncertain)
        if g.site == f.site and g.laterality and g is not f
    ]
    # the site asked about, on the side the reply gave ("which knee?" / "both equally")
    asked = [
        g for g in facts.present if g.category == "site" and g.concept == f.site and g.laterality
    ]
    sides = {g.laterality for g in (*same, *asked)}
    if len(sides) == 1:
        side = sides.pop()
        placed = next((g for g in same if g.laterality == side), None)
        # The side word that placed that other finding, not the finding itself: a bruise
        # cannot stand in the evidence of the ankle's sprain, the word "right" beside it can.
        return side, _side_word(facts, placed) if placed else _reply_word(facts, asked[0])
    if sides == {"left", "right"} or "bilateral" in sides:
        both = [g for g in asked if g.laterality == "bilateral"]
        return "bilateral", _reply_word(facts, both[0]) if both else []
    if not sides:
        return _turn_side(facts, f)
    return None, []


def _reply_word(facts: Facts, site: Finding) -> list[Finding]:
    """The reply's side word that put ``site`` on its side ("both", "the left one")."""
    words = [
        g
        for g in facts.present
        if g.category == "laterality"
        and g.laterality == site.laterality
        and "answer:side" in g.cues
        and g.turn_index > site.turn_index
    ]
    return [min(words, key=lambda g: g.start)] if words else []


def _distance(a: Finding, b: Finding) -> int:
    return min(abs(a.start - b.end), abs(b.start - a.end))


def _places_of(facts: Facts, f: Finding, *, visit: bool = False) -> list[Finding]:
    """The words of ``f``'s turn (or of the whole visit) that name its site: the site itself, or
    a structure or digit of it."""
    known = concepts()
    return [
        g
        for g in facts.present
        if (visit or g.turn_index == f.turn_index)
        and g.category in {"site", "structure", "digit"}
        and (g.concept == f.site or (g.concept in known and known[g.concept].site == f.site))
    ]


def turn_digit(facts: Facts, f: Finding) -> list[Finding]:
    """The finger or toe of a condition whose own sentence names none, when its turn names
    exactly one for that site: "a sprain of the DIP joint. It's your right index finger"."""
    if f.digit or f.site is None:
        return []
    digits = [g for g in _places_of(facts, f) if g.category == "digit"]
    if len({g.concept for g in digits}) != 1:
        return []
    return [min(digits, key=lambda g: _distance(f, g))]


_SIDE_GAP = 12  # characters between a side word and the place it qualifies ("right index")


def _turn_side(facts: Facts, f: Finding) -> tuple[str | None, list[Finding]]:
    """The side a condition's turn gives its site when no finding of the site carries one: the
    side words just before the turn's names of the site ("your right index finger", "that right
    finger"), when they all say the same side; else those of the whole visit ("Which knee?" "My
    right knee.")."""
    for visit in (False, True):
        places = _places_of(facts, f, visit=visit)
        words = [
            g
            for g in facts.present
            if g.category == "laterality"
            and (visit or g.turn_index == f.turn_index)
            and g.laterality in {"left", "right", "bilateral"}
            and any(
                g.turn_index == p.turn_index and 0 <= p.start - g.end <= _SIDE_GAP for p in places
            )
        ]
        sides = {g.laterality for g in words}
        if len(sides) == 1:
            nearest = min(words, key=lambda g: _distance(f, g))
            return nearest.laterality, [nearest]
        if sides:
            return None, []  # the turn or the visit names both: the side stays open
    return None, []


def _side_word(facts: Facts, placed: Finding) -> list[Finding]:
    """The side word nearest a finding in its turn that says the same side (none when the side
    came from the finding's own words, "left-sided")."""
    words = [
        g
        for g in facts.present
        if g.category == "laterality"
        and g.laterality == placed.laterality
        and g.turn_index == placed.turn_index
    ]
    if not words:
        return []
    return [min(words, key=lambda g: _distance(placed, g))]
