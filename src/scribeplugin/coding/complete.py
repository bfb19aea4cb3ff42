"""Completing a code in the tabular list, as a coder does after the Alphabetic Index.

The index gives a category or subcategory ("S83.41-": sprain of the medial collateral ligament
of the knee); its billable descendants differ along *axes* the official descriptions name: the
side ("right knee", "left knee", "unspecified knee", "bilateral"), the digit ("index finger"),
displacement ("Displaced", "Nondisplaced"), and the 7th character's encounter ("initial
encounter for closed fracture", "subsequent encounter ... routine healing", "sequela"). Each
axis the descendants vary on is settled from what the visit documents; an axis the transcript
does not settle takes the "unspecified" value where the tabular list has one (and is reported
as missing, so the code is marked needs_documentation with a query), or the guideline's
default (I.C.19.c: a fracture not stated as displaced is displaced, not stated as open is
closed).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scribeplugin.codeset import CodeSet


@dataclass(frozen=True, slots=True)
class Wanted:
    """What the visit documents about the axes (None: not documented)."""

    side: str | None = None  # right | left | bilateral
    digit: str | None = None  # thumb | index | middle | ring | little | great | lesser
    displaced: bool | None = None
    open_fracture: bool | None = None
    # A initial (active treatment), D subsequent (routine healing), G delayed healing,
    # K nonunion, P malunion, S sequela
    encounter: str = "A"
    whole: bool = False  # the whole part (foot, hand), none of its digits
    subluxation: bool = False  # a joint partly out ("subluxation"), not wholly ("dislocation")
    tophus: bool | None = None  # chronic gout with tophi (None: not said either way)
    meniscus: str | None = None  # medial | lateral: which meniscus (M23.20-'s 6th character)


@dataclass(slots=True)
class Completion:
    """The codes a category completes to (two for a side-less bilateral condition), the axes
    the transcript left open, and the descriptions' candidates that remained."""

    codes: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return bool(self.codes) and not self.missing


_SIDE = re.compile(r"\b(right|left|bilateral|unspecified)\b")
_DIGIT = re.compile(
    r"\b(thumb|index finger|middle finger|ring finger|little finger|great toe|lesser toes?|"
    r"unspecified finger|unspecified toe|other finger|"
    r"(?:second|third|fourth|fifth|other|unspecified) metacarpal)\b"
)
_SOME_DIGITS = re.compile(r"\b(?:toe|finger)\(s\)")
_DIGIT_VALUE = {
    "thumb": "thumb",
    "index finger": "index",
    "middle finger": "middle",
    "ring finger": "ring",
    "little finger": "little",
    "great toe": "great",
    "lesser toe": "lesser",
    "lesser toes": "lesser",
    "unspecified finger": "unspecified",
    "unspecified toe": "unspecified",
    "other finger": "other",
    # a metacarpal is its finger's ("fifth metacarpal bone, right hand": the little finger's)
    "second metacarpal": "index",
    "third metacarpal": "middle",
    "fourth metacarpal": "ring",
    "fifth metacarpal": "little",
    "other metacarpal": "other",
    "unspecified metacarpal": "unspecified",
}


def side_of_description(d: str) -> str | None:
    # The side of the limb: the last side word ("... of right index finger"), "unspecified"
    # when the description says so of the limb.
    found = _SIDE.findall(d)
    return found[-1] if found else None


def _digit(d: str) -> str | None:
    m = _DIGIT.search(d)
    if m:
        return _DIGIT_VALUE[m.group(1)]
    return "digits" if _SOME_DIGITS.search(d) else None  # "Pain in right toe(s)"


def _displacement(d: str) -> str | None:
    # the words before "fracture": "Nondisplaced fracture of ...", "Unspecified displaced
    # fracture of surgical neck ..."
    head = d.lower().partition("fracture")[0].split()
    if "nondisplaced" in head:
        return "nondisplaced"
    if "displaced" in head:
        return "displaced"
    return None


_HEALING = (("nonunion", "K"), ("malunion", "P"), ("delayed healing", "G"))


def _encounter(d: str) -> str | None:
    """The 7th character's meaning: A first treatment, D routine healing (or a later visit for
    an injury that is no fracture), G delayed healing, K nonunion, P malunion, S sequela; with
    "-open" for an open fracture's (B and C, E and F...)."""
    if d.endswith("sequela"):
        return "S"
    kind = "-open" if "open fracture" in d else ""
    if "initial encounter" in d:
        return "A" + kind
    if "subsequent encounter" in d:
        letter = next((k for words, k in _HEALING if words in d), "D")
        return letter + kind
    return None


def _luxation(d: str) -> str | None:
    low = d.lower()
    if "subluxation" in low:
        return "subluxation"
    return "dislocation" if "dislocation" in low else None


def _tophus(d: str) -> str | None:
    # chronic gout's 7th character: "... without tophus (tophi)", "... with tophus (tophi)"
    if "without tophus" in d:
        return "without"
    return "with" if "with tophus" in d else None


def _meniscus(d: str) -> str | None:
    # "Derangement of unspecified medial meniscus due to old tear or injury, right knee"
    low = d.lower()
    for which in ("medial", "lateral"):
        if f"{which} meniscus" in low:
            return which
    return "unspecified" if "unspecified meniscus" in low else None


Axis = tuple[str, Callable[[str], str | None]]
# The digit first: a code for an unspecified finger names no side.
AXES: tuple[Axis, ...] = (
    ("digit", _digit),
    ("laterality", side_of_description),
    ("displacement", _displacement),
    ("luxation", _luxation),
    ("encounter", _encounter),
    ("tophus", _tophus),
    ("meniscus", _meniscus),
)


def complete(cs: CodeSet, category: str, wanted: Wanted) -> Completion:
    """The billable code(s) under ``category`` for what the visit documents."""
    stem = category.rstrip("-").rstrip(".")
    if cs.is_billable(stem):
        return Completion([stem])
    candidates = [(c, cs.lookup(c).description) for c in cs.billable_descendants(stem)]
    if not candidates:
        return Completion()
    out = Completion()
    for axis, read in AXES:
        values = {read(d) for _, d in candidates}
        if len(values) < 2:
            continue
        candidates, open_axis = _settle(axis, read, candidates, wanted)
        if open_axis:
            out.missing.append(axis)
    if axis_bilateral := _bilateral_pair(cs, stem, wanted, candidates):
        return Completion(axis_bilateral, out.missing)
    out.codes = [c for c, _ in candidates[:1]]
    if len(candidates) > 1:
        unspecified = [c for c, d in candidates if "unspecified" in d.lower()]
        out.codes = unspecified[:1] or out.codes
        if "type" not in out.missing:
            out.missing.append("type")
    return out


def _settle(
    axis: str,
    read: Callable[[str], str | None],
    candidates: list[tuple[str, str]],
    wanted: Wanted,
) -> tuple[list[tuple[str, str]], bool]:
    """The candidates left on one axis, and whether the transcript left the axis open."""

    def keep(*values: str | None) -> list[tuple[str, str]]:
        return [(c, d) for c, d in candidates if read(d) in values]

    if axis == "laterality":
        if wanted.side in {"right", "left"} and keep(wanted.side):
            return keep(wanted.side), False
        if wanted.side == "bilateral" and keep("bilateral"):
            return keep("bilateral"), False
        if wanted.side == "bilateral":
            return candidates, False  # coded right and left: see _bilateral_pair
        return keep("unspecified") or candidates, True
    if axis == "digit":
        if wanted.whole and keep(None):
            # "pain in my foot", "left hand pain at the thumb base": the part's own code
            return keep(None), False
        if wanted.digit and keep(wanted.digit):
            return keep(wanted.digit), False
        if wanted.digit and wanted.digit != "thumb" and keep("digits"):
            # "pain in my big toe": "Pain in right toe(s)"; the thumb, which chapter 19 keeps
            # apart from the fingers, stays a question rather than a guess
            return keep("digits"), False
        return keep("unspecified", None) or candidates, True
    if axis == "displacement":
        # I.C.19.c: not stated as displaced or nondisplaced -> displaced. A fracture type with
        # no displacement axis of its own ("Unspecified fracture of ...") stays a candidate.
        value = "nondisplaced" if wanted.displaced is False else "displaced"
        return keep(value, None) or candidates, False
    if axis == "luxation":
        # the finding's own word says which: "subluxed" or "dislocated"
        value = "subluxation" if wanted.subluxation else "dislocation"
        return keep(value, None) or candidates, False
    if axis == "encounter":
        # Not stated as open -> closed (the plain A and D); healing other than routine needs its
        # own words (``phrases.fracture_nonunion``...).
        code = wanted.encounter + ("-open" if wanted.open_fracture else "")
        return keep(code) or keep(wanted.encounter) or candidates, False
    if axis == "meniscus":
        if wanted.meniscus and keep(wanted.meniscus):
            return keep(wanted.meniscus), False
        return keep("unspecified") or candidates, True
    if axis == "tophus":
        if wanted.tophus is None:
            # not said: the code without tophi stands, with a query
            return keep("without") or candidates, True
        return keep("with" if wanted.tophus else "without") or candidates, False
    return candidates, False


def _bilateral_pair(
    cs: CodeSet, stem: str, wanted: Wanted, candidates: Sequence[tuple[str, str]]
) -> list[str]:
    """No bilateral code: a condition of both sides is coded right and left."""
    if wanted.side != "bilateral":
        return []
    if any(side_of_description(d) == "bilateral" for _, d in candidates):
        return []
    pair = []
    for side in ("right", "left"):
        one = complete(
            cs,
            stem,
            Wanted(
                side,
                wanted.digit,
                wanted.displaced,
                wanted.open_fracture,
                wanted.encounter,
                wanted.whole,
                wanted.subluxation,
                wanted.tophus,
                wanted.meniscus,
            ),
        )
        pair += one.codes[:1]
    return pair if len(pair) == 2 else []
