"""time changes: the engines keep when each quarterly review falls due and look again at whom this names

Revision ID: 0022
Revises: 0017
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "time_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_time_changes")),
        sqlite_autoincrement=True,  # engines read the ids above the last they saw: none is handed out twice
    )


def downgrade() -> None:
    op.drop_table("time_changes")
