"""The two readers of a sentence's target: the project's ConText and medspaCy's default.

Each ``read(sentence, start, end)`` makes ``sentence[start:end]`` the one target, runs ConText
and maps the modifiers on the target to the set's four labels.

**Project** (:class:`ProjectContext`): extraction's own steps, nothing re-implemented. The
sentence is one turn of an unlabelled speaker ("unknown": the set is written notes, not
dialogue), cut into units by ``extract.units.split_units``; the unit holding the target (the
units it spans, joined, when a unit boundary cuts it) is tokenised and tagged by
``NlpPipeline.unit_doc``, ConText runs with the project's rules (``NlpPipeline.run_context``:
medspaCy's defaults changed as ``corpus/knowledge/extraction/context.yaml`` says, plus its
own), and ``Mentions.reading`` reads the modifiers into an assertion, speaker-aware, as it
does for every finding. The target stands for a condition of the knowledge (the first
condition concept no rule names by id, see :func:`stand_in_concept`), so the rules that apply
to conditions apply to it. The reading maps to the labels so:

- negated: NEGATED_EXISTENCE in the reading, or a problem said to have resolved ("his nausea
  resolved"), which the project reads as over (a HISTORICAL cue marked ``resolved``, not
  coded) and the set, following NegEx, annotates as negated. POSSIBLE_EXISTENCE and the
  project's GUESS (a theory) and REPORTED (a document read out), which the reading makes
  "possible", are not negation.
- historical: HISTORICAL in the reading, unless the reading says only that it resolved.
- hypothetical: a HYPOTHETICAL cue on the target ("if", "return for"; the reading folds it into
  "possible"). PLAN and ASSESSMENT are not: a clinician's plan for a condition treats it, and
  only a plannable concept (a test, a treatment) becomes "planned, not done", which a condition
  never is.
- other experiencer: FAMILY in the reading (relatives and other people; the reading already
  drops a FAMILY cue the callbacks say is about the patient).

**Default** (:class:`DefaultContext`): ``medspacy.load`` with its default tokenizer, PyRuSH
sentence splitter and ConText with its default English rules; NEGATED_EXISTENCE, HISTORICAL,
HYPOTHETICAL and FAMILY map to the four labels, POSSIBLE_EXISTENCE to none.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol

from scribeplugin.evaluation.negex.data import Labels, NegexDataError
from scribeplugin.knowledge.extraction import Category, ExtractionKnowledge, default_knowledge

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span

NEG, HIST, HYPO, FAM = "NEGATED_EXISTENCE", "HISTORICAL", "HYPOTHETICAL", "FAMILY"


@dataclass(frozen=True, slots=True)
class Reading:
    labels: Labels
    cues: tuple[str, ...]  # "CATEGORY:words" of the modifiers on the target
    units: int = 1  # how many of the project's units the target spans


class Reader(Protocol):
    name: str

    def read(self, sentence: str, start: int, end: int) -> Reading: ...


def stand_in_concept(knowledge: ExtractionKnowledge) -> str:
    """The condition concept the target stands for: the first that no ConText rule or label
    set names by id, so that only what the rules say of conditions applies to it."""
    named: set[str] = set()
    for rule in [*knowledge.context_rules, *knowledge.defaults]:
        for name in [*(rule.allowed or []), *(rule.excluded or [])]:
            if not name.startswith("$"):
                named.add(name.lower())
    for label_set in knowledge.label_sets.values():
        named.update(c.lower() for c in label_set.concepts)
    for concept in knowledge.of_category(Category.condition):
        if concept.id not in named and not concept.plannable:
            return concept.id
    raise NegexDataError("the extraction knowledge has no condition concept to stand for a target")


def _target(doc: Doc, start: int, end: int, label: str) -> Span:
    span = doc.char_span(start, end, label=label, alignment_mode="expand")
    if span is None:  # pragma: no cover - "expand" always covers a non-empty character range
        raise NegexDataError(f"no tokens at characters {start}-{end} of a sentence")
    doc.ents = [span]
    return span


class ProjectContext:
    """The project's ConText set-up and reading, as extraction runs them (module docstring)."""

    name = "project"

    def __init__(self, knowledge: ExtractionKnowledge | None = None) -> None:
        from scribeplugin.extract.nlp import NlpPipeline
        from scribeplugin.extract.rules import label_of, resolved_literals

        self.knowledge = knowledge if knowledge is not None else default_knowledge()
        self.concept = stand_in_concept(self.knowledge)
        self._label = label_of(self.concept)
        self._nlp = NlpPipeline(self.knowledge)
        self._resolved = resolved_literals(self.knowledge)

    def read(self, sentence: str, start: int, end: int) -> Reading:
        from scribeplugin.extract.transcript import Transcript, Turn
        from scribeplugin.extract.units import Unit, split_units

        text = Transcript(sentence, (Turn("unknown", "", sentence, 0, len(sentence)),), "plain")
        inside = [u for u in split_units(text) if u.start < end and u.end > start]
        unit = (
            replace(inside[0], end=inside[-1].end)
            if inside
            else Unit(0, "unknown", 0, len(sentence))
        )
        doc = self._nlp.unit_doc(sentence[unit.start : unit.end])
        _target(
            doc, max(start, unit.start) - unit.start, min(end, unit.end) - unit.start, self._label
        )
        doc = self._nlp.run_context(doc)
        ent = doc.ents[0]
        mods = tuple(ent._.modifiers)
        raw = self._nlp.mentions.reading(ent, self.concept, unit, 0, mods)
        cues = tuple(raw.cues)
        return Reading(
            Labels(
                negated=NEG in raw.cats or raw.resolved,
                historical=HIST in raw.cats
                and any(m.category == HIST and m.rule.literal not in self._resolved for m in mods),
                hypothetical=any(c.startswith(HYPO + ":") for c in cues),
                other_experiencer=FAM in raw.cats,
            ),
            cues,
            units=max(len(inside), 1),
        )


class DefaultContext:
    """medspaCy's default pipeline and ConText rules: the baseline."""

    name = "default"

    def __init__(self) -> None:
        from scribeplugin.logs import quiet_third_party

        quiet_third_party()
        import medspacy

        nlp = medspacy.load(
            medspacy_enable=["medspacy_tokenizer", "medspacy_pyrush", "medspacy_context"]
        )
        self._before: list[Any] = [p for n, p in nlp.pipeline if n != "medspacy_context"]
        self._context = nlp.get_pipe("medspacy_context")
        self._nlp = nlp

    def read(self, sentence: str, start: int, end: int) -> Reading:
        doc = self._nlp.make_doc(sentence)
        # PyRuSH's rule engine (PyFastNER) logs an INFO line on the root logger per sentence.
        root = logging.getLogger()
        level = root.level
        root.setLevel(max(level, logging.WARNING))
        try:
            for step in self._before:
                doc = step(doc)
        finally:
            root.setLevel(level)
        _target(doc, start, end, "TARGET")
        doc = self._context(doc)
        ent = doc.ents[0]
        mods = list(ent._.modifiers)
        cats = {m.category for m in mods}
        return Reading(
            Labels(
                negated=NEG in cats,
                historical=HIST in cats,
                hypothetical=HYPO in cats,
                other_experiencer=FAM in cats,
            ),
            tuple(
                f"{m.category}:{doc[m.modifier_span[0] : m.modifier_span[1]].text}" for m in mods
            ),
        )
