"""Turn an LLM reply into a ``Draft``: the parser, apart from the model call so it can be tested
on canned replies.

Accepts the parsed schema object, a plain dict, or raw text (JSON, possibly inside a ```json
fence or with prose around it). Trusts nothing it cannot check cheaply and checks nothing the
guard owns: evidence quotes keep offsets 0..0 (the guard finds them in the transcript), cited
chunk ids are resolved against the passages given to the model (an id that is not among them is
kept with ``source='unknown'`` so the guard can drop it and say so), and the display text comes
from the code set. Anything that is not a reply raises ``DrafterError`` with a message that
quotes none of the reply (it may hold transcript text).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from scribeplugin.codeset import normalize
from scribeplugin.draft.llm_schema import CodeOut, DraftReply, PromptOut, WarningOut
from scribeplugin.draft.types import (
    Citation,
    CodeSuggestion,
    CodingWarning,
    DocPrompt,
    Draft,
    DraftContext,
    Evidence,
    Severity,
)
from scribeplugin.errors import DrafterError

# Bounds on what one reply may add: a runaway model must not flood the response.
MAX_CODES = 20
MAX_ITEMS = 20
MAX_QUOTES = 8
MAX_CITATIONS = 8
MAX_TEXT = 1000
MIN_ID_PREFIX = 8  # a cited id may be shortened to a unique prefix of at least this length

_CODE_SHAPE = re.compile(r"^[A-Za-z][0-9][0-9A-Za-z](\.?[0-9A-Za-z]{1,4})?$")
_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)
_RULE_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def parse_reply(reply: object, ctx: DraftContext, known_ids: Iterable[str] = ()) -> Draft:
    """The ``Draft`` an LLM reply proposes (``drafter='llm'``), before the guard.

    ``known_ids``: prompt and warning ids the model was shown (rule results); a ``rule`` the
    model gives is kept only if it is one of them or a rule of ``ctx.rules``.
    """
    return to_draft(coerce_reply(reply), ctx, known_ids)


def coerce_reply(reply: object) -> DraftReply:
    """The reply as a validated ``DraftReply``; ``DrafterError`` if it is not one."""
    if isinstance(reply, DraftReply):
        return reply
    if isinstance(reply, BaseModel):
        reply = reply.model_dump()
    if isinstance(reply, bytes):
        try:
            reply = reply.decode("utf-8")
        except UnicodeDecodeError:
            raise DrafterError("llm reply not parseable: not UTF-8") from None
    if isinstance(reply, str):
        reply = _json_of(reply)
    if not isinstance(reply, Mapping):
        raise DrafterError(
            f"llm reply not parseable: expected a JSON object, got {type(reply).__name__}"
        )
    data = _unwrap(dict(reply))
    try:
        return DraftReply.model_validate(_with_defaults(data))
    except ValidationError as exc:
        raise DrafterError(f"llm reply not parseable: {describe_validation_error(exc)}") from None


def describe_validation_error(exc: ValidationError, limit: int = 3) -> str:
    """Where and what, never the input values (they may be transcript text)."""
    errors = exc.errors(include_input=False, include_url=False, include_context=False)
    parts = [f"{'.'.join(str(x) for x in e['loc']) or '(root)'}: {e['msg']}" for e in errors]
    more = f" (+{len(parts) - limit} more)" if len(parts) > limit else ""
    return f"{len(errors)} schema error(s): " + "; ".join(parts[:limit]) + more


def to_draft(reply: DraftReply, ctx: DraftContext, known_ids: Iterable[str] = ()) -> Draft:
    rules = {lr.rule.id: lr.rule for lr in ctx.rules}
    known = set(known_ids) | set(rules)
    resolver = _CitationResolver(ctx)
    codes = [_code(c, ctx, resolver) for c in reply.codes[:MAX_CODES]]
    prompts = [
        _prompt(i, p, known, rules, resolver) for i, p in enumerate(reply.prompts[:MAX_ITEMS], 1)
    ]
    warnings = [
        _warning(i, w, known, resolver) for i, w in enumerate(reply.warnings[:MAX_ITEMS], 1)
    ]
    return Draft(codes=codes, prompts=prompts, warnings=warnings, drafter="llm")


# -- raw text -----------------------------------------------------------------------------------


def _json_of(text: str) -> Any:
    body = text.strip()
    if not body:
        raise DrafterError("llm reply not parseable: empty reply")
    candidates = [m.group(1).strip() for m in _FENCE.finditer(body)] + [body]
    first, last = body.find("{"), body.rfind("}")
    if 0 <= first < last:
        candidates.append(body[first : last + 1])  # prose around one JSON object
    error: json.JSONDecodeError | None = None
    for c in candidates:
        try:
            return json.loads(c)
        except json.JSONDecodeError as exc:
            error = error or exc
    assert error is not None
    raise DrafterError(
        f"llm reply not parseable: invalid JSON ({error.msg}; line {error.lineno} "
        f"column {error.colno})"
    )


def _unwrap(data: dict[str, Any]) -> dict[str, Any]:
    """``{"DraftReply": {...}}`` or ``{"arguments": {...}}``: some models wrap the object once."""
    if "codes" not in data and len(data) == 1:
        inner = next(iter(data.values()))
        if isinstance(inner, str):
            try:
                inner = json.loads(inner)
            except json.JSONDecodeError:
                return data
        if isinstance(inner, Mapping) and "codes" in inner:
            return dict(inner)
    return data


def _with_defaults(data: dict[str, Any]) -> dict[str, Any]:
    """Missing lists become empty and missing scalars get neutral values: local models in JSON
    mode often drop empty fields. Wrong types still fail validation."""
    out = dict(data)
    for key in ("codes", "prompts", "warnings"):
        if out.get(key) is None:
            out[key] = []
    for key, defaults in (
        (
            "codes",
            {
                "evidence": [],
                "citations": [],
                "rationale": "",
                "confidence": 0.5,
                "status": "suggested",
            },
        ),
        ("prompts", {"rule": "", "code": "", "note_section": "assessment", "citations": []}),
        ("warnings", {"rule": "", "codes": [], "alternatives": [], "citations": []}),
    ):
        items = out[key]
        if isinstance(items, list):
            out[key] = [_fill(item, defaults) for item in items]
    return out


def _fill(item: Any, defaults: Mapping[str, Any]) -> Any:
    if not isinstance(item, Mapping):
        return item
    filled = dict(item)
    for k, v in defaults.items():
        if filled.get(k) is None:
            filled[k] = v
    for k in ("evidence", "citations"):  # [{"text": ...}] / [{"chunk_id": ...}] / "one"
        value = filled.get(k)
        if isinstance(value, str):
            filled[k] = [value]
        elif isinstance(value, list):
            filled[k] = [_scalar(v) for v in value]
    return filled


def _scalar(value: Any) -> Any:
    if isinstance(value, Mapping):
        for key in ("text", "quote", "chunk_id", "id"):
            if isinstance(value.get(key), str):
                return value[key]
    return value


# -- mapping ------------------------------------------------------------------------------------


def _clean_code(code: str) -> str:
    c = code.strip()
    return normalize(c) if _CODE_SHAPE.match(c) else c[:32]


def _text(s: str) -> str:
    s = s.strip()
    return s if len(s) <= MAX_TEXT else s[: MAX_TEXT - 1] + "…"


def _confidence(x: float) -> float:
    return 0.0 if math.isnan(x) else min(1.0, max(0.0, float(x)))


def _code(c: CodeOut, ctx: DraftContext, resolver: _CitationResolver) -> CodeSuggestion:
    code = _clean_code(c.code)
    entry = ctx.codeset.get(code) if code else None
    quotes = list(dict.fromkeys(q for q in c.evidence if q.strip()))[:MAX_QUOTES]
    return CodeSuggestion(
        code=entry.code if entry else code,
        display=entry.description if entry else c.code.strip()[:200],
        billable=bool(entry and entry.billable),
        confidence=_confidence(c.confidence),
        status=c.status,
        rationale=_text(c.rationale),
        # Offsets are the guard's job: it finds each quote in the transcript or drops it.
        evidence=[Evidence(text=q, start=0, end=0) for q in quotes],
        citations=resolver.resolve(c.citations),
    )


def _prompt(
    n: int,
    p: PromptOut,
    known: set[str],
    rules: Mapping[str, Any],
    resolver: _CitationResolver,
) -> DocPrompt:
    rule_id = p.rule.strip()
    rule = rules.get(rule_id)
    severity: Severity = rule.severity if rule is not None else "info"
    return DocPrompt(
        id=rule_id if rule_id in known else f"llm-prompt-{n}",
        code=_clean_code(p.code) or None,
        note_section=p.note_section,
        text=_text(p.text),
        severity=severity,
        citations=resolver.resolve(p.citations),
    )


def _warning(n: int, w: WarningOut, known: set[str], resolver: _CitationResolver) -> CodingWarning:
    rule_id = w.rule.strip()
    return CodingWarning(
        rule=rule_id if rule_id in known and _RULE_ID.match(rule_id) else f"llm-warning-{n}",
        codes=[c for c in (_clean_code(x) for x in w.codes[:MAX_ITEMS]) if c],
        message=_text(w.message),
        alternatives=[c for c in (_clean_code(x) for x in w.alternatives[:MAX_ITEMS]) if c],
        citations=resolver.resolve(w.citations),
    )


class _CitationResolver:
    """Chunk ids -> citations, from the passages the model was given and nothing else."""

    def __init__(self, ctx: DraftContext) -> None:
        self.by_id: Mapping[str, Any] = ctx.passage_by_id

    def resolve(self, ids: Iterable[str]) -> list[Citation]:
        out: dict[str, Citation] = {}
        for raw in ids:
            cid = raw.strip().strip("[]")
            if not cid:
                continue
            p = self.by_id.get(cid) or self._by_prefix(cid)
            if p is None:
                out.setdefault(cid, Citation(chunk_id=cid, source="unknown", ref="", text=""))
            else:
                out.setdefault(p.chunk_id, citation_of(p))
            if len(out) >= MAX_CITATIONS:
                break
        return list(out.values())

    def _by_prefix(self, cid: str) -> Any:
        if len(cid) < MIN_ID_PREFIX:
            return None
        hits = [p for k, p in self.by_id.items() if k.startswith(cid)]
        return hits[0] if len(hits) == 1 else None


def citation_of(p: Any) -> Citation:
    """A retrieved passage as a citation (see ``Citation.of``)."""
    return Citation.of(p)
