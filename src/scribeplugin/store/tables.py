"""The store's tables (SQLAlchemy ORM); the schema itself is Alembic's (``migrations``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


def _now() -> datetime:
    return datetime.now(UTC)


class AuditRow(Base):
    __tablename__ = "suggest_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    tenant: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    source: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(32))
    code_set: Mapped[str | None] = mapped_column(String(128))
    engine: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    degraded: Mapped[bool] = mapped_column(Boolean, default=False)
    chunk_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    suggestions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    guard: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    transcript_sha256: Mapped[str | None] = mapped_column(String(64))
    transcript_chars: Mapped[int | None] = mapped_column(Integer)
    transcript_text: Mapped[str | None] = mapped_column(Text)
    hook_instance: Mapped[str | None] = mapped_column(String(128))
    total_ms: Mapped[float | None] = mapped_column(Float)


class CardRow(Base):
    __tablename__ = "cds_card"

    card_uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(64), index=True)
    target_kind: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[str] = mapped_column(String(200))


class FeedbackRow(Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(String(64), index=True)
    tenant: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    source: Mapped[str] = mapped_column(String(16))
    target_kind: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(16))
    override_code: Mapped[str | None] = mapped_column(String(16))
    reason_code: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    card_uuid: Mapped[str | None] = mapped_column(String(36))
    code_set: Mapped[str | None] = mapped_column(String(128))


class IdempotencyRow(Base):
    __tablename__ = "idempotency_key"
    __table_args__ = (UniqueConstraint("tenant", "key", name="uq_idempotency_key_tenant_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(String(128))  # the route the key was first used on
    request_sha256: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class JwtUseRow(Base):
    """A CDS Hooks JWT accepted once: its issuer and jti, kept until it expires."""

    __tablename__ = "cds_jwt_use"

    issuer: Mapped[str] = mapped_column(String(512), primary_key=True)
    jti: Mapped[str] = mapped_column(String(255), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
