"""``Idempotency-Key`` for feedback: a retried POST returns the first answer, not a second row.

A client that sends feedback and loses the answer (a timeout, a dropped connection, a worker
killed mid-request) cannot know whether it was stored. With an ``Idempotency-Key`` header (any
unique string, such as a UUID, per feedback it means to give), it can send the same request
again: if the first one was stored, the stored answer comes back (with ``Idempotent-Replayed:
true``) and nothing is written twice. Keys are kept in the store per tenant, with a unique
constraint, and the answer is written in the same transaction as the feedback, so two retries
racing each other, on one worker or on two hosts, still store one row. A key sent again with a
different request is a 422 (send a new key with each new request). See the IETF draft
"The Idempotency-Key HTTP Header Field".
"""

from __future__ import annotations

import hashlib
from typing import Annotated

import anyio
from fastapi import Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from scribeplugin.api.errors import ApiError
from scribeplugin.store import IdempotencyConflictError, IdempotentCall, Store, StoredAnswer

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=HEADER,
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="Optional. A unique string (a UUID) per feedback you mean to give; send "
        "the same request with the same key to retry it safely: the first answer comes back, "
        "nothing is stored twice. Printable ASCII, at most 200 characters.",
        examples=["9f4c1d1e-3b0a-4c55-8d1e-6f1b2f0f4a77"],
    ),
]


def idempotent_call(
    key: str | None, tenant: str, scope: str, body: BaseModel
) -> IdempotentCall | None:
    """The call to record under ``key`` (None without a key). The request is identified by the
    route and the parsed body, so a retry that differs only in JSON spacing is the same call."""
    if key is None:
        return None
    digest = hashlib.sha256(f"{scope}\n{body.model_dump_json()}".encode()).hexdigest()
    return IdempotentCall(tenant=tenant, key=key, scope=scope, request_sha256=digest)


async def earlier_answer(store: Store, call: IdempotentCall | None) -> JSONResponse | None:
    """The answer already recorded for this key, if any; 422 if the key belongs to another
    request."""
    if call is None:
        return None
    try:
        found = await anyio.to_thread.run_sync(store.idempotent_answer, call)
    except IdempotencyConflictError as exc:
        raise conflict(exc) from None
    return response_of(found) if found is not None else None


def response_of(answer: StoredAnswer) -> JSONResponse:
    headers = {REPLAYED_HEADER: "true"} if answer.replayed else None
    return JSONResponse(answer.body, status_code=answer.status_code, headers=headers)


def conflict(exc: IdempotencyConflictError) -> ApiError:
    return ApiError(422, "idempotency_key_reused", str(exc))
