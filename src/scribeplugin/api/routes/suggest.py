"""``POST /v1/suggest``: a transcript in, a SuggestResponse out (codes with verbatim evidence
and citations, in-note prompts by note section, pitfall warnings)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request

from scribeplugin.api.deps import PipelineDep, ServiceDep, TenantDep
from scribeplugin.api.errors import error_responses
from scribeplugin.api.examples import example
from scribeplugin.api.middleware import request_id_of
from scribeplugin.api.schemas import SuggestRequest
from scribeplugin.api.suggesting import SuggestCall, check_length, record_audit, run_suggest
from scribeplugin.draft.types import SuggestResponse

router = APIRouter(prefix="/v1", tags=["suggest"])

_OK: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Codes, prompts and warnings, each citing its guidance. Evidence "
        "offsets index the transcript text (for segments: 'Speaker: text' lines joined by "
        "newlines). The answer's request_id is the key for feedback.",
        "content": {"application/json": {"example": example("suggest_response")}},
    }
}


@router.post(
    "/suggest",
    response_model=SuggestResponse,
    summary="Suggest ICD-10-CM codes, documentation prompts and warnings for a transcript",
    responses={**_OK, **error_responses(400, 401, 413, 415, 422, 503, 504)},
)
async def suggest(
    request: Request,
    body: Annotated[SuggestRequest, Body(openapi_examples=example("suggest_request"))],
    service: ServiceDep,
    tenant: TenantDep,
    pipeline: PipelineDep,
) -> SuggestResponse:
    check_length(service, body.transcript_chars())
    ctx = body.context
    call = SuggestCall(
        request_id=request_id_of(request.scope),
        tenant=tenant,
        source="api",
        transcript=body.transcript_data(),
        drafter=body.drafter,
        date_of_service=ctx.date_of_service if ctx else None,
    )
    response = await run_suggest(service, pipeline, call)
    await record_audit(service, call, response)
    return response
