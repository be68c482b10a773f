"""who may change the workspace: people's Slack role, Customer Mindset admins, the record of settings changes

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("slack_role", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("role_checked_at", storage.types.UTCDateTime(timezone=True), nullable=True))
    op.create_table(
        "mindset_admins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("added_by", sa.String(length=32), nullable=False),
        sa.Column("added_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mindset_admins")),
        sa.UniqueConstraint("team_id", "user_id", name="uq_mindset_admins_team_user"),
    )
    op.create_table(
        "settings_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=32), nullable=False),
        sa.Column("setting", sa.String(length=40), nullable=False),
        sa.Column("old_value", sa.String(length=200), nullable=True),
        sa.Column("new_value", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settings_changes")),
    )
    op.create_index("ix_settings_changes_team_id_desc", "settings_changes", ["team_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_settings_changes_team_id_desc", table_name="settings_changes")
    op.drop_table("settings_changes")
    op.drop_table("mindset_admins")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("role_checked_at")
        batch_op.drop_column("slack_role")
