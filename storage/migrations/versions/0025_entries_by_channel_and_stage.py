"""entries indexed by channel and by journey stage: the dashboard's filters list them without reading every entry

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

HAS_STAGE = sa.text("stage IS NOT NULL")


def upgrade() -> None:
    op.create_index("ix_entries_team_channel", "entries", ["team_id", "channel_id"])
    op.create_index(
        "ix_entries_team_stage", "entries", ["team_id", "stage"], sqlite_where=HAS_STAGE, postgresql_where=HAS_STAGE
    )


def downgrade() -> None:
    op.drop_index("ix_entries_team_stage", table_name="entries")
    op.drop_index("ix_entries_team_channel", table_name="entries")
