"""when the engine next needs to look at each open item, sorry, meeting and ambassador, and the indexes that find them

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None

SORRY_WITHOUT_CAUSE = sa.text("kind = 'sorry' AND root_cause IS NULL")
MEETING_ACTIVE = sa.text("deleted_at IS NULL AND NOT paused")
AMBASSADOR_ACTIVE = sa.text("left_at IS NULL")


def upgrade() -> None:
    # nullable, no default: every row starts as "look at it at once" (None), so adding the columns rewrites nothing
    op.add_column("action_items", sa.Column("nudge_check_at", UTCDateTime(), nullable=True))
    op.add_column("action_items", sa.Column("checkin_check_at", UTCDateTime(), nullable=True))
    op.add_column("entries", sa.Column("cause_check_at", UTCDateTime(), nullable=True))
    op.add_column("meetings", sa.Column("prompt_check_at", UTCDateTime(), nullable=True))
    op.add_column("ambassadors", sa.Column("digest_check_at", UTCDateTime(), nullable=True))
    op.create_index("ix_action_items_status_nudge_check", "action_items", ["status", "nudge_check_at"])
    op.create_index("ix_action_items_status_checkin_check", "action_items", ["status", "checkin_check_at"])
    op.create_index(
        "ix_entries_cause_check",
        "entries",
        ["cause_check_at"],
        sqlite_where=SORRY_WITHOUT_CAUSE,
        postgresql_where=SORRY_WITHOUT_CAUSE,
    )
    op.create_index(
        "ix_meetings_prompt_check",
        "meetings",
        ["prompt_check_at"],
        sqlite_where=MEETING_ACTIVE,
        postgresql_where=MEETING_ACTIVE,
    )
    op.create_index(
        "ix_ambassadors_digest_check",
        "ambassadors",
        ["digest_check_at"],
        sqlite_where=AMBASSADOR_ACTIVE,
        postgresql_where=AMBASSADOR_ACTIVE,
    )


def downgrade() -> None:
    op.drop_index("ix_ambassadors_digest_check", table_name="ambassadors")
    with op.batch_alter_table("ambassadors") as batch:
        batch.drop_column("digest_check_at")
    op.drop_index("ix_meetings_prompt_check", table_name="meetings")
    op.drop_index("ix_entries_cause_check", table_name="entries")
    op.drop_index("ix_action_items_status_checkin_check", table_name="action_items")
    op.drop_index("ix_action_items_status_nudge_check", table_name="action_items")
    with op.batch_alter_table("meetings") as batch:
        batch.drop_column("prompt_check_at")
    with op.batch_alter_table("entries") as batch:
        batch.drop_column("cause_check_at")
    with op.batch_alter_table("action_items") as batch:
        batch.drop_column("checkin_check_at")
        batch.drop_column("nudge_check_at")
