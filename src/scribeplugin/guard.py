"""The guard: every check every draft must pass, whoever wrote it.

Runs in the pipeline on the output of every drafter, so no drafter can skip it. Each removal or
downgrade is recorded with its reason. Checks, in order:

1. the code exists in the code set (else removed) and is billable (else downgraded to
   ``needs_documentation``);
2. each evidence quote is found verbatim in the transcript; offsets are computed here and never
   trusted from the drafter; a quote that is not there is dropped;
3. each evidence quote must overlap a finding the extractor asserted present, of a concept that can
   support the code; quotes that rest only on negated, family or history findings, or on no
   finding at all (an instruction injected into the transcript, say), are dropped; a code left
   with no evidence is removed;
4. citations must be chunks retrieved for this request; a code left with none is removed;
5. two codes in an Excludes1 relation: the code whose note excludes the other is removed;
6. a pitfall rule that fires and forbids the code removes it (and its warning is added).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scribeplugin.draft.coding import Facts
from scribeplugin.draft.ruleset import evaluate
from scribeplugin.draft.types import (
    Citation,
    CodeSuggestion,
    CodingWarning,
    Draft,
    DraftContext,
    Evidence,
    GuardAction,
)

if TYPE_CHECKING:
    from scribeplugin.codeset import CodeSet
    from scribeplugin.extract.findings import Finding

_EXCLUDED_CODE = re.compile(r"\b([A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?)(\.?-)?")

# Which finding concepts can support codes under a prefix. Codes outside the table need evidence
# on any present condition or symptom finding.
SUPPORT: dict[str, set[str]] = {
    "M50.1": {"disc_herniation", "radiculopathy", "sciatica"},
    "M50.2": {"disc_herniation"},
    "M50.3": {"disc_degeneration"},
    "M51.1": {"disc_herniation", "radiculopathy", "sciatica"},
    "M51.2": {"disc_herniation"},
    "M51.3": {"disc_degeneration", "low_back_pain", "back_pain", "leg_pain", "sciatica"},
    "M48.0": {"spinal_stenosis", "neurogenic_claudication"},
    "M47.1": {"spondylosis", "facet_arthropathy", "myelopathy"},
    "M47.2": {"spondylosis", "facet_arthropathy", "radiculopathy", "sciatica"},
    "M47.8": {"spondylosis", "facet_arthropathy"},
    "M43.1": {"spondylolisthesis"},
    "M46.4": {"discitis"},
    "M46.2": {"vertebral_osteomyelitis"},
    "M53.2": {"instability"},
    "M53.8": {"ligament_syndrome", "dorsopathy"},
    "Q76.4": {"transitional_vertebra"},
    "Q76.2": {"spondylolisthesis", "congenital"},
    "M48.2": {"kissing_spine"},
    "M43.0": {"spondylolysis"},
    "M53.3": {"coccygodynia"},
    "M46.1": {"sacroiliitis"},
    "M46.3": {"discitis", "pyogenic"},
    "M54.81": {"occipital_neuralgia"},
    "M96.0": {"pseudarthrosis"},
    "M80.0": {"osteoporotic_fracture", "injury_event"},
    "S32.2": {"coccyx_fracture", "injury_event"},
    "S14.2": {"nerve_root_injury", "injury_event"},
    "S13.0": {"traumatic_disc_rupture", "injury_event"},
    "S23.0": {"traumatic_disc_rupture", "injury_event"},
    "S33.0": {"traumatic_disc_rupture", "injury_event"},
    "S13.1": {"traumatic_subluxation", "injury_event"},
    "S23.1": {"traumatic_subluxation", "injury_event"},
    "S33.1": {"traumatic_subluxation", "injury_event"},
    "M53.9": {"dorsopathy", "back_pain", "low_back_pain"},
    "M54.1": {"radiculopathy"},
    "M54.2": {"neck_pain"},
    "M54.3": {"sciatica", "leg_pain"},
    "M54.4": {"sciatica", "low_back_pain", "leg_pain"},
    "M54.5": {"low_back_pain", "back_pain", "vertebrogenic_pain"},
    "M54.8": {"back_pain", "low_back_pain", "neck_pain"},
    "M54.9": {"back_pain", "low_back_pain"},
    "S13.4": {"sprain", "injury_event"},
    "S16.1": {"strain", "injury_event"},
    "S33.5": {"sprain", "injury_event"},
    "S23.3": {"sprain", "injury_event"},
    "S29.01": {"strain", "injury_event"},
    "S39.01": {"strain", "injury_event"},
}
_SUPPORTING_CATEGORIES = {"condition", "symptom"}


@dataclass(slots=True)
class GuardResult:
    draft: Draft
    actions: list[GuardAction] = field(default_factory=list)


def supports(finding: Finding, code: str) -> bool:
    """Can this finding carry this code? The longest matching prefix of SUPPORT decides."""
    prefixes = [p for p in SUPPORT if code.startswith(p)]
    if not prefixes:
        return finding.category in _SUPPORTING_CATEGORIES
    concepts = SUPPORT[max(prefixes, key=len)]
    return finding.concept in concepts or finding.category in {
        "region",
        "level",
        "laterality",
        "encounter",
    }


class Guard:
    def __init__(self, codeset: CodeSet) -> None:
        self.codeset = codeset

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
            s.evidence = self._evidence(s, text, ctx.findings, actions)
            if not s.evidence:
                reason = (
                    "negated_or_family_evidence"
                    if any(
                        a.code == s.code and a.reason == "negated_or_family_evidence"
                        for a in actions
                    )
                    else "no_evidence"
                )
                actions.append(
                    _act(
                        "removed",
                        s.code,
                        reason,
                        "no verbatim evidence of a present finding supports it",
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
        prompts = [
            p.model_copy(update={"citations": self._valid_citations(p.citations, ctx)})
            for p in draft.prompts
            if p.code is None or p.code in final_codes
        ]
        return GuardResult(
            draft.model_copy(update={"codes": kept, "prompts": prompts, "warnings": warnings}),
            actions,
        )

    # -- evidence -------------------------------------------------------------------------------

    def _evidence(
        self, s: CodeSuggestion, text: str, findings: list[Finding], actions: list[GuardAction]
    ) -> list[Evidence]:
        out: list[Evidence] = []
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
            present = [f for f in overlapping if f.assertion == "present" and supports(f, s.code)]
            if not present:
                negated = [
                    f
                    for f in overlapping
                    if f.assertion in {"negated", "family", "historical", "possible"}
                ]
                reason = "negated_or_family_evidence" if negated else "no_evidence"
                detail = (
                    f"quote rests on a {negated[0].assertion} finding ({negated[0].concept})"
                    if negated
                    else "quote holds no present finding that supports this code"
                )
                actions.append(_act("evidence_dropped", s.code, reason, detail))
                continue
            main = present[0]
            out.append(
                Evidence(
                    text=ev.text, start=start, end=end, speaker=main.speaker, assertion="present"
                )
            )
        return out

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
        facts = analysis.facts if analysis else Facts.of(ctx.findings, ctx.transcript.text)
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


def _act(action: str, code: str, reason: str, detail: str) -> GuardAction:
    return GuardAction(action=action, code=code, reason=reason, detail=detail)  # type: ignore[arg-type]


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
