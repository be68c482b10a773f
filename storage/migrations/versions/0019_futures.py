"""ideal futures and the common future: proposals per customer group, endorsements, the one confirmed per group,
and the future an action item serves

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

CONFIRMED = sa.text("confirmed_at IS NOT NULL")


def upgrade() -> None:
    op.create_table(
        "futures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("confirmed_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("confirmed_by", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["customer_groups.id"],
            name=op.f("fk_futures_group_id_customer_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_futures")),
        sa.UniqueConstraint("team_id", "idempotency_key", name="uq_futures_team_idempotency"),
        sqlite_autoincrement=True,  # the ids are in buttons (Endorse, Confirm): never handed out again
    )
    op.create_index("ix_futures_team_group", "futures", ["team_id", "group_id"])
    op.create_index("ix_futures_team_author", "futures", ["team_id", "author_id"])
    op.create_index(
        "uq_futures_confirmed_group",
        "futures",
        ["team_id", "group_id"],
        unique=True,
        sqlite_where=CONFIRMED,
        postgresql_where=CONFIRMED,
    )
    op.create_table(
        "future_endorsements",
        sa.Column("future_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["future_id"], ["futures.id"], name=op.f("fk_future_endorsements_future_id_futures"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("future_id", "user_id", name=op.f("pk_future_endorsements")),
    )
    op.create_index("ix_future_endorsements_team_user", "future_endorsements", ["team_id", "user_id"])
    op.create_table(
        "action_futures",
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("future_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["action_items.id"],
            name=op.f("fk_action_futures_action_id_action_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["future_id"], ["futures.id"], name=op.f("fk_action_futures_future_id_futures"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("action_id", name=op.f("pk_action_futures")),
    )
    op.create_index(op.f("ix_action_futures_future_id"), "action_futures", ["future_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_action_futures_future_id"), table_name="action_futures")
    op.drop_table("action_futures")
    op.drop_index("ix_future_endorsements_team_user", table_name="future_endorsements")
    op.drop_table("future_endorsements")
    op.drop_index("uq_futures_confirmed_group", table_name="futures")
    op.drop_index("ix_futures_team_author", table_name="futures")
    op.drop_index("ix_futures_team_group", table_name="futures")
    op.drop_table("futures")
