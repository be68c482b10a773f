"""the customer journey: each workspace's (and customer group's) ordered stages, and the stage of entries and
action items

Revision ID: 0018
Revises: 0022
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "journey_stages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["customer_groups.id"],
            name=op.f("fk_journey_stages_group_id_customer_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journey_stages")),
    )
    op.create_index("ix_journey_stages_team_group", "journey_stages", ["team_id", "group_id", "position"])
    op.create_index(op.f("ix_journey_stages_group_id"), "journey_stages", ["group_id"])
    # nullable, no default: SQLite adds them without rebuilding the tables
    op.add_column("entries", sa.Column("stage", sa.String(length=40), nullable=True))
    op.add_column("action_items", sa.Column("stage", sa.String(length=40), nullable=True))


def downgrade() -> None:
    # SQLite 3.35 and later drop a column in place (no rebuild: the tables keep AUTOINCREMENT and their indexes)
    op.drop_column("action_items", "stage")
    op.drop_column("entries", "stage")
    op.drop_index(op.f("ix_journey_stages_group_id"), table_name="journey_stages")
    op.drop_index("ix_journey_stages_team_group", table_name="journey_stages")
    op.drop_table("journey_stages")
