"""The coding step: a visit's findings -> the codes they support (:class:`Analysis`).

The logic follows the tabular list and the outpatient guidelines: the most specific billable
code the evidence supports (region, laterality, with or without radiculopathy or claudication,
pain pattern, encounter), no code for a possible, negated, family or history-only finding, no
symptom code when a confirmed diagnosis of the same region explains it, and no dorsopathy for
back pain the clinician puts down to another organ. The resolvers run in this order, each
seeing what the ones before it coded: spine conditions, injuries, symptoms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scribeplugin.coding import injuries, limbs, spine, symptoms
from scribeplugin.coding.coder import Coder
from scribeplugin.coding.complete import side_of_description
from scribeplugin.coding.facts import Facts, Proposal
from scribeplugin.knowledge.coding import CodingKnowledge, default_coding

if TYPE_CHECKING:
    from scribeplugin.codeset import CodeSet
    from scribeplugin.extract.findings import Finding

RESOLVERS = (
    spine.discs,
    spine.stenosis,
    spine.spondylosis,
    spine.segments,
    spine.other_dorsopathies,
    injuries.sprains_and_strains,
    injuries.traumatic_discs_and_slips,
    injuries.fractures,
    limbs.limbs,
    symptoms.radiculopathy,
    symptoms.symptoms,
)


def propose(facts: Facts, cs: CodeSet, index: Any = None) -> Coder:
    """Every code the present findings support, most specific first, one per documented region
    or limb site; symptoms a confirmed diagnosis of the same region explains are not coded.
    The coder holds the proposals (``out``) and the index paths they came from."""
    coder = Coder(facts, cs, index=index)
    for resolve in RESOLVERS:
        resolve(coder)
    coder.out = _dedupe(coder.out)
    return coder


def _dedupe(proposals: list[Proposal]) -> list[Proposal]:
    """One proposal per code, with the evidence of all. A code one reading supports fully is
    supported, whatever another reading of it left open ("chronic gout of the right foot", then
    "Assessment: chronic gout of the right ankle and foot without tophi")."""
    seen: dict[str, Proposal] = {}
    for p in proposals:
        first = seen.get(p.code)
        if first is None:
            seen[p.code] = p
            continue
        if p.confident and not p.missing and not (first.confident and not first.missing):
            first, p = p, first
            seen[p.code] = first
        first.evidence.extend(e for e in p.evidence if e not in first.evidence)
    return list(seen.values())


@dataclass(frozen=True)
class Analysis:
    """The coding step's reading of one visit's findings, worked out once per request: the
    pipeline needs its candidate codes before retrieval, the drafters draft from it and the
    guard's pitfall check reads its facts."""

    findings: list[Finding]
    facts: Facts
    proposals: list[Proposal]
    naive: frozenset[str]  # codes a careless coder might pick instead of the proposals
    # Codes worth retrieving guidance for: the proposals and those naive codes (so the pitfall
    # rules about them can fire and be cited), in this order.
    candidates: list[str]
    # The findings each candidate rests on: a proposal's evidence, or the findings that would
    # lead a careless coder to a naive code (what a warning about that code quotes).
    grounds: dict[str, list[Finding]]
    # The Alphabetic Index path each code was found by (its entry is cited with the code).
    index_paths: dict[str, str]  # code -> the Alphabetic Index entry it was looked up by

    @classmethod
    def of(
        cls,
        findings: list[Finding],
        codeset: CodeSet,
        text: str = "",
        knowledge: CodingKnowledge | None = None,
        index: Any = None,
    ) -> Analysis:
        facts = Facts.of(findings, text, knowledge or default_coding())
        coder = propose(facts, codeset, index)
        proposals = coder.out
        candidates: list[str] = []
        naive: list[str] = []
        grounds: dict[str, list[Finding]] = {}
        for p in proposals:
            alternatives = _naive_in_region(p, codeset, facts.knowledge)
            candidates += [p.code, *alternatives]
            naive += alternatives
            grounds.setdefault(p.code, p.evidence)
            for a in alternatives:
                grounds.setdefault(a, p.evidence[:1])
        for code, found in symptoms.naive_codes(facts, codeset).items():
            candidates.append(code)
            naive.append(code)
            grounds.setdefault(code, found)
        return cls(
            findings,
            facts,
            proposals,
            frozenset(naive),
            list(dict.fromkeys(candidates)),
            grounds,
            {k: v for k, v in coder.index_paths.items() if v},
        )

    def confirm_codes(self) -> list[str]:
        """Categories whose guidance the confirm queries of this visit will cite."""
        return confirm_codes(self.findings, self.facts.knowledge)


def confirm_codes(findings: list[Finding], knowledge: CodingKnowledge) -> list[str]:
    """Categories whose guidance the confirm queries of these findings will cite."""
    return sorted(
        {
            knowledge.confirm[f.concept]
            for f in findings
            if f.assertion == "possible" and f.concept in knowledge.confirm
        }
    )


def _naive_in_region(p: Proposal, cs: CodeSet, k: CodingKnowledge) -> list[str]:
    """The naive alternatives of a proposal that are about the same region (or no region), the
    same side (or no side) and the same encounter: a left ankle's ATFL sprain is not warned
    about S93.401A, the right ankle's unspecified sprain, nor a healing one (D) about an A."""
    entry = cs.get(p.code)
    if entry is None:
        return []
    phrases = k.regions.values()
    region = next((ph for ph in phrases if ph in entry.description), None)
    side = _side(entry.description)
    out = []
    for code in p.naive:
        alt = cs.get(code)
        if alt is None:
            continue
        alt_region = next((ph for ph in phrases if ph in alt.description), None)
        alt_side = _side(alt.description)
        if (
            (region is None or alt_region is None or alt_region == region)
            and (side is None or alt_side is None or alt_side == side)
            and _encounter(code) in (None, _encounter(p.code))
        ):
            out.append(code)
    return out


def _encounter(code: str) -> str | None:
    """An injury code's 7th character (the encounter): S83.411D -> D."""
    return code[-1] if code[0] in "ST" and len(code) == 8 else None


def _side(description: str) -> str | None:
    side = side_of_description(description.lower())
    return side if side in ("right", "left") else None
