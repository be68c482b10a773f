"""the quarterly pulse: when each workspace asks it, who answered (no answer), and the answers (no person)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("workspaces") as batch:
        batch.add_column(sa.Column("pulse_week", sa.Integer(), nullable=True))
    op.create_table(
        "pulse_responses",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("team_id", "user_id", "year", "quarter", name=op.f("pk_pulse_responses")),
        sqlite_with_rowid=False,  # SQLite keeps the rows in key order, not in the order they came
    )
    op.create_table(
        "pulse_answers",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("prouds_sorries", sa.Integer(), nullable=True),
        sa.Column("root_causes", sa.Integer(), nullable=True),
        sa.Column("meeting_question", sa.Integer(), nullable=True),
        sa.Column("commitments", sa.Integer(), nullable=True),
        sa.Column("digest", sa.Integer(), nullable=True),
        sa.Column("better", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pulse_answers")),
        sqlite_with_rowid=False,  # in the order of the random ids, not in the order the answers came
    )
    op.create_index("ix_pulse_answers_team_quarter", "pulse_answers", ["team_id", "year", "quarter"])


def downgrade() -> None:
    op.drop_index("ix_pulse_answers_team_quarter", table_name="pulse_answers")
    op.drop_table("pulse_answers")
    op.drop_table("pulse_responses")
    with op.batch_alter_table("workspaces") as batch:
        batch.drop_column("pulse_week")
