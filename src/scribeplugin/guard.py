"""The guard: every check every draft must pass, whoever wrote it.

Runs in the pipeline on the output of every drafter, so no drafter can skip it. Each removal or
downgrade is recorded with its reason. Checks, in order:

1. the code exists in the code set (else removed) and is billable (else downgraded to
   ``needs_documentation``);
2. each evidence quote is found verbatim in the transcript; offsets are computed here and never
   trusted from the drafter; a quote that is not there is dropped;
3. each evidence quote must overlap a finding the extractor asserted present, of a concept that can
   support the code; quotes that rest only on negated, uncertain, family or history findings,
   or on no finding at all (an instruction injected into the transcript, say), fall, and so
   does the code: its basis is not what its drafter said; a code with no quote of a condition or
   symptom (a side, a level or a region word alone supports nothing) is removed too;
4. citations must be chunks retrieved for this request; a code left with none is removed;
5. two codes in an Excludes1 relation: the code whose note excludes the other is removed;
6. a pitfall rule that fires and forbids the code removes it (and its warning is added);
7. prompts and warnings quote their evidence too: each quote must be verbatim and rest on a
   finding present (or, for a query, stated as possible); a quote the transcript contradicts
   (a side it negates, a finding it denies last) is dropped, and a prompt or warning left with
   no quote is removed, as is a prompt about a code that is no longer in the answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scribeplugin.coding.facts import Facts
from scribeplugin.coding.ruleset import evaluate
from scribeplugin.draft.types import (
    Citation,
    CodeSuggestion,
    CodingWarning,
    Draft,
    DraftContext,
    Evidence,
    GuardAction,
)
from scribeplugin.knowledge.coding import CodingKnowledge, default_coding

if TYPE_CHECKING:
    from scribeplugin.codeset import CodeSet
    from scribeplugin.extract.findings import Finding

_EXCLUDED_CODE = re.compile(r"\b([A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?)(\.?-)?")

_SUPPORTING_CATEGORIES = {"condition", "symptom"}
_MODIFIER_CATEGORIES = {"region", "level", "laterality", "encounter"}


@dataclass(slots=True)
class GuardResult:
    draft: Draft
    actions: list[GuardAction] = field(default_factory=list)


def supports(finding: Finding, code: str, knowledge: CodingKnowledge | None = None) -> bool:
    """Can this finding stand in the evidence of this code? The longest matching prefix of the
    knowledge's ``support`` table decides; a side, level, region or encounter word refines any
    code."""
    table = (knowledge or default_coding()).support
    prefixes = [p for p in table if code.startswith(p)]
    if not prefixes:
        return finding.category in _SUPPORTING_CATEGORIES
    concepts = table[max(prefixes, key=len)]
    return finding.concept in concepts or finding.category in _MODIFIER_CATEGORIES


def carries(finding: Finding, code: str, knowledge: CodingKnowledge | None = None) -> bool:
    """Can this finding carry the code on its own: a condition or symptom that supports it, not
    a modifier (side, level, region, encounter) that only refines it?"""
    return finding.category not in _MODIFIER_CATEGORIES and supports(finding, code, knowledge)


class Guard:
    def __init__(self, codeset: CodeSet, knowledge: CodingKnowledge | None = None) -> None:
        self.codeset = codeset
        self.knowledge = knowledge or default_coding()

    def check(self, draft: Draft, ctx: DraftContext) -> GuardResult:
        actions: list[GuardAction] = []
        text = ctx.transcript.text
        kept: list[CodeSuggestion] = []
        seen: set[str] = set()
        for s in draft.codes:
            s = s.model_copy(deep=True)
            entry = self.codeset.get(s.code)
            if entry is None:
                actions.append(
                    _act(
                        "removed",
                        s.code,
                        "unknown_code",
                        f"{s.code} is not in {self.codeset.release.name}",
                    )
                )
                continue
            s.code, s.display = entry.code, entry.description
            if s.code in seen:
                actions.append(_act("removed", s.code, "duplicate", "suggested twice"))
                continue
            if not entry.billable:
                s.billable = False
                if s.status != "needs_documentation":
                    s.status = "needs_documentation"
                    s.confidence = min(s.confidence, 0.5)
                    actions.append(
                        _act(
                            "downgraded",
                            s.code,
                            "not_billable",
                            f"{s.code} has codes below it; the note must support one of them",
                        )
                    )
            else:
                s.billable = True
            before = len(actions)
            s.evidence, carried = self._evidence(s, text, ctx.findings, actions)
            if len(actions) > before or not carried:
                # A quote the drafter gave for the code fell: the code's basis is not what the
                # drafter said it is, so the code goes, with the reason its quote fell.
                fell = {a.reason for a in actions[before:]}
                reason = next(
                    (
                        r
                        for r in (
                            "negated_or_family_evidence",
                            "evidence_not_verbatim",
                            "no_evidence",
                        )
                        if r in fell
                    ),
                    "modifier_only_evidence" if s.evidence else "no_evidence",
                )
                actions.append(
                    _act(
                        "removed",
                        s.code,
                        reason,
                        "a quote given for it is not a present finding that supports it"
                        if s.evidence and carried
                        else "no verbatim quote of a present condition or symptom supports it",
                    )
                )
                continue
            s.citations = self._citations(s.code, s.citations, ctx, actions)
            if not s.citations:
                actions.append(
                    _act(
                        "removed",
                        s.code,
                        "no_citation",
                        "no citation among the chunks retrieved for this request",
                    )
                )
                continue
            seen.add(s.code)
            kept.append(s)

        kept = self._excludes1(kept, actions)
        warnings = [
            w.model_copy(update={"citations": self._valid_citations(w.citations, ctx)})
            for w in draft.warnings
        ]
        kept, warnings = self._pitfalls(kept, warnings, ctx, actions)
        final_codes = {s.code for s in kept}
        prompts = []
        for p in draft.prompts:
            if p.code is not None and p.code not in final_codes:
                actions.append(
                    _act("removed", p.id, "code_removed", f"about {p.code}", target="prompt")
                )
                continue
            evidence = self._claim_evidence(p.id, "prompt", p.evidence, ctx, actions)
            if evidence is not None:
                cites = self._valid_citations(p.citations, ctx)
                prompts.append(p.model_copy(update={"evidence": evidence, "citations": cites}))
        checked = []
        for w in warnings:
            evidence = self._claim_evidence(w.rule, "warning", w.evidence, ctx, actions)
            if evidence is not None:
                checked.append(w.model_copy(update={"evidence": evidence}))
        warnings = checked
        return GuardResult(
            draft.model_copy(update={"codes": kept, "prompts": prompts, "warnings": warnings}),
            actions,
        )

    # -- evidence -------------------------------------------------------------------------------

    def _evidence(
        self, s: CodeSuggestion, text: str, findings: list[Finding], actions: list[GuardAction]
    ) -> tuple[list[Evidence], bool]:
        """The verbatim quotes of present findings that support the code, and whether one of
        them can carry it (a condition or symptom, not only a side or a level)."""
        out: list[Evidence] = []
        carried = False
        for ev in s.evidence:
            start = _locate(text, ev.text, ev.start)
            if start is None:
                actions.append(
                    _act(
                        "evidence_dropped",
                        s.code,
                        "evidence_not_verbatim",
                        f"quote not in the transcript: {len(ev.text)} chars",
                    )
                )
                continue
            end = start + len(ev.text)
            overlapping = [f for f in findings if f.start < end and start < f.end]
            present = [
                f
                for f in overlapping
                if f.assertion == "present" and supports(f, s.code, self.knowledge)
            ]
            negated = [
                f
                for f in overlapping
                if f.assertion in {"negated", "family", "historical", "possible"}
            ]
            if negated and not any(carries(f, s.code, self.knowledge) for f in present):
                # The side or region words of a denied or past finding are that finding's.
                present = []
            if not present:
                reason = "negated_or_family_evidence" if negated else "no_evidence"
                detail = (
                    f"quote rests on a {negated[0].assertion} finding ({negated[0].concept})"
                    if negated
                    else "quote holds no present finding that supports this code"
                )
                actions.append(_act("evidence_dropped", s.code, reason, detail))
                continue
            carried = carried or any(carries(f, s.code, self.knowledge) for f in present)
            main = present[0]
            out.append(
                Evidence(
                    text=ev.text, start=start, end=end, speaker=main.speaker, assertion="present"
                )
            )
        return out, carried

    def _claim_evidence(
        self,
        ident: str,
        target: str,
        evidence: list[Evidence],
        ctx: DraftContext,
        actions: list[GuardAction],
    ) -> list[Evidence] | None:
        """A prompt's or warning's quotes, checked as a code's are (verbatim, on a finding
        present or, for a query, stated as possible) and against what the transcript says
        later; None when none is left (the prompt or warning is removed)."""
        text, findings = ctx.transcript.text, ctx.findings
        out: list[Evidence] = []
        for ev in evidence:
            start = _locate(text, ev.text, ev.start)
            if start is None:
                actions.append(
                    _act(
                        "evidence_dropped",
                        ident,
                        "evidence_not_verbatim",
                        f"quote not in the transcript: {len(ev.text)} chars",
                        target=target,
                    )
                )
                continue
            end = start + len(ev.text)
            on = [
                f
                for f in findings
                if f.start < end and start < f.end and f.assertion in {"present", "possible"}
            ]
            if not on:
                actions.append(
                    _act(
                        "evidence_dropped",
                        ident,
                        "negated_or_family_evidence",
                        "quote holds no finding present or stated as possible",
                        target=target,
                    )
                )
                continue
            # A query is premised on what it quotes being so; a warning about a careless code
            # only on what might mislead a coder, which a later denial does not undo.
            denials = target == "prompt"
            against = next(
                (c for f in on if (c := self._contradiction(f, findings, denials))), None
            )
            if against is not None:
                # A query or warning whose premise the transcript denies is wrong as a whole.
                actions.append(
                    _act(
                        "removed",
                        ident,
                        "evidence_contradicted",
                        f'"{ev.text[:40]}" ({on[0].concept}) is contradicted by a negated '
                        f"{against.concept} at {against.start}",
                        target=target,
                    )
                )
                return None
            out.append(
                Evidence(
                    text=ev.text, start=start, end=end, speaker=on[0].speaker,
                    assertion=on[0].assertion,
                )
            )  # fmt: skip
        if out:
            return out
        actions.append(
            _act(
                "removed",
                ident,
                "no_evidence",
                f"no quote of the transcript supports this {target}",
                target=target,
            )
        )
        return None

    def _contradiction(self, f: Finding, findings: list[Finding], denials: bool) -> Finding | None:
        """A negated finding that contradicts ``f``: a denial the knowledge's
        ``contradicted_by`` names (a side denied where ``f`` claims both sides), or (with
        ``denials``) the same condition or symptom, at the same level and side, denied after
        ``f`` (the final statement decides)."""
        key = self.knowledge.contradicted_by.get(f.concept, frozenset())
        for g in findings:
            if g.assertion != "negated":
                continue
            if g.concept in key:
                return g
            if (
                denials
                and g.concept == f.concept
                and f.category not in _MODIFIER_CATEGORIES
                and g.start > f.start
                and g.level == f.level
                and (None in (g.laterality, f.laterality) or g.laterality == f.laterality)
            ):
                return g
        return None

    # -- citations ------------------------------------------------------------------------------

    def _valid_citations(self, citations: list[Citation], ctx: DraftContext) -> list[Citation]:
        out = []
        for c in citations:
            p = ctx.passage_by_id.get(c.chunk_id)
            if p is not None:
                out.append(Citation.of(p))
        return out

    def _citations(
        self, code: str, citations: list[Citation], ctx: DraftContext, actions: list[GuardAction]
    ) -> list[Citation]:
        valid = self._valid_citations(citations, ctx)
        if len(valid) < len(citations):
            actions.append(
                _act(
                    "citation_dropped",
                    code,
                    "citation_not_retrieved",
                    f"{len(citations) - len(valid)} citation(s) not among the retrieved chunks",
                )
            )
        return valid

    # -- Excludes1 ------------------------------------------------------------------------------

    def excluded_patterns(self, code: str) -> list[str]:
        """Codes named in the Excludes1 notes of a code and its ancestors (up to the block)."""
        patterns: list[str] = []
        for c in [code, *self.codeset.ancestors(code)]:
            entry = self.codeset.lookup(c)
            if entry.kind == "chapter":
                break
            for note in entry.excludes1:
                patterns.extend(m.group(1) for m in _EXCLUDED_CODE.finditer(note))
        return patterns

    def _excludes1(
        self, kept: list[CodeSuggestion], actions: list[GuardAction]
    ) -> list[CodeSuggestion]:
        drop: set[str] = set()
        for a in kept:
            for pattern in self.excluded_patterns(a.code):
                for b in kept:
                    if _is_sequela(b.code):
                        # The note excludes the current injury; a sequela code sits beside its
                        # residual condition (guideline I.B.10).
                        continue
                    if b.code != a.code and b.code.replace(".", "").startswith(
                        pattern.replace(".", "")
                    ):
                        drop.add(a.code)
                        actions.append(
                            _act(
                                "removed",
                                a.code,
                                "excludes1_conflict",
                                f"{a.code} Excludes1 {pattern}, and {b.code} is suggested",
                            )
                        )
        return [s for s in kept if s.code not in drop]

    # -- pitfall rules --------------------------------------------------------------------------

    def _pitfalls(
        self,
        kept: list[CodeSuggestion],
        warnings: list[CodingWarning],
        ctx: DraftContext,
        actions: list[GuardAction],
    ) -> tuple[list[CodeSuggestion], list[CodingWarning]]:
        analysis = ctx.own_analysis()
        facts = (
            analysis.facts
            if analysis
            else Facts.of(ctx.findings, ctx.transcript.text, self.knowledge)
        )
        hits = evaluate(ctx.rules, {s.code for s in kept} | set(ctx.candidates), facts, ctx.codeset)
        have = {w.rule for w in warnings}
        out = []
        for s in kept:
            blocking = [
                h for h in hits if h.rule.kind in {"warning", "alternative"} and h.forbids(s.code)
            ]
            if blocking:
                h = blocking[0]
                actions.append(
                    _act("removed", s.code, "pitfall_rule", f"rule {h.rule.id} ({h.rule.item})")
                )
                for h in blocking:
                    if h.rule.id not in have:
                        have.add(h.rule.id)
                        warnings.append(
                            CodingWarning(
                                rule=h.rule.id,
                                codes=[s.code],
                                message=h.rule.message,
                                alternatives=list(h.rule.alternatives),
                                evidence=list(s.evidence),
                                citations=[
                                    Citation.of(p) for p in ctx.passages if p.item_id == h.rule.item
                                ][:1],
                            )
                        )
                continue
            out.append(s)
        return out, warnings


def _is_sequela(code: str) -> bool:
    return code[0] in "ST" and len(code) == 8 and code.endswith("S")


def _locate(text: str, quote: str, hint: int) -> int | None:
    """Offsets of a verbatim quote: the given ones if right, else the occurrence nearest
    ``hint``."""
    if not quote.strip():
        return None
    if hint >= 0 and text[hint : hint + len(quote)] == quote:
        return hint
    starts = [m.start() for m in re.finditer(re.escape(quote), text)]
    if not starts:
        return None
    return min(starts, key=lambda s: abs(s - hint))


def _act(action: str, code: str, reason: str, detail: str, *, target: str = "code") -> GuardAction:
    return GuardAction(action=action, code=code, reason=reason, detail=detail, target=target)  # type: ignore[arg-type]


def assert_invariants(
    response_codes: list[CodeSuggestion], text: str, retrieved_ids: set[str], codeset: CodeSet
) -> list[str]:
    """The guard's own invariants on a finished response; an empty list means all hold.

    Used by tests and the eval harness: every suggested code is billable; every evidence quote
    is verbatim at its offsets; every citation is a retrieved chunk.
    """
    problems = []
    for s in response_codes:
        if s.status == "suggested" and not codeset.is_billable(s.code):
            problems.append(f"{s.code} suggested but not billable")
        if s.code not in codeset:
            problems.append(f"{s.code} not in the code set")
        if not s.evidence:
            problems.append(f"{s.code} has no evidence")
        for e in s.evidence:
            if text[e.start : e.end] != e.text:
                problems.append(f"{s.code} evidence {e.start}:{e.end} is not verbatim")
        if not s.citations:
            problems.append(f"{s.code} has no citation")
        for c in s.citations:
            if c.chunk_id not in retrieved_ids:
                problems.append(f"{s.code} cites {c.chunk_id}, not retrieved")
    return problems


__all__ = ["Guard", "GuardResult", "assert_invariants"]
