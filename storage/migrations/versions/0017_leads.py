"""reviews with one's lead: who named whom their lead (accepted or not), and each quarter's review

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lead_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("report_id", sa.String(length=32), nullable=False),
        sa.Column("lead_id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_links")),
        sa.UniqueConstraint("team_id", "report_id", name="uq_lead_links_team_report"),
        sqlite_autoincrement=True,  # the ids are in buttons (Accept, Decline): never handed out again
    )
    op.create_index("ix_lead_links_team_lead", "lead_links", ["team_id", "lead_id"])
    op.create_table(
        "lead_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("lead_id", sa.String(length=32), nullable=False),
        sa.Column("report_id", sa.String(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lead_note", sa.Text(), nullable=True),
        sa.Column("lead_note_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("report_note", sa.Text(), nullable=True),
        sa.Column("report_note_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reviewed_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_reviews")),
        sa.UniqueConstraint("team_id", "lead_id", "report_id", "year", "quarter", name="uq_lead_reviews_key"),
        sqlite_autoincrement=True,  # the ids are in buttons (Add a note, Mark reviewed)
    )
    op.create_index("ix_lead_reviews_team_report", "lead_reviews", ["team_id", "report_id"])
    op.create_index(
        "ix_lead_reviews_unreviewed",
        "lead_reviews",
        ["created_at"],
        sqlite_where=sa.text("reviewed_at IS NULL"),
        postgresql_where=sa.text("reviewed_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_lead_reviews_unreviewed", table_name="lead_reviews")
    op.drop_index("ix_lead_reviews_team_report", table_name="lead_reviews")
    op.drop_table("lead_reviews")
    op.drop_index("ix_lead_links_team_lead", table_name="lead_links")
    op.drop_table("lead_links")
