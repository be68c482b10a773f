"""entry tags carry their entry's workspace, author, kind and moment (kept so by triggers), indexed by moment

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07

The dashboard counts entries and people per customer group over a quarter or a year. Joining a quarter's
entries with their tags read every tag ever made (a hash join with all of them, 100-150 ms for a large
workspace's quarter); with the entry's columns on the tag, one index holds what those counts read.

The tag's copies are written by the database, never by the code: on PostgreSQL a BEFORE INSERT trigger fills
them from the entry, on SQLite (whose triggers cannot change the row being inserted) an AFTER INSERT trigger
updates it; an entry's change of workspace, author, kind or moment is copied to its tags. Code that inserts a
tag gives only (entry_id, group_id), as before. A later migration that rebuilds either table on SQLite
(`batch_alter_table`) must create these triggers again (`create_triggers`).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

COPIED = ("team_id", "author_id", "kind", "created_at")
INDEX = "ix_entry_customer_groups_team_created"
INDEXED = ["team_id", "created_at", "group_id", "author_id", "kind"]

_CHANGED = " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in COPIED)
_SET_FROM_NEW = ", ".join(f"{column} = NEW.{column}" for column in COPIED)

SQLITE_TRIGGERS = {
    "entry_groups_copy_entry": f"""
        CREATE TRIGGER entry_groups_copy_entry AFTER INSERT ON entry_customer_groups
        BEGIN
            UPDATE entry_customer_groups SET ({", ".join(COPIED)}) = (
                SELECT {", ".join(COPIED)} FROM entries WHERE entries.id = NEW.entry_id
            )
            WHERE entry_id = NEW.entry_id AND group_id = NEW.group_id;
        END""",
    "entries_copy_to_groups": f"""
        CREATE TRIGGER entries_copy_to_groups AFTER UPDATE OF {", ".join(COPIED)} ON entries
        WHEN {_CHANGED}
        BEGIN
            UPDATE entry_customer_groups SET {_SET_FROM_NEW} WHERE entry_id = NEW.id;
        END""",
}

POSTGRESQL_FUNCTIONS = {
    "entry_groups_copy_entry": f"""
        CREATE FUNCTION entry_groups_copy_entry() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            SELECT {", ".join(f"e.{column}" for column in COPIED)}
            INTO {", ".join(f"NEW.{column}" for column in COPIED)}
            FROM entries e WHERE e.id = NEW.entry_id;
            RETURN NEW;
        END $$""",
    "entries_copy_to_groups": f"""
        CREATE FUNCTION entries_copy_to_groups() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE entry_customer_groups SET {_SET_FROM_NEW} WHERE entry_id = NEW.id;
            RETURN NULL;
        END $$""",
}

POSTGRESQL_TRIGGERS = {
    "entry_groups_copy_entry": """
        CREATE TRIGGER entry_groups_copy_entry BEFORE INSERT ON entry_customer_groups
        FOR EACH ROW EXECUTE FUNCTION entry_groups_copy_entry()""",
    "entries_copy_to_groups": f"""
        CREATE TRIGGER entries_copy_to_groups AFTER UPDATE OF {", ".join(COPIED)} ON entries
        FOR EACH ROW WHEN ({" OR ".join(f"OLD.{column} IS DISTINCT FROM NEW.{column}" for column in COPIED)})
        EXECUTE FUNCTION entries_copy_to_groups()""",
}

_TABLE_OF = {"entry_groups_copy_entry": "entry_customer_groups", "entries_copy_to_groups": "entries"}


def create_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for function in POSTGRESQL_FUNCTIONS.values():
            op.execute(function)
        for trigger in POSTGRESQL_TRIGGERS.values():
            op.execute(trigger)
    else:
        for trigger in SQLITE_TRIGGERS.values():
            op.execute(trigger)


def drop_triggers() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name, table in _TABLE_OF.items():
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if postgresql else ""))
    if postgresql:
        for function in POSTGRESQL_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")


def upgrade() -> None:
    # added without rebuilding the table (a rebuild on SQLite would drop migration 0023's triggers)
    op.add_column("entry_customer_groups", sa.Column("team_id", sa.String(length=32), nullable=True))
    op.add_column("entry_customer_groups", sa.Column("author_id", sa.String(length=32), nullable=True))
    op.add_column("entry_customer_groups", sa.Column("kind", sa.String(length=16), nullable=True))
    op.add_column("entry_customer_groups", sa.Column("created_at", sa.DateTime(timezone=True), nullable=True))
    columns = ", ".join(COPIED)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"UPDATE entry_customer_groups g SET ({columns}) = ({', '.join(f'e.{c}' for c in COPIED)}) "
            "FROM entries e WHERE e.id = g.entry_id"
        )
    else:
        op.execute(
            f"UPDATE entry_customer_groups SET ({columns}) = "
            f"(SELECT {columns} FROM entries WHERE entries.id = entry_customer_groups.entry_id)"
        )
    op.create_index(INDEX, "entry_customer_groups", INDEXED)
    create_triggers()


def downgrade() -> None:
    drop_triggers()
    op.drop_index(INDEX, table_name="entry_customer_groups")
    for column in reversed(COPIED):
        op.drop_column("entry_customer_groups", column)
