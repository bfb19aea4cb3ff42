"""The guard itself: runs every check on every draft, in order, and records what it did."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scribeplugin.draft.types import Citation, CodeSuggestion, Draft, DraftContext, GuardAction
from scribeplugin.guard.evidence import act, claim_evidence, code_evidence
from scribeplugin.guard.relations import excludes1, pitfalls
from scribeplugin.knowledge.coding import CodingKnowledge, default_coding

if TYPE_CHECKING:
    from scribeplugin.codeset import CodeSet


@dataclass(slots=True)
class GuardResult:
    draft: Draft
    actions: list[GuardAction] = field(default_factory=list)


class Guard:
    """Every check every draft must pass (see the package docstring for the list)."""

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
                    act(
                        "removed",
                        s.code,
                        "unknown_code",
                        f"{s.code} is not in {self.codeset.release.name}",
                    )
                )
                continue
            s.code, s.display = entry.code, entry.description
            if s.code in seen:
                actions.append(act("removed", s.code, "duplicate", "suggested twice"))
                continue
            if not entry.billable:
                s.billable = False
                if s.status != "needs_documentation":
                    s.status = "needs_documentation"
                    s.confidence = min(s.confidence, 0.5)
                    actions.append(
                        act(
                            "downgraded",
                            s.code,
                            "not_billable",
                            f"{s.code} has codes below it; the note must support one of them",
                        )
                    )
            else:
                s.billable = True
            before = len(actions)
            s.evidence, carried = code_evidence(s, text, ctx.findings, actions, self.knowledge)
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
                    act(
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
                    act(
                        "removed",
                        s.code,
                        "no_citation",
                        "no citation among the chunks retrieved for this request",
                    )
                )
                continue
            seen.add(s.code)
            kept.append(s)

        kept = excludes1(self.codeset, kept, actions)
        warnings = [
            w.model_copy(update={"citations": self._valid_citations(w.citations, ctx)})
            for w in draft.warnings
        ]
        kept, warnings = pitfalls(kept, warnings, ctx, actions, self.knowledge)
        final_codes = {s.code for s in kept}
        prompts = []
        for p in draft.prompts:
            if p.code is not None and p.code not in final_codes:
                actions.append(
                    act("removed", p.id, "code_removed", f"about {p.code}", target="prompt")
                )
                continue
            evidence = claim_evidence(p.id, "prompt", p.evidence, ctx, actions, self.knowledge)
            if evidence is not None:
                cites = self._valid_citations(p.citations, ctx)
                prompts.append(p.model_copy(update={"evidence": evidence, "citations": cites}))
        checked = []
        for w in warnings:
            evidence = claim_evidence(w.rule, "warning", w.evidence, ctx, actions, self.knowledge)
            if evidence is not None:
                checked.append(w.model_copy(update={"evidence": evidence}))
        warnings = checked
        return GuardResult(
            draft.model_copy(update={"codes": kept, "prompts": prompts, "warnings": warnings}),
            actions,
        )

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
                act(
                    "citation_dropped",
                    code,
                    "citation_not_retrieved",
                    f"{len(citations) - len(valid)} citation(s) not among the retrieved chunks",
                )
            )
        return valid
