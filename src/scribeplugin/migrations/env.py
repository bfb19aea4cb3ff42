"""Alembic environment: runs on the connection ``scribeplugin.migrations.upgrade`` hands in
(inside its transaction and lock), never on a URL of its own."""

from __future__ import annotations

from alembic import context

from scribeplugin.store import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "scribeplugin's migrations run through `scribeplugin db upgrade`, not the alembic CLI."
    )
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
