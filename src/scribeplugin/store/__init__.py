"""Feedback and audit store (SQLAlchemy 2.x): a SQLite file by default, PostgreSQL by URL.

The tables:

- ``suggest_audit``: one row per suggest call (``/v1/suggest`` or a CDS Hooks service): request
  id, tenant, code-set release, engine (drafter, model, prompt version, index id, degraded), the
  chunk ids retrieved for it (those the answer cites first), the suggestions (codes, prompt ids,
  warning rules), what the guard did, the transcript's sha256 and length, and the outcome
  (``ok`` or the error type);
- ``cds_card``: each CDS Hooks card sent (card uuid -> request id and target), so feedback that
  names only a card can be tied to its request;
- ``feedback``: accept / dismiss / override of one suggestion, prompt or warning, with the
  override code and reason;
- ``idempotency_key``: the answer to a feedback call sent with an ``Idempotency-Key`` header,
  unique per (tenant, key), so that a retried call returns it instead of writing again;
- ``cds_jwt_use``: the ``jti`` of every CDS Hooks JWT accepted, until it expires, so a token
  is accepted once across every API process (replays are refused).

The schema is Alembic's (``scribeplugin.migrations``): ``create_schema`` gives a new database
the current schema and refuses an older one with the command that upgrades it.

The transcript text is stored only when ``SCRIBE_STORE_TRANSCRIPT_TEXT=true``; its sha256 always
is, so a transcript can be matched without keeping it.

Concurrent writers lose nothing. SQLite runs in WAL mode with a busy timeout, and every
transaction starts with ``BEGIN IMMEDIATE``, so writers (threads, workers, processes) queue for
the write lock instead of failing half-way; PostgreSQL does the same by itself.

The modules: ``tables`` (the ORM tables), ``records`` (what callers pass in and get back),
``sqlite`` (the SQLite connection settings); ``core`` (``Store``); every name is re-exported
from ``scribeplugin.store``.
"""

from __future__ import annotations

from scribeplugin.store.core import Store
from scribeplugin.store.records import (
    AuditRecord,
    CardInfo,
    FeedbackRecord,
    IdempotencyConflictError,
    IdempotentCall,
    Outcome,
    RequestInfo,
    Source,
    StoredAnswer,
    StoreError,
    TargetKind,
    sha256_text,
)
from scribeplugin.store.sqlite import SQLITE_BUSY_TIMEOUT_MS
from scribeplugin.store.tables import (
    AuditRow,
    Base,
    CardRow,
    FeedbackRow,
    IdempotencyRow,
    JwtUseRow,
)

__all__ = [
    "SQLITE_BUSY_TIMEOUT_MS",
    "AuditRecord",
    "AuditRow",
    "Base",
    "CardInfo",
    "CardRow",
    "FeedbackRecord",
    "FeedbackRow",
    "IdempotencyConflictError",
    "IdempotencyRow",
    "IdempotentCall",
    "JwtUseRow",
    "Outcome",
    "RequestInfo",
    "Source",
    "Store",
    "StoreError",
    "StoredAnswer",
    "TargetKind",
    "sha256_text",
]
