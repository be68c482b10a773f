"""The quarterly pulse: who answered a quarter's pulse (no answer), the anonymous answers (no person), and who
took part in the practices (whom it is asked). The caller commits."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, union
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import (
    ActionItem,
    Delivery,
    DeliveryStatus,
    Entry,
    MeetingAnswer,
    PulseAnswer,
    PulseResponse,
    Workspace,
)

PULSE_KIND = "pulse"  # the delivery that asks a person (subject and recipient: them, occasion: "2027-Q1")
PRACTICES = ("prouds_sorries", "root_causes", "meeting_question", "commitments", "digest")


@dataclass(frozen=True)
class Scores:
    """One answer: a score 1-5 per practice of `PRACTICES` (None: not rated), and the free text."""

    scores: tuple[int | None, ...]
    better: str | None


def answered(session: Session, *, team_id: str, user_id: str, year: int, quarter: int) -> bool:
    found = session.get(PulseResponse, (team_id, user_id, year, quarter))
    return found is not None


def asked(session: Session, *, team_ids: Iterable[str], occasion: str) -> set[tuple[str, str]]:
    """(team, person) of those these workspaces' pulse of `occasion` was planned for, whatever became of it (the
    engine plans each once), each workspace's through the deliveries' unique key."""
    found: set[tuple[str, str]] = set()
    for team_id in sorted(set(team_ids)):
        found |= {
            (team_id, user_id)
            for user_id in session.scalars(
                select(Delivery.recipient).where(
                    Delivery.team_id == team_id, Delivery.kind == PULSE_KIND, Delivery.occasion == occasion
                )
            )
        }
    return found


def was_asked(session: Session, *, team_id: str, user_id: str, occasion: str) -> bool:
    found = session.scalar(
        select(Delivery.id).where(
            Delivery.team_id == team_id,
            Delivery.kind == PULSE_KIND,
            Delivery.subject == user_id,
            Delivery.recipient == user_id,
            Delivery.occasion == occasion,
            Delivery.status == DeliveryStatus.SENT.value,  # not one skipped (turned off, forgotten)
        )
    )
    return found is not None


def add_answer(session: Session, *, team_id: str, user_id: str, year: int, quarter: int, answer: Scores) -> bool:
    """Record that `user_id` answered and, apart from it, their answer; False (nothing written) when they had
    answered this quarter's pulse before (a double click, a replayed request, two engines: one row)."""
    try:
        with session.begin_nested():
            session.add(PulseResponse(team_id=team_id, user_id=user_id, year=year, quarter=quarter))
            session.flush()
    except IntegrityError:
        return False
    values = dict(zip(PRACTICES, answer.scores, strict=True))
    session.add(
        PulseAnswer(
            id=secrets.token_hex(16), team_id=team_id, year=year, quarter=quarter, better=answer.better, **values
        )
    )
    session.flush()
    return True


def answers_of(session: Session, *, team_id: str, year: int, quarter: int) -> Sequence[Scores]:
    """The quarter's answers, in the order of their random ids (not the order they came)."""
    rows = session.scalars(
        select(PulseAnswer)
        .where(PulseAnswer.team_id == team_id, PulseAnswer.year == year, PulseAnswer.quarter == quarter)
        .order_by(PulseAnswer.id)
    ).all()
    return [Scores(tuple(getattr(row, name) for name in PRACTICES), row.better) for row in rows]


def quarters_answered(session: Session, *, team_id: str | None = None) -> Sequence[tuple[str, int, int, int]]:
    """(team, year, quarter, answers) of every quarter with answers, oldest first (the export)."""
    query = select(PulseAnswer.team_id, PulseAnswer.year, PulseAnswer.quarter, func.count()).group_by(
        PulseAnswer.team_id, PulseAnswer.year, PulseAnswer.quarter
    )
    if team_id is not None:
        query = query.where(PulseAnswer.team_id == team_id)
    rows = session.execute(query).all()
    return sorted((team, year, quarter, count) for team, year, quarter, count in rows)


def responses_of(session: Session, *, team_id: str, user_id: str) -> Sequence[tuple[int, int]]:
    """The quarters whose pulse a person answered (their own data: what they answered is not theirs to find)."""
    rows = session.execute(
        select(PulseResponse.year, PulseResponse.quarter)
        .where(PulseResponse.team_id == team_id, PulseResponse.user_id == user_id)
        .order_by(PulseResponse.year, PulseResponse.quarter)
    ).all()
    return [(year, quarter) for year, quarter in rows]


def pulse_weeks(session: Session) -> dict[str, int]:
    """team -> the week of the quarter its pulse is asked in, for every installed workspace that asks one."""
    rows = session.execute(
        select(Workspace.team_id, Workspace.pulse_week).where(
            Workspace.pulse_week.is_not(None), Workspace.uninstalled_at.is_(None)
        )
    ).all()
    return {team: int(week) for team, week in rows if week is not None}


def participants(session: Session, *, team_ids: Iterable[str], since: datetime) -> set[tuple[str, str]]:
    """(team, person) of everyone who took part since `since` in one of `team_ids`: logged a proud or a sorry, owns
    an action item made or first due since then, or answered a meeting's opening question."""
    teams = sorted(set(team_ids))
    if not teams:
        return set()
    parts = (
        (Entry.team_id, Entry.author_id, Entry.created_at >= since),
        (ActionItem.team_id, ActionItem.owner_id, ActionItem.created_at >= since),
        (ActionItem.team_id, ActionItem.owner_id, ActionItem.original_due_date >= since.date()),
        (MeetingAnswer.team_id, MeetingAnswer.answered_by, MeetingAnswer.answered_at >= since),
    )
    query = union(*(select(team, person).where(team.in_(teams), when) for team, person, when in parts))
    return {(team, user) for team, user in session.execute(query).all()}
