"""meetings, questions, prompts and answers

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meeting_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("text", sa.String(length=300), nullable=False),
        sa.Column("text_key", sa.String(length=300), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("retired_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_questions")),
        sa.UniqueConstraint("team_id", "text_key", name="uq_meeting_questions_team_text"),
    )
    with op.batch_alter_table("meeting_questions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_questions_team_id"), ["team_id"], unique=False)

    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=150), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=True),
        sa.Column("owner_id", sa.String(length=32), nullable=False),
        sa.Column("repeat", sa.String(length=16), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("weekdays", sa.String(length=20), nullable=False),
        sa.Column("at_time", sa.Time(), nullable=False),
        sa.Column("tz", sa.String(length=64), nullable=False),
        sa.Column("lead_minutes", sa.Integer(), nullable=False),
        sa.Column("prompt_to", sa.String(length=16), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
        sa.UniqueConstraint("team_id", "idempotency_key", name="uq_meetings_team_idempotency"),
    )
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.create_index("ix_meetings_team_owner", ["team_id", "owner_id"], unique=False)

    op.create_table(
        "meeting_prompts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("occurrence_date", sa.Date(), nullable=True),
        sa.Column("starts_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("title", sa.String(length=150), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=True),
        sa.Column("question_text", sa.String(length=300), nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.Column("sent_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_meeting_prompts_meeting_id_meetings"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["meeting_questions.id"],
            name=op.f("fk_meeting_prompts_question_id_meeting_questions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_prompts")),
        sa.UniqueConstraint("team_id", "idempotency_key", name="uq_meeting_prompts_team_idempotency"),
    )
    with op.batch_alter_table("meeting_prompts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_prompts_meeting_id"), ["meeting_id"], unique=False)
        batch_op.create_index("ix_meeting_prompts_team_created", ["team_id", "created_at"], unique=False)

    op.create_table(
        "meeting_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("prompt_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=32), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("answered_by", sa.String(length=32), nullable=False),
        sa.Column("answered_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["customer_groups.id"],
            name=op.f("fk_meeting_answers_group_id_customer_groups"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["prompt_id"],
            ["meeting_prompts.id"],
            name=op.f("fk_meeting_answers_prompt_id_meeting_prompts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_answers")),
        sa.UniqueConstraint("prompt_id", "subject", name="uq_meeting_answers_prompt_subject"),
    )
    with op.batch_alter_table("meeting_answers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_answers_group_id"), ["group_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_meeting_answers_prompt_id"), ["prompt_id"], unique=False)

    with op.batch_alter_table("action_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_answer_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_action_items_source_answer_id"), ["source_answer_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_action_items_source_answer_id_meeting_answers"),
            "meeting_answers",
            ["source_answer_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("action_items", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_action_items_source_answer_id_meeting_answers"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_action_items_source_answer_id"))
        batch_op.drop_column("source_answer_id")

    with op.batch_alter_table("meeting_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_answers_prompt_id"))
        batch_op.drop_index(batch_op.f("ix_meeting_answers_group_id"))

    op.drop_table("meeting_answers")
    with op.batch_alter_table("meeting_prompts", schema=None) as batch_op:
        batch_op.drop_index("ix_meeting_prompts_team_created")
        batch_op.drop_index(batch_op.f("ix_meeting_prompts_meeting_id"))

    op.drop_table("meeting_prompts")
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_index("ix_meetings_team_owner")

    op.drop_table("meetings")
    with op.batch_alter_table("meeting_questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_questions_team_id"))

    op.drop_table("meeting_questions")
