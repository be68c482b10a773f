"""Alembic environment: the engine comes from the caller (storage.migrate), never from a file.

On PostgreSQL the migrations run under an advisory lock: several processes started together on a new
database (web processes and engines all apply pending migrations at start) take turns, and the ones
that wait find the schema up to date instead of racing to create the same tables.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine, create_engine, text

from storage.models import Base

config = context.config
target_metadata = Base.metadata
# an arbitrary, fixed key for pg_advisory_lock: "mindset migrations"
MIGRATION_LOCK = 7_202_611_251


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if not isinstance(engine, Engine):
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    postgres = engine.dialect.name == "postgresql"
    with engine.connect() as lock:
        if postgres:
            # waiting for another process's migrations, and migrating, may take longer than the engine's
            # statement_timeout (DB_STATEMENT_TIMEOUT, for requests): none here
            lock.execute(text("SET statement_timeout = 0"))
            lock.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
            lock.commit()
        try:
            with engine.connect() as connection:
                sqlite = connection.dialect.name == "sqlite"
                if sqlite:
                    # rebuilding a table (0015) drops it, and with foreign keys on SQLite would delete (or null)
                    # every row that refers to it; off only outside a transaction, and checked afterwards
                    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
                    connection.commit()
                try:
                    with connection.begin():
                        if postgres:
                            connection.execute(text("SET LOCAL statement_timeout = 0"))
                        if sqlite:
                            # Python's sqlite3 opens a transaction only before a row is changed, so a migration
                            # that begins with DDL (a dropped index) would be kept when a later one fails: begin
                            # here, and a failed run leaves the database as it was, at its version
                            connection.exec_driver_sql("BEGIN")
                        context.configure(
                            connection=connection,
                            target_metadata=target_metadata,
                            render_as_batch=sqlite,
                            compare_type=True,
                            # storage.migrate.upgrade's progress: called after each migration
                            on_version_apply=config.attributes.get("on_version_apply"),
                        )
                        context.run_migrations()
                    if sqlite:
                        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                        connection.commit()
                        if broken:
                            raise RuntimeError(f"the migrations left foreign keys pointing nowhere: {broken[:5]}")
                finally:
                    if sqlite:
                        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                        connection.commit()
        finally:
            if postgres:
                lock.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
                lock.execute(text("RESET statement_timeout"))
                lock.commit()


run_migrations_online()
