"""Normalise what a matched span says: spinal levels and durations.

Which region a level lies in, and the words that name a region or a side, are knowledge
(``concepts.yaml``), read by ``places.Sites``.
"""

from __future__ import annotations

import re
from datetime import date

_NUM_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "eighteen": 18,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "a": 1,
    "an": 1,
    "single": 1,
    "couple": 2,
    "few": 3,
    "several": 4,
    "many": 6,
    "half": 0.5,
}
_SEGMENTS = {"C": 8, "T": 12, "L": 6, "S": 5}  # C8 and L6 exist as roots / transitional levels
_ORDER = "CTLS"
_NUM = r"(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_LEVEL = re.compile(
    rf"\b([CTLS])[ -]?{_NUM}(?:\s*(?:[-–—/]|to|through|thru|and)?\s*([CTLS])?[ -]?{_NUM})?\b",
    re.IGNORECASE,
)


def _int(word: str) -> int:
    return int(word) if word.isdigit() else int(_NUM_WORDS[word.lower()])


# "L5 on S1", "L4 has slipped forward on L5": a slip names the segment of the two vertebrae.
_ON_FORM = re.compile(
    rf"\b([CTLS])[ -]?{_NUM}\b(?:[\s,]+[a-z]+){{0,4}}?[\s,]+(?:on|over)\s+(?:to(?:p| of)\s+)?"
    rf"(?:the sacrum,?\s+(?:on\s+)?)?([CTLS])[ -]?{_NUM}\b",
    re.IGNORECASE,
)
# The vertebrae in order; C8 (a root) and L6 (a transitional segment) have no place in it.
_VERTEBRAE = (
    [f"C{i}" for i in range(1, 8)]
    + [f"T{i}" for i in range(1, 13)]
    + [f"L{i}" for i in range(1, 6)]
    + [f"S{i}" for i in range(1, 6)]
)


def _ordered(letter1: str, n1: int, letter2: str, n2: int) -> bool:
    return (_ORDER.index(letter2), n2) > (_ORDER.index(letter1), n1)


def parse_level(text: str) -> str | None:
    """'L4/5' -> 'L4-L5', 'l five s one' -> 'L5-S1', 'C5' -> 'C5'; None if not a real level.

    "L5 on S1" (and "L5 slipped forward on S1") is the segment L5-S1 when the two vertebrae
    are neighbours.
    """
    on = _ON_FORM.search(text)
    if on is not None:
        first = f"{on.group(1).upper()}{_int(on.group(2))}"
        second = f"{on.group(3).upper()}{_int(on.group(4))}"
        if segment_below(first) == f"{first}-{second}":
            return f"{first}-{second}"
    m = _LEVEL.search(text)
    if m is None:
        return None
    letter1, n1 = m.group(1).upper(), _int(m.group(2))
    if not 1 <= n1 <= _SEGMENTS[letter1]:
        return None
    if m.group(4) is None:
        return f"{letter1}{n1}"
    letter2 = (m.group(3) or letter1).upper()
    n2 = _int(m.group(4))
    if not 1 <= n2 <= _SEGMENTS[letter2]:
        return None
    if not _ordered(letter1, n1, letter2, n2):
        return None
    return f"{letter1}{n1}-{letter2}{n2}"


def is_segment(level: str) -> bool:
    """'L5-S1' names a motion segment (a disc level); 'L5' names one vertebra or one root."""
    return "-" in level


def segment_below(vertebra: str) -> str | None:
    """The segment a vertebra slips on: 'L5' -> 'L5-S1', 'L4' -> 'L4-L5'; None past the end."""
    if vertebra not in _VERTEBRAE:
        return None
    i = _VERTEBRAE.index(vertebra)
    return f"{vertebra}-{_VERTEBRAE[i + 1]}" if i + 1 < len(_VERTEBRAE) else None


def segments_of(vertebra: str) -> tuple[str, ...]:
    """The segments a vertebra (or the root named after it) takes part in: 'L5' -> L4-L5, L5-S1."""
    if vertebra not in _VERTEBRAE:
        return ()
    i = _VERTEBRAE.index(vertebra)
    out = []
    if i > 0:
        out.append(f"{_VERTEBRAE[i - 1]}-{vertebra}")
    if i + 1 < len(_VERTEBRAE):
        out.append(f"{vertebra}-{_VERTEBRAE[i + 1]}")
    return tuple(out)


_UNIT_DAYS = {
    "hour": 1 / 24,
    "day": 1,
    "night": 1,
    "week": 7,
    "wk": 7,
    "month": 30,
    "mo": 30,
    "year": 365,
    "yr": 365,
    "decade": 3650,
}
_UNIT = re.compile(r"\b(hour|day|night|week|wk|month|mo|year|yr|decade)s?\b", re.I)
_QTY = re.compile(
    r"\b(\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|"
    r"fourteen|fifteen|sixteen|eighteen|twenty|thirty|forty|fifty|a|an|couple|few|several|many|"
    r"half)\b",
    re.I,
)
_YEAR = re.compile(r"\b(19|20)\d\d\b")
_RECENT = re.compile(
    r"\b(yesterday|today|tonight|night|morning|evening|weekend|monday|tuesday|"
    r"wednesday|thursday|friday|saturday|sunday)\b",
    re.I,
)


def duration_days(text: str, today: date | None = None) -> float | None:
    """How long a duration phrase says, in days; None when it names no length of time."""
    year = _YEAR.search(text)
    if year:
        return max(0, ((today or date.today()).year - int(year.group())) * 365)
    unit = None
    for m in _UNIT.finditer(text):
        unit = m  # the last unit: "for the past 2 years" -> years
    if unit is None:
        return 1.0 if _RECENT.search(text) else None
    qtys = list(_QTY.finditer(text[: unit.start()]))
    low = text.lower()
    if not qtys:
        if re.match(r"^\s*(?:last|this|past)\s+\w+\s*$", low):  # "last year": a date, not a span
            return 1.0 if unit.group(1).lower() in {"night", "week", "day"} else None
        plural = unit.group(0).lower().endswith("s")
        value = 2.0 if plural else 1.0
        if plural and unit.group(1).lower() in {"month", "mo"}:
            value = 3.0  # "for months"
    else:
        words = [q.group(1).lower() for q in qtys]
        nums = [float(w) if w[0].isdigit() else float(_NUM_WORDS[w]) for w in words]
        value = max(nums)
        if "half" in words and len(nums) > 1:
            value = max(n for n, w in zip(nums, words, strict=True) if w != "half") + 0.5
    return value * _UNIT_DAYS[unit.group(1).lower()]
