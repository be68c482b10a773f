"""the quarterly review finds the owners of a quarter's commitments by due date, through an index

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_action_items_due_owner", "action_items", ["due_date", "team_id", "owner_id"])
    op.create_index("ix_action_items_original_due_owner", "action_items", ["original_due_date", "team_id", "owner_id"])


def downgrade() -> None:
    op.drop_index("ix_action_items_original_due_owner", table_name="action_items")
    op.drop_index("ix_action_items_due_owner", table_name="action_items")
