"""Liveness (``/healthz``: the process answers) and readiness (``/readyz``: the index is present
and built from the corpus, model and code set in use, the model is loaded and the store answers;
otherwise 503 with the command that fixes it)."""

from __future__ import annotations

from typing import Any

import anyio
from fastapi import APIRouter, Response

from scribeplugin.api.deps import ServiceDep
from scribeplugin.api.examples import example
from scribeplugin.api.schemas import Health, IndexState, Readiness

router = APIRouter(tags=["health"])

_READY: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Ready to serve suggestions.",
        "content": {"application/json": {"example": example("readiness")["ready"]}},
    },
    503: {
        "model": Readiness,
        "description": "Not ready; `fix` names the command that fixes it.",
        "content": {"application/json": {"example": example("readiness")["missing"]}},
    },
}


@router.get(
    "/healthz",
    response_model=Health,
    summary="Liveness: the process answers",
    responses={200: {"content": {"application/json": {"example": {"status": "ok"}}}}},
)
def healthz() -> Health:
    return Health()


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="Readiness: index current, model loaded",
    responses=_READY,
)
async def readyz(service: ServiceDep, response: Response) -> Readiness:
    status = await anyio.to_thread.run_sync(service.refresh_index_status)
    if status is not None and status.ready and service.pipeline is None:
        await anyio.to_thread.run_sync(service.ensure_pipeline)
    store_ok = await anyio.to_thread.run_sync(service.store.ping)
    index_ok = status is not None and status.ready
    model_ok = service.pipeline is not None
    fix = message = None
    if not index_ok:
        fix = status.fix if status is not None else None
        message = status.message() if status is not None else service.index_error
    elif not model_ok:
        message = service.index_error or "the pipeline is loading; retry shortly"
    elif not store_ok:
        message = f"the feedback store {service.store.describe()} does not answer"
        fix = "check SCRIBE_DATABASE_URL and that the database is up"
    ready = index_ok and model_ok and store_ok
    if not ready:
        response.status_code = 503
    return Readiness(
        status="ready" if ready else "not_ready",
        index=IndexState(
            state=status.state,
            scope=status.scope,
            collection=status.collection,
            reason=status.reason,
        )
        if status is not None
        else None,
        model_loaded=model_ok,
        store="ok" if store_ok else "unreachable",
        fix=fix,
        message=message,
    )
