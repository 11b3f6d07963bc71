"""Alembic's entry point: run by ``Database`` on start, or by the ``alembic`` command.

``Database`` hands over its own connection (already in a transaction that holds the
migration lock); the ``alembic`` command connects to ``DOCCLASS_DATABASE_URL``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel

from docclass.store import tables  # noqa: F401  (the tables autogenerate compares against)

target_metadata = SQLModel.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite alters most things by copying the table: let op.batch_alter_table do it.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    if context.config.config_file_name:  # the alembic command: its logging from alembic.ini
        from logging.config import fileConfig

        fileConfig(context.config.config_file_name)
    from docclass.settings import load_settings
    from docclass.store.db import Database, normalise_url

    url = normalise_url(context.config.get_main_option("sqlalchemy.url") or "")
    db = Database(url or load_settings().database_url, create=False)
    try:
        with db.write_engine.begin() as conn:
            _run(conn)
    finally:
        db.dispose()


if context.is_offline_mode():
    raise SystemExit("docclass migrations run against a database, not as SQL scripts")
run()
