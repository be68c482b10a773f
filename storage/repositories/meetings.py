"""Registered meetings, the question library, the prompts sent and the answers given."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session

from storage.db import get_or_insert
from storage.models import Meeting, MeetingAnswer, MeetingPrompt, MeetingQuestion

# -- meetings ------------------------------------------------------------------------------------


def find_meeting_by_key(session: Session, *, team_id: str, key: str) -> Meeting | None:
    return session.scalars(select(Meeting).where(Meeting.team_id == team_id, Meeting.idempotency_key == key)).first()


def add_meeting(session: Session, meeting: Meeting) -> Meeting:
    session.add(meeting)
    session.flush()
    return meeting


def get_meeting(session: Session, *, team_id: str, meeting_id: int) -> Meeting | None:
    """The meeting with this id, only if it belongs to `team_id` and is not deleted."""
    return session.scalars(
        select(Meeting).where(Meeting.team_id == team_id, Meeting.id == meeting_id, Meeting.deleted_at.is_(None))
    ).first()


def meetings_of(session: Session, *, team_id: str, user_id: str, limit: int = 100) -> Sequence[Meeting]:
    """Meetings the person owns or registered, oldest first."""
    return session.scalars(
        select(Meeting)
        .where(
            Meeting.team_id == team_id,
            Meeting.deleted_at.is_(None),
            or_(Meeting.owner_id == user_id, Meeting.created_by == user_id),
        )
        .order_by(Meeting.created_at, Meeting.id)
        .limit(limit)
    ).all()


# -- the question library ------------------------------------------------------------------------


def question_key(text: str) -> str:
    return " ".join(text.split()).casefold()


def questions(session: Session, *, team_id: str, include_retired: bool = False) -> Sequence[MeetingQuestion]:
    query = select(MeetingQuestion).where(MeetingQuestion.team_id == team_id)
    if not include_retired:
        query = query.where(MeetingQuestion.retired_at.is_(None))
    return session.scalars(query.order_by(MeetingQuestion.id)).all()


def retired_questions(session: Session, *, team_id: str) -> Sequence[MeetingQuestion]:
    """The workspace's retired questions, most recently retired first."""
    return session.scalars(
        select(MeetingQuestion)
        .where(MeetingQuestion.team_id == team_id, MeetingQuestion.retired_at.is_not(None))
        .order_by(MeetingQuestion.retired_at.desc(), MeetingQuestion.id.desc())
    ).all()


def has_any_question(session: Session, *, team_id: str) -> bool:
    return session.scalar(select(MeetingQuestion.id).where(MeetingQuestion.team_id == team_id).limit(1)) is not None


def find_question(session: Session, *, team_id: str, key: str) -> MeetingQuestion | None:
    return session.scalars(
        select(MeetingQuestion).where(MeetingQuestion.team_id == team_id, MeetingQuestion.text_key == key)
    ).first()


def get_question(session: Session, *, team_id: str, question_id: int) -> MeetingQuestion | None:
    return session.scalars(
        select(MeetingQuestion).where(MeetingQuestion.team_id == team_id, MeetingQuestion.id == question_id)
    ).first()


def add_question(
    session: Session, *, team_id: str, text: str, created_by: str | None, now: datetime
) -> MeetingQuestion:
    question = MeetingQuestion(
        team_id=team_id, text=text, text_key=question_key(text), created_by=created_by, created_at=now
    )
    session.add(question)
    session.flush()
    return question


def last_question_id(session: Session, *, team_id: str, meeting_id: int | None, channel: str | None) -> int | None:
    """The follow-up question of the meeting's latest prompt (for unregistered meetings: the channel's)."""
    query = select(MeetingPrompt.question_id).where(MeetingPrompt.team_id == team_id)
    if meeting_id is not None:
        query = query.where(MeetingPrompt.meeting_id == meeting_id)
    elif channel is not None:
        query = query.where(MeetingPrompt.meeting_id.is_(None), MeetingPrompt.channel == channel)
    else:
        return None
    return session.scalar(query.order_by(MeetingPrompt.created_at.desc(), MeetingPrompt.id.desc()).limit(1))


# -- prompts and answers -------------------------------------------------------------------------


def find_prompt_by_key(session: Session, *, team_id: str, key: str) -> MeetingPrompt | None:
    return session.scalars(
        select(MeetingPrompt).where(MeetingPrompt.team_id == team_id, MeetingPrompt.idempotency_key == key)
    ).first()


def add_prompt(session: Session, prompt: MeetingPrompt) -> MeetingPrompt:
    session.add(prompt)
    session.flush()
    return prompt


def get_prompt(session: Session, *, team_id: str, prompt_id: int) -> MeetingPrompt | None:
    return session.scalars(
        select(MeetingPrompt).where(MeetingPrompt.team_id == team_id, MeetingPrompt.id == prompt_id)
    ).first()


def answers_of(session: Session, *, prompt_id: int) -> Sequence[MeetingAnswer]:
    return session.scalars(
        select(MeetingAnswer).where(MeetingAnswer.prompt_id == prompt_id).order_by(MeetingAnswer.id)
    ).all()


def get_answer(session: Session, *, team_id: str, answer_id: int) -> MeetingAnswer | None:
    return session.scalars(
        select(MeetingAnswer).where(MeetingAnswer.team_id == team_id, MeetingAnswer.id == answer_id)
    ).first()


def _add_answer(session: Session, new: MeetingAnswer) -> MeetingAnswer:
    """`new`, added; or the answer of its subject someone else added at the same moment."""

    def find() -> MeetingAnswer | None:
        return session.scalars(
            select(MeetingAnswer).where(MeetingAnswer.prompt_id == new.prompt_id, MeetingAnswer.subject == new.subject)
        ).first()

    return get_or_insert(session, find=find, make=lambda: new)


def save_answers(
    session: Session,
    *,
    prompt: MeetingPrompt,
    texts: Mapping[str, str],
    group_ids: Mapping[str, int],
    by: str,
    now: datetime,
) -> None:
    """Set the answer of each subject in `texts`; an empty text removes that subject's answer.

    Safe when someone else changes the same answers at the same moment: each subject is written by its
    key (prompt, subject), not as the row read before, so a row cleared meanwhile is answered anew and a
    first answer added meanwhile (one insert wins, see `get_or_insert`) is replaced, as one after the
    other would."""
    for subject, text in texts.items():
        of_subject = (MeetingAnswer.prompt_id == prompt.id, MeetingAnswer.subject == subject)
        if not text:
            session.execute(delete(MeetingAnswer).where(*of_subject))
            continue
        changed = session.execute(
            update(MeetingAnswer)
            .where(*of_subject, MeetingAnswer.text != text)
            .values(text=text, answered_by=by, answered_at=now)
        )
        if changed.rowcount:  # type: ignore[attr-defined]
            continue
        new = MeetingAnswer(
            team_id=prompt.team_id,
            prompt_id=prompt.id,
            subject=subject,
            group_id=group_ids.get(subject),
            text=text,
            answered_by=by,
            answered_at=now,
        )
        answer = _add_answer(session, new)
        if answer is not new and answer.text != text:  # added by someone else since the update
            answer.text = text
            answer.answered_by = by
            answer.answered_at = now
    session.flush()


# -- numbers for the digest ----------------------------------------------------------------------


@dataclass(frozen=True)
class PromptRow:
    prompt_id: int
    meeting_id: int | None
    title: str
    answered_group_ids: frozenset[int]
    answered: bool


def prompts_sent_between(session: Session, *, team_id: str, start: datetime, end: datetime) -> list[PromptRow]:
    """Prompts sent in [start, end), with which customer groups their answers covered."""
    prompts = session.execute(
        select(MeetingPrompt.id, MeetingPrompt.meeting_id, MeetingPrompt.title)
        .where(
            MeetingPrompt.team_id == team_id,
            MeetingPrompt.sent_at.is_not(None),
            and_(MeetingPrompt.sent_at >= start, MeetingPrompt.sent_at < end),
        )
        .order_by(MeetingPrompt.sent_at, MeetingPrompt.id)
    ).all()
    if not prompts:
        return []
    ids = [row.id for row in prompts]
    answered: dict[int, set[int]] = {}
    counted = session.execute(
        select(MeetingAnswer.prompt_id, MeetingAnswer.group_id).where(MeetingAnswer.prompt_id.in_(ids))
    ).all()
    for prompt_id, group_id in counted:
        groups = answered.setdefault(prompt_id, set())
        if group_id is not None:
            groups.add(group_id)
    return [
        PromptRow(row.id, row.meeting_id, row.title, frozenset(answered.get(row.id, set())), row.id in answered)
        for row in prompts
    ]
