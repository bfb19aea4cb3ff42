"""Step 3 of extraction: each target match becomes a raw finding with its first assertion.

A match is first checked against its target's vetoes (words that match a pattern but mean
something else here: "aortic stenosis", "strain your urine"), resolved to its concept (a
duration is chronic or acute) or split in two ("back and buttock pain"), then given the
assertion its ConText modifiers say, read with the speaker in mind: "I think it's a slipped
disc" is a guess from a patient but an impression from a clinician.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from scribeplugin.extract import normalize
from scribeplugin.extract.callbacks import callback
from scribeplugin.extract.rules import plan_literals, resolved_literals
from scribeplugin.extract.transcript import Speaker
from scribeplugin.extract.units import Unit
from scribeplugin.knowledge.extraction import Category, ExtractionKnowledge, Veto

if TYPE_CHECKING:
    from spacy.tokens import Span

log = logging.getLogger(__name__)

Assertion = Literal["present", "negated", "possible", "historical", "family"]

# ConText categories (medspaCy's and ours, see corpus/knowledge/extraction/context.yaml).
NEG, POSS, HIST, FAM, HYPO = (
    "NEGATED_EXISTENCE",
    "POSSIBLE_EXISTENCE",
    "HISTORICAL",
    "FAMILY",
    "HYPOTHETICAL",
)
GUESS, PLAN, ASSESS, REPORTED = "GUESS", "PLAN", "ASSESSMENT", "REPORTED"

WHERE = {Category.region, Category.level, Category.laterality}
CONDITION_CATEGORIES = {Category.condition, Category.cause}


_SIDE_WORD = re.compile(r"\b(?:both|left|right)\b", re.IGNORECASE)


@dataclass(slots=True)
class Raw:
    """A finding while the passes work on it."""

    concept: str
    category: Category
    label: str
    start: int
    end: int
    unit: int  # index into the unit list
    speaker: Speaker
    turn: int
    cats: set[str] = field(default_factory=set)
    cues: list[str] = field(default_factory=list)
    assess: bool = False
    plan: bool = False
    guess: bool = False
    assertion: Assertion = "present"
    from_assessment: bool = False
    in_question: bool = False
    level: str | None = None
    region: str | None = None
    laterality: str | None = None
    dropped: bool = False  # the dialogue showed it is not a finding after all
    reported: bool = False  # named by a document read out ("the report says ..."), not judged
    resolved: bool = False  # said to have resolved ("has cleared up", "it's completely gone")
    site: str | None = None  # a limb site concept (site_knee), for a sited concept (places.py)
    structure: str | None = None  # a structure concept of that site (structure_mcl)
    digit: str | None = None  # which finger or toe (digit_index)
    needs_site: bool = False  # an ``unsited`` veto holds: no finding unless it takes a site


_Test = Callable[["Span", str, str], bool]


def _veto_tests(k: ExtractionKnowledge, veto: Veto) -> list[_Test]:
    """One predicate per test of a veto; the veto holds when all do."""
    words = k.words_of
    tests: list[_Test] = []
    if veto.previous is not None:
        prev_in = words(veto.previous)
        tests.append(lambda e, p, n: p in prev_in)
    if veto.previous_not is not None:
        prev_out = words(veto.previous_not)
        tests.append(lambda e, p, n: p not in prev_out)
    if veto.next is not None:
        next_in = words(veto.next)
        tests.append(lambda e, p, n: n in next_in)
    if veto.next_not is not None:
        next_out = words(veto.next_not)
        tests.append(lambda e, p, n: n not in next_out)
    if veto.text is not None:
        text = veto.text
        tests.append(lambda e, p, n: e.text.lower() == text)
    if veto.starts_with is not None:
        head = veto.starts_with
        tests.append(lambda e, p, n: e.text.lower().startswith(head))
    if veto.ends_with is not None:
        tail = veto.ends_with
        tests.append(lambda e, p, n: e.text.lower().endswith(tail))
    if veto.tokens is not None:
        size = veto.tokens
        tests.append(lambda e, p, n: len(e) == size)
    tests.extend(_in_unit(k.regex(ref), True) for ref in veto.unit_matches)
    tests.extend(_in_unit(k.regex(ref), False) for ref in veto.unit_lacks)
    if veto.callback is not None:
        tests.append(callback("veto", veto.callback))
    return tests


def _neighbours(ent: Span) -> tuple[str, str]:
    """The words before and after a match (after: past one hyphen), lower case."""
    doc = ent.doc
    prev = doc[ent.start - 1].lower_ if ent.start > 0 else ""
    after = ent.end + (ent.end < len(doc) and doc[ent.end].text in ("-", "–"))
    return prev, doc[after].lower_ if after < len(doc) else ""


def _in_unit(regex: re.Pattern[str], found: bool) -> _Test:
    def test(ent: Span, prev: str, nxt: str) -> bool:
        return (regex.search(ent.doc.text) is not None) == found

    return test


class Mentions:
    """Reads target matches into raw findings, by the knowledge of one extractor."""

    def __init__(self, knowledge: ExtractionKnowledge) -> None:
        k = self.k = knowledge
        # An ``unsited`` veto is decided once places are known (places.Sites.attach): its
        # other tests mark the finding ``needs_site`` here.
        self._vetoes: dict[str, list[list[_Test]]] = {
            t.label: [_veto_tests(k, v) for v in t.veto if not v.unsited]
            for t in k.targets.values()
            if t.veto
        }
        self._unsited: dict[str, list[list[_Test]]] = {
            t.label: [_veto_tests(k, v) for v in t.veto if v.unsited]
            for t in k.targets.values()
            if any(v.unsited for v in t.veto)
        }
        self._resolve = {
            t.label: callback("resolve", t.resolve) for t in k.targets.values() if t.resolve
        }
        self._split = {
            t.label: (
                k.words_of(t.split.at),
                t.split.into[0].upper(),
                t.split.into[1].upper(),
                {w: c.upper() for ws, c in t.split.first_after.items() for w in k.words_of(ws)},
            )
            for t in k.targets.values()
            if t.split is not None
        }
        self._attribution = k.regex("@ATTRIBUTION")
        self._not_a_symptom = k.regex("@NOT_A_SYMPTOM")
        self._restated = k.regex("@RESTATED")
        self._either_or = k.regex("@EITHER_OR")
        self._resolved = resolved_literals(k)
        self._awaited = k.words("AWAITED")
        self._denied_by = {
            t.label: k.words_of(t.negated_by) for t in k.targets.values() if t.negated_by
        }
        self._side_question = k.regex("@SIDE_QUESTION")
        self._side_answer = k.regex("@SIDE_ANSWER")
        self._plan = plan_literals(k)
        self._planned = {c.id.upper() for c in k.concepts.values() if c.plannable}

    def split(self, ent: Span) -> list[Span]:
        """The spans a target stands for: itself, or (a target with ``split``) its two parts.

        "back and buttock pain" is one target, so the overlap with "buttock pain" cannot drop
        either part; it is read as low back pain ("back"; "upper back" is back pain) and leg
        pain ("buttock pain"), both with the ConText modifiers of the whole span.
        """
        spec = self._split.get(ent.label_)
        if spec is None:
            return [ent]
        from spacy.tokens import Span

        at, first, second, first_after = spec
        doc = ent.doc
        joint = next((i for i in range(ent.start, ent.end) if doc[i].lower_ in at), None)
        if joint is None or joint in (ent.start, ent.end - 1):  # pragma: no cover - by the pattern
            return []
        if ent.start > 0:
            first = first_after.get(doc[ent.start - 1].lower_, first)
        return [
            Span(doc, ent.start, joint, label=first),
            Span(doc, joint + 1, ent.end, label=second),
        ]

    def _vetoed(
        self, label: str, ent: Span, prev: str, nxt: str, vetoes: dict[str, list[list[_Test]]]
    ) -> bool:
        return any(all(test(ent, prev, nxt) for test in tests) for tests in vetoes.get(label, ()))

    def read(self, ent: Span, unit: Unit, ui: int, mods: tuple[Any, ...] = ()) -> Raw | None:
        """The raw finding of one match, or None when it is not one."""
        label = ent.label_
        prev, nxt = _neighbours(ent)
        if self._vetoed(label, ent, prev, nxt, self._vetoes):
            return None
        resolve = self._resolve.get(label)
        concept = resolve(ent, self.k) if resolve is not None else label.lower()
        if concept is None:
            return None
        known = self.k.concepts.get(concept)
        if known is None:  # pragma: no cover - the knowledge check forbids it
            log.warning("target label %s has no concept", label)
            return None
        if concept == "level" and normalize.parse_level(ent.text) is None:
            return None
        if concept.upper() != label and self._vetoed(concept.upper(), ent, prev, nxt, self._vetoes):
            return None
        raw = self.reading(ent, concept, unit, ui, mods)
        labels = {label, concept.upper()}
        raw.needs_site = any(self._vetoed(lb, ent, prev, nxt, self._unsited) for lb in labels)
        return raw

    def place(self, span: Span, unit: Unit, ui: int) -> Raw | None:
        """A site, structure or digit named in a unit, read for where findings are; None when
        a veto of its target holds ("on the other hand", a lone "fourth" not before
        "metacarpal")."""
        prev, nxt = _neighbours(span)
        if self._vetoed(span.label_, span, prev, nxt, self._vetoes):
            return None
        concept = span.label_.lower()
        return Raw(
            concept,
            self.k.concepts[concept].category,
            span.label_,
            unit.start + span.start_char,
            unit.start + span.end_char,
            ui,
            unit.speaker,
            unit.turn_index,
        )

    def reading(
        self, ent: Span, concept: str, unit: Unit, ui: int, mods: tuple[Any, ...] = ()
    ) -> Raw:
        """``ent`` read as ``concept`` (a concept id), with the assertion its modifiers give."""
        raw = Raw(
            concept,
            self.k.concepts[concept].category,
            ent.label_,
            unit.start + ent.start_char,
            unit.start + ent.end_char,
            ui,
            unit.speaker,
            unit.turn_index,
        )
        if raw.category == Category.cause and self._attribution.search(ent.text):
            raw.assess = True  # "coming from a kidney stone": the cue is inside the target
        denied = self._denied_by.get(ent.label_)
        if denied and any(t.lower_ in denied for t in ent):
            raw.cats.add(NEG)  # "my left knee doesn't really hurt"
            raw.cues.append("NEGATED_EXISTENCE:in its own words")
        self._base_assertion(raw, ent, unit, mods)
        return raw

    def side_answered(self, question: str, answer: str) -> tuple[str, int, int] | None:
        """The side a reply gives when the question asks which side, and where the reply says
        it: "is it one knee versus the other, or both?" / "both equally." -> bilateral at "both";
        "which hip?" / "the left one" -> left at "left"."""
        if not self._side_question.search(question):
            return None
        m = self._side_answer.match(answer)
        if m is None:
            return None
        word = _SIDE_WORD.search(answer, m.start(), m.end())
        if word is None:  # pragma: no cover - SIDE_ANSWER ends in a side word
            return None
        side = {"both": "bilateral"}.get(word.group(0).lower(), word.group(0).lower())
        return side, word.start(), word.end()

    def restated(self, between: str) -> bool:
        """Whether the words between two mentions give the first one's other name ("X, also
        known as Y")."""
        return self._restated.search(between) is not None

    def either_or(self, between: str) -> bool:
        """Whether the words between two diagnoses offer them as alternatives ("X or Y")."""
        return self._either_or.search(between) is not None

    def not_a_symptom(self, text: str) -> bool:
        """Smoking, drinking, a partner, a job: a duration about these is no symptom's."""
        return self._not_a_symptom.search(text) is not None

    def _is_awaited(self, ent: Span) -> bool:
        """'until the swelling has resolved', 'once the infection is gone': still there."""
        before = ent.doc[max(ent.start - 3, 0) : ent.start]
        return any(t.lower_ in self._awaited for t in before)

    def _base_assertion(self, raw: Raw, ent: Span, unit: Unit, mods: tuple[Any, ...]) -> None:
        """Assertion from the ConText modifiers, read with the speaker and the unit in mind."""
        doc = ent.doc
        for mod in mods:
            cat = mod.category
            s, e = mod.modifier_span
            text = doc[s:e].text
            if cat == GUESS:
                if raw.speaker == "clinician":
                    raw.assess = True
                else:
                    raw.guess = True
                    raw.cats.add(POSS)
            elif cat == PLAN:
                raw.plan = True
            elif cat == ASSESS:
                raw.assess = True
            elif cat == FAM:
                if raw.speaker == "other" and s > 0 and doc[s - 1].lower_ == "my":
                    continue  # a relative speaking: "my mom has back pain" is the patient
                raw.cats.add(cat)
            elif cat == HYPO:
                raw.cats.add(POSS)
            elif cat == REPORTED:
                raw.reported = True
                raw.guess = raw.guess or raw.speaker != "clinician"  # the clinician may confirm
                raw.cats.add(POSS)
            else:
                if cat == HIST and mod.rule.literal in self._resolved:
                    if self._is_awaited(ent):
                        continue  # "until the swelling has resolved": it is still there
                    raw.resolved = True
                raw.cats.add(cat)
                if mod.rule.literal in self._plan:
                    raw.plan = True  # "not going to order an MRI" is a plan too
            raw.cues.append(f"{cat}:{text}")
        if raw.plan and raw.label in self._planned:
            raw.cats.add(POSS)  # planned, not done
        if unit.question and raw.speaker != "clinician" and raw.category in CONDITION_CATEGORIES:
            raw.cats.add(POSS)  # "could it be a slipped disc?"
            raw.guess = True
            raw.cues.append("patient_question")
        if raw.reported:
            raw.from_assessment = False  # reading out a report is not the clinician's judgement
        elif raw.speaker == "clinician":
            raw.from_assessment = not unit.question and (
                raw.assess
                or raw.plan
                or unit.assessment_section
                or (POSS in raw.cats and raw.category in CONDITION_CATEGORIES)
                or raw.category == Category.cause  # a clinician naming a kidney stone diagnoses it
            )
        elif raw.speaker == "unknown":
            raw.from_assessment = unit.assessment_section or (raw.assess and not unit.question)
        if raw.category in WHERE or (
            raw.category == Category.chronicity and raw.speaker != "clinician"
        ):
            # Where it is and how long it lasted are descriptions: "maybe more to the right",
            # "I'd say maybe a month" hedge the detail, not whether there is a problem.
            raw.cats -= {POSS, HIST}
        raw.assertion = assertion_of(raw.cats)


def assertion_of(cats: set[str]) -> Assertion:
    if FAM in cats:
        return "family"
    if NEG in cats:
        return "negated"
    if POSS in cats:
        return "possible"
    if HIST in cats:
        return "historical"
    return "present"
