"""Registered meetings: their schedules, the opening question each occurrence gets, and the answers."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.meetings.schedule import (
    Occurrence,
    Repeat,
    Schedule,
    ScheduleProblem,
    check_schedule,
    local_start,
    monthly_name,
)
from bot.services import questions as question_service
from bot.services import replays
from storage.db import create_once
from storage.models import CustomerGroup, Meeting, MeetingAnswer, MeetingPrompt, PromptTarget
from storage.repositories import groups as groups_repo
from storage.repositories import meetings as meetings_repo

TITLE_MAX = 150
ANSWER_MAX = 2000
LEAD_CHOICES = (5, 10, 15, 30, 60)
DEFAULT_LEAD = 10
OUTSIDE = "outside"  # customers outside any group
TEAM = "team"  # each of us, and the team

OPENING_QUESTION = "How do we see this meeting being useful for each of our customer groups?"
TEAM_QUESTION = "How do we see it being useful to each of us, and to the team?"


class MeetingProblem(ValueError):
    """Input that cannot be saved; `field` names the form field it concerns."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


NOT_FOUND = "That meeting no longer exists."
NOT_ALLOWED = "Only the meeting's owner or the person who registered it can change it."


def group_subject(group_id: int) -> str:
    return f"group:{group_id}"


@dataclass(frozen=True)
class MeetingCard:
    """Plain data the renderers need to show a meeting."""

    id: int
    team_id: str
    title: str
    channel_id: str | None
    owner_id: str
    created_by: str
    schedule: Schedule
    lead_minutes: int
    prompt_to: PromptTarget
    paused: bool

    @classmethod
    def of(cls, meeting: Meeting) -> MeetingCard:
        return cls(
            id=meeting.id,
            team_id=meeting.team_id,
            title=meeting.title,
            channel_id=meeting.channel_id,
            owner_id=meeting.owner_id,
            created_by=meeting.created_by,
            schedule=schedule_of(meeting),
            lead_minutes=meeting.lead_minutes,
            prompt_to=PromptTarget(meeting.prompt_to),
            paused=meeting.paused,
        )

    def editable_by(self, user_id: str) -> bool:
        return user_id in (self.owner_id, self.created_by)

    @property
    def recipient(self) -> str | None:
        """Where the prompt goes: the owner's DM or the meeting's channel."""
        return self.owner_id if self.prompt_to is PromptTarget.OWNER else self.channel_id


def schedule_of(meeting: Meeting) -> Schedule:
    days = frozenset(int(day) for day in meeting.weekdays.split(",") if day.strip().isdigit())
    return Schedule(
        repeat=Repeat(meeting.repeat), start=meeting.start_date, weekdays=days, at=meeting.at_time, tz=meeting.tz
    )


@dataclass(frozen=True)
class MeetingForm:
    """What the registration form gave: checked by `check_form` before anything is stored."""

    title: str
    channel_id: str | None
    owner_id: str
    repeat: Repeat
    start: date | None
    weekdays: frozenset[int]
    at: time | None
    tz: str
    lead_minutes: int
    prompt_to: PromptTarget


def _checked_title(form: MeetingForm) -> str:
    """The clean title and a channel when the question goes there, or the problem."""
    title = " ".join((form.title or "").split())
    if not title:
        raise MeetingProblem("title", "Give the meeting a name, for example “Tuesday planning”.")
    if len(title) > TITLE_MAX:
        raise MeetingProblem("title", f"Keep the name to {TITLE_MAX} characters (this one has {len(title)}).")
    if form.prompt_to is PromptTarget.CHANNEL and not form.channel_id:
        raise MeetingProblem("channel", "Choose the meeting's channel, or send the question to the owner instead.")
    if form.lead_minutes not in LEAD_CHOICES:
        raise MeetingProblem("lead", "Choose how long before the start the question comes.")
    return title


def check_form(form: MeetingForm, *, now: datetime) -> tuple[str, Schedule]:
    """The clean title and the checked schedule, or the first problem, named by its field."""
    title = _checked_title(form)
    if form.lead_minutes not in LEAD_CHOICES:
        raise MeetingProblem("lead", "Choose how long before the start the question comes.")
    if form.start is None:
        raise MeetingProblem("date", "Choose the day of the (first) meeting.")
    if form.at is None:
        raise MeetingProblem("time", "Choose the time the meeting starts.")
    schedule = Schedule(repeat=form.repeat, start=form.start, weekdays=form.weekdays, at=form.at, tz=form.tz.strip())
    try:
        return title, check_schedule(schedule, now=now)
    except ScheduleProblem as problem:
        raise MeetingProblem(problem.field, str(problem)) from None


def unused_weekdays(form: MeetingForm, schedule: Schedule) -> str | None:
    """What to tell someone who ticked weekdays a monthly meeting does not use; None when nothing was lost."""
    if schedule.repeat is not Repeat.MONTHLY or not form.weekdays or form.weekdays == schedule.weekdays:
        return None
    return (
        f"The weekdays ticked are not used: a monthly meeting meets on its first meeting's weekday, "
        f"the {monthly_name(schedule.start)} of each month. To meet on another day, change the first meeting."
    )


def _apply(meeting: Meeting, form: MeetingForm, title: str, schedule: Schedule) -> None:
    meeting.title = title
    meeting.channel_id = form.channel_id
    meeting.owner_id = form.owner_id
    meeting.repeat = schedule.repeat.value
    meeting.start_date = schedule.start
    meeting.weekdays = ",".join(str(day) for day in sorted(schedule.weekdays))
    meeting.at_time = schedule.at
    meeting.tz = schedule.tz
    meeting.lead_minutes = form.lead_minutes
    meeting.prompt_to = form.prompt_to.value
    meeting.prompt_check_at = None  # the engine looks at its next prompt again


def register(deps: Deps, *, team_id: str, user_id: str, form: MeetingForm, key: str) -> MeetingCard:
    """Store the meeting once per idempotency key (a double-clicked submit registers one)."""
    now = deps.clock()
    title, schedule = check_form(form, now=now)

    def add() -> Meeting:
        meeting = Meeting(team_id=team_id, created_by=user_id, created_at=now, idempotency_key=key, paused=False)
        _apply(meeting, form, title, schedule)
        return meetings_repo.add_meeting(session, meeting)

    with deps.session_factory() as session:
        meeting, _ = create_once(
            session, find=lambda: meetings_repo.find_meeting_by_key(session, team_id=team_id, key=key), create=add
        )
        return MeetingCard.of(meeting)


def _editable(session: Session, *, team_id: str, meeting_id: int, user_id: str) -> Meeting:
    meeting = meetings_repo.get_meeting(session, team_id=team_id, meeting_id=meeting_id)
    if meeting is None:
        raise LookupError(NOT_FOUND)
    if not MeetingCard.of(meeting).editable_by(user_id):
        raise PermissionError(NOT_ALLOWED)
    return meeting


def update(deps: Deps, *, team_id: str, meeting_id: int, user_id: str, form: MeetingForm) -> MeetingCard:
    """Save an edit. A schedule left as it was is not judged again (a past one-off can be renamed)."""
    with deps.session_factory() as session:
        meeting = _editable(session, team_id=team_id, meeting_id=meeting_id, user_id=user_id)
        current = schedule_of(meeting)
        unchanged = (
            form.repeat is current.repeat
            and form.start == current.start
            and form.at == current.at
            and form.tz.strip() == current.tz
            and (form.repeat in (Repeat.ONCE, Repeat.MONTHLY) or form.weekdays == current.weekdays)
        )
        title, schedule = (_checked_title(form), current) if unchanged else check_form(form, now=deps.clock())
        _apply(meeting, form, title, schedule)
        card = MeetingCard.of(meeting)
        session.commit()
        return card


def set_paused(
    deps: Deps, *, team_id: str, meeting_id: int, user_id: str, paused: bool, key: str | None = None
) -> MeetingCard:
    """Pause or resume; `Replayed` (bot/services/replays.py) when the click with `key` was handled before."""
    with deps.session_factory() as session:
        meeting = _editable(session, team_id=team_id, meeting_id=meeting_id, user_id=user_id)
        replays.claim(session, team_id=team_id, key=key, now=deps.clock())
        meeting.paused = paused
        meeting.prompt_check_at = None
        card = MeetingCard.of(meeting)
        session.commit()
        return card


def delete(deps: Deps, *, team_id: str, meeting_id: int, user_id: str) -> MeetingCard:
    """No more prompts; what its prompts gathered stays for the digest."""
    with deps.session_factory() as session:
        meeting = _editable(session, team_id=team_id, meeting_id=meeting_id, user_id=user_id)
        meeting.deleted_at = deps.clock()
        card = MeetingCard.of(meeting)
        session.commit()
        return card


def get_card(deps: Deps, *, team_id: str, meeting_id: int) -> MeetingCard | None:
    with deps.session_factory() as session:
        meeting = meetings_repo.get_meeting(session, team_id=team_id, meeting_id=meeting_id)
        return MeetingCard.of(meeting) if meeting else None


def list_for(deps: Deps, *, team_id: str, user_id: str) -> list[MeetingCard]:
    with deps.session_factory() as session:
        return [MeetingCard.of(m) for m in meetings_repo.meetings_of(session, team_id=team_id, user_id=user_id)]


# -- prompts -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupLine:
    id: int
    name: str


@dataclass(frozen=True)
class AnswerCard:
    id: int
    subject: str
    group_id: int | None
    text: str
    answered_by: str


@dataclass(frozen=True)
class PromptCard:
    """A prompt as its message shows it: the groups to answer for and what was answered."""

    id: int
    team_id: str
    title: str
    meeting_id: int | None
    starts_at: datetime | None
    question_text: str | None
    channel: str | None
    message_ts: str | None
    groups: tuple[GroupLine, ...]
    answers: tuple[AnswerCard, ...]

    def answer_for(self, subject: str) -> AnswerCard | None:
        return next((answer for answer in self.answers if answer.subject == subject), None)


def _groups(session: Session, team_id: str) -> list[CustomerGroup]:
    return list(groups_repo.list_groups(session, team_id=team_id))


def prompt_card(session: Session, prompt: MeetingPrompt) -> PromptCard:
    answers = meetings_repo.answers_of(session, prompt_id=prompt.id)
    return PromptCard(
        id=prompt.id,
        team_id=prompt.team_id,
        title=prompt.title,
        meeting_id=prompt.meeting_id,
        starts_at=prompt.starts_at,
        question_text=prompt.question_text,
        channel=prompt.channel,
        message_ts=prompt.message_ts,
        groups=tuple(GroupLine(group.id, group.name) for group in _groups(session, prompt.team_id)),
        answers=tuple(_answer_card(answer) for answer in answers),
    )


def _answer_card(answer: MeetingAnswer) -> AnswerCard:
    return AnswerCard(answer.id, answer.subject, answer.group_id, answer.text, answer.answered_by)


def occurrence_on(meeting: Meeting, day: date) -> Occurrence:
    """The meeting's occurrence on a local date, at its current time of day."""
    return Occurrence(day, local_start(day, meeting.at_time, ZoneInfo(meeting.tz)))


def prompt_for_occurrence(session: Session, *, meeting: Meeting, occurrence: Occurrence, now: datetime) -> PromptCard:
    """The occurrence's prompt, made the first time it is asked for (the same one on a retry)."""
    key = f"meeting:{meeting.id}:{occurrence.local_date.isoformat()}T{meeting.at_time:%H:%M}"
    prompt = meetings_repo.find_prompt_by_key(session, team_id=meeting.team_id, key=key)
    if prompt is None:
        question = question_service.next_question(session, team_id=meeting.team_id, meeting_id=meeting.id, now=now)
        prompt = meetings_repo.add_prompt(
            session,
            MeetingPrompt(
                team_id=meeting.team_id,
                meeting_id=meeting.id,
                occurrence_date=occurrence.local_date,
                starts_at=occurrence.starts_at,
                title=meeting.title,
                question_id=question.id if question else None,
                question_text=question.text if question else None,
                created_at=now,
                idempotency_key=key,
            ),
        )
    return prompt_card(session, prompt)


def record_sent(session: Session, *, team_id: str, prompt_id: int, channel: str, ts: str, now: datetime) -> None:
    prompt = meetings_repo.get_prompt(session, team_id=team_id, prompt_id=prompt_id)
    if prompt is not None:
        prompt.channel, prompt.message_ts, prompt.sent_at = channel, ts, now
        session.flush()


def start_prompt_now(deps: Deps, *, team_id: str, user_id: str, channel_id: str, title: str, key: str) -> PromptCard:
    return open_prompt_now(deps, team_id=team_id, user_id=user_id, channel_id=channel_id, title=title, key=key)[0]


def open_prompt_now(
    deps: Deps, *, team_id: str, user_id: str, channel_id: str, title: str, key: str
) -> tuple[PromptCard, bool]:
    """`/meeting now`: a prompt for a meeting that was never registered, once per command (the flag
    says whether this call made it: a repeated delivery of the command posts nothing more)."""
    clean = " ".join(title.split())[:TITLE_MAX] or "This meeting"
    now = deps.clock()

    def add() -> MeetingPrompt:
        question = question_service.next_question(
            session, team_id=team_id, meeting_id=None, channel=channel_id, now=now
        )
        return meetings_repo.add_prompt(
            session,
            MeetingPrompt(
                team_id=team_id,
                title=clean,
                question_id=question.id if question else None,
                question_text=question.text if question else None,
                created_by=user_id,
                created_at=now,
                channel=channel_id,
                idempotency_key=key,
            ),
        )

    with deps.session_factory() as session:
        prompt, created = create_once(
            session, find=lambda: meetings_repo.find_prompt_by_key(session, team_id=team_id, key=key), create=add
        )
        return prompt_card(session, prompt), created


def record_sent_now(deps: Deps, *, team_id: str, prompt_id: int, channel: str, ts: str) -> None:
    with deps.session_factory() as session:
        record_sent(session, team_id=team_id, prompt_id=prompt_id, channel=channel, ts=ts, now=deps.clock())
        session.commit()


def get_prompt_card(deps: Deps, *, team_id: str, prompt_id: int) -> PromptCard | None:
    with deps.session_factory() as session:
        prompt = meetings_repo.get_prompt(session, team_id=team_id, prompt_id=prompt_id)
        return prompt_card(session, prompt) if prompt else None


def answer_fingerprint(text: str) -> str:
    """A short mark of an answer as a form showed it, to tell a field someone changed from one left alone."""
    return hashlib.sha256(text.strip().encode()).hexdigest()[:8]


def save_answers(
    deps: Deps,
    *,
    team_id: str,
    prompt_id: int,
    user_id: str,
    texts: Mapping[str, str],
    shown: Mapping[str, str] | None = None,
    key: str | None = None,
) -> PromptCard:
    """Keep the answer for each customer group (and outside any group, and the team); emptying a field
    clears its answer.

    With `shown` (the fingerprints of the answers the form was filled with), only the fields the
    person changed are written: two people answering at once do not undo each other's answers.
    """
    clean = {subject: (text or "").strip() for subject, text in texts.items()}
    if shown is not None:
        clean = {
            subject: text
            for subject, text in clean.items()
            if (answer_fingerprint(text) if text else None) != shown.get(subject)
        }
    for subject, text in clean.items():
        if len(text) > ANSWER_MAX:
            raise MeetingProblem(subject, f"Keep each answer to {ANSWER_MAX} characters (this one has {len(text)}).")
    with deps.session_factory() as session:
        prompt = meetings_repo.get_prompt(session, team_id=team_id, prompt_id=prompt_id)
        if prompt is None:
            raise LookupError("That prompt no longer exists.")
        replays.claim(session, team_id=team_id, key=key, now=deps.clock())
        group_ids = {group_subject(group.id): group.id for group in _groups(session, team_id)}
        # answers about other workspaces' groups or archived ones are not taken
        wanted = {s: t for s, t in clean.items() if s in group_ids or s in (OUTSIDE, TEAM)}
        meetings_repo.save_answers(
            session, prompt=prompt, texts=wanted, group_ids=group_ids, by=user_id, now=deps.clock()
        )
        card = prompt_card(session, prompt)
        session.commit()
        return card


@dataclass(frozen=True)
class AnswerSource:
    """An answer, as the action item made from it needs it."""

    id: int
    text: str
    group_id: int | None
    prompt_title: str


def answer_source(deps: Deps, *, team_id: str, answer_id: int) -> AnswerSource | None:
    with deps.session_factory() as session:
        answer = meetings_repo.get_answer(session, team_id=team_id, answer_id=answer_id)
        if answer is None:
            return None
        prompt = meetings_repo.get_prompt(session, team_id=team_id, prompt_id=answer.prompt_id)
        return AnswerSource(answer.id, answer.text, answer.group_id, prompt.title if prompt else "")
