"""The LLM reply parser on canned replies: schema objects, dicts, raw and fenced JSON, garbage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scribeplugin.corpus.rules import LoadedRule, Rule, When
from scribeplugin.draft.llm_parse import MAX_CODES, coerce_reply, parse_reply
from scribeplugin.draft.llm_schema import DraftReply
from scribeplugin.errors import DrafterError
from tests.support.llm_context import chunk_id_of, make_ctx

# A phrase that stands for transcript text: no error message may repeat it.
PHI = "Mrs Hollowell's left leg"


@pytest.fixture(scope="module")
def ctx() -> Any:
    rule = Rule(
        id="m51-17-name-the-root",
        kind="prompt",
        item="M51.17/tip/root-and-exam",
        when=When(codes_any=["M51.17"]),
        message="Name the nerve root and the exam findings that show it.",
        note_section="exam",
        severity="warning",
    )
    return make_ctx(rules=[LoadedRule(rule, Path("corpus/rules/M51.17.yaml"), 1)])


def code_item(**kw: Any) -> dict[str, Any]:
    item = {
        "code": "M51.17",
        "evidence": ["an L5-S1 disc herniation compressing the left S1 nerve root"],
        "citations": [],
        "rationale": "Disc herniation at L5-S1 with S1 radiculopathy.",
        "confidence": 0.9,
        "status": "suggested",
    }
    return {**item, **kw}


def reply(*codes: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return {"codes": list(codes), "prompts": [], "warnings": [], **kw}


def test_schema_object_becomes_a_draft_with_code_set_display_and_real_citations(ctx: Any) -> None:
    cid = chunk_id_of(ctx, "M51.17")
    draft = parse_reply(DraftReply.model_validate(reply(code_item(citations=[cid]))), ctx)
    assert draft.drafter == "llm" and draft.degraded_reason is None
    [s] = draft.codes
    assert s.code == "M51.17"
    assert s.display == "Intervertebral disc disorders with radiculopathy, lumbosacral region"
    assert s.billable and s.status == "suggested" and s.confidence == 0.9
    # Offsets are never taken from the model: the guard computes them.
    assert [(e.text, e.start, e.end) for e in s.evidence] == [
        ("an L5-S1 disc herniation compressing the left S1 nerve root", 0, 0)
    ]
    [c] = s.citations
    passage = ctx.passage_by_id[cid]
    assert (c.chunk_id, c.source, c.ref, c.text) == (cid, "tabular", "tabular:M51.17", passage.text)


def test_unknown_citation_id_is_kept_for_the_guard_to_drop(ctx: Any) -> None:
    draft = parse_reply(reply(code_item(citations=["f" * 64, "made-up"])), ctx)
    assert [(c.chunk_id, c.source, c.ref, c.text) for c in draft.codes[0].citations] == [
        ("f" * 64, "unknown", "", ""),
        ("made-up", "unknown", "", ""),
    ]


def test_a_unique_id_prefix_resolves_but_a_short_one_does_not(ctx: Any) -> None:
    cid = chunk_id_of(ctx, "M51.17")
    draft = parse_reply(reply(code_item(citations=[cid[:12], cid[:5], f"[{cid}]"])), ctx)
    got = [(c.chunk_id, c.source) for c in draft.codes[0].citations]
    assert got == [(cid, "tabular"), (cid[:5], "unknown")]  # the bracketed id is the same chunk


def test_unknown_code_keeps_the_models_text_and_is_not_billable(ctx: Any) -> None:
    draft = parse_reply(reply(code_item(code="M54.99"), code_item(code="bill everything")), ctx)
    assert [(s.code, s.display, s.billable) for s in draft.codes] == [
        ("M54.99", "M54.99", False),
        ("bill everything", "bill everything", False),
    ]


@pytest.mark.parametrize("written", ["m51.17", "M5117", " M51.17 "])
def test_code_spelling_is_normalised(ctx: Any, written: str) -> None:
    assert parse_reply(reply(code_item(code=written)), ctx).codes[0].code == "M51.17"


def test_category_code_is_kept_as_not_billable(ctx: Any) -> None:
    [s] = parse_reply(reply(code_item(code="M51.1", status="needs_documentation")), ctx).codes
    assert (s.billable, s.status) == (False, "needs_documentation")


@pytest.mark.parametrize(("given", "expected"), [(1.7, 1.0), (-0.2, 0.0), (float("nan"), 0.0)])
def test_confidence_is_clamped(ctx: Any, given: float, expected: float) -> None:
    assert parse_reply(reply(code_item(confidence=given)), ctx).codes[0].confidence == expected


def test_raw_json_text(ctx: Any) -> None:
    draft = parse_reply(json.dumps(reply(code_item())), ctx)
    assert [s.code for s in draft.codes] == ["M51.17"]


@pytest.mark.parametrize(
    "template",
    [
        "```json\n{body}\n```",
        "```\n{body}\n```",
        "Here is the draft:\n```json\n{body}\n```\nLet me know if you need more.",
        "Sure. {body} Hope this helps.",
    ],
)
def test_fenced_or_wrapped_json(ctx: Any, template: str) -> None:
    text = template.replace("{body}", json.dumps(reply(code_item())))
    assert [s.code for s in parse_reply(text, ctx).codes] == ["M51.17"]


def test_missing_fields_get_neutral_defaults(ctx: Any) -> None:
    draft = parse_reply(
        {"codes": [{"code": "M51.17", "evidence": "compressing the left S1 nerve root"}]}, ctx
    )
    [s] = draft.codes
    assert (s.status, s.confidence, s.rationale, s.citations) == ("suggested", 0.5, "", [])
    assert [e.text for e in s.evidence] == ["compressing the left S1 nerve root"]
    assert draft.prompts == [] and draft.warnings == []


def test_evidence_and_citations_given_as_objects(ctx: Any) -> None:
    cid = chunk_id_of(ctx, "M51.17")
    item = code_item(evidence=[{"text": "disc herniation"}], citations=[{"chunk_id": cid}])
    [s] = parse_reply(reply(item), ctx).codes
    assert [e.text for e in s.evidence] == ["disc herniation"]
    assert [c.chunk_id for c in s.citations] == [cid]


def test_one_level_of_wrapping_is_removed(ctx: Any) -> None:
    assert parse_reply({"DraftReply": reply(code_item())}, ctx).codes[0].code == "M51.17"
    wrapped = {"arguments": json.dumps(reply(code_item()))}
    assert parse_reply(wrapped, ctx).codes[0].code == "M51.17"


def test_duplicate_quotes_and_blank_quotes_are_dropped(ctx: Any) -> None:
    item = code_item(evidence=["disc herniation", "disc herniation", "  "])
    assert [e.text for e in parse_reply(reply(item), ctx).codes[0].evidence] == ["disc herniation"]


def test_a_runaway_reply_is_capped(ctx: Any) -> None:
    assert len(parse_reply(reply(*[code_item()] * 50), ctx).codes) == MAX_CODES


def test_prompts_keep_known_rule_ids_only(ctx: Any) -> None:
    cid = chunk_id_of(ctx, "M51.17")
    prompts = [
        {
            "rule": "m51-17-name-the-root",
            "code": "M51.17",
            "note_section": "exam",
            "text": "Name the root.",
            "citations": [cid],
        },
        {
            "rule": "made-up-rule",
            "code": "",
            "note_section": "plan",
            "text": "Document the plan.",
            "citations": [],
        },
        {
            "rule": "missing-laterality",
            "code": "m54.42",
            "note_section": "hpi",
            "text": "Which side?",
            "citations": [],
        },
    ]
    draft = parse_reply(reply(prompts=prompts), ctx, known_ids={"missing-laterality"})
    got = [(p.id, p.code, p.note_section, p.severity) for p in draft.prompts]
    assert got == [
        ("m51-17-name-the-root", "M51.17", "exam", "warning"),  # severity from the rule
        ("llm-prompt-2", None, "plan", "info"),
        ("missing-laterality", "M54.42", "hpi", "info"),
    ]
    assert [c.chunk_id for c in draft.prompts[0].citations] == [cid]


def test_warnings(ctx: Any) -> None:
    warnings = [
        {
            "rule": "",
            "codes": ["m54.17"],
            "message": "Radiculopathy with a disc disorder is M51.1-.",
            "alternatives": ["M5117"],
            "citations": ["nope"],
        },
        {
            "rule": "m51-17-name-the-root",
            "codes": ["M51.17"],
            "message": "Name the root.",
            "alternatives": [],
            "citations": [],
        },
    ]
    draft = parse_reply(reply(warnings=warnings), ctx)
    assert [(w.rule, w.codes, w.alternatives) for w in draft.warnings] == [
        ("llm-warning-1", ["M54.17"], ["M51.17"]),
        ("m51-17-name-the-root", ["M51.17"], []),
    ]
    assert draft.warnings[0].citations[0].source == "unknown"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "empty reply"),
        ("   \n", "empty reply"),
        (f'{{"codes": [{{"code": "M51.17", "evidence": ["{PHI}"', "invalid JSON"),
        (f"I cannot help with {PHI}.", "invalid JSON"),
        ("[1, 2, 3]", "expected a JSON object, got list"),
        ('"just a string"', "expected a JSON object, got str"),
        (b"\xff\xfe", "not UTF-8"),
        (42, "expected a JSON object, got int"),
    ],
)
def test_garbage_raises_drafter_error_without_quoting_the_reply(
    ctx: Any, raw: object, message: str
) -> None:
    with pytest.raises(DrafterError, match="llm reply not parseable") as err:
        parse_reply(raw, ctx)
    assert message in str(err.value)
    assert PHI not in str(err.value)


@pytest.mark.parametrize(
    "bad",
    [
        {"codes": [{"code": "M51.17", "evidence": [PHI], "status": f"certain: {PHI}"}]},
        {"codes": [{"code": ["M51.17"], "evidence": [PHI]}]},
        {"codes": PHI},
        {"codes": [], "prompts": [{"text": PHI, "note_section": "somewhere"}]},
    ],
)
def test_schema_errors_say_where_but_not_what(ctx: Any, bad: dict[str, Any]) -> None:
    with pytest.raises(DrafterError, match=r"llm reply not parseable: \d+ schema error") as err:
        parse_reply(bad, ctx)
    assert PHI not in str(err.value)


def test_coerce_reply_passes_a_schema_object_through() -> None:
    obj = DraftReply(codes=[], prompts=[], warnings=[])
    assert coerce_reply(obj) is obj
