"""earlier root causes of a sorry, kept when someone writes a new one (who wrote each, who replaced it)

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "root_cause_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("written_by", sa.String(length=32), nullable=True),
        sa.Column("written_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("replaced_by", sa.String(length=32), nullable=True),
        sa.Column("replaced_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["entries.id"],
            name=op.f("fk_root_cause_revisions_entry_id_entries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_root_cause_revisions")),
    )
    with op.batch_alter_table("root_cause_revisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_root_cause_revisions_entry_id"), ["entry_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("root_cause_revisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_root_cause_revisions_entry_id"))
    op.drop_table("root_cause_revisions")
