"""One suggest call as the service runs it, shared by ``/v1/suggest`` and CDS Hooks.

The pipeline is synchronous (medspaCy, MiniLM, Chroma): it runs in a worker thread, at most
``SCRIBE_MAX_CONCURRENT_SUGGEST`` at once per worker, short requests before long ones
(``lane``), under ``SCRIBE_REQUEST_TIMEOUT_S`` (queueing included). On timeout the client gets
a 504 at once, and the thread stops at the pipeline's next deadline check (between steps, after
every unit of extraction: milliseconds later), so an abandoned request does not go on holding
a core. Every call that reaches the pipeline leaves one
audit row: the answer's codes, prompts, warnings and citations, or the error type. The
transcript's sha256 is stored, its text only when ``SCRIBE_STORE_TRANSCRIPT_TEXT`` is set.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Any

import anyio

from scribeplugin.api.errors import ApiError
from scribeplugin.api.service import Service
from scribeplugin.deadline import Deadline
from scribeplugin.draft.types import SuggestResponse
from scribeplugin.errors import (
    ConfigError,
    DeadlineExceededError,
    IndexNotReadyError,
    InputError,
    ScribeError,
)
from scribeplugin.pipeline import Pipeline
from scribeplugin.store import AuditRecord, Source, TargetKind, sha256_text

log = logging.getLogger(__name__)

Transcript = str | list[dict[str, str]]


@dataclass(slots=True)
class SuggestCall:
    request_id: str
    tenant: str
    source: Source
    transcript: Transcript
    drafter: str | None = None
    date_of_service: date | None = None
    hook_instance: str | None = None
    cds_service: str | None = None  # the CDS Hooks service called, if one was
    cards: list[tuple[str, TargetKind, str]] = field(default_factory=list)

    @property
    def canonical_text(self) -> str:
        """What the hash covers: the text as sent, or the segments as compact sorted JSON."""
        if isinstance(self.transcript, str):
            return self.transcript
        return json.dumps(
            self.transcript, sort_keys=True, ensure_ascii=False, separators=(",", ":")
        )


def check_length(service: Service, chars: int) -> None:
    """413 before any work for a transcript over the limit."""
    limit = service.settings.max_transcript_chars
    if chars > limit:
        raise ApiError(
            413,
            "payload_too_large",
            f"transcript is {chars:,} characters; the limit is {limit:,} "
            "(SCRIBE_MAX_TRANSCRIPT_CHARS). Send one encounter at a time.",
        )


async def run_suggest(service: Service, pipeline: Pipeline, call: SuggestCall) -> SuggestResponse:
    """The pipeline under the limiter and the timeout; errors become ApiErrors (and audit rows).
    On success the caller records the audit row (CDS Hooks adds its cards first)."""
    settings = service.settings
    metrics = service.metrics
    if settings.log_transcript_text:  # development only (Settings refuses it in production)
        log.debug("transcript of request %s: %s", call.request_id, call.canonical_text)
    deadline = Deadline(settings.request_timeout_s)
    run = partial(_suggest, service, pipeline, call, deadline)
    started = time.perf_counter()
    try:
        with anyio.fail_after(settings.request_timeout_s):
            response = await anyio.to_thread.run_sync(run, abandon_on_cancel=True)
    except (TimeoutError, DeadlineExceededError):
        await _fail(service, call, "timeout")
        raise ApiError(
            504,
            "timeout",
            f"the suggestion took longer than {settings.request_timeout_s:g} s "
            "(SCRIBE_REQUEST_TIMEOUT_S); retry, or send a shorter transcript",
        ) from None
    except InputError as exc:
        await _fail(service, call, "invalid_input")
        raise ApiError(422, "invalid_input", str(exc)) from None
    except ConfigError as exc:
        await _fail(service, call, "not_configured")
        raise ApiError(422, "not_configured", str(exc)) from None
    except IndexNotReadyError as exc:
        await _fail(service, call, "index_not_ready")
        raise ApiError(503, "index_not_ready", str(exc)) from None
    except ScribeError as exc:  # model or store trouble: not the caller's fault
        await _fail(service, call, "unavailable")
        raise ApiError(503, "unavailable", str(exc)) from None
    metrics.observe_suggest(response, call.source, time.perf_counter() - started)
    return response


def _suggest(
    service: Service, pipeline: Pipeline, call: SuggestCall, deadline: Deadline
) -> SuggestResponse:
    """The pipeline call (in a worker thread, in its turn of the lane); a stop at the deadline
    is logged and counted."""
    try:
        with service.lane.turn(deadline, len(call.canonical_text)) as turn:
            deadline.on_check = turn.step_aside
            return pipeline.suggest(
                call.transcript,
                drafter=call.drafter,
                date_of_service=call.date_of_service,
                request_id=call.request_id,
                deadline=deadline,
            )
    except DeadlineExceededError as exc:
        late = -deadline.remaining()
        log.warning("request %s: %s (%.0f ms after it)", call.request_id, exc, late * 1000)
        service.metrics.deadline_stops.inc()
        raise


async def record_audit(service: Service, call: SuggestCall, response: SuggestResponse) -> None:
    record = _base_record(service, call, "ok")
    record.code_set = response.code_set
    record.engine = response.engine.model_dump()
    record.degraded = response.engine.degraded
    # Every chunk retrieved for the request (DESIGN: the audit keeps them); cited ones first.
    record.chunk_ids = list(
        dict.fromkeys([*cited_chunk_ids(response), *response.retrieved_chunk_ids])
    )
    record.suggestions = summarize(response)
    if call.cds_service is not None:  # its cards' feedback is taken at this service only
        record.suggestions["cds_service"] = call.cds_service
    record.guard = [
        {"action": a.action, "code": a.code, "reason": a.reason} for a in response.guard
    ]
    record.total_ms = response.timings_ms.get("total")
    record.cards = list(call.cards)
    await anyio.to_thread.run_sync(service.store.record_suggest, record)


async def _fail(service: Service, call: SuggestCall, outcome: str) -> None:
    service.metrics.suggest_outcomes.labels(call.source, outcome).inc()
    await anyio.to_thread.run_sync(
        service.store.record_suggest, _base_record(service, call, outcome)
    )


def _base_record(service: Service, call: SuggestCall, status: str) -> AuditRecord:
    text = call.canonical_text
    return AuditRecord(
        request_id=call.request_id,
        tenant=call.tenant,
        source=call.source,
        status=status,
        transcript_sha256=sha256_text(text),
        transcript_chars=len(text),
        transcript_text=text if service.settings.store_transcript_text else None,
        code_set=service.codeset.release.name if service.codeset is not None else None,
        hook_instance=call.hook_instance,
    )


def cited_chunk_ids(response: SuggestResponse) -> list[str]:
    """Every chunk the answer cites, in order of first citation."""
    cites = [c for s in response.codes for c in s.citations]
    cites += [c for p in response.prompts for c in p.citations]
    cites += [c for w in response.warnings for c in w.citations]
    return list(dict.fromkeys(c.chunk_id for c in cites))


def summarize(response: SuggestResponse) -> dict[str, Any]:
    """The answer without transcript text: what feedback refers to and QA counts."""
    return {
        "codes": [
            {"code": c.code, "status": c.status, "billable": c.billable, "confidence": c.confidence}
            for c in response.codes
        ],
        "prompts": [
            {"id": p.id, "code": p.code, "note_section": p.note_section, "severity": p.severity}
            for p in response.prompts
        ],
        "warnings": [
            {"rule": w.rule, "codes": w.codes, "alternatives": w.alternatives}
            for w in response.warnings
        ],
        "notices": [{"id": f"notice-{i}"} for i, _ in enumerate(response.notices)],
    }
