"""Checks of the guard between codes: Excludes1 pairs, and the corpus's pitfall rules."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from scribeplugin.coding.facts import Facts
from scribeplugin.coding.ruleset import evaluate
from scribeplugin.draft.types import (
    Citation,
    CodeSuggestion,
    CodingWarning,
    DraftContext,
    GuardAction,
)
from scribeplugin.guard.evidence import act
from scribeplugin.knowledge.coding import CodingKnowledge

if TYPE_CHECKING:
    from scribeplugin.codeset import CodeSet

_EXCLUDED_CODE = re.compile(r"\b([A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?)(\.?-)?")


def excluded_patterns(codeset: CodeSet, code: str) -> list[str]:
    """Codes named in the Excludes1 notes of a code and its ancestors (up to the block)."""
    patterns: list[str] = []
    for c in [code, *codeset.ancestors(code)]:
        entry = codeset.lookup(c)
        if entry.kind == "chapter":
            break
        for note in entry.excludes1:
            patterns.extend(m.group(1) for m in _EXCLUDED_CODE.finditer(note))
    return patterns


def excludes1(
    codeset: CodeSet, kept: list[CodeSuggestion], actions: list[GuardAction]
) -> list[CodeSuggestion]:
    drop: set[str] = set()
    for a in kept:
        for pattern in excluded_patterns(codeset, a.code):
            for b in kept:
                if is_sequela(b.code):
                    # The note excludes the current injury; a sequela code sits beside its
                    # residual condition (guideline I.B.10).
                    continue
                if b.code != a.code and b.code.replace(".", "").startswith(
                    pattern.replace(".", "")
                ):
                    drop.add(a.code)
                    actions.append(
                        act(
                            "removed",
                            a.code,
                            "excludes1_conflict",
                            f"{a.code} Excludes1 {pattern}, and {b.code} is suggested",
                        )
                    )
    return [s for s in kept if s.code not in drop]


def pitfalls(
    kept: list[CodeSuggestion],
    warnings: list[CodingWarning],
    ctx: DraftContext,
    actions: list[GuardAction],
    knowledge: CodingKnowledge,
) -> tuple[list[CodeSuggestion], list[CodingWarning]]:
    analysis = ctx.own_analysis()
    facts = analysis.facts if analysis else Facts.of(ctx.findings, ctx.transcript.text, knowledge)
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
                act("removed", s.code, "pitfall_rule", f"rule {h.rule.id} ({h.rule.item})")
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


def is_sequela(code: str) -> bool:
    return code[0] in "ST" and len(code) == 8 and code.endswith("S")
