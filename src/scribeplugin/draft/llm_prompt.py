"""The LLM drafter's prompt inputs (see the header of ``prompts/draft.v1.jinja``): the transcript
fenced as untrusted data, the findings, the passages chosen, the candidate codes and what the rules
drafter found, each clipped to a budget; and the rules drafter's citations carried over to the
prompts and warnings the model repeats.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from scribeplugin.draft.types import Citation, Draft, DraftContext

if TYPE_CHECKING:
    pass


# What the prompt carries beyond the transcript (about 4k tokens at most), so that a 16k-token
# context holds the instructions, a 6,000-word transcript and the reply.
MAX_PASSAGES = 30
MAX_PASSAGE_CHARS = 500
MAX_FINDINGS = 60


def prompt_inputs(ctx: DraftContext, rules_draft: Draft) -> dict[str, Any]:
    """The inputs of the draft prompt (see the header of ``prompts/draft.v1.jinja``)."""
    text: str = ctx.transcript.text
    turns = list(getattr(ctx.transcript, "turns", None) or [])
    rendered_turns = [
        {"n": i, "speaker": _speaker(getattr(t, "speaker", None)), "text": _turn_text(t, text)}
        for i, t in enumerate(turns, 1)
    ] or [{"n": 1, "speaker": "Unknown", "text": text}]
    return {
        "fence": transcript_fence(text),
        "turns": rendered_turns,
        "findings": [_finding(f, text) for f in ctx.findings[:MAX_FINDINGS]],
        "passages": [
            {
                "chunk_id": p.chunk_id,
                "ref": Citation.of(p).ref,
                "text": _clip(" ".join(str(p.text).split()), MAX_PASSAGE_CHARS),
            }
            for p in _chosen_passages(ctx, rules_draft)
        ],
        "candidates": [_candidate(c, ctx) for c in ctx.candidates],
        "rule_results": {
            "codes": [
                {"code": c.code, "status": c.status, "rationale": c.rationale}
                for c in rules_draft.codes
            ],
            "prompts": [
                {"id": p.id, "code": p.code, "note_section": p.note_section, "text": p.text}
                for p in rules_draft.prompts
            ],
            "warnings": [
                {
                    "rule": w.rule,
                    "codes": w.codes,
                    "message": w.message,
                    "alternatives": w.alternatives,
                }
                for w in rules_draft.warnings
            ],
        },
    }


def _chosen_passages(ctx: DraftContext, rules_draft: Draft) -> list[Any]:
    """At most MAX_PASSAGES: those the rules drafter cites first, then those about a candidate
    code, then the rest in retrieval order (a stable sort keeps the order within each group)."""
    cited = {
        c.chunk_id
        for group in (rules_draft.codes, rules_draft.prompts, rules_draft.warnings)
        for item in group
        for c in item.citations
    }
    candidates = set(ctx.candidates)

    def rank(p: Any) -> int:
        return 0 if p.chunk_id in cited else 1 if p.code in candidates else 2

    return sorted(ctx.passages, key=rank)[:MAX_PASSAGES]


def transcript_fence(text: str) -> str:
    """A marker the transcript cannot contain: it is derived from the transcript itself."""
    return "TRANSCRIPT-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16].upper()


def _speaker(speaker: object) -> str:
    s = str(speaker or "unknown").strip()
    return s[:1].upper() + s[1:] if s else "Unknown"


def _turn_text(turn: object, text: str) -> str:
    value = getattr(turn, "text", None)
    if isinstance(value, str):
        return value
    start, end = getattr(turn, "start", 0), getattr(turn, "end", len(text))
    return text[start:end]


def _finding(f: Any, text: str) -> dict[str, Any]:
    details = [
        f"{label} {value}"
        for label, value in (
            ("level", getattr(f, "level", None)),
            ("region", getattr(f, "region", None)),
            ("side", getattr(f, "laterality", None)),
        )
        if value
    ]
    quote = getattr(f, "text", None)
    return {
        "concept": f.concept,
        "category": str(f.category),
        "assertion": f.assertion,
        "speaker": f.speaker,
        "text": quote if isinstance(quote, str) else text[f.start : f.end],
        "details": ", ".join(details),
    }


def _candidate(code: str, ctx: DraftContext) -> dict[str, Any]:
    entry = ctx.codeset.get(code)
    return {
        "code": entry.code if entry else code,
        "display": entry.description if entry else "(not in the code set)",
        "billable": bool(entry and entry.billable),
    }


def _clip(s: str, n: int) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def _rule_ids(draft: Draft) -> set[str]:
    return {p.id for p in draft.prompts} | {w.rule for w in draft.warnings}


def _inherit_citations(draft: Draft, rules_draft: Draft) -> Draft:
    """A prompt or warning the model repeated by rule id takes what the rules drafter found for
    that rule where the model gave none the guard can keep: its citations, and its evidence
    (the model's schema carries no quotes for prompts and warnings; one of the model's own,
    with no rule id, has none, and the guard removes it)."""
    by_prompt = {p.id: p for p in rules_draft.prompts}
    by_warning = {w.rule: w for w in rules_draft.warnings}

    def cited(citations: list[Citation]) -> bool:
        return any(c.source != "unknown" for c in citations)

    prompts = []
    for p in draft.prompts:
        mine = by_prompt.get(p.id)
        if mine is not None:
            p = p.model_copy(
                update={
                    "citations": p.citations if cited(p.citations) else mine.citations,
                    "evidence": p.evidence or mine.evidence,
                    "axis": p.axis or mine.axis,
                    "options": p.options or mine.options,
                }
            )
        prompts.append(p)
    warnings = []
    for w in draft.warnings:
        found = by_warning.get(w.rule)
        if found is not None:
            w = w.model_copy(
                update={
                    "citations": w.citations if cited(w.citations) else found.citations,
                    "evidence": w.evidence or found.evidence,
                }
            )
        warnings.append(w)
    return draft.model_copy(update={"prompts": prompts, "warnings": warnings})
