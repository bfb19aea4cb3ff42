"""The schema as it was before migrations: suggest_audit, cds_card, feedback.

Revision ID: 0001
Revises:
Create Date: 2026-12-07

A database made by an older scribeplugin (``create_all``, no ``alembic_version`` table) has
exactly these tables; ``scribeplugin db upgrade`` records it at this revision and goes on.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "suggest_audit",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("code_set", sa.String(128)),
        sa.Column("engine", sa.JSON()),
        sa.Column("degraded", sa.Boolean(), nullable=False),
        sa.Column("chunk_ids", sa.JSON(), nullable=False),
        sa.Column("suggestions", sa.JSON(), nullable=False),
        sa.Column("guard", sa.JSON(), nullable=False),
        sa.Column("transcript_sha256", sa.String(64)),
        sa.Column("transcript_chars", sa.Integer()),
        sa.Column("transcript_text", sa.Text()),
        sa.Column("hook_instance", sa.String(128)),
        sa.Column("total_ms", sa.Float()),
    )
    op.create_index("ix_suggest_audit_request_id", "suggest_audit", ["request_id"], unique=True)
    op.create_index("ix_suggest_audit_tenant", "suggest_audit", ["tenant"])

    op.create_table(
        "cds_card",
        sa.Column("card_uuid", sa.String(36), primary_key=True),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("target_kind", sa.String(16), nullable=False),
        sa.Column("target_id", sa.String(200), nullable=False),
    )
    op.create_index("ix_cds_card_request_id", "cds_card", ["request_id"])

    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("target_kind", sa.String(16), nullable=False),
        sa.Column("target_id", sa.String(200), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("override_code", sa.String(16)),
        sa.Column("reason_code", sa.String(64)),
        sa.Column("reason", sa.Text()),
        sa.Column("card_uuid", sa.String(36)),
        sa.Column("code_set", sa.String(128)),
    )
    op.create_index("ix_feedback_request_id", "feedback", ["request_id"])
    op.create_index("ix_feedback_tenant", "feedback", ["tenant"])


def downgrade() -> None:
    op.drop_table("feedback")
    op.drop_table("cds_card")
    op.drop_table("suggest_audit")
