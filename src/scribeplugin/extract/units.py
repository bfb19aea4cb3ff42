"""Split turns into sentence-sized units, and read what each unit does in the dialogue.

medspaCy's PyRuSH splitter fails on ASR text (lower case, `` . `` spaced punctuation, no
newlines), and ConText then lets one early "no" negate a whole passage. So units are cut here,
before any NLP: at turn boundaries, line breaks, sentence punctuation (spaced or not), a comma
before a new subject ("no numbness, I have tingling"), and after a turn-initial answer word
("No, it's just my back" is two units: the answer, and the claim). Each unit also records
whether it is a question, the polarity of a leading answer, and whether it sits in an
assessment or plan section of a note.

A unit is at most ``MAX_UNIT_CHARS`` long: what the matchers and ConText do with one unit grows
faster than its length, so a paragraph with no sentence breaks (ASR text without punctuation,
or a pasted block) is cut at the last whitespace before the limit. No unit of the transcripts we
have comes near it (the longest, an unpunctuated monologue of the real-visit set, is 3,051
characters), so extraction of real visits is unchanged and its cost is linear in the length of
any text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from scribeplugin.extract.transcript import Speaker, Transcript

Polarity = Literal["yes", "no"]


@dataclass(frozen=True, slots=True)
class Unit:
    turn_index: int
    speaker: Speaker
    start: int
    end: int
    question: bool = False
    polarity: Polarity | None = None  # set on a turn's first unit when it opens with an answer
    answer_only: bool = False  # the unit is nothing but the answer word(s): "No.", "yeah"
    assessment_section: bool = False  # under an "Assessment:", "Impression:" or "Plan:" header


# A sentence ends at . ? ! ; (runs of them) followed by whitespace or the end, unless the
# period closes a common abbreviation or an initial.
_BOUNDARY = re.compile(
    r"[.?!;]+[\"')\]]*(?=\s|$)"
    # a comma before a new subject starts a new clause: "no numbness, I have tingling"; not
    # one that points back at the clause before it ("your carpal tunnel, you had that fixed")
    r"|,(?=\s+(?:and\s+|but\s+|so\s+)?(?:i|i'm|i've|i’m|we|we'll|you|he|she|they|it|it's|"
    r"it’s|that's|which|then|because|although|though)\b)"
    r"(?!\s+you\s+(?:had|got)\s+(?:that|it|them|those|this)\b)",
    re.IGNORECASE,
)
_ABBREV = re.compile(
    r"(?:^|[\s(])(?:dr|mr|mrs|ms|st|vs|e\.g|i\.e|approx|jr|sr|prof|fig|b\.i\.d|t\.i\.d|"
    r"q\.d|p\.o|a\.m|p\.m|[a-z])\.$",
    re.IGNORECASE | re.MULTILINE,
)
_ABBREV_SPAN = 12  # the longest abbreviation above, its period and the character before it
MAX_UNIT_CHARS = 4000
_LAST_SPACE = re.compile(r"\s(?=\S*$)")
_ALNUM = re.compile(r"[^\W_]")  # what str.isalnum() accepts, one character
_HEADER = re.compile(r"^[ \t]*(?P<h>[A-Za-z][A-Za-z /&]{0,40}?)[ \t]*:", re.MULTILINE)
_INLINE_HEADER = re.compile(r"[ \t]*(?P<h>[A-Za-z][A-Za-z /&]{0,40}?)[ \t]*:")
_ASSESSMENT_HEADERS = re.compile(
    r"^(?:assessment|impression|a ?/ ?p|a ?& ?p|plan|diagnos[ie]s|dx|working diagnosis|"
    r"clinical impression|assessment and plan|impression and plan|recommendations?)$",
    re.IGNORECASE,
)

_FILLER = r"(?:(?:uh|um|umm|er|erm|oh|ah|hmm|mm|well|so|okay|ok|and)[,.]?\s+)*"
_NEG_ANSWER = (
    r"(?:yeah|yes|yep)[,.]?\s+no\b|no+|nope|nah|not really|not at all|never|none|negative|"
    r"i (?:do|did|have|has|had)(?: ?n'?t|n’t| not)(?: think so)?|"
    r"it (?:does|did|has|is)(?: ?n'?t|n’t| not)|not that i(?:'ve| have)? (?:know|noticed|know of)"
)
_POS_ANSWER = (
    r"yes|yeah|yea|yep|yup|ya|yah|mm-?hmm|uh-?huh|correct|right|that's right|that is right|"
    r"exactly|absolutely|definitely|sure|of course|indeed|i do|i did|i have|it does|it did|"
    r"it is|sometimes|occasionally|a little|a bit|kind of|sort of|"
    # "You did PT and the gabapentin?" / "Both.": every option asked about
    r"both(?: of them| of those| actually)?"
)
_ANSWER = re.compile(
    rf"{_FILLER}(?:(?P<no>{_NEG_ANSWER})|(?P<yes>{_POS_ANSWER}))\b(?![-’'])"
    r"(?P<sep>[\s,.!;:]*(?:-+\s)?\s*)",
    re.IGNORECASE,
)
# After a bare "no"/"yes", these words start a new clause, so the answer is its own unit:
# "no it's just my back" is not a negation of "back".
_CLAUSE_START = re.compile(
    r"(?:i|i'm|i’m|i've|i'd|i'll|it|it's|it’s|its|that|that's|this|there|there's|the|my|just|"
    r"only|but|not|nothing|um|uh|well|so|actually|we|he|she|they|you|sir|ma'am|doctor|doc|"
    r"really|and|because|mostly|mainly|thank|thanks|please|okay|ok|as|at|in|on|for)\b",
    re.IGNORECASE,
)
_QUESTION_START = re.compile(
    rf"^{_FILLER}(?:(?:now|also|alright|all right|then)[,]?\s+)?"
    r"(?:(?:do|does|did|have|has|are|is|was|were|can|could|would|will)\s+"
    r"(?:you|it|the|your|that|this|there|anything|any|he|she|they)\b|"
    r"any\b|anything\b|how about\b|what about\b|how (?:long|much|often|bad|far|many)\b|"
    r"what (?:kind|type|sort|brings|happened|makes)\b|where (?:is|does|do)\b|"
    r"when (?:did|does|do|is)\b|"
    r"which (?:one|side|\w+ (?:is|are|was|were|do|does|did|hurts?|bothers?))\b)",
    re.IGNORECASE,
)


def split_units(transcript: Transcript) -> list[Unit]:
    """Every turn's units, in order. Offsets refer to ``transcript.text``."""
    text = transcript.text
    units: list[Unit] = []
    for ti, turn in enumerate(transcript.turns):
        in_section = False
        first = True
        for line_start, line_end in _lines(text, turn.start, turn.end):
            header = _HEADER.match(text, line_start, line_end)
            if header and turn.speaker in ("clinician", "unknown"):
                in_section = bool(_ASSESSMENT_HEADERS.match(header.group("h").strip()))
            for s, e in _sentences(text, line_start, line_end):
                # a header dictated inline opens its section too: "... stable with full motion.
                # Assessment: primary osteoarthritis of the left knee; status post ...", and so
                # does one right after the speaker's label ("Doctor: Assessment: ...", where the
                # line's text does not start a line of the transcript)
                inline = (
                    _INLINE_HEADER.match(text, s, e) if s > line_start or header is None else None
                )
                if inline and turn.speaker in ("clinician", "unknown"):
                    in_section = in_section or bool(
                        _ASSESSMENT_HEADERS.match(inline.group("h").strip())
                    )
                if first:
                    first = False
                    units.extend(_answer_split(text, ti, turn.speaker, s, e, in_section))
                else:
                    units.append(_unit(text, ti, turn.speaker, s, e, in_section))
    return units


def _lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out = []
    pos = start
    while pos < end:
        nl = text.find("\n", pos, end)
        stop = end if nl < 0 else nl
        out.append((pos, stop))
        pos = stop + 1
    return out


def _sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out = []
    pos = start
    for m in _BOUNDARY.finditer(text, start, end):
        stop = m.end()
        # an abbreviation is at most _ABBREV_SPAN characters back from its period
        if m.group() == "." and _ABBREV.search(text, max(pos, stop - _ABBREV_SPAN), stop):
            continue
        out.append((pos, stop))
        pos = stop
    out.append((pos, end))
    return [
        piece
        for s, e in out
        if (span := _trim(text, s, e)) is not None
        for piece in _bounded(text, *span)
    ]


def _bounded(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """``text[start:end]`` in pieces of at most MAX_UNIT_CHARS, cut at the last whitespace
    before the limit (or at the limit inside a longer run without any)."""
    if end - start <= MAX_UNIT_CHARS:
        return [(start, end)]
    out = []
    while end - start > MAX_UNIT_CHARS:
        limit = start + MAX_UNIT_CHARS
        space = _LAST_SPACE.search(text, start + MAX_UNIT_CHARS // 2, limit)
        cut = space.start() if space is not None else limit
        piece = _trim(text, start, cut)
        if piece is not None:
            out.append(piece)
        start = cut
        while start < end and text[start].isspace():
            start += 1
    piece = _trim(text, start, end)
    if piece is not None:
        out.append(piece)
    return out


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if _ALNUM.search(text, start, end) is None:
        return None
    return start, end


def _unit(text: str, ti: int, speaker: Speaker, s: int, e: int, section: bool) -> Unit:
    return Unit(ti, speaker, s, e, question=is_question(text[s:e]), assessment_section=section)


def _answer_split(
    text: str, ti: int, speaker: Speaker, s: int, e: int, section: bool
) -> list[Unit]:
    """A turn's first unit: read a leading yes/no, and cut it off when a new clause follows."""
    polarity: Polarity | None = None
    lead_end = s
    while True:  # "no, no, not really, it's my back": every answer word goes to the lead
        m = _ANSWER.match(text, lead_end, e)
        if m is None:
            break
        rest = text[m.end() : e]
        sep = m.group("sep")
        bare = (m.group("no") or m.group("yes")).lower()
        if bare in _WEAK_WORDS and rest.strip() and not any(c in sep for c in ",.!;:-"):
            break  # "right here", "kind of dull"
        if polarity is None:
            polarity = "no" if m.group("no") else "yes"
        cut = (
            not rest.strip(" .,!?;:-")
            or any(c in sep for c in ",.!;:-")
            or (bare in _BARE_WORDS and _CLAUSE_START.match(rest) is not None)
            or bare in {"nope", "nah", "yep", "yup", "yeah", "yes"}
        )
        if not cut:
            break
        lead_end = m.end()
    if lead_end == s:  # nothing to cut: the whole unit is the claim (maybe "I don't have...")
        return [
            Unit(
                ti,
                speaker,
                s,
                e,
                question=is_question(text[s:e]),
                polarity=polarity,
                assessment_section=section,
            )
        ]
    units = []
    lead = _trim(text, s, lead_end)
    if lead is not None:
        units.append(
            Unit(
                ti,
                speaker,
                lead[0],
                lead[1],
                polarity=polarity,
                answer_only=True,
                assessment_section=section,
            )
        )
    tail = _trim(text, lead_end, e)
    if tail is not None:
        units.append(_unit(text, ti, speaker, tail[0], tail[1], section))
    return units


_BARE_WORDS = {
    "no",
    "noo",
    "nooo",
    "not really",
    "not at all",
    "never",
    "none",
    "negative",
    "yes",
    "yeah",
    "yea",
    "yep",
    "yup",
    "ya",
    "yah",
    "correct",
    "right",
    "sure",
    "exactly",
    "absolutely",
    "definitely",
    "of course",
    "indeed",
    "mm-hmm",
    "mmhmm",
    "uh-huh",
    "uhhuh",
}


# Answer words only when punctuation or the end follows: "right here", "both legs hurt".
_WEAK_WORDS = {"right", "sure", "kind of", "sort of", "a little", "a bit", "it is", "both"}


# A question is a sentence, not a turn: an ASR turn with no stop in it ("okay so do you mind
# walking for me ... so for your first problem I think you have a sprain ... any questions")
# that opens or closes with a question is not a question throughout.
QUESTION_MAX_WORDS = 40


def is_question(sentence: str) -> bool:
    """A question by its mark, or (ASR text often drops it) by how it opens; never a run-on
    unit longer than a sentence."""
    if len(sentence.split()) > QUESTION_MAX_WORDS:
        return False
    s = sentence.rstrip(" \"')]")
    return s.endswith("?") or _QUESTION_START.match(sentence) is not None
