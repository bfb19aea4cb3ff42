"""What callers of the store pass in and get back (never session-bound rows), its errors, and
the transcript's hash.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Literal

from scribeplugin.errors import ScribeError

TargetKind = Literal["code", "prompt", "warning", "notice"]
Outcome = Literal["accepted", "dismissed", "overridden"]
Source = Literal["api", "ui", "cds-hooks"]


class StoreError(ScribeError):
    """The feedback and audit store cannot be reached or written."""


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- records (what callers pass in and get back; never session-bound rows) ---------------------


@dataclass(slots=True)
class AuditRecord:
    request_id: str
    tenant: str
    source: Source
    status: str
    transcript_sha256: str | None = None
    transcript_chars: int | None = None
    transcript_text: str | None = None
    code_set: str | None = None
    engine: dict[str, Any] | None = None
    degraded: bool = False
    chunk_ids: list[str] = field(default_factory=list)
    suggestions: dict[str, Any] = field(default_factory=dict)
    guard: list[dict[str, str]] = field(default_factory=list)
    hook_instance: str | None = None
    total_ms: float | None = None
    cards: list[tuple[str, TargetKind, str]] = field(default_factory=list)  # uuid, kind, id


@dataclass(frozen=True, slots=True)
class RequestInfo:
    """What feedback needs to know about an earlier suggest call."""

    request_id: str
    tenant: str
    code_set: str | None
    status: str
    suggestions: dict[str, Any]

    def targets(self, kind: TargetKind) -> set[str]:
        """The ids a clinician may give feedback on: codes, prompt ids, warning rules."""
        key = {"code": "codes", "prompt": "prompts", "warning": "warnings", "notice": "notices"}
        field_name = {"code": "code", "prompt": "id", "warning": "rule", "notice": "id"}[kind]
        return {str(x[field_name]) for x in self.suggestions.get(key[kind], [])}


@dataclass(frozen=True, slots=True)
class CardInfo:
    card_uuid: str
    request_id: str
    target_kind: TargetKind
    target_id: str


@dataclass(slots=True)
class FeedbackRecord:
    request_id: str
    tenant: str
    source: Source
    target_kind: TargetKind
    target_id: str
    outcome: Outcome
    override_code: str | None = None
    reason_code: str | None = None
    reason: str | None = None
    card_uuid: str | None = None
    code_set: str | None = None


@dataclass(frozen=True, slots=True)
class IdempotentCall:
    """A call sent with an ``Idempotency-Key``: who, which key, where, and what was asked."""

    tenant: str
    key: str
    scope: str
    request_sha256: str


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """The answer recorded for an idempotent call; ``replayed``: recorded by an earlier call."""

    status_code: int
    body: dict[str, Any]
    replayed: bool


class IdempotencyConflictError(ScribeError):
    """An ``Idempotency-Key`` already used for another request."""
