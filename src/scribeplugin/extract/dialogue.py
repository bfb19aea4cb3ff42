"""Step 4 of extraction: the dialogue passes, which read each finding against the talk around it.

A finding in a clinician's question takes its assertion from the answer ("any numbness?" /
"no" -> negated; "yes, in my left foot" -> present, left); unanswered questions stay possible;
a clinician proposal the patient rejects is negated; a patient's guess the clinician confirms is
present; the clinician's assessment of a condition outweighs what the patient said about it;
what a document says ("the report says ...") is possible until the clinician affirms it; "It's
completely gone." makes the problem of the unit before it historical, and the clinician saying a
problem has resolved makes its earlier mentions historical too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import pairwise

from scribeplugin.extract.mentions import CONDITION_CATEGORIES, FAM, HIST, WHERE, Raw
from scribeplugin.extract.places import same_place
from scribeplugin.extract.rules import label_of
from scribeplugin.extract.transcript import Transcript
from scribeplugin.extract.units import Unit
from scribeplugin.knowledge.extraction import Category

_FILLER_UNIT = re.compile(
    r"^(?:(?:uh|um|umm|er|erm|oh|ah|hmm|mm|well|so|okay|ok|alright|sorry|pardon|huh)[\s,.!?-]*)+$",
    re.IGNORECASE,
)
# A clinician checking what they understood: "So you've had this for two weeks."
_PROPOSAL = re.compile(
    r"^\W*(?:(?:ok(?:ay)?|alright|all right|and|now|right)\W+)*(?:so\b|and so\b|"
    r"(?:it )?sounds like you\b|you (?:said|mentioned|told)|you(?:'ve|’ve| have| had| are|'re)\b)",
    re.IGNORECASE,
)
# how far apart (characters) a condition and its other name may be
RESTATED_GAP = 60
_EXCLAMATION = re.compile(r"^\W*(?:oh|ah|aw)\b|^\W*no (?:kidding|way|problem|worries)\b", re.I)
_ONLY = re.compile(
    r"^\W*(?:(?:uh|um|well|so)\W+)*(?:it'?s |it is )?(?:just|only|mostly|mainly)\b", re.IGNORECASE
)


class Dialogue:
    """The dialogue passes over one transcript's raw findings."""

    def __init__(
        self,
        transcript: Transcript,
        units: list[Unit],
        raws: list[Raw],
        not_a_symptom: Callable[[str], bool],
        side_answered: Callable[[str, str], tuple[str, int, int] | None] = lambda q, a: None,
        restated: Callable[[str], bool] = lambda between: False,
        either_or: Callable[[str], bool] = lambda between: False,
    ) -> None:
        self.not_a_symptom = not_a_symptom  # "for how long have you smoked?"
        self.side_answered = side_answered  # "which knee?" / "both." -> bilateral
        self.restated = restated  # "adhesive capsulitis, also known as a frozen shoulder"
        self.either_or = either_or  # "a rotator cuff tear or impingement syndrome"
        self.text = transcript.text
        self.turns = transcript.turns
        self.units = units
        self.raws = raws
        self.by_turn: dict[int, list[int]] = {}
        for ui, u in enumerate(units):
            self.by_turn.setdefault(u.turn_index, []).append(ui)
        self.by_unit: dict[int, list[Raw]] = {}
        for r in raws:
            self.by_unit.setdefault(r.unit, []).append(r)

    def run(self) -> None:
        turns = self.turns
        ti = 0
        while ti < len(turns):
            if turns[ti].speaker != "clinician":
                self._guess_confirmed(ti)
                ti += 1
                continue
            run_end = ti
            while run_end + 1 < len(turns) and turns[run_end + 1].speaker == "clinician":
                run_end += 1
            answer_turns = []
            k = run_end + 1
            while k < len(turns) and turns[k].speaker in ("patient", "other"):
                answer_turns.append(k)
                k += 1
            self._resolve_block(list(range(ti, run_end + 1)), answer_turns)
            ti = run_end + 1
        self._restated_names()
        self._alternatives()
        self._assessment_outweighs()
        self._resolved_by_anaphora()
        self._resolution_outweighs()

    def _restated_names(self) -> None:
        """A condition's other name, given right after it ("something called adhesive
        capsulitis, or just commonly known as a frozen shoulder"), is said as the first name
        was: a guess stays a guess."""
        by_concept: dict[tuple[int, str], list[Raw]] = {}
        for r in sorted(self.raws, key=lambda r: r.start):
            by_concept.setdefault((r.turn, r.concept), []).append(r)
        for mentions in by_concept.values():
            for first, other in pairwise(mentions):
                between = self.text[first.end : other.start]
                if len(between) <= RESTATED_GAP and self.restated(between):
                    other.assertion = first.assertion
                    other.cues.append(f"restated:{self.text[first.start : first.end]}")

    def _alternatives(self) -> None:
        """Two different diagnoses offered as alternatives ("it's either a rotator cuff tear or
        subacromial impingement syndrome") are a differential: neither is concluded, so a
        present one becomes possible (a denied one stays denied)."""
        for group in self.by_unit.values():
            conditions = sorted(
                (r for r in group if r.category == Category.condition), key=lambda r: r.start
            )
            for a, b in pairwise(conditions):
                if a.concept == b.concept or not self.either_or(self.text[a.end : b.start]):
                    continue
                for r in (a, b):
                    if r.assertion == "present":
                        r.assertion = "possible"
                        r.cues.append("differential")

    def _unit_text(self, ui: int) -> str:
        u = self.units[ui]
        return self.text[u.start : u.end]

    def _first_polarity(self, turns: list[int]) -> tuple[str | None, bool]:
        """The polarity of a reply's first non-filler unit, and whether it opens "just/only"."""
        for t in turns:
            for ui in self.by_turn.get(t, []):
                utext = self._unit_text(ui)
                if not _FILLER_UNIT.match(utext):
                    return self.units[ui].polarity, _ONLY.match(utext) is not None
        return None, False

    def _first_unit(self, turns: list[int]) -> int | None:
        """A reply's first non-filler unit."""
        for t in turns:
            for ui in self.by_turn.get(t, []):
                if not _FILLER_UNIT.match(self._unit_text(ui)):
                    return ui
        return None

    def _first_text(self, turns: list[int]) -> str:
        ui = self._first_unit(turns)
        return "" if ui is None else self._unit_text(ui)

    def _resolve_block(self, block: list[int], answer_turns: list[int]) -> None:
        """Findings in a run of clinician turns, read against the reply that follows."""
        block_units = [ui for t in block for ui in self.by_turn.get(t, [])]
        if not block_units:
            return
        polarity, only = self._first_polarity(answer_turns)
        answer: dict[str, Raw] = {}
        answer_lat = None
        for t in answer_turns:
            for ui in self.by_turn.get(t, []):
                if self.units[ui].question:
                    continue
                for r in self.by_unit.get(ui, []):
                    answer.setdefault(r.concept, r)
                    if answer_lat is None and r.category == Category.laterality:
                        answer_lat = r.concept
        answered = bool(answer_turns)
        if any(self.not_a_symptom(self._unit_text(ui)) for ui in block_units[-2:]):
            for t in answer_turns:  # "for how long have you smoked?" / "about 40 years"
                for ui in self.by_turn.get(t, []):
                    for r in self.by_unit.get(ui, []):
                        if r.category == Category.chronicity:
                            r.dropped = True
        for ui in block_units:
            if not self.units[ui].question:
                continue
            asked = self.by_unit.get(ui, [])
            mentioned = {r.concept for r in asked if r.category not in WHERE} & set(answer)
            for r in asked:
                answer_decides(r, answered, polarity, only, mentioned, answer, answer_lat)
        self._side_of_sites(block_units, answer_turns)
        # A statement about the patient that the reply rejects ("so it started last week." /
        # "no, a month ago") is negated like a question would be.
        last = block_units[-1]
        u = self.units[last]
        if (
            answered
            and not u.question
            and polarity == "no"
            and _PROPOSAL.match(self._unit_text(last))
            and not _EXCLAMATION.match(self._first_text(answer_turns))
        ):
            for r in self.by_unit.get(last, []):
                if (
                    r.assertion == "present"
                    and not (r.plan or r.assess)
                    and (r.concept not in answer)
                ):
                    r.assertion = "negated"
                    r.cues.append("proposal:rejected")

    def _side_of_sites(self, block_units: list[int], answer_turns: list[int]) -> None:
        """ "Is it one knee versus the other, or both?" / "Both equally.": the site asked about
        is the patient's, on the side the reply gives (coding reads it as that site's side)."""
        reply = self._first_unit(answer_turns)
        if reply is None:
            return
        for ui in reversed(block_units):
            if not self.units[ui].question:
                continue
            sites = [r for r in self.by_unit.get(ui, []) if r.category == Category.site]
            said = (
                self.side_answered(self._unit_text(ui), self._unit_text(reply)) if sites else None
            )
            if said is None:
                continue
            side, start, end = said
            for r in sites:
                r.laterality = side
                r.assertion = "present"
                r.cues.append("answer:side")
            u = self.units[reply]  # the reply's side word, a finding to quote
            start, end = u.start + start, u.start + end
            same = [
                r
                for r in self.by_unit.get(reply, [])
                if r.category == Category.laterality and r.start == start and r.end == end
            ]
            if same:
                same[0].cues.append("answer:side")
            else:
                word = Raw(
                    side, Category.laterality, label_of(side), start, end, reply, u.speaker,
                    u.turn_index, laterality=side, cues=["answer:side"],
                )  # fmt: skip
                self.raws.append(word)
                self.by_unit.setdefault(reply, []).append(word)
            return

    def _guess_confirmed(self, ti: int) -> None:
        """A patient's guess that the clinician confirms (or rejects) in the next turn."""
        if ti + 1 >= len(self.turns) or self.turns[ti + 1].speaker != "clinician":
            return
        mine = self.by_turn.get(ti, [])
        if not mine:
            return
        polarity, _ = self._first_polarity([ti + 1])
        if polarity is None:
            return
        for r in self.by_unit.get(mine[-1], []):
            if r.guess and r.category in CONDITION_CATEGORIES and r.assertion == "possible":
                r.assertion = "present" if polarity == "yes" else "negated"
                r.cues.append(f"clinician_reply:{polarity}")

    def _assessment_outweighs(self) -> None:
        """The clinician's assessment of a condition decides over what others said about it."""
        verdict: dict[str, Raw] = {}
        for r in self.raws:
            if (
                r.speaker == "clinician"
                and r.from_assessment
                and not r.in_question
                and r.category in CONDITION_CATEGORIES
                and r.assertion in ("present", "negated", "possible")
            ):
                verdict[r.concept] = r  # the last one said wins
        for r in self.raws:
            v = verdict.get(r.concept)
            if v is None or r.speaker == "clinician" or r.assertion not in ("present", "possible"):
                continue
            if r.assertion != v.assertion:
                r.assertion = v.assertion
                r.cues.append(f"clinician_assessment:{v.assertion}")

    def _resolved_by_anaphora(self) -> None:
        """'None since the ablation for the facet syndrome. It's completely gone.': a unit that
        only says "it" has resolved makes the problems of the unit before it historical: the
        one before in the same turn (a bare "No," skipped), or the last one of the turn before
        ("How's the sciatica?" / "It's gone." or "No, it's gone.")."""
        for ui, u in enumerate(self.units):
            if ui == 0 or u.question or not _RESOLVED_ANAPHOR.match(self._unit_text(ui)):
                continue
            if any(r.category in _PROBLEM_CATS for r in self.by_unit.get(ui, [])):
                continue  # "the sciatica is gone": ConText already read it
            prev = ui - 1
            while prev > 0 and self.units[prev].answer_only:
                prev -= 1
            for r in self.by_unit.get(prev, []):
                if r.category not in _PROBLEM_CATS:
                    continue
                if r.assertion in ("present", "possible") or "answer:no" in r.cues:
                    r.assertion = "historical"
                    r.resolved = u.speaker in ("clinician", "unknown")
                    r.cues.append("resolved:" + self._unit_text(ui)[:40])

    def _resolution_outweighs(self) -> None:
        """The clinician saying a problem has resolved ("The discitis has resolved.") makes what
        was said of it before historical too ("antibiotics for the L3-L4 discitis"), unless that
        was the clinician's own assessment or names another level.

        A mention is made historical when some resolution of its concept comes after it at a
        place it may name; per concept, the last resolution of each level (and of none) is
        all that needs keeping, so the pass is linear in the findings, not their square.
        """
        last: dict[str, dict[str | None, int]] = {}  # concept -> level -> start of the last one
        for v in self.raws:
            if (
                v.resolved
                and v.assertion == "historical"
                and v.speaker in ("clinician", "unknown")
                and v.category in _PROBLEM_CATS
            ):
                by_level = last.setdefault(v.concept, {})
                by_level[v.level] = max(v.start, by_level.get(v.level, v.start))
        if not last:
            return
        for r in self.raws:
            resolutions = last.get(r.concept)
            if (
                resolutions is None
                or r.assertion not in ("present", "possible")
                or (r.from_assessment and r.speaker == "clinician")
            ):
                continue
            if any(
                r.start < start and (lv is None or r.level is None or same_place(r.level, lv))
                for lv, start in resolutions.items()
            ):
                r.assertion = "historical"
                r.cues.append("clinician_resolved")


_PROBLEM_CATS = {Category.condition, Category.symptom, Category.cause}
_RESOLVED_ANAPHOR = re.compile(
    r"^\W*(?:(?:and|but|so|now|well|oh|yeah|yes|no|good|great)\W+)*"
    r"(?:it|that|this|they|those|the (?:pain|problem|symptoms?|numbness|tingling|ache|issue))"
    r"\s*(?:'s|’s|is|has|have|are|'ve|’ve|was|had)?"
    r"(?:\s+(?:been|now|since|completely|totally|fully|all|entirely|pretty much|basically|"
    r"finally|long|just))*"
    r"\s+(?:gone|resolved|cleared(?:\s+up)?|healed|went away|gone away|disappeared)\b",
    re.IGNORECASE,
)


def answer_decides(
    r: Raw,
    answered: bool,
    polarity: str | None,
    only: bool,
    mentioned: set[str],
    answer: dict[str, Raw],
    answer_lat: str | None,
) -> None:
    """The assertion of a finding the clinician asked about, from the patient's reply."""
    r.in_question = True
    r.from_assessment = False
    if r.cats & {FAM, HIST}:
        if answered and polarity == "no" and r.concept not in answer:
            r.assertion = "negated"
            r.cues.append("answer:no")
        return  # "any family history of ...?" / "yes, my dad" stays family
    if r.concept in answer:
        r.assertion = answer[r.concept].assertion
        r.cues.append("answer:mentions")
        if r.laterality is None and answer[r.concept].laterality:
            r.laterality = answer[r.concept].laterality
    elif not answered:
        r.assertion = "possible"
        r.cues.append("question:unanswered")
    elif r.category == Category.chronicity and polarity == "no":
        r.assertion = "possible"  # "has it changed since yesterday?" / "no": not about onset
        r.cues.append("question:no-about-something-else")
    elif polarity == "no" or (only and mentioned):
        r.assertion = "negated"
        r.cues.append("answer:no" if polarity == "no" else "answer:only-others")
    elif polarity == "yes" and not mentioned:
        r.assertion = "present"
        r.cues.append("answer:yes")
        if answer_lat and r.category not in WHERE and r.laterality is None:
            r.laterality = answer_lat
    else:
        r.assertion = "possible"
        r.cues.append("question:unclear-answer")
