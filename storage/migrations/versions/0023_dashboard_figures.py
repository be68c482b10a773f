"""dashboard figures: the habit-health figures of complete weeks and quarters, kept; triggers forget them

Revision ID: 0023
Revises: 0020
Create Date: 2026-12-07

The triggers delete the kept figures of every range that holds an entry whenever that entry is written,
deleted, moved to another author (forget-me), edited in what the figures count (kind, area, root cause) or
tagged with a customer group, whatever code does it. On PostgreSQL they also take a shared advisory lock of the
workspace until their transaction ends: a dashboard request that is about to count takes it exclusively for an
instant, and so counts after every change already under way (bot/dashboard/figures_kept.py).

SQLite loses a table's triggers when a migration rebuilds the table (`batch_alter_table`): a later migration
that rebuilds `entries` or `entry_customer_groups` must create them again (`create_triggers`);
tests/test_dashboard_figures_kept.py checks that they exist at the head.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0020"
branch_labels = None
depends_on = None

# the figures of a range hold the entry's moment: [starts_at, ends_at)
_HOLDS = "{f}.team_id = {e}.team_id AND {f}.starts_at <= {e}.created_at AND {f}.ends_at > {e}.created_at"

SQLITE_TRIGGERS = {
    "entries_forget_figures_inserted": f"""
        CREATE TRIGGER entries_forget_figures_inserted AFTER INSERT ON entries
        BEGIN
            DELETE FROM dashboard_figures WHERE {_HOLDS.format(f="dashboard_figures", e="NEW")};
        END""",
    "entries_forget_figures_deleted": f"""
        CREATE TRIGGER entries_forget_figures_deleted AFTER DELETE ON entries
        BEGIN
            DELETE FROM dashboard_figures WHERE {_HOLDS.format(f="dashboard_figures", e="OLD")};
        END""",
    "entries_forget_figures_moved": f"""
        CREATE TRIGGER entries_forget_figures_moved AFTER UPDATE OF team_id, author_id, created_at ON entries
        WHEN OLD.team_id IS NOT NEW.team_id OR OLD.author_id IS NOT NEW.author_id
            OR OLD.created_at IS NOT NEW.created_at
        BEGIN
            DELETE FROM dashboard_figures WHERE {_HOLDS.format(f="dashboard_figures", e="OLD")};
            DELETE FROM dashboard_figures WHERE {_HOLDS.format(f="dashboard_figures", e="NEW")};
        END""",
    # what only the quarters count: a week counts its people, whatever they logged
    "entries_forget_figures_changed": f"""
        CREATE TRIGGER entries_forget_figures_changed AFTER UPDATE OF kind, area, root_cause_at ON entries
        WHEN OLD.kind IS NOT NEW.kind OR OLD.area IS NOT NEW.area OR OLD.root_cause_at IS NOT NEW.root_cause_at
        BEGIN
            DELETE FROM dashboard_figures
            WHERE unit = 'quarter' AND {_HOLDS.format(f="dashboard_figures", e="NEW")};
        END""",
    "entry_groups_forget_figures_inserted": f"""
        CREATE TRIGGER entry_groups_forget_figures_inserted AFTER INSERT ON entry_customer_groups
        BEGIN
            DELETE FROM dashboard_figures WHERE unit = 'quarter' AND EXISTS (
                SELECT 1 FROM entries e WHERE e.id = NEW.entry_id AND {_HOLDS.format(f="dashboard_figures", e="e")}
            );
        END""",
    "entry_groups_forget_figures_deleted": f"""
        CREATE TRIGGER entry_groups_forget_figures_deleted AFTER DELETE ON entry_customer_groups
        BEGIN
            DELETE FROM dashboard_figures WHERE unit = 'quarter' AND EXISTS (
                SELECT 1 FROM entries e WHERE e.id = OLD.entry_id AND {_HOLDS.format(f="dashboard_figures", e="e")}
            );
        END""",
}

# the advisory lock of a workspace's figures: (class, workspace); bot/dashboard/figures_kept.py takes it too
LOCK_KEY = "hashtext('dashboard_figures'), hashtext({team})"

POSTGRESQL_FUNCTIONS = {
    # INSERT and DELETE of entries: once per statement (a workspace's purge deletes a million at once)
    "entries_forget_figures": f"""
        CREATE FUNCTION entries_forget_figures() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                PERFORM pg_advisory_xact_lock_shared({LOCK_KEY.format(team="t.team_id")})
                FROM (SELECT DISTINCT team_id FROM changed_rows) t;
                DELETE FROM dashboard_figures f USING changed_rows c WHERE {_HOLDS.format(f="f", e="c")};
            ELSE
                PERFORM pg_advisory_xact_lock_shared({LOCK_KEY.format(team="t.team_id")})
                FROM (SELECT DISTINCT team_id FROM gone_rows) t;
                DELETE FROM dashboard_figures f USING gone_rows c WHERE {_HOLDS.format(f="f", e="c")};
            END IF;
            RETURN NULL;
        END $$""",
    # UPDATE of an entry (TG_ARGV[0]: 'all', or 'quarter' for what only the quarters count)
    "entries_forget_figures_row": f"""
        CREATE FUNCTION entries_forget_figures_row() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock_shared({LOCK_KEY.format(team="OLD.team_id")});
            IF NEW.team_id IS DISTINCT FROM OLD.team_id THEN
                PERFORM pg_advisory_xact_lock_shared({LOCK_KEY.format(team="NEW.team_id")});
            END IF;
            DELETE FROM dashboard_figures f
            WHERE (TG_ARGV[0] = 'all' OR f.unit = 'quarter')
                AND (({_HOLDS.format(f="f", e="OLD")}) OR ({_HOLDS.format(f="f", e="NEW")}));
            RETURN NULL;
        END $$""",
    # a customer group tag added to or taken from an entry (its entry already gone: the entry's trigger did it)
    "entry_groups_forget_figures": f"""
        CREATE FUNCTION entry_groups_forget_figures() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            tagged RECORD;
        BEGIN
            SELECT e.team_id, e.created_at INTO tagged FROM entries e
            WHERE e.id = CASE WHEN TG_OP = 'INSERT' THEN NEW.entry_id ELSE OLD.entry_id END;
            IF FOUND THEN
                PERFORM pg_advisory_xact_lock_shared({LOCK_KEY.format(team="tagged.team_id")});
                DELETE FROM dashboard_figures f WHERE f.unit = 'quarter' AND {_HOLDS.format(f="f", e="tagged")};
            END IF;
            RETURN NULL;
        END $$""",
}

POSTGRESQL_TRIGGERS = {
    "entries_forget_figures_inserted": """
        CREATE TRIGGER entries_forget_figures_inserted AFTER INSERT ON entries
        REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION entries_forget_figures()""",
    "entries_forget_figures_deleted": """
        CREATE TRIGGER entries_forget_figures_deleted AFTER DELETE ON entries
        REFERENCING OLD TABLE AS gone_rows FOR EACH STATEMENT EXECUTE FUNCTION entries_forget_figures()""",
    "entries_forget_figures_moved": """
        CREATE TRIGGER entries_forget_figures_moved AFTER UPDATE OF team_id, author_id, created_at ON entries
        FOR EACH ROW WHEN (OLD.team_id IS DISTINCT FROM NEW.team_id OR OLD.author_id IS DISTINCT FROM NEW.author_id
            OR OLD.created_at IS DISTINCT FROM NEW.created_at)
        EXECUTE FUNCTION entries_forget_figures_row('all')""",
    "entries_forget_figures_changed": """
        CREATE TRIGGER entries_forget_figures_changed AFTER UPDATE OF kind, area, root_cause_at ON entries
        FOR EACH ROW WHEN (OLD.kind IS DISTINCT FROM NEW.kind OR OLD.area IS DISTINCT FROM NEW.area
            OR OLD.root_cause_at IS DISTINCT FROM NEW.root_cause_at)
        EXECUTE FUNCTION entries_forget_figures_row('quarter')""",
    "entry_groups_forget_figures_inserted": """
        CREATE TRIGGER entry_groups_forget_figures_inserted AFTER INSERT ON entry_customer_groups
        FOR EACH ROW EXECUTE FUNCTION entry_groups_forget_figures()""",
    "entry_groups_forget_figures_deleted": """
        CREATE TRIGGER entry_groups_forget_figures_deleted AFTER DELETE ON entry_customer_groups
        FOR EACH ROW EXECUTE FUNCTION entry_groups_forget_figures()""",
}

_TABLE_OF = {
    name: ("entry_customer_groups" if name.startswith("entry_groups") else "entries") for name in SQLITE_TRIGGERS
}


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
    for name in SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {_TABLE_OF[name]}" if postgresql else ""))
    if postgresql:
        for function in POSTGRESQL_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")


def upgrade() -> None:
    op.create_table(
        "dashboard_figures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claim", sa.String(length=32), nullable=False),
        sa.Column("figures", sa.Text(), nullable=True),
        sa.Column("counted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_figures")),
        sa.UniqueConstraint("team_id", "zone", "unit", "starts_at", name="uq_dashboard_figures_range"),
    )
    op.create_index("ix_dashboard_figures_team_starts", "dashboard_figures", ["team_id", "starts_at"])
    create_triggers()


def downgrade() -> None:
    drop_triggers()
    op.drop_index("ix_dashboard_figures_team_starts", table_name="dashboard_figures")
    op.drop_table("dashboard_figures")
