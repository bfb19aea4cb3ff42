"""The named callbacks the extraction knowledge may call: the few judgements a pattern cannot make.

The data names them (``on_modifies: past_not_ongoing``, ``callback: heart_sounds``,
``resolve: chronicity``); :data:`REGISTRY` maps each name to its function, and must hold exactly
the names ``knowledge.extraction.CALLBACKS`` declares (checked on import), so an unknown name is
an error when the knowledge loads, never a surprise at run time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from scribeplugin.extract import normalize
from scribeplugin.knowledge import KnowledgeError
from scribeplugin.knowledge.extraction import CALLBACKS, ExtractionKnowledge

if TYPE_CHECKING:
    from spacy.tokens import Span

OnModifies = Callable[["Span", "Span", "Span"], bool]  # (target, modifier, span between)
Veto = Callable[["Span", str, str], bool]  # (match, previous word, next word)
Resolve = Callable[["Span", ExtractionKnowledge], "str | None"]  # match -> concept id or None

# ---- ConText: does the modifier apply to the target?

_ONSET = re.compile(
    r"\b(?:start|started|starting|began|begin|begun|since|came on|first noticed|onset|"
    r"going on|still|currently|ongoing|chronic|worsening|getting worse|for (?:the )?(?:past|last)|"
    r"for (?:about |around |almost |over )?(?:\d+|one|two|three|four|five|six|seven|eight|nine|"
    r"ten|eleven|twelve|a|several|many|a few|a couple of) (?:day|week|month|year)s?)\b",
    re.IGNORECASE,
)
_ONSET_BEFORE, _ONSET_AFTER = 2, 6  # tokens around a finding in which it is said to go on
_FIRST_PERSON = {"i", "i'm", "i’m", "me", "my", "myself", "i've", "i’ve", "i'd", "mine"}
_DURATION_WORDS = {"day", "days", "week", "weeks", "month", "months", "year", "years", "-"}


def past_not_ongoing(target: Span, modifier: Span, between: Span) -> bool:
    """'History of' / 'years ago' mark the past only when the sentence does not say it goes on."""
    if modifier.start > 0 and modifier.doc[modifier.start - 1].lower_ in _DURATION_WORDS:
        return False  # "a six-month history of"
    # Only the words about this finding: right before it, its own, the few after it, and what
    # lies between it and a past word after it. In a list ("history of chronic kidney disease,
    # gout") another item's "chronic" does not make the gout ongoing.
    doc = target.doc
    if any(e.label_ == "SEQUELA_ENCOUNTER" for e in doc.ents):
        return False  # "a late effect of the sprain two years ago": the injury's effect goes on
    near = doc[max(target.start - _ONSET_BEFORE, 0) : min(target.end + _ONSET_AFTER, len(doc))]
    text = near.text + (" " + between.text if modifier.start >= target.end else "")
    return _ONSET.search(text) is None


# Another person who acts on the patient is a witness, not the one with the condition: "brought
# in by his wife", "her son saw her on Monday", "my friend helped me up".
_DETERMINERS = {"his", "her", "my", "your", "their", "our", "the", "a", "an", "some", "of"}
_OBJECTS = {"him", "me", "you", "us"}  # "her" is an object only before a function word
_AFTER_OBJECT = {
    "on", "at", "in", "to", "into", "and", "up", "down", "out", "off", "over", "for", "with",
    "from", "after", "before", "when", "that", "the", "a", ",", ".", ";", "yesterday", "today",
}  # fmt: skip


def _witness(modifier: Span) -> bool:
    doc = modifier.doc
    i = modifier.start - 1
    while i >= 0 and doc[i].lower_ in _DETERMINERS:
        i -= 1
    if i >= 0 and doc[i].lower_ == "by":  # the agent of what was done to the patient
        return True
    if modifier[-1].lower_ in ("'s", "’s", "'"):
        return False  # "his wife's arthritis"
    j = modifier.end
    if j + 1 < len(doc):  # "saw him", "drove me", "found her on the floor"
        obj = doc[j + 1].lower_
        if obj in _OBJECTS:
            return True
        if obj == "her" and (j + 2 == len(doc) or doc[j + 2].lower_ in _AFTER_OBJECT):
            return True
    return False


def not_about_me(target: Span, modifier: Span, between: Span) -> bool:
    """'My wife says I can't sit' is about the patient, not the wife; so is 'brought in by
    his coworkers after he had vomiting'."""
    return not (any(t.lower_ in _FIRST_PERSON for t in between) or _witness(modifier))


def old_not_age(target: Span, modifier: Span, between: Span) -> bool:
    """'an old fracture', not '40 years old' or 'a 40-year-old woman'."""
    before = [t.lower_ for t in modifier.doc[max(modifier.start - 2, 0) : modifier.start]]
    if before and before[-1] in ("-", "–"):
        before.pop()
    return not (before and before[-1] in {"years", "year"})


# What may stand between a place and "is normal" when the place is its subject.
_SUBJECT_WORDS = {
    "-", "–", "/", "the", "both", "disc", "discs", "disk", "disks", "level", "levels", "facet",
    "facets", "joint", "joints", "spine", "junction", "region", "area", "foramen", "foramina",
    "canal", "above", "below", "segment", "segments", "alignment",
}  # fmt: skip
_PLURAL_VERBS = {"are", "were", "look", "feel", "seem", "remain"}
_LEVEL_WORD = re.compile(r"^(?:[ctls](?:[1-9]|1[0-2])|[1-9]|1[0-2])$")


def subject_of_normal(target: Span, modifier: Span, between: Span) -> bool:
    """'L4-L5 and L5-S1 are open', 'the low back is fine': the place is the subject. Not in
    'the slip is at L5-S1, and L4-L5 is aligned' (L5-S1 is not what is aligned)."""
    plural = modifier[0].lower_ in _PLURAL_VERBS
    for tok in between:
        if tok.i >= modifier.start:
            break  # medspaCy's span runs to the end of the modifier
        low = tok.lower_
        if low in _SUBJECT_WORDS or _LEVEL_WORD.match(low):
            continue
        if plural and low in ("and", "&"):
            continue
        if tok._.scribe_lat or low in ("cervical", "thoracic", "lumbar", "lumbosacral", "sacral"):
            continue
        return False
    return True


# "stenosis without claudication, and left L4 radiculopathy": the list of what is absent ends
# where a new item with its own side or level starts.
_NEW_LIST_ITEM = re.compile(
    r",\s*(?:and|but|plus|with|also)\s+(?:an?\s+|the\s+)?(?:left|right|bilateral|[ctls]\d)",
    re.IGNORECASE,
)


def list_continues(target: Span, modifier: Span, between: Span) -> bool:
    """'no stenosis, no claudication': a negation runs on through its list, not past it."""
    if _is_source_study(target):
        return False
    return target.start < modifier.start or _NEW_LIST_ITEM.search(between.text) is None


def _is_source_study(target: Span) -> bool:
    """'no herniation on the MRI': the study is where the finding is absent, not absent itself."""
    if target.label_ != "IMAGING" or target.start < 2:
        return False
    doc = target.doc
    return doc[target.start - 1].lower_ in ("the", "this", "your", "my", "his", "her") and (
        doc[target.start - 2].lower_ in ("on", "in", "by", "per")
    )


def gone_for_good(target: Span, modifier: Span, between: Span) -> bool:
    """'the pain is gone', not 'the pain has gone down a bit' (or 'gone into my leg')."""
    doc = modifier.doc
    nxt = doc[modifier.end].lower_ if modifier.end < len(doc) else ""
    return nxt not in {"down", "up", "into", "to", "through", "in", "on", "from", "out", "over"}


def adjacent_if_forward(target: Span, modifier: Span, between: Span) -> bool:
    """A trailing cue reaches back over its clause; a leading one only the words it qualifies
    ("resolved left sciatica", not "resolved and the back pain is worse")."""
    if target.end <= modifier.start:
        return True
    gap = modifier.doc[modifier.end : target.start]
    return len(gap) <= 2 and not any(t.is_punct or t.lower_ in ("and", "but", "or") for t in gap)


def colon_no(target: Span, modifier: Span, between: Span) -> bool:
    """': no' negates what follows ("not a pinched nerve: no root is compressed"), and what
    comes before only when nothing follows it ("Fever: no.")."""
    if target.start >= modifier.end:
        return not _is_source_study(target)
    return all(t.is_punct for t in modifier.doc[modifier.end :])


# ---- vetoes: the match is not the concept

_PAIN_WORD = re.compile(r"\b(pain|hurt|ache|aching|sciatica|burn|stab|shoot|throb|sore)", re.I)
_NUMB_WORD = re.compile(r"\b(numb|tingl|pins|asleep|weak)", re.I)
_HEART = re.compile(r"\b(heart|murmur|sounds?|rub|gallop|cardiac|chest|auscultat)", re.I)


def numbness_not_pain(ent: Span, prev: str, nxt: str) -> bool:
    """'numbness goes down my leg' is paresthesia, not pain."""
    if _PAIN_WORD.search(ent.text):
        return False
    before = ent.doc[max(0, ent.start - 5) : ent.start].text
    return bool(_NUMB_WORD.search(before)) and not _PAIN_WORD.search(before)


def heart_sounds(ent: Span, prev: str, nxt: str) -> bool:
    """S1 and S2 of a heart examination are not sacral levels."""
    level = normalize.parse_level(ent.text)
    return level is not None and level[0] == "S" and _HEART.search(ent.doc.text) is not None


# ---- resolvers: which concept a match stands for


def chronicity(ent: Span, knowledge: ExtractionKnowledge) -> str | None:
    """A duration ("for six months") is chronic from the chronic concept's ``min_days``, else
    acute; None when it names no length of time."""
    days = normalize.duration_days(ent.text)
    if days is None:
        return None
    min_days = knowledge.concepts["chronic"].min_days
    assert min_days is not None  # the knowledge check requires it
    return "chronic" if days >= min_days else "acute"


REGISTRY: dict[str, dict[str, Callable[..., Any]]] = {
    "on_modifies": {
        f.__name__: f
        for f in (
            past_not_ongoing,
            not_about_me,
            old_not_age,
            subject_of_normal,
            list_continues,
            gone_for_good,
            adjacent_if_forward,
            colon_no,
        )
    },
    "veto": {f.__name__: f for f in (numbness_not_pain, heart_sounds)},
    "resolve": {f.__name__: f for f in (chronicity,)},
}
if {k: set(v) for k, v in REGISTRY.items()} != {k: set(v) for k, v in CALLBACKS.items()}:
    raise KnowledgeError(  # pragma: no cover - a developer's mistake, caught by any test
        "extract/callbacks.py REGISTRY and knowledge.extraction.CALLBACKS disagree"
    )


def callback(kind: str, name: str) -> Callable[..., Any]:
    """The callback ``name`` of ``kind``; :class:`KnowledgeError` naming the known ones."""
    try:
        return REGISTRY[kind][name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY.get(kind, {})))
        raise KnowledgeError(f"unknown {kind} callback {name!r}; known: {known}") from None
