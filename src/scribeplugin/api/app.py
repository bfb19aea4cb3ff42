"""The FastAPI app factory. Components are built once at start-up and injected into routes.

A missing or stale index does not stop the server: ``/healthz`` answers and the routes that need
the index answer 503 with the command that builds it. Unsafe settings do stop it:
``create_app`` raises ``ConfigError`` (with the fix) for a non-loopback address without API keys,
and ``Settings`` refuses transcript logging in production.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import anyio
from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from scribeplugin import __version__
from scribeplugin.api.deps import get_tenant
from scribeplugin.api.errors import error_responses, install_error_handlers
from scribeplugin.api.examples import example
from scribeplugin.api.middleware import InputGuardMiddleware, RequestContextMiddleware
from scribeplugin.api.routes import cds_hooks, codes, feedback, health, metrics, search, suggest, ui
from scribeplugin.api.security import check_serving
from scribeplugin.api.service import Service
from scribeplugin.config import Settings, get_settings
from scribeplugin.store import Store

if TYPE_CHECKING:
    from scribeplugin.pipeline import Pipeline
    from scribeplugin.retrieval import Retriever

log = logging.getLogger(__name__)

DESCRIPTION = """Grounded ICD-10-CM code suggestions, in-note documentation prompts and coding
pitfall warnings for orthopedic and spine visits, from the visit's transcript.

- `POST /v1/suggest` (JSON) and CDS Hooks 2.0 (`/cds-services`) for AI scribes;
- `/ui` for clinicians; `POST /v1/feedback` records their decisions;
- `GET /v1/codes/{code}` and `GET /v1/search` for the guidance behind every answer.

Authentication: `Authorization: Bearer <API key>` (keys per tenant, from `SCRIBE_API_KEYS`).
Errors: `{"error": {"type", "message"}}` with a 4xx for anything wrong with the request.
"""


def create_app(
    settings: Settings,
    *,
    retriever: Retriever | None = None,
    pipeline: Pipeline | None = None,
    store: Store | None = None,
) -> FastAPI:
    """The app for ``settings``. Pass ``pipeline`` (or ``retriever``) to reuse components already
    loaded (tests, bench) and ``store`` to share a store; otherwise they are built at start-up."""
    keys = check_serving(settings)
    service = Service(
        settings,
        keys,
        store or Store.from_settings(settings),
        pipeline=pipeline,
        retriever=retriever,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await anyio.to_thread.run_sync(service.start)  # seconds: keep the event loop free
        try:
            yield
        finally:
            if store is None:
                service.stop()

    app = FastAPI(
        title="scribeplugin",
        version=__version__,
        summary="Grounded ICD-10-CM suggestions for AI medical scribes.",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.service = service
    install_error_handlers(app)

    auth = [Depends(get_tenant)]
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(suggest.router)
    app.include_router(codes.router)
    app.include_router(
        search.router,
        dependencies=auth,
        responses={
            200: {"content": {"application/json": {"example": example("search_response")}}},
            **error_responses(401, 422, 503),
        },
    )
    app.include_router(feedback.router)
    app.include_router(cds_hooks.router)
    ui.mount(app)

    # Added last = outermost: context (ids, metrics, 500s) wraps CORS wraps the input guard.
    app.add_middleware(
        InputGuardMiddleware,
        max_body_bytes=settings.max_body_bytes,
        json_prefixes=("/v1/", "/cds-services"),
        body_timeout_s=settings.body_timeout_s,
        lane=service.lane,
    )
    origins = settings.cors_origin_list
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["authorization", "content-type", "idempotency-key"],
            expose_headers=["x-request-id"],
            max_age=600,
        )
    app.add_middleware(RequestContextMiddleware, metrics=service.metrics, routes=app.router.routes)
    return app


def app_factory() -> FastAPI:
    """For ``uvicorn --factory`` and multi-worker serving: settings from the environment."""
    from scribeplugin.config import apply_offline_environment
    from scribeplugin.logs import quiet_third_party

    apply_offline_environment()
    quiet_third_party()
    return create_app(get_settings())
