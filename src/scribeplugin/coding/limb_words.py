"""What the words near a limb finding say of it, read as a coder reads the clinician's sentence:
the kind or part the index's subterms name (``coding.phrases.part_<part>``: a bone's "shaft",
a "full-thickness" tear), a fracture's displacement and healing course, chronic gout's tophi.
Words that deny or doubt (``phrases.doubted_before``: "no open fracture", "possible septic
bursitis") take them back, and what one mention of a condition says holds for its other
mentions at the same place and side."""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scribeplugin.coding.facts import Facts
    from scribeplugin.extract.findings import Finding

WINDOW = 80  # characters around a finding in which its description is read


def around(text: str, f: Finding) -> str:
    return text[max(0, f.start - WINDOW) : f.end + WINDOW]


def parts_near(facts: Facts, f: Finding, parts: tuple[str, ...]) -> frozenset[str]:
    """The parts (or kinds) named, and not denied, near a finding (``phrases.part_<part>``: a
    fracture's "shaft", a rotator cuff tear's "full-thickness"), of those its condition's
    routes tell apart."""
    if not parts:
        return frozenset()
    return frozenset(p for p in parts if stated(facts, f, f"part_{p}"))


def same_mentions(facts: Facts, f: Finding) -> list[Finding]:
    """The mentions of the same condition at the same place and side, ``f`` first: "the
    displaced surgical neck fracture of your right humerus ... Assessment: right proximal
    humerus fracture" is one fracture."""
    key = (f.concept, f.site, f.structure, f.digit)
    return [f] + [
        g
        for g in facts.limb
        if g is not f
        and (g.concept, g.site, g.structure, g.digit) == key
        and g.laterality in (f.laterality, None)
    ]


def parts_said(facts: Facts, f: Finding, parts: tuple[str, ...]) -> frozenset[str]:
    """The parts named near any mention of the same condition (:func:`same_mentions`)."""
    return frozenset().union(*(parts_near(facts, g, parts) for g in same_mentions(facts, f)))


_HEALING_PHRASES = {"fracture_nonunion": "K", "fracture_malunion": "P", "fracture_delayed": "G"}


@cache
def _doubt(words: str) -> re.Pattern[str]:
    """The word list ``words`` (a ``phrase`` pattern) ending right before a phrase, up to two
    words between."""
    return re.compile(rf"{words}\s+(?:\w+\s+){{0,2}}$", re.IGNORECASE)


def stated(facts: Facts, f: Finding, phrase: str) -> bool:
    """Whether the words of ``phrases.<phrase>`` are said, and neither denied nor doubted
    (``phrases.doubted_before``: "no open fracture", "possible septic bursitis"), near the
    finding."""
    k = facts.knowledge
    doubted = _doubt(k.phrase("doubted_before").pattern)
    near = around(facts.text, f)
    return any(not doubted.search(near[: m.start()]) for m in k.phrase(phrase).finditer(near))


def healing(facts: Facts, f: Finding) -> str | None:
    """A fracture's healing course other than routine (K nonunion, P malunion, G delayed), when
    the words of one are said near it: a later visit's 7th character."""
    if f.concept != "fracture":
        return None
    return next((k for phrase, k in _HEALING_PHRASES.items() if stated(facts, f, phrase)), None)


def tophus(facts: Facts) -> bool | None:
    """Whether the visit says there are tophi (``phrases.tophus``) or none
    (``phrases.no_tophus``), the 7th character of chronic gout's codes; None when it says
    neither. Tophi are the gout's wherever the visit names them (the exam, the assessment)."""
    k = facts.knowledge
    if k.phrase("no_tophus").search(facts.text):
        return False
    return True if k.phrase("tophus").search(facts.text) else None


def displaced(facts: Facts, f: Finding) -> bool | None:
    """False when the fracture is described as nondisplaced (``phrases.fracture_nondisplaced``)
    at any of its mentions; None (displaced, the default of I.C.19.c) otherwise."""
    if f.concept != "fracture":
        return None
    words = facts.knowledge.phrase("fracture_nondisplaced")
    said = any(words.search(around(facts.text, g)) for g in same_mentions(facts, f))
    return False if said else None
