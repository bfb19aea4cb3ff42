"""Prometheus metrics, one registry per app (so several apps in one process never collide).

Under several uvicorn workers, ``scribeplugin serve`` sets ``PROMETHEUS_MULTIPROC_DIR`` and
``/metrics`` aggregates every worker's values (prometheus-client multiprocess mode).
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

from scribeplugin.draft.types import SuggestResponse

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    def __init__(self) -> None:
        disable_created_metrics()  # type: ignore[no-untyped-call]  # no *_created series
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "scribe_http_requests",
            "HTTP requests by route template and status",
            ["method", "route", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "scribe_http_request_duration_seconds",
            "HTTP request latency by route template",
            ["method", "route"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.suggest_latency = Histogram(
            "scribe_suggest_duration_seconds",
            "pipeline time per suggest call",
            ["source", "drafter"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.suggest_outcomes = Counter(
            "scribe_suggest_calls",
            "suggest calls by source and outcome (ok or error type)",
            ["source", "outcome"],
            registry=r,
        )
        self.deadline_stops = Counter(
            "scribe_suggest_deadline_stops",
            "pipeline calls that stopped working at their deadline (SCRIBE_REQUEST_TIMEOUT_S)",
            registry=r,
        )
        self.fallbacks = Counter(
            "scribe_drafter_fallbacks",
            "answers where the LLM drafter fell back to the rules drafter (engine.degraded)",
            ["drafter"],
            registry=r,
        )
        self.guard_actions = Counter(
            "scribe_guard_actions",
            "what the guard removed or downgraded, by reason",
            ["action", "reason"],
            registry=r,
        )
        self.suggestions = Counter(
            "scribe_suggestions",
            "items returned: codes (by status), prompts, warnings",
            ["kind"],
            registry=r,
        )
        self.feedback = Counter(
            "scribe_feedback",
            "feedback received by target kind and outcome",
            ["source", "target", "outcome"],
            registry=r,
        )

    def observe_suggest(self, response: SuggestResponse, source: str, seconds: float) -> None:
        self.suggest_latency.labels(source, response.engine.drafter).observe(seconds)
        self.suggest_outcomes.labels(source, "ok").inc()
        if response.engine.degraded:
            self.fallbacks.labels(response.engine.drafter).inc()
        for action in response.guard:
            self.guard_actions.labels(action.action, action.reason).inc()
        for code in response.codes:
            self.suggestions.labels(f"code_{code.status}").inc()
        if response.prompts:
            self.suggestions.labels("prompt").inc(len(response.prompts))
        if response.warnings:
            self.suggestions.labels("warning").inc(len(response.warnings))

    def render(self) -> bytes:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            return generate_latest(registry)
        return generate_latest(self.registry)
