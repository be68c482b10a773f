"""ambassadors, digest settings, channels and the digest's indexes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ambassadors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("joined_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("left_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ambassadors")),
        sa.UniqueConstraint("team_id", "user_id", name="uq_ambassadors_team_user"),
    )
    op.create_table(
        "channels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("is_private", sa.Boolean(), nullable=True),
        sa.Column("members", sa.Text(), nullable=True),
        sa.Column("checked_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channels")),
        sa.UniqueConstraint("team_id", "channel_id", name="uq_channels_team_channel"),
    )
    op.create_table(
        "ambassador_groups",
        sa.Column("ambassador_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ambassador_id"],
            ["ambassadors.id"],
            name=op.f("fk_ambassador_groups_ambassador_id_ambassadors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["customer_groups.id"],
            name=op.f("fk_ambassador_groups_group_id_customer_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ambassador_id", "group_id", name=op.f("pk_ambassador_groups")),
    )
    with op.batch_alter_table("action_events", schema=None) as batch_op:
        batch_op.create_index("ix_action_events_team_at", ["team_id", "at"], unique=False)

    with op.batch_alter_table("action_items", schema=None) as batch_op:
        batch_op.create_index("ix_action_items_team_closed", ["team_id", "closed_at"], unique=False)
        batch_op.create_index("ix_action_items_team_created", ["team_id", "created_at"], unique=False)
        batch_op.create_index("ix_action_items_team_original_due", ["team_id", "original_due_date"], unique=False)

    with op.batch_alter_table("meeting_answers", schema=None) as batch_op:
        batch_op.create_index("ix_meeting_answers_team_answered", ["team_id", "answered_at"], unique=False)

    with op.batch_alter_table("meeting_prompts", schema=None) as batch_op:
        batch_op.create_index("ix_meeting_prompts_team_sent", ["team_id", "sent_at"], unique=False)

    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.add_column(sa.Column("digest_channel", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("digest_weekday", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("digest_time", sa.Time(), server_default="09:00:00", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.drop_column("digest_time")
        batch_op.drop_column("digest_weekday")
        batch_op.drop_column("digest_channel")

    with op.batch_alter_table("meeting_prompts", schema=None) as batch_op:
        batch_op.drop_index("ix_meeting_prompts_team_sent")

    with op.batch_alter_table("meeting_answers", schema=None) as batch_op:
        batch_op.drop_index("ix_meeting_answers_team_answered")

    with op.batch_alter_table("action_items", schema=None) as batch_op:
        batch_op.drop_index("ix_action_items_team_original_due")
        batch_op.drop_index("ix_action_items_team_created")
        batch_op.drop_index("ix_action_items_team_closed")

    with op.batch_alter_table("action_events", schema=None) as batch_op:
        batch_op.drop_index("ix_action_events_team_at")

    op.drop_table("ambassador_groups")
    op.drop_table("channels")
    op.drop_table("ambassadors")
