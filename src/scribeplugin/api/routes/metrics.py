"""``GET /metrics``: Prometheus text format (request counts and latency by route, suggest
latency, drafter fallbacks, guard removals by reason, feedback outcomes). No PHI, no key needed:
restrict it at the network if the counts are sensitive to you."""

from __future__ import annotations

from fastapi import APIRouter, Response

from scribeplugin.api.deps import ServiceDep
from scribeplugin.api.metrics import CONTENT_TYPE

router = APIRouter(tags=["health"])

_EXAMPLE = """# HELP scribe_http_requests_total HTTP requests by route template and status
# TYPE scribe_http_requests_total counter
scribe_http_requests_total{method="POST",route="/v1/suggest",status="200"} 42.0
# HELP scribe_guard_actions_total what the guard removed or downgraded, by reason
# TYPE scribe_guard_actions_total counter
scribe_guard_actions_total{action="removed",reason="negated_or_family_evidence"} 3.0
"""


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={
        200: {
            "description": "Prometheus text exposition format 0.0.4",
            "content": {CONTENT_TYPE: {"schema": {"type": "string"}, "example": _EXAMPLE}},
        }
    },
)
def metrics(service: ServiceDep) -> Response:
    return Response(service.metrics.render(), media_type=CONTENT_TYPE)
