"""Evidence checks of the guard: which findings can stand behind a code, whether a quote of a
code, a prompt or a warning rests on what the transcript asserts, and what contradicts it."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from scribeplugin.draft.types import CodeSuggestion, DraftContext, Evidence, GuardAction
from scribeplugin.knowledge.coding import CodingKnowledge, default_coding

if TYPE_CHECKING:
    from scribeplugin.extract.findings import Finding

_SUPPORTING_CATEGORIES = {"condition", "symptom"}
MODIFIER_CATEGORIES = {"region", "level", "laterality", "encounter", "site", "structure", "digit"}


def supports(finding: Finding, code: str, knowledge: CodingKnowledge | None = None) -> bool:
    """Can this finding stand in the evidence of this code? The longest matching prefix of the
    knowledge's ``support`` table decides; a side, level, region or encounter word refines any
    code."""
    table = (knowledge or default_coding()).support
    prefixes = [p for p in table if code.startswith(p)]
    if not prefixes:
        return finding.category in _SUPPORTING_CATEGORIES
    concepts = table[max(prefixes, key=len)]
    return finding.concept in concepts or finding.category in MODIFIER_CATEGORIES


def carries(finding: Finding, code: str, knowledge: CodingKnowledge | None = None) -> bool:
    """Can this finding carry the code on its own: a condition or symptom that supports it, not
    a modifier (side, level, region, encounter) that only refines it?"""
    return finding.category not in MODIFIER_CATEGORIES and supports(finding, code, knowledge)


def code_evidence(
    s: CodeSuggestion,
    text: str,
    findings: list[Finding],
    actions: list[GuardAction],
    knowledge: CodingKnowledge,
) -> tuple[list[Evidence], bool]:
    """The verbatim quotes of present findings that support the code, and whether one of
    them can carry it (a condition or symptom, not only a side or a level)."""
    out: list[Evidence] = []
    carried = False
    for ev in s.evidence:
        start = locate(text, ev.text, ev.start)
        if start is None:
            actions.append(
                act(
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
            f for f in overlapping if f.assertion == "present" and supports(f, s.code, knowledge)
        ]
        negated = [
            f for f in overlapping if f.assertion in {"negated", "family", "historical", "possible"}
        ]
        if negated and not any(carries(f, s.code, knowledge) for f in present):
            # The side or region words of a denied or past finding are that finding's.
            present = []
        if not present:
            reason = "negated_or_family_evidence" if negated else "no_evidence"
            detail = (
                f"quote rests on a {negated[0].assertion} finding ({negated[0].concept})"
                if negated
                else "quote holds no present finding that supports this code"
            )
            actions.append(act("evidence_dropped", s.code, reason, detail))
            continue
        carried = carried or any(carries(f, s.code, knowledge) for f in present)
        main = present[0]
        out.append(
            Evidence(text=ev.text, start=start, end=end, speaker=main.speaker, assertion="present")
        )
    return out, carried


def claim_evidence(
    ident: str,
    target: str,
    evidence: list[Evidence],
    ctx: DraftContext,
    actions: list[GuardAction],
    knowledge: CodingKnowledge,
) -> list[Evidence] | None:
    """A prompt's or warning's quotes, checked as a code's are (verbatim, on a finding
    present or, for a query, stated as possible) and against what the transcript says
    later; None when none is left (the prompt or warning is removed)."""
    text, findings = ctx.transcript.text, ctx.findings
    out: list[Evidence] = []
    for ev in evidence:
        start = locate(text, ev.text, ev.start)
        if start is None:
            actions.append(
                act(
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
                act(
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
            (c for f in on if (c := contradiction(f, findings, denials, knowledge))), None
        )
        if against is not None:
            # A query or warning whose premise the transcript denies is wrong as a whole.
            actions.append(
                act(
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
        act(
            "removed",
            ident,
            "no_evidence",
            f"no quote of the transcript supports this {target}",
            target=target,
        )
    )
    return None


def contradiction(
    f: Finding, findings: list[Finding], denials: bool, knowledge: CodingKnowledge
) -> Finding | None:
    """A negated finding that contradicts ``f``: a denial the knowledge's
    ``contradicted_by`` names (a side denied where ``f`` claims both sides), or (with
    ``denials``) the same condition or symptom, at the same level and side, denied after
    ``f`` (the final statement decides)."""
    key = knowledge.contradicted_by.get(f.concept, frozenset())
    for g in findings:
        if g.assertion != "negated":
            continue
        if g.concept in key:
            return g
        if (
            denials
            and g.concept == f.concept
            and f.category not in MODIFIER_CATEGORIES
            and g.start > f.start
            and g.level == f.level
            and (None in (g.laterality, f.laterality) or g.laterality == f.laterality)
        ):
            return g
    return None


def locate(text: str, quote: str, hint: int) -> int | None:
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


def act(action: str, code: str, reason: str, detail: str, *, target: str = "code") -> GuardAction:
    return GuardAction(action=action, code=code, reason=reason, detail=detail, target=target)  # type: ignore[arg-type]
