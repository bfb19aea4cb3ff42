"""CDS Hooks 2.0: ``GET /cds-services`` (discovery), ``POST /cds-services/{id}`` (cards),
``POST /cds-services/{id}/feedback``. What the services expect is documented in
``scribeplugin.api.cds`` and in each service's discovery description; how callers are
authenticated (the EHR's JWT, or an API key) in ``scribeplugin.api.cds_auth``.

A card's feedback is accepted only at the feedback URL of the service that sent it: the audit
row of the call names the service (``suggestions.cds_service``)."""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Body, Path, Request
from fastapi.responses import JSONResponse

from scribeplugin.api.cds import (
    SERVICES,
    CardBuilder,
    CdsDiscovery,
    CdsFeedback,
    CdsRequest,
    CdsResponse,
    suggestion_uuid,
)
from scribeplugin.api.deps import CdsTenantDep, CodeSetDep, PipelineDep, ServiceDep
from scribeplugin.api.errors import ApiError, error_responses
from scribeplugin.api.examples import example
from scribeplugin.api.idempotency import (
    IdempotencyKey,
    conflict,
    earlier_answer,
    idempotent_call,
    response_of,
)
from scribeplugin.api.middleware import request_id_of
from scribeplugin.api.routes.feedback import check_owner
from scribeplugin.api.suggesting import SuggestCall, check_length, record_audit, run_suggest
from scribeplugin.api.text import excerpt
from scribeplugin.store import FeedbackRecord, IdempotencyConflictError

router = APIRouter(prefix="/cds-services", tags=["cds-hooks"])

ServiceId = Annotated[
    str,
    Path(
        max_length=64,
        description="a service id from discovery",
        examples=["scribeplugin-transcript"],
    ),
]


def _service(service_id: str) -> None:
    if service_id not in SERVICES:
        raise ApiError(
            404,
            "unknown_service",
            f"no CDS service {service_id!r}; GET /cds-services lists: {', '.join(SERVICES)}",
        )


@router.get(
    "",
    response_model=CdsDiscovery,
    response_model_exclude_none=True,
    summary="CDS Hooks discovery",
    responses={200: {"content": {"application/json": {"example": example("cds_discovery")}}}},
)
def discovery() -> CdsDiscovery:
    return CdsDiscovery(services=list(SERVICES.values()))


@router.post(
    "/{service_id}",
    response_model=CdsResponse,
    response_model_exclude_none=True,
    summary="Call a CDS service: cards for the transcript or draft note in the context",
    responses={
        200: {"content": {"application/json": {"example": example("cds_response")}}},
        **error_responses(400, 401, 404, 413, 415, 422, 503, 504),
    },
)
async def call_service(
    service_id: ServiceId,
    request: Request,
    body: Annotated[CdsRequest, Body(openapi_examples=example("cds_request"))],
    service: ServiceDep,
    tenant: CdsTenantDep,
    pipeline: PipelineDep,
    codeset: CodeSetDep,
) -> CdsResponse:
    _service(service_id)
    expected = SERVICES[service_id].hook
    if body.hook != expected:
        raise ApiError(
            422,
            "invalid_request",
            f"service {service_id} answers the hook {expected!r}, not {body.hook!r}",
        )
    ctx = body.context
    check_length(service, ctx.text_chars())
    call = SuggestCall(
        request_id=request_id_of(request.scope),
        tenant=tenant,
        source="cds-hooks",
        transcript=ctx.text_data(),
        date_of_service=ctx.date_of_service,
        hook_instance=body.hook_instance,
        cds_service=service_id,
    )
    response = await run_suggest(service, pipeline, call)
    base = service.settings.public_url or str(request.base_url)
    builder = CardBuilder(codeset, base, ctx.patient_id, ctx.encounter_id)
    cards = builder.build(response)
    call.cards = builder.refs
    await record_audit(service, call, response)
    return CdsResponse(cards=cards)


@router.post(
    "/{service_id}/feedback",
    response_model=None,  # always {}; a retried call's answer comes back as a JSONResponse
    summary="CDS Hooks feedback: a card's suggestion accepted, or the card overridden",
    responses={
        200: {
            "description": "Recorded.",
            "content": {"application/json": {"example": {}, "schema": {"type": "object"}}},
        },
        **error_responses(400, 401, 403, 404, 413, 415, 422, 503),
    },
)
async def feedback(
    service_id: ServiceId,
    body: Annotated[CdsFeedback, Body(openapi_examples=example("cds_feedback"))],
    service: ServiceDep,
    tenant: CdsTenantDep,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any] | JSONResponse:
    _service(service_id)
    store = service.store
    scope = f"POST /cds-services/{service_id}/feedback"
    call = idempotent_call(idempotency_key, tenant, scope, body)
    earlier = await earlier_answer(store, call)
    if earlier is not None:
        return earlier
    uuids = [f.card for f in body.feedback]
    cards = await anyio.to_thread.run_sync(store.cards, uuids)
    unknown = [u for u in uuids if u not in cards]
    if unknown:
        raise ApiError(
            404,
            "unknown_card",
            f"no card {', '.join(excerpt(u) for u in unknown[:5])} was sent by this service; "
            "give feedback on cards from a call's response",
        )
    records = []
    for entry in body.feedback:
        card = cards[entry.card]
        info = await anyio.to_thread.run_sync(store.request, card.request_id)
        check_owner(info, card.request_id, tenant)
        assert info is not None
        sent_by = info.suggestions.get("cds_service")
        if sent_by is not None and sent_by != service_id:
            raise ApiError(
                404,
                "unknown_card",
                f"card {entry.card} was sent by the service {sent_by}, not {service_id}; send "
                f"its feedback to /cds-services/{sent_by}/feedback",
            )
        expected = suggestion_uuid(entry.card)
        bad = [s.id for s in entry.accepted_suggestions if s.id != expected]
        if bad:
            raise ApiError(
                422,
                "invalid_request",
                f"card {entry.card} has no suggestion {bad[0]}",
            )
        reason = entry.override_reason
        records.append(
            FeedbackRecord(
                request_id=card.request_id,
                tenant=tenant,
                source="cds-hooks",
                target_kind=card.target_kind,
                target_id=card.target_id,
                outcome=entry.outcome,
                reason_code=reason.reason.code if reason and reason.reason else None,
                reason=reason.user_comment if reason else None,
                card_uuid=entry.card,
                code_set=info.code_set,
            )
        )
    if call is None:
        await anyio.to_thread.run_sync(store.add_feedback, records)
    else:
        try:
            stored = await anyio.to_thread.run_sync(
                store.add_feedback_once, records, call, lambda _ids: (200, {})
            )
        except IdempotencyConflictError as exc:
            raise conflict(exc) from None
        if stored.replayed:
            return response_of(stored)
    for r in records:
        service.metrics.feedback.labels("cds-hooks", r.target_kind, r.outcome).inc()
    return {}
