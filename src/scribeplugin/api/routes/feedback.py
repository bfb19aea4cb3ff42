"""``POST /v1/feedback``: a clinician accepts, dismisses or overrides one code, prompt or warning
of an earlier answer. Only the tenant that asked may give feedback on an answer (403 otherwise).
With an ``Idempotency-Key`` header a retry returns the first answer (``api/idempotency.py``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Body, status
from fastapi.responses import JSONResponse

from scribeplugin.api.deps import CodeSetDep, ServiceDep, TenantDep
from scribeplugin.api.errors import ApiError, error_responses
from scribeplugin.api.examples import example
from scribeplugin.api.idempotency import (
    IdempotencyKey,
    conflict,
    earlier_answer,
    idempotent_call,
    response_of,
)
from scribeplugin.api.schemas import FeedbackReceipt, FeedbackRequest
from scribeplugin.codeset import CodeSet
from scribeplugin.store import FeedbackRecord, IdempotencyConflictError, RequestInfo

router = APIRouter(prefix="/v1", tags=["feedback"])

_OK: dict[int | str, dict[str, Any]] = {
    201: {
        "description": "Stored.",
        "content": {"application/json": {"example": example("feedback_receipt")}},
    }
}


@router.post(
    "/feedback",
    response_model=FeedbackReceipt,
    status_code=status.HTTP_201_CREATED,
    summary="Record a clinician's accept / dismiss / override of a suggestion or prompt",
    responses={**_OK, **error_responses(400, 401, 403, 404, 413, 415, 422)},
)
async def post_feedback(
    body: Annotated[FeedbackRequest, Body(openapi_examples=example("feedback_request"))],
    service: ServiceDep,
    tenant: TenantDep,
    codeset: CodeSetDep,
    idempotency_key: IdempotencyKey = None,
) -> FeedbackReceipt | JSONResponse:
    store = service.store
    call = idempotent_call(idempotency_key, tenant, "POST /v1/feedback", body)
    earlier = await earlier_answer(store, call)
    if earlier is not None:
        return earlier
    info = await anyio.to_thread.run_sync(store.request, body.request_id)
    check_owner(info, body.request_id, tenant)
    assert info is not None
    if body.target_id not in info.targets(body.target):
        raise ApiError(
            422,
            "invalid_request",
            f"{body.target} {body.target_id!r} is not in the answer to request "
            f"{body.request_id}; give feedback on an item that answer contains",
        )
    override = normalized_code(codeset, body.override_code) if body.override_code else None
    record = FeedbackRecord(
        request_id=body.request_id,
        tenant=tenant,
        source=body.source,
        target_kind=body.target,
        target_id=body.target_id,
        outcome=body.outcome,
        override_code=override,
        reason=body.reason,
        code_set=info.code_set,
    )

    def receipt(ids: list[int]) -> FeedbackReceipt:
        return FeedbackReceipt(
            id=ids[0],
            request_id=body.request_id,
            target=body.target,
            target_id=body.target_id,
            outcome=body.outcome,
            recorded_at=datetime.now(UTC),
        )

    if call is None:
        ids = await anyio.to_thread.run_sync(store.add_feedback, [record])
        service.metrics.feedback.labels(body.source, body.target, body.outcome).inc()
        return receipt(ids)
    try:
        stored = await anyio.to_thread.run_sync(
            store.add_feedback_once,
            [record],
            call,
            lambda ids: (201, receipt(ids).model_dump(mode="json")),
        )
    except IdempotencyConflictError as exc:
        raise conflict(exc) from None
    if not stored.replayed:
        service.metrics.feedback.labels(body.source, body.target, body.outcome).inc()
    return response_of(stored)


def check_owner(info: RequestInfo | None, request_id: str, tenant: str) -> None:
    """404 for a request the store does not hold, 403 for another tenant's."""
    if info is None:
        raise ApiError(
            404,
            "unknown_request",
            f"no suggest request {request_id} is on record; use the request_id of an answer "
            "from POST /v1/suggest or a CDS Hooks service",
        )
    if info.tenant != tenant:
        raise ApiError(
            403,
            "forbidden",
            f"request {request_id} belongs to another tenant; feedback can only be given on "
            "your own requests",
        )


def normalized_code(codeset: CodeSet, code: str) -> str:
    entry = codeset.get(code)
    if entry is None:
        nearest = codeset.nearest(code)
        hint = f" Nearest valid codes: {', '.join(nearest)}." if nearest else ""
        raise ApiError(
            422,
            "unknown_code",
            f"override_code {code!r} is not an ICD-10-CM code in the code set in use.{hint}",
            nearest=nearest,
        )
    return entry.code
