"""The rules drafter: deterministic, offline, no model weights. The default drafter.

Codes come from the coding step (``scribeplugin.coding``: findings -> most specific billable code),
documentation prompts and pitfall warnings from the corpus rules, citations from the passages the
pipeline retrieved. The guard checks its drafts exactly as it checks the LLM's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scribeplugin.coding.analysis import Analysis
from scribeplugin.coding.facts import Facts, Proposal
from scribeplugin.coding.ruleset import RuleHit, evaluate
from scribeplugin.concepts import concepts
from scribeplugin.draft.types import (
    Citation,
    CodeSuggestion,
    CodingWarning,
    DocPrompt,
    Draft,
    DraftContext,
    Evidence,
)
from scribeplugin.index.chunk import cited_code
from scribeplugin.knowledge.coding import CodingKnowledge, default_coding

if TYPE_CHECKING:
    from scribeplugin.codeset import CodeSet
    from scribeplugin.extract.findings import Finding

OPEN = ["other", "clinically undetermined"]


@dataclass(frozen=True, slots=True)
class Query:
    """A documentation query the drafter asks itself (not from a corpus rule): the note section
    it belongs in, the axis it settles, its text ({what} is the quoted indicator) and the
    answers it offers. Compliant query practice: no codes, no payment, never leading."""

    section: str
    axis: str
    text: str
    options: tuple[str, ...] = ()


# What the note must add when a proposal is not yet fully supported.
MISSING_PROMPTS: dict[str, Query] = {
    "level_or_region": Query(
        "assessment",
        "level",
        'The note documents "{what}" without a spinal level or region. At which level or '
        "region is it?",
        ("cervical", "thoracic", "thoracolumbar", "lumbar", "lumbosacral (L5-S1)", *OPEN),
    ),
    "neurogenic_claudication": Query(
        "hpi",
        "claudication",
        'Lumbar stenosis is documented ("{what}"). Does the patient have neurogenic '
        "claudication (leg symptoms on standing or walking, eased by sitting or bending "
        "forward)?",
        ("yes", "no", *OPEN),
    ),
    "laterality": Query(
        "hpi",
        "laterality",
        'The note documents "{what}" without its side. Which side is affected?',
        ("right", "left", "both sides", *OPEN),
    ),
    "encounter_type": Query(
        "assessment",
        "encounter",
        'For the injury documented as "{what}": is this visit active treatment, or follow-up '
        "during routine healing?",
        ("active treatment", "routine healing follow-up", "a late effect (sequela)", *OPEN),
    ),
    "digit": Query(
        "assessment",
        "digit",
        'The note documents "{what}" without the finger or toe. Which one is affected?',
    ),
    "type": Query(
        "assessment",
        "type",
        'The note documents "{what}" without its exact part or type. What does the clinician find?',
    ),
    "meniscus": Query(
        "assessment",
        "meniscus",
        'The note documents "{what}" without saying which meniscus. Which one is affected?',
        ("medial meniscus", "lateral meniscus", *OPEN),
    ),
    "tophus": Query(
        "exam",
        "tophus",
        'The note documents "{what}" without saying whether there are tophi. Are tophi present?',
        ("tophi present", "no tophi", *OPEN),
    ),
    "named_condition": Query(
        "assessment",
        "diagnosis",
        'The note documents "{what}" without a named diagnosis. What condition does the '
        "clinician diagnose?",
    ),
}
CONFIRM = Query(
    "assessment",
    "confirmation",
    '"{what}" is documented as possible. Is it confirmed, ruled out, or still uncertain?',
    ("confirmed", "ruled out", "still uncertain (workup pending)", *OPEN),
)


def citations_for_code(ctx: DraftContext, code: str) -> list[Citation]:
    """The tabular entry of the code (of the code above it, for a code with its 7th
    character: ``index.chunk.cited_code``) first, then its card's summary and context items,
    then the Alphabetic Index entry the coding step looked it up by."""
    order = {"tabular": 0, "summary": 1, "context": 2, "tip": 3, "faq": 4, "pitfall": 5}
    codes = {code, cited_code(ctx.codeset, code)}
    chunks = sorted(
        (p for p in ctx.passages if p.code in codes and p.kind in order),
        key=lambda p: (order[p.kind], p.chunk_id),
    )
    path = ctx.analysis.index_paths.get(code) if ctx.analysis else None
    chunks += [p for p in ctx.passages if p.kind == "index" and p.item_id == path]
    seen: set[str] = set()
    out: list[Citation] = []
    for p in chunks:
        if p.chunk_id not in seen and (len(out) < 3 or p.kind == "index"):
            seen.add(p.chunk_id)
            out.append(cite(p))
    return out


def citations_for_item(ctx: DraftContext, item_id: str) -> list[Citation]:
    return [cite(p) for p in ctx.passages if p.item_id == item_id][:1]


cite = Citation.of


def evidence_of(findings: list[Finding], transcript_text: str) -> list[Evidence]:
    out: list[Evidence] = []
    seen: set[tuple[int, int]] = set()
    for f in findings:
        if (f.start, f.end) in seen:
            continue
        seen.add((f.start, f.end))
        out.append(
            Evidence(
                text=transcript_text[f.start : f.end],
                start=f.start,
                end=f.end,
                speaker=f.speaker,
                assertion=f.assertion,
            )
        )
    return out


def quotes(findings: Iterable[Finding], text: str, limit: int = 3) -> list[Evidence]:
    """The first ``limit`` distinct findings as verbatim evidence."""
    return evidence_of(list(dict.fromkeys(findings))[:limit], text)


def confidence_of(p: Proposal) -> float:
    if not p.confident:
        return 0.4
    main = p.evidence[0]
    score = (
        0.9
        if getattr(main, "from_assessment", False)
        else (0.8 if main.speaker == "clinician" else 0.65)
    )
    return round(score - 0.1 * len(p.missing), 2)


class RulesDrafter:
    """Deterministic drafter: coding logic + corpus rules."""

    name = "rules"
    model: str | None = None
    prompt_version: str | None = None

    def __init__(self, knowledge: CodingKnowledge | None = None) -> None:
        self.knowledge = knowledge or default_coding()

    def draft(self, ctx: DraftContext) -> Draft:
        cs, text = ctx.codeset, ctx.transcript.text
        analysis = ctx.own_analysis() or Analysis.of(ctx.findings, cs, text, self.knowledge)
        facts, proposals = analysis.facts, analysis.proposals
        chosen = {p.code for p in proposals}
        hits = evaluate(ctx.rules, chosen | analysis.naive | set(ctx.candidates), facts, cs)
        forbidden = {p.code for p in proposals for h in hits if h.forbids(p.code)}

        codes: list[CodeSuggestion] = []
        prompts: list[DocPrompt] = []
        for p in proposals:
            if p.code in forbidden:
                continue
            entry = cs.get(p.code)
            billable = entry is not None and entry.billable
            codes.append(
                CodeSuggestion(
                    code=p.code,
                    display=entry.description if entry else p.code,
                    billable=billable,
                    confidence=confidence_of(p),
                    status="suggested"
                    if p.confident and billable and not p.missing
                    else "needs_documentation",
                    rationale=_rationale(p, cs),
                    evidence=evidence_of(p.evidence, text),
                    citations=citations_for_code(ctx, p.code),
                )
            )
            for need in [*p.missing, *p.ask]:
                q = MISSING_PROMPTS[need]
                main = p.evidence[0]
                prompts.append(
                    DocPrompt(
                        id=f"missing-{need.replace('_', '-')}",
                        code=p.code,
                        note_section=q.section,
                        text=q.text.format(what=text[main.start : main.end]),
                        severity="warning",
                        axis=q.axis,
                        options=list(q.options),
                        evidence=quotes(p.evidence, text),
                        citations=citations_for_code(ctx, p.code),
                    )
                )
        kept = {c.code for c in codes}
        prompts.extend(_uncertain_prompts(ctx, facts))
        for h in hits:
            if h.rule.kind == "prompt" and (not h.rule.when.codes_any or set(h.codes) & kept):
                prompts.append(_prompt(ctx, h, kept, analysis))
        warnings = _unique_warnings(
            [
                _warning(ctx, h, analysis)
                for h in hits
                if h.rule.kind in {"warning", "alternative"} and _concerns(h, kept)
            ]
        )
        return Draft(
            codes=codes, prompts=_unique_prompts(prompts), warnings=warnings, drafter="rules"
        )


def _rationale(p: Proposal, cs: CodeSet) -> str:
    entry = cs.get(p.code)
    # a condition by its name, the words that place it (structure, site, side) as said
    where = {"site", "structure", "digit", "laterality"}
    what = ", ".join(
        dict.fromkeys(
            f.text.lower() if f.category in where else f.concept.replace("_", " ")
            for f in p.evidence
        )
    )
    base = f"{p.code} ({entry.description if entry else p.code}) from the documented {what}."
    if not p.confident:
        base += " Only the category is supported so far."
    return base


def _uncertain_prompts(ctx: DraftContext, facts: Facts) -> list[DocPrompt]:
    """A condition the clinician states only as possible is not coded in the outpatient
    setting: ask. Not asked: a patient's own theory or what someone else once told them ("they
    told me it was a contusion"), which is no clinical indicator of the clinician's; what the
    clinician only asked the patient about ("any family history of rheumatoid arthritis?", "any
    bruising?") and the reply left open (a question nobody answers, "is vertebral osteomyelitis
    also present? We'll ask radiology", is the clinician's doubt and is asked); and a procedure
    only considered ("we can consider carpal tunnel release surgery": ``plannable`` conditions
    are planned, not doubted)."""
    out = []
    present = facts.concepts()
    text = ctx.transcript.text
    known = concepts()
    for f in facts.uncertain:
        if f.category != "condition" or f.concept in present:
            continue
        if f.speaker == "patient" or (f.in_question and "question:unanswered" not in f.cues):
            continue  # a question the patient answered is no doubt of the clinician's own
        if f.concept in known and known[f.concept].plannable:
            continue
        out.append(
            DocPrompt(
                id=f"confirm-{f.concept.replace('_', '-')}",
                code=None,
                note_section=CONFIRM.section,
                text=CONFIRM.text.format(what=text[f.start : f.end]),
                severity="warning",
                axis=CONFIRM.axis,
                options=list(CONFIRM.options),
                evidence=quotes([f], text),
                citations=citations_for_code(ctx, facts.knowledge.confirm.get(f.concept, "")),
            )
        )
    return out


def _grounds(h: RuleHit, analysis: Analysis, codes: Iterable[str]) -> list[Finding]:
    """What a rule's prompt or warning rests on: the findings that made it fire, then the
    evidence of the codes it is about."""
    out = list(h.findings)
    for c in codes:
        out += analysis.grounds.get(c, [])[:1]
    return out


def _prompt(ctx: DraftContext, h: RuleHit, kept: set[str], analysis: Analysis) -> DocPrompt:
    code = next((c for c in h.codes if c in kept), None)
    return DocPrompt(
        id=h.rule.id,
        code=code,
        note_section=h.rule.note_section,
        text=h.rule.message,
        severity=h.rule.severity,
        axis=h.rule.axis,
        options=list(h.rule.options),
        evidence=quotes(_grounds(h, analysis, [code] if code else []), ctx.transcript.text),
        citations=citations_for_item(ctx, h.rule.item),
    )


def _warning(ctx: DraftContext, h: RuleHit, analysis: Analysis) -> CodingWarning:
    codes = list(h.codes) or list(h.rule.forbid)
    return CodingWarning(
        rule=h.rule.id,
        codes=codes,
        message=h.rule.message,
        alternatives=list(h.rule.alternatives),
        evidence=quotes(_grounds(h, analysis, codes), ctx.transcript.text),
        citations=citations_for_item(ctx, h.rule.item),
    )


def _concerns(h: RuleHit, kept: set[str]) -> bool:
    """Whether a warning is worth showing for this draft: it is about a code the draft keeps, or
    it says why a careless alternative is wrong (it forbids that code). A warning about what not
    to add beside a code nobody chose ("no symptom codes with M51.372") is left out."""
    if not h.codes or set(h.codes) & kept:
        return True
    if any(h.forbids(c) for c in h.codes):
        return True
    # A rule that only points to better codes ("code the injury instead") is about this choice.
    return bool(h.rule.alternatives) and not h.rule.forbid


def _unique_warnings(warnings: list[CodingWarning]) -> list[CodingWarning]:
    """Sibling cards often carry the same pitfall (M54.40/41/42): one warning per message."""
    by_message: dict[str, CodingWarning] = {}
    for w in warnings:
        first = by_message.setdefault(w.message, w)
        if first is not w:
            first.codes = sorted(set(first.codes) | set(w.codes))
    return list(by_message.values())


def _unique_prompts(prompts: list[DocPrompt]) -> list[DocPrompt]:
    """One prompt per id and code, and one per axis and code: two queries asking the same
    thing of the same code ("which level?" from the drafter and from a card rule) are one; so
    are two asking the same words of two codes (the side of a pain coded right and left), even
    from two rules ("Both a ligament sprain and a muscle strain of the neck are documented.
    Which injuries does the clinician diagnose?", asked once for the sprain's code and once for
    the strain's)."""
    seen: set[tuple[str, str | None]] = set()
    out = []
    for p in prompts:
        keys = {(p.id, p.code), (p.id, p.text), ("text", p.text)}
        keys |= {(f"axis:{p.axis}", p.code)} if p.axis and p.code else set()
        if keys & seen:
            continue
        seen |= keys
        out.append(p)
    return out
