"""CDS Hooks JWTs accepted: one row per (issuer, jti) until the token expires, so a replayed
token is refused across every API process.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cds_jwt_use",
        sa.Column("issuer", sa.String(512), nullable=False),
        sa.Column("jti", sa.String(255), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("issuer", "jti"),
    )
    op.create_index("ix_cds_jwt_use_expires_at", "cds_jwt_use", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_cds_jwt_use_expires_at", table_name="cds_jwt_use")
    op.drop_table("cds_jwt_use")
