"""a partial index of the entries neither posted nor refused, for the engine that posts them late

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UNPOSTED = sa.text("message_ts IS NULL AND post_error IS NULL")


def upgrade() -> None:
    op.create_index("ix_entries_unposted", "entries", ["created_at"], sqlite_where=UNPOSTED, postgresql_where=UNPOSTED)


def downgrade() -> None:
    op.drop_index("ix_entries_unposted", table_name="entries")
