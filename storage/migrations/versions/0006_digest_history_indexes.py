"""indexes that keep the digest's cost following the week, not the history

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_entries_team_root_cause", "entries", ["team_id", "root_cause_at"])
    op.create_index("ix_action_events_team_kind_new", "action_events", ["team_id", "kind", "new_value"])


def downgrade() -> None:
    op.drop_index("ix_action_events_team_kind_new", table_name="action_events")
    op.drop_index("ix_entries_team_root_cause", table_name="entries")
