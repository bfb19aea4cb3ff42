"""Step 2 of extraction: medspaCy on each unit, giving the target matches and their modifiers.

Each unit is its own medspaCy doc: the medspaCy tokenizer, a small tagger that marks
"left"/"right" used as laterality, the target rules (``matching``), and ConText (its default
English rules, changed as the knowledge says, plus its own) only where a target was found. Both
rule sets run on ``patterns.TokenPatterns``: spaCy's Matcher semantics, run as one lazily built
automaton over all patterns.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import TYPE_CHECKING

from scribeplugin.deadline import Deadline, check
from scribeplugin.extract import rules
from scribeplugin.extract.matching import TargetSpans
from scribeplugin.extract.mentions import Mentions, Raw
from scribeplugin.extract.patterns import index_medspacy_matcher
from scribeplugin.extract.transcript import Transcript
from scribeplugin.extract.units import Unit
from scribeplugin.knowledge.extraction import Category, ExtractionKnowledge

if TYPE_CHECKING:
    from spacy.tokens import Doc

log = logging.getLogger(__name__)

_LEVEL_TOKEN = re.compile(r"^[ctls](?:[1-9]|1[0-2])$")


class LateralityTagger:
    """Marks 'left'/'right' that name a side ("left leg", "on the right", "the right is
    negative", "jumper's knee, left."), not "all right".

    The body words (``LATERAL_BODY``), the "on the" words (``LAT_PREP``, ``LAT_BEFORE``), the
    exam results a side can be said to have (``LAT_RESULT``) and the talk a side after a comma
    is not ("okay, right, ...": ``LAT_TALK``) are vocabulary."""

    def __init__(self, knowledge: ExtractionKnowledge) -> None:
        self._body = knowledge.words("LATERAL_BODY")
        self._before = knowledge.words("LAT_BEFORE")
        self._prep = knowledge.words("LAT_PREP")
        self._result = knowledge.words("LAT_RESULT")
        self._talk = knowledge.words("LAT_TALK")

    def __call__(self, doc: Doc) -> None:
        n = len(doc)
        for i, tok in enumerate(doc):
            low = tok.lower_
            if low not in ("left", "right"):
                continue
            j = i + 1
            while j < n and doc[j].lower_ in ("-", "–"):
                j += 1
            nxt = doc[j].lower_ if j < n else ""
            names_a_part = nxt in self._body or _LEVEL_TOKEN.match(nxt) is not None
            on_the_side = (
                i >= 2 and doc[i - 1].lower_ in self._before and doc[i - 2].lower_ in self._prep
            )
            # "The right is negative": an exam result stated of a side.
            has_a_result = (
                i >= 1
                and doc[i - 1].lower_ in self._before
                and nxt in ("is", "was")
                and j + 1 < n
                and doc[j + 1].lower_ in self._result
            )
            # "jumper's knee, left, patellar tendinitis": a side dictated after its finding,
            # between commas or ending the clause
            dictated_after = (
                i >= 2
                and doc[i - 1].text == ","
                and doc[i - 2].is_alpha
                and doc[i - 2].lower_ not in self._talk
                and nxt in (",", ".", ";", "")
            )
            if names_a_part or on_the_side or has_a_result or dictated_after:
                tok._.scribe_lat = low


class NlpPipeline:
    """medspaCy (blank English, its tokenizer and ConText) and the target rules, built once."""

    def __init__(self, knowledge: ExtractionKnowledge) -> None:
        from scribeplugin.logs import quiet_third_party

        quiet_third_party()
        import medspacy
        from spacy.attrs import ORTH
        from spacy.tokens import Token

        Token.set_extension("scribe_lat", default="", force=True)  # the Matcher needs a str
        nlp = medspacy.load(
            medspacy_enable=["medspacy_tokenizer", "medspacy_context"], load_rules=False
        )
        # ASR text detaches clitics ("did n't", "i 'm"); medspaCy's tokenizer would then split
        # "n't" into n ' t. Keep them whole, as spaCy does for "didn't".
        for clitic in ("n't", "'m", "'s", "'ll", "'re", "'ve", "'d"):
            for form in (clitic, clitic.replace("'", "’")):
                nlp.tokenizer.add_special_case(form, [{ORTH: form}])
        nlp.remove_pipe("medspacy_context")
        self.context = nlp.add_pipe(
            "medspacy_context",
            config={
                "rules": None,
                "prune_on_target_overlap": True,
                "span_attrs": None,
            },
        )
        # Set here, not through the spaCy config, which hands the lists over as one-shot iterators.
        self.context.terminating_types = rules.terminating_types(knowledge)
        self.context.add(rules.build_context_rules(knowledge))
        # ConText keeps its rules in a MedspacyMatcher (private attribute; medspacy is pinned).
        if not index_medspacy_matcher(getattr(self.context, "_ConText__matcher", None)):
            log.warning("ConText runs on spaCy's Matcher: slower, same results")
        target_rules = rules.build_target_rules(knowledge)
        self.targets_matcher = TargetSpans(nlp, target_rules)
        # The limbs' sites, structures and digits, matched again on their own where a sited
        # target was found: "knee pain" is one target, and its knee is read from it here.
        place_labels = {
            rules.label_of(c.id)
            for c in knowledge.concepts.values()
            if c.category in (Category.site, Category.structure, Category.digit)
        }
        self._sited_labels = {rules.label_of(c.id) for c in knowledge.concepts.values() if c.sited}
        self.places_matcher = TargetSpans(
            nlp, {label: rs for label, rs in target_rules.items() if label in place_labels}
        )
        self.tag_laterality = LateralityTagger(knowledge)
        self.mentions = Mentions(knowledge)
        self.nlp = nlp
        log.info("medspaCy pipeline ready (%d target rules)", self.targets_matcher.n_rules)

    def unit_doc(self, text: str) -> Doc:
        """The tokens of one unit, "left"/"right" tagged where they name a side."""
        doc: Doc = self.nlp.make_doc(text)
        lowered = text.lower()
        if "left" in lowered or "right" in lowered:
            self.tag_laterality(doc)
        return doc

    def run_context(self, doc: Doc) -> Doc:
        """ConText over the targets of a unit's doc (``doc.ents``), the unit as its one sentence."""
        doc[0].is_sent_start = True  # one unit, one sentence: ConText's scope
        if len(doc) > 1:
            doc[1].is_sent_start = False
        out: Doc = self.context(doc)
        return out

    def targets(
        self,
        transcript: Transcript,
        units: list[Unit],
        lock: threading.Lock,
        deadline: Deadline | None = None,
        places: list[Raw] | None = None,
    ) -> list[Raw]:
        """The raw findings of every unit, with the assertion ConText gives them. ``lock`` is
        held for one unit at a time (spaCy's matchers and our automaton are not thread-safe);
        the deadline is checked between units. With ``places``, every site, structure and digit
        named in a unit that has a sited finding is added to it, inside other targets too (for
        ``places.Sites.attach``)."""
        out: list[Raw] = []
        mentions = self.mentions
        for ui, unit in enumerate(units):
            check(deadline, "in extraction")
            with lock:
                doc = self.unit_doc(transcript.text[unit.start : unit.end])
                if not self.targets_matcher.mark(doc):
                    continue
                doc = self.run_context(doc)
                if places is not None and any(e.label_ in self._sited_labels for e in doc.ents):
                    for span in self.places_matcher.spans(doc):
                        place = mentions.place(span, unit, ui)
                        if place is not None:
                            places.append(place)
                for ent in doc.ents:
                    mods = tuple(ent._.modifiers)
                    for span in mentions.split(ent):
                        raw = mentions.read(span, unit, ui, mods)
                        if raw is not None:
                            out.append(raw)
        return out
