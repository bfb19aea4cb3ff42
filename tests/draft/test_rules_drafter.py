"""The rules drafter drafts from the coding logic's ``Analysis``: the one the pipeline worked out
for the candidate codes, or its own when it is given none (or one of other findings)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from scribeplugin.coding.analysis import Analysis
from scribeplugin.config import PROJECT_ROOT
from scribeplugin.draft.rules import RulesDrafter
from scribeplugin.draft.types import DraftContext
from scribeplugin.extract.transcript import parse_transcript
from scribeplugin.pipeline import Pipeline
from tests.support.llm_context import make_ctx

pytestmark = pytest.mark.slow

SAMPLES = PROJECT_ROOT / "examples" / "transcripts"


def _ctx(pipeline: Pipeline, name: str) -> DraftContext:
    text = (SAMPLES / name).read_text(encoding="utf-8")
    findings = pipeline.extractor.run(parse_transcript(text))
    candidates = Analysis.of(findings, pipeline.codeset, text).candidates
    return make_ctx(
        text,
        candidates,
        findings=findings,
        rules=pipeline.rules,
        candidates=candidates,
        codeset=pipeline.codeset,
    )


def _draft(ctx: DraftContext, analysis: Analysis | None) -> dict[str, Any]:
    ctx.analysis = analysis
    return RulesDrafter().draft(ctx).model_dump()


@pytest.mark.parametrize(
    "name", ["l5s1_herniation_radiculopathy.txt", "stenosis_claudication.txt", "negations.txt"]
)
def test_a_given_analysis_drafts_what_the_drafter_works_out_itself(
    spine_pipeline: Pipeline, name: str
) -> None:
    ctx = _ctx(spine_pipeline, name)
    analysis = Analysis.of(ctx.findings, ctx.codeset, ctx.transcript.text)
    assert analysis.proposals, "each sample codes something"
    own = _draft(ctx, None)
    assert own["codes"], "the draft suggests codes"
    assert _draft(ctx, analysis) == own


def test_the_analysis_given_is_the_one_used(spine_pipeline: Pipeline) -> None:
    ctx = _ctx(spine_pipeline, "l5s1_herniation_radiculopathy.txt")
    analysis = Analysis.of(ctx.findings, ctx.codeset, ctx.transcript.text)
    assert [p.code for p in analysis.proposals] == ["M51.17"]
    # Without its proposal, the analysis drafts no code ...
    assert _draft(ctx, replace(analysis, proposals=[]))["codes"] == []
    # ... but an analysis of other findings (a copy of the list) is worked out again.
    stale = replace(analysis, findings=list(ctx.findings), proposals=[])
    assert [c["code"] for c in _draft(ctx, stale)["codes"]] == ["M51.17"]


def test_candidates_lead_with_the_proposals(spine_pipeline: Pipeline) -> None:
    ctx = _ctx(spine_pipeline, "l5s1_herniation_radiculopathy.txt")
    analysis = Analysis.of(ctx.findings, ctx.codeset, ctx.transcript.text)
    assert analysis.candidates[0] == analysis.proposals[0].code == "M51.17"
    assert "M54.17" in analysis.naive  # the separate radiculopathy code a careless coder adds
    assert "M54.17" in analysis.candidates  # so its pitfall rule can fire and be cited
    assert len(analysis.candidates) == len(set(analysis.candidates))


def test_every_axis_a_completion_leaves_open_has_a_compliant_query() -> None:
    """A code completed with an axis left open (``coding.complete.AXES``: the side, the digit,
    which meniscus...) asks for it; a new axis with no query would fail the drafter. Each
    query is compliant: no codes, no coding or payment talk, choices with "other" and
    "clinically undetermined"."""
    from scribeplugin.coding.complete import AXES
    from scribeplugin.corpus.lint.rules import leading_wording
    from scribeplugin.corpus.rules import REQUIRED_OPTIONS
    from scribeplugin.draft.rules import MISSING_PROMPTS

    for axis, _ in AXES:
        if axis in ("displacement", "luxation", "encounter"):
            continue  # settled by the guidelines' defaults (I.C.19), never asked
        assert axis in MISSING_PROMPTS, axis
    for need, q in MISSING_PROMPTS.items():
        assert leading_wording(q.text) == [], need
        if q.options:
            assert set(q.options) >= REQUIRED_OPTIONS, need
