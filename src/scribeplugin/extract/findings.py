"""Findings: concepts found in the transcript, with offsets, speaker and a dialogue-aware assertion.

How it works, in order (one module per step):

1. ``units.split_units`` cuts every turn into sentence-sized units (turns, line breaks, spaced or
   unspaced punctuation, a comma before a new subject, a leading "no,"), so ASR text never
   becomes one giant sentence.
2. ``nlp``: each unit is its own medspaCy doc, run through the target rules and ConText that
   ``rules`` builds from the extraction knowledge (``corpus/knowledge/extraction/``).
3. ``mentions``: each target match becomes a raw finding (unless a veto says the words mean
   something else here), whose assertion comes from its ConText modifiers read with the
   speaker in mind: "I think it's a slipped disc" is a guess from a patient but an impression
   from a clinician.
4. ``places``: level, region and laterality are attached from the finding's own words or the
   nearest mention in the same unit (a root or lone vertebra takes its region from a segment
   through it); a sited condition or symptom of the limbs takes its site, structure and digit
   the same way ("MCL sprain", "pain in my right ring finger").
5. ``dialogue``: a finding in a clinician's question takes its assertion from the answer, a
   patient's guess the clinician confirms is present, a condition's other name is said as the
   first ("X, also known as Y"), two diagnoses offered as alternatives are a differential
   (possible), the clinician's assessment outweighs what others said, and what has resolved is
   historical.
6. ``places.share_places``: a condition mentioned without a place takes the one its other
   mentions agree on.

``transcript.text[f.start:f.end] == f.text`` holds for every finding, by construction.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from scribeplugin.deadline import Deadline, check
from scribeplugin.extract.dialogue import Dialogue
from scribeplugin.extract.mentions import Assertion, Raw
from scribeplugin.extract.nlp import NlpPipeline
from scribeplugin.extract.places import Sites, share_places
from scribeplugin.extract.transcript import Speaker, Transcript, parse_transcript
from scribeplugin.extract.units import split_units
from scribeplugin.knowledge.extraction import Category, ExtractionKnowledge, default_knowledge

__all__ = ["Assertion", "Finding", "FindingExtractor"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One concept mentioned in the transcript. ``text == transcript.text[start:end]``."""

    concept: str  # a concept id of the extraction knowledge
    category: Category
    text: str
    start: int
    end: int
    speaker: Speaker
    turn_index: int
    assertion: Assertion = "present"
    level: str | None = None  # "L5-S1", "C5-C6", "L4"
    region: str | None = None  # a region concept id
    laterality: str | None = None  # "left" | "right" | "bilateral"
    site: str | None = None  # a site concept id (site_knee), for a condition or symptom of a limb
    structure: str | None = None  # a structure concept id (structure_mcl) of that site
    digit: str | None = None  # a digit concept id (digit_index) of a finger or toe site
    from_assessment: bool = False  # the clinician states it as diagnosis, impression or plan
    in_question: bool = False  # mentioned in a clinician's question; the answer decided
    cues: tuple[str, ...] = ()  # why the assertion is what it is ("NEGATED_EXISTENCE:denies")

    @property
    def concept_ids(self) -> tuple[str, ...]:
        """The concept and the region, side, site, structure and digit concepts it carries."""
        return tuple(
            c
            for c in (
                self.concept,
                self.region,
                self.laterality,
                self.site,
                self.structure,
                self.digit,
            )
            if c
        )


class FindingExtractor:
    """Loads medspaCy once (lazily, thread-safe) and extracts findings from transcripts.

    ``knowledge`` is what it finds; None loads the default knowledge (the settings'
    ``knowledge_dirs``, once per process)."""

    def __init__(self, knowledge: ExtractionKnowledge | None = None) -> None:
        self.knowledge = knowledge if knowledge is not None else default_knowledge()
        self._sites = Sites(self.knowledge)
        self._pipeline: NlpPipeline | None = None
        self._load_lock = threading.Lock()
        self._run_lock = threading.Lock()  # spaCy matchers are not documented as thread-safe

    def warm_up(self) -> None:
        """Build the medspaCy pipeline now rather than on the first transcript."""
        if self._pipeline is None:
            with self._load_lock:
                if self._pipeline is None:
                    self._pipeline = NlpPipeline(self.knowledge)

    def extract(
        self,
        transcript: Transcript | str | bytes | list[dict[str, Any]],
        deadline: Deadline | None = None,
    ) -> list[Finding]:
        """The findings of one transcript (raw input is parsed with ``parse_transcript``).

        With a ``deadline``, raises DeadlineExceededError once it has passed (checked after every
        unit and between the passes). The medspaCy pipeline serves one unit at a time, so
        concurrent transcripts take turns unit by unit rather than waiting for a whole one.
        """
        if not isinstance(transcript, Transcript):
            transcript = parse_transcript(transcript)
        self.warm_up()
        assert self._pipeline is not None
        units = split_units(transcript)
        places: list[Raw] = []
        raws = self._pipeline.targets(transcript, units, self._run_lock, deadline, places)
        raws = self._sites.attach(transcript, raws, places, deadline, units)
        check(deadline, "in extraction")
        mentions = self._pipeline.mentions
        Dialogue(
            transcript,
            units,
            raws,
            mentions.not_a_symptom,
            mentions.side_answered,
            mentions.restated,
            mentions.either_or,
        ).run()
        share_places(raws)
        kept = sorted((r for r in raws if not r.dropped), key=lambda r: (r.start, r.end))
        return [_final(transcript, r) for r in kept]

    run = extract  # the one-step-one-run() convention of the other components


def _final(transcript: Transcript, r: Raw) -> Finding:
    return Finding(
        concept=r.concept,
        category=r.category,
        text=transcript.text[r.start : r.end],
        start=r.start,
        end=r.end,
        speaker=r.speaker,
        turn_index=r.turn,
        assertion=r.assertion,
        level=r.level,
        region=r.region,
        laterality=r.laterality,
        site=r.site,
        structure=r.structure,
        digit=r.digit,
        from_assessment=r.from_assessment,
        in_question=r.in_question,
        cues=tuple(r.cues),
    )
