"""Alembic environment: migrate the engine the store hands over (no ini file)."""

from __future__ import annotations

from alembic import context

from localiam.state.schema import metadata

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
