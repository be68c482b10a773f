"""SQLite: ids that buttons carry are never reused (AUTOINCREMENT), so a stale button cannot act on another row

Without AUTOINCREMENT, SQLite gives a new row the largest id in the table plus one: after the newest entry
is deleted, the next entry gets its id, and a button still showing the deleted one acts on the new one.
SQLite adds AUTOINCREMENT only to a table created with it, so each table whose ids appear in buttons,
forms and menus is rebuilt the way SQLite documents (create the new table, copy the rows, drop the old
one, rename): its indexes are created again word for word. storage/migrations/env.py turns foreign keys
off around the migrations on SQLite (dropping a table would otherwise delete the rows that refer to it)
and checks them afterwards. PostgreSQL's sequences never hand out an id twice: nothing to do there.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

import re

from alembic import op
from sqlalchemy import text

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None
CHANGES_ONLY = ("sqlite",)  # tests/test_migrations.py: a no-op on PostgreSQL

# the tables whose ids appear in buttons, menus and forms (bot/render, handlers/views)
TABLES = ("entries", "customer_groups", "action_items", "meetings", "meeting_questions", "meeting_prompts")
PLAIN_ID = "\n\tid INTEGER NOT NULL, "
AUTOINCREMENT_ID = "\n\tid INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "


def _rebuild(table: str, *, autoincrement: bool) -> None:
    connection = op.get_bind()
    # Python's sqlite3 opens a transaction only before a write: open it now, so that the CREATE TABLE below is
    # undone with the rest when a later migration of the same run fails (a downgrade refused, say)
    connection.exec_driver_sql("UPDATE alembic_version SET version_num = version_num")
    create = connection.execute(
        text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :name"), {"name": table}
    ).scalar_one()
    if (AUTOINCREMENT_ID in create) == autoincrement:
        return  # already so
    indexes = connection.execute(
        text("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :name AND sql IS NOT NULL"),
        {"name": table},
    ).scalars()
    index_sql = list(indexes)
    if autoincrement:
        primary_key = re.compile(rf"\n\tCONSTRAINT pk_{table} PRIMARY KEY \(id\),? ?")
        assert PLAIN_ID in create and primary_key.search(create), f"{table}: unexpected schema {create!r}"
        shape = primary_key.sub("", create.replace(PLAIN_ID, AUTOINCREMENT_ID, 1), count=1)
    else:
        shape = create.replace(AUTOINCREMENT_ID, PLAIN_ID, 1).rstrip()
        assert shape.endswith(")"), f"{table}: unexpected schema {create!r}"
        shape = shape[:-1].rstrip() + f", \n\tCONSTRAINT pk_{table} PRIMARY KEY (id)\n)"
    shape = re.sub(r"\s*,\s*\)\s*$", "\n)", shape)  # a constraint that was last leaves no dangling comma
    rebuilt = f"_rebuilt_{table}"
    new_table = re.sub(rf'^CREATE TABLE "?{table}"? \(', f"CREATE TABLE {rebuilt} (", shape, count=1)
    assert new_table != shape, f"{table}: unexpected schema {create!r}"
    connection.exec_driver_sql(new_table)
    connection.exec_driver_sql(f"INSERT INTO {rebuilt} SELECT * FROM {table}")
    connection.exec_driver_sql(f"DROP TABLE {table}")
    connection.exec_driver_sql(f"ALTER TABLE {rebuilt} RENAME TO {table}")
    for sql in index_sql:
        connection.exec_driver_sql(sql)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        _rebuild(table, autoincrement=True)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        _rebuild(table, autoincrement=False)
