"""The workspace's library of follow-up questions: one is added to each meeting prompt, in turn."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.services import admins
from storage.db import get_or_insert
from storage.models import MeetingQuestion
from storage.repositories import meetings as meetings_repo

QUESTION_MAX = 300
ACTIVE_MAX = 40

# the set a workspace starts with; people add their own and retire any of these
DEFAULT_QUESTIONS = (
    "How does the customer gain from this?",
    "What would the customer say about this decision?",
    "What works for the customer here?",
    "Which customer group would notice first if we got this wrong?",
    "What are we assuming about the customer that we have not checked?",
    "What would make a customer proud to be ours after this?",
)


class QuestionProblem(ValueError):
    """A question that cannot be added, with the sentence that says why."""


@dataclass(frozen=True)
class QuestionCard:
    id: int
    text: str
    shipped: bool  # one of the defaults


def _card(question: MeetingQuestion) -> QuestionCard:
    return QuestionCard(question.id, question.text, question.created_by is None)


def ensure_defaults(session: Session, *, team_id: str, now: datetime) -> None:
    """Give a workspace the default questions the first time it needs them (never again after)."""
    if meetings_repo.has_any_question(session, team_id=team_id):
        return
    try:
        with session.begin_nested():
            for text in DEFAULT_QUESTIONS:
                meetings_repo.add_question(session, team_id=team_id, text=text, created_by=None, now=now)
    except IntegrityError:
        pass  # another request gave it the defaults at the same moment


def list_questions(deps: Deps, *, team_id: str) -> list[QuestionCard]:
    with deps.session_factory() as session:
        ensure_defaults(session, team_id=team_id, now=deps.clock())
        found = [_card(question) for question in meetings_repo.questions(session, team_id=team_id)]
        session.commit()
        return found


def add_question(deps: Deps, *, team_id: str, user_id: str, text: str) -> QuestionCard:
    clean = " ".join((text or "").split())
    if not clean:
        raise QuestionProblem("Write the question, for example “What would the customer say about this?”")
    if len(clean) > QUESTION_MAX:
        raise QuestionProblem(f"Keep the question to {QUESTION_MAX} characters (this one has {len(clean)}).")
    now = deps.clock()
    with deps.session_factory() as session:
        ensure_defaults(session, team_id=team_id, now=now)
        if len(meetings_repo.questions(session, team_id=team_id)) >= ACTIVE_MAX:
            raise QuestionProblem(f"The library already has {ACTIVE_MAX} questions; retire one before adding more.")
        key = meetings_repo.question_key(clean)
        new = MeetingQuestion(team_id=team_id, text=clean, text_key=key, created_by=user_id, created_at=now)
        # race-safe: someone adding the same question at the same moment is told it is there (one row)
        question = get_or_insert(
            session, find=lambda: meetings_repo.find_question(session, team_id=team_id, key=key), make=lambda: new
        )
        if question is not new:
            if question.retired_at is None:
                raise QuestionProblem("That question is already in the library.")
            question.retired_at = None  # asked for again: it comes back
            question.text = clean
        card = _card(question)
        session.commit()
        return card


def retire_question(deps: Deps, *, team_id: str, by: str, question_id: int) -> QuestionCard | None:
    """Take a question out of the rotation; prompts that asked it keep their text."""
    with deps.session_factory() as session:
        question = meetings_repo.get_question(session, team_id=team_id, question_id=question_id)
        if question is None:
            return None
        if question.retired_at is None:
            question.retired_at = deps.clock()
            admins.record(
                session, team_id=team_id, by=by, setting=admins.QUESTION_RETIRED, old=question.text, new=None,
                now=deps.clock(),
            )  # fmt: skip
        card = _card(question)
        session.commit()
        return card


def list_retired(deps: Deps, *, team_id: str) -> list[QuestionCard]:
    with deps.session_factory() as session:
        return [_card(question) for question in meetings_repo.retired_questions(session, team_id=team_id)]


def restore_question(deps: Deps, *, team_id: str, by: str, question_id: int) -> QuestionCard | None:
    """Put a retired question back in the rotation; None when it is gone."""
    with deps.session_factory() as session:
        question = meetings_repo.get_question(session, team_id=team_id, question_id=question_id)
        if question is None:
            return None
        if question.retired_at is not None:
            if len(meetings_repo.questions(session, team_id=team_id)) >= ACTIVE_MAX:
                raise QuestionProblem(f"The library already has {ACTIVE_MAX} questions; retire one first.")
            question.retired_at = None
            admins.record(
                session, team_id=team_id, by=by, setting=admins.QUESTION_RESTORED, old=None, new=question.text,
                now=deps.clock(),
            )  # fmt: skip
        card = _card(question)
        session.commit()
        return card


def next_question(
    session: Session, *, team_id: str, meeting_id: int | None, now: datetime, channel: str | None = None
) -> MeetingQuestion | None:
    """The active question after the one this meeting (or, for `/meeting now`, this channel) saw last,
    by library order, wrapping around."""
    ensure_defaults(session, team_id=team_id, now=now)
    active = list(meetings_repo.questions(session, team_id=team_id))
    if not active:
        return None
    last = meetings_repo.last_question_id(session, team_id=team_id, meeting_id=meeting_id, channel=channel)
    if last is None:
        return active[0]
    later = [question for question in active if question.id > last]
    return later[0] if later else active[0]
