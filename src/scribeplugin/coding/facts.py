"""What the coding step reads and writes: a visit's findings sorted by what they can support
(:class:`Facts`), and a code they support with its evidence (:class:`Proposal`)."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scribeplugin.knowledge.coding import CodingKnowledge, default_coding

if TYPE_CHECKING:
    from scribeplugin.extract.findings import Finding


@dataclass(slots=True)
class Proposal:
    """One code the findings support, with what supports it and what is still missing."""

    code: str
    path: str  # which coding path chose it, e.g. "disc_herniation+radiculopathy"
    evidence: list[Finding]
    confident: bool = True
    missing: list[str] = field(default_factory=list)  # what the note must add (not yet coded)
    ask: list[str] = field(default_factory=list)  # what the note should add (coded already)
    naive: list[str] = field(default_factory=list)  # codes a careless coder might pick instead


# The clinician's next line takes the symptom up when it asks after "it" ("Where does it bother
# you?", "How long has that been going on?"), not when it moves on ("what kind of alcohol...").
_FOLLOW_UP = re.compile(
    r"\b(?:it|its|it's|that|those|this|these|the pain|where|how long|when did)\b", re.IGNORECASE
)


def _followed_up(text: str, f: Finding) -> bool:
    """Does the line after the one a patient's symptom is said on ask after it?"""
    if not text:
        return True  # nothing to read: do not drop the symptom
    end = text.find("\n", f.end)
    if end < 0:
        return False
    nxt = text.find("\n", end + 1)
    line = text[end + 1 : nxt if nxt >= 0 else len(text)]
    return bool(_FOLLOW_UP.search(" ".join(line.split()[:12])))  # its first words


@dataclass(slots=True)
class Facts:
    """The findings of one visit, sorted by what they can support.

    Only what the clinician concluded is coded: a condition the patient names that no clinician
    states (the patient's theory, a history the clinician does not take up), and a symptom only
    the patient mentions whose concept and region no clinician takes up, go to ``reported``,
    not ``present``. A condition or symptom of a limb site (a finding with a
    ``site``) goes to ``limb``: it is the limb resolver's, never the spine's (an elbow strain is
    not a low back strain)."""

    present: list[Finding]
    uncertain: list[Finding]
    negated: list[Finding]
    text: str = ""  # the transcript, for the few cues that are not findings (pain attribution)
    knowledge: CodingKnowledge = field(default_factory=default_coding)
    limb: list[Finding] = field(default_factory=list)
    reported: list[Finding] = field(default_factory=list)
    # Present concepts with the regions and sides they carry (``has`` asks it often).
    present_concepts: frozenset[str] = field(init=False, default=frozenset())
    # Present findings by turn and position (start, rank in ``present``, finding): "near" and
    # "listed" look within a turn, close to a finding.
    _by_start: dict[int, list[tuple[int, int, Finding]]] = field(init=False, default_factory=dict)
    _starts: dict[int, list[int]] = field(init=False, default_factory=dict)
    _link_doubted: bool | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.present_concepts = frozenset(c for f in self.present for c in f.concept_ids)
        for rank, f in enumerate(self.present):
            self._by_start.setdefault(f.turn_index, []).append((f.start, rank, f))
        for turn, entries in self._by_start.items():
            entries.sort(key=lambda e: (e[0], e[1]))
            self._starts[turn] = [e[0] for e in entries]

    def near(self, turn: int, lo: int, hi: int) -> list[Finding]:
        """The present findings of ``turn`` that start between ``lo`` and ``hi`` (inclusive),
        in ``present`` order (the clinician's assessment first), found by position so that a
        long turn costs no more than a short one."""
        starts = self._starts.get(turn)
        if not starts:
            return []
        entries = self._by_start[turn]
        found = entries[bisect.bisect_left(starts, lo) : bisect.bisect_right(starts, hi)]
        return [f for _, _, f in sorted(found, key=lambda e: e[1])]

    @classmethod
    def of(
        cls, findings: Iterable[Finding], text: str = "", knowledge: CodingKnowledge | None = None
    ) -> Facts:
        present, uncertain, negated, limb, reported = [], [], [], [], []
        findings = list(findings)
        stated = {
            (f.concept, f.site)
            for f in findings
            if f.assertion == "present" and f.speaker != "patient"
        }
        # What the clinician takes up in any way (asks about, examines, denies, concludes): a
        # symptom only the patient mentions, of a concept or region no clinician names, is not
        # addressed at this visit ("ibuprofen for my knee pain or back pain").
        addressed = {
            c
            for f in findings
            if f.speaker != "patient" and f.assertion != "family"
            for c in (f.concept, f.region)
            if c
        }
        # A clinician who works up the spine (a condition or symptom of theirs placed in a
        # region) takes up the patient's back and leg symptoms with it.
        spine_worked_up = any(
            f.region and f.category in ("condition", "symptom")
            for f in findings
            if f.speaker != "patient" and f.assertion != "family"
        )
        for f in findings:
            if f.assertion == "present":
                unstated = f.category == "condition" and (f.concept, f.site) not in stated
                unaddressed = (
                    f.category == "symptom"
                    and f.speaker == "patient"
                    and f.site is None
                    and f.concept not in addressed
                    and f.region not in addressed
                    and not spine_worked_up
                    and not _followed_up(text, f)
                )
                if unstated or unaddressed:
                    reported.append(f)
                elif f.site is not None:
                    limb.append(f)
                else:
                    present.append(f)
            elif f.assertion == "possible":
                uncertain.append(f)
            elif f.assertion == "negated":
                negated.append(f)
            # historical and family findings support nothing
        # The clinician's assessment outweighs other mentions: it leads wherever one is taken.
        for group in (present, limb):
            group.sort(key=lambda f: (not f.from_assessment, f.speaker != "clinician", f.start))
        return cls(present, uncertain, negated, text, knowledge or default_coding(), limb, reported)

    def has(self, *concepts: str) -> bool:
        return not self.present_concepts.isdisjoint(concepts)

    def get(self, *concepts: str) -> list[Finding]:
        return [f for f in self.present if f.concept in concepts]

    def about_spine(self) -> bool:
        """Does the visit work up the spine: a present finding placed in a spinal region, or back,
        neck or sciatic pain? A strain placed nowhere, or a pain down the leg, is the spine's
        only in such a visit (not in a knee visit)."""
        return any(f.region for f in self.present) or self.has(
            "low_back_pain", "back_pain", "neck_pain", "sciatica"
        )

    def denied(self, *concepts: str) -> bool:
        return any(f.concept in concepts for f in self.negated) and not self.has(*concepts)

    def concepts(self) -> set[str]:
        """Present concepts, with the region and side a finding carries (L5-S1 -> lumbosacral),
        and those of the limbs' findings with their sites, structures and digits: what the
        corpus rules read (``has`` reads the spine's only: a knee strain is no spine strain)."""
        return set(self.present_concepts).union(c for f in self.limb for c in f.concept_ids)

    def link_doubted(self) -> bool:
        """``pain_link_doubted`` of this visit, worked out once."""
        if self._link_doubted is None:
            self._link_doubted = pain_link_doubted(self)
        return self._link_doubted


_SENTENCE = re.compile(r"(?<=[.?!])\s+|\n")


def pain_link_doubted(facts: Facts) -> bool:
    """True when a clinician sentence about the disc doubts or denies that it causes the pain
    (the word lists ``disc``, ``denied_link``, ``hedge`` and ``link`` of the knowledge)."""
    k = facts.knowledge
    disc, denied, hedge, link = (k.phrase(n) for n in ("disc", "denied_link", "hedge", "link"))
    for sentence in _SENTENCE.split(facts.text):
        if not disc.search(sentence):
            continue
        if denied.search(sentence):
            return True
        if hedge.search(sentence) and link.search(sentence):
            return True
    return False
