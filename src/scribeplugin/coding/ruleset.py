"""Evaluate the corpus rules against a visit: which prompts and warnings apply, which codes fall."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scribeplugin.coding.facts import Facts
from scribeplugin.coding.regions import region_of_code, regions_of
from scribeplugin.corpus.rules import LoadedRule, Rule, When, code_matches

if TYPE_CHECKING:
    from scribeplugin.codeset import CodeSet
    from scribeplugin.extract.findings import Finding


@dataclass(frozen=True, slots=True)
class RuleHit:
    rule: Rule
    codes: tuple[str, ...]  # the candidate codes that matched ``codes_any`` (may be empty)
    # The findings that made the rule's finding conditions hold (one per concept named), the
    # clinical indicators its prompt or warning rests on.
    findings: tuple[Finding, ...] = ()

    @property
    def forbidden(self) -> set[str]:
        return set(self.rule.forbid)

    def forbids(self, code: str) -> bool:
        return any(code_matches(code, p) for p in self.rule.forbid)


class CodeMatcher:
    """Which of a visit's codes match rule code patterns (``M51.1-``), each pattern worked out
    once: 535 rules share a few hundred patterns."""

    def __init__(self, codes: Iterable[str]) -> None:
        self.codes = sorted(set(codes))
        self.categories = {c[:3] for c in self.codes}
        self._by_pattern: dict[str, tuple[str, ...]] = {}

    def of(self, pattern: str) -> tuple[str, ...]:
        hit = self._by_pattern.get(pattern)
        if hit is None:
            hit = tuple(c for c in self.codes if code_matches(c, pattern))
            self._by_pattern[pattern] = hit
        return hit

    def any(self, patterns: list[str]) -> tuple[str, ...]:
        """The codes that match any of ``patterns``, sorted."""
        if patterns and not may_match(patterns, self.categories):
            return ()  # no code of a category the patterns name (most rules, most visits)
        if len(patterns) == 1:
            return self.of(patterns[0])
        return tuple(sorted({c for p in patterns for c in self.of(p)}))


def evaluate(
    rules: Iterable[LoadedRule], codes: Iterable[str], facts: Facts, codeset: CodeSet | None = None
) -> list[RuleHit]:
    """Rules whose every condition holds. Findings count when present; ``uncertain_any`` when
    stated only as possible and never as present; ``mentioned_any`` either way. ``at_region``
    counts the findings documented at that region only; with ``codeset``, a ``same_region`` rule
    counts only those at the region of the codes it matched (or at none): an L4-L5 herniation
    does not make a coexisting L5-S1 ligament syndrome's M53.87 "more specific". An
    ``unless_link_doubted`` rule is off when a clinician doubts that the disc causes the pain."""
    matcher = CodeMatcher(codes)
    present = facts.concepts()
    uncertain = {f.concept for f in facts.uncertain} - present
    hits: list[RuleHit] = []
    for loaded in rules:
        r, w = loaded.rule, loaded.rule.when
        matched = matcher.any(w.codes_any)
        if w.codes_any and not matched:
            continue
        if w.codes_none and matcher.any(w.codes_none):
            continue
        here = present
        if w.at_region is not None:
            here = _present_at(facts, {*w.findings_any, *w.findings_all}, {w.at_region})
        elif w.same_region and codeset is not None:
            regions = {region_of_code(codeset, facts.knowledge, c) for c in matched} - {None}
            if regions:
                here = _present_at(facts, {*w.findings_any, *w.findings_all}, regions | {None})
        if w.findings_all and not set(w.findings_all) <= here:
            continue
        if w.findings_any and not set(w.findings_any) & here:
            continue
        if w.findings_none and set(w.findings_none) & present:
            continue
        if w.uncertain_any and not set(w.uncertain_any) & uncertain:
            continue
        if w.mentioned_any and not set(w.mentioned_any) & (present | uncertain):
            continue
        if w.unless_link_doubted and facts.link_doubted():
            continue
        hits.append(RuleHit(r, matched, _witnesses(facts, w, here, uncertain)))
    return hits


def may_match(patterns: list[str], categories: set[str]) -> bool:
    """Can a code of one of these categories (``M51``) match one of the patterns (``M51.1-``)?
    No patterns: yes (a rule about no code); a pattern shorter than a category: not ruled out.
    ``CodeMatcher.any``'s first test, which most rules fail on most visits."""
    if not patterns:
        return True
    for pattern in patterns:
        stem = pattern.rstrip("-")
        if len(stem) < 3 or stem[:3] in categories:
            return True
    return False


def _witnesses(facts: Facts, w: When, here: set[str], uncertain: set[str]) -> tuple[Finding, ...]:
    """One finding per concept the rule's positive conditions named and found."""
    out: list[Finding] = []
    wanted = [c for c in (*w.findings_all, *w.findings_any) if c in here]
    wanted += [c for c in (*w.uncertain_any, *w.mentioned_any) if c in uncertain | here]
    for concept in dict.fromkeys(wanted):
        pool = [*facts.present, *facts.limb] if concept in here else facts.uncertain
        f = next((f for f in pool if concept in f.concept_ids), None)
        if f is not None and f not in out:
            out.append(f)
    return tuple(out)


def _present_at(facts: Facts, concepts: set[str], regions: set[str | None]) -> set[str]:
    """Which of ``concepts`` have a present finding documented at one of ``regions``."""
    return {
        f.concept
        for f in (*facts.present, *facts.limb)
        if f.concept in concepts and not regions_of(f, facts).isdisjoint(regions)
    }
