"""Alembic environment: runs on the connection handed over by ``projections.schema.migrate``."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, transactional_ddl=True)

with context.begin_transaction():
    if connection.dialect.name == "postgresql":
        # Two processes starting at once against one database migrate one after the other.
        connection.exec_driver_sql("SELECT pg_advisory_xact_lock(72430001)")
    context.run_migrations()
