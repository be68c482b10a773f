"""The digest's meeting numbers, computed by hand: per meeting and week the prompts sent and answered, the
customer groups answered for and those never mentioned, and the groups no meeting of the week mentioned.

Prompts, answers and groups are made through the services with a fixed clock, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from bot.deps import Deps
from bot.meetings.schedule import Repeat
from bot.services import groups as group_service
from bot.services import meetings as meeting_service
from bot.services.meeting_numbers import UNREGISTERED, MeetingsWeek, MeetingWeek, week_numbers
from storage.models import PromptTarget
from storage.repositories import meetings as meetings_repo
from tests.engine_harness import SimClock, utc

TEAM = "T111"
OTHER_TEAM = "T222"
USER = "W111"
WEEK = (utc(2027, 3, 1), utc(2027, 3, 8))  # Monday 1 March to Monday 8 March 2027, UTC
NEXT_WEEK = (utc(2027, 3, 8), utc(2027, 3, 15))


@pytest.fixture
def clock() -> SimClock:
    return SimClock(utc(2027, 2, 20, 12))


@pytest.fixture
def timed(deps: Deps, clock: SimClock) -> Deps:
    return Deps(settings=deps.settings, session_factory=deps.session_factory, clock=clock)


def register(deps: Deps, title: str, weekdays: set[int], *, team: str = TEAM) -> int:
    form = meeting_service.MeetingForm(
        title=title,
        channel_id="CTEAM",
        owner_id=USER,
        repeat=Repeat.WEEKLY,
        start=date(2027, 2, 22),
        weekdays=frozenset(weekdays),
        at=time(10),
        tz="Europe/Berlin",
        lead_minutes=10,
        prompt_to=PromptTarget.OWNER,
    )
    return meeting_service.register(deps, team_id=team, user_id=USER, form=form, key=f"{team}:{title}").id


def prompt_of(deps: Deps, clock: SimClock, meeting_id: int, day: date, *, team: str = TEAM) -> int:
    """The engine's prompt of the meeting's occurrence on `day`, sent ten minutes before it starts."""
    with deps.session_factory() as session:
        meeting = meetings_repo.get_meeting(session, team_id=team, meeting_id=meeting_id)
        assert meeting is not None
        occurrence = meeting_service.occurrence_on(meeting, day)
        sent_at = occurrence.starts_at - timedelta(minutes=10)
        clock.now = sent_at
        card = meeting_service.prompt_for_occurrence(session, meeting=meeting, occurrence=occurrence, now=sent_at)
        meeting_service.record_sent(session, team_id=team, prompt_id=card.id, channel=USER, ts="1.1", now=sent_at)
        session.commit()
        return card.id


def prompt_now(deps: Deps, clock: SimClock, at: datetime, key: str, *, sent: bool = True, team: str = TEAM) -> int:
    """A `/meeting now` prompt asked at `at`; `sent=False`: the channel refused it."""
    clock.now = at
    card = meeting_service.start_prompt_now(
        deps, team_id=team, user_id=USER, channel_id="CTEAM", title=f"Ad hoc {key}", key=key
    )
    if sent:
        meeting_service.record_sent_now(deps, team_id=team, prompt_id=card.id, channel="CTEAM", ts=f"2.{key}")
    return card.id


def answer(deps: Deps, prompt_id: int, *, workspace: str = TEAM, **texts: str) -> None:
    """Answers by subject: `g_<group id>`, `outside`, `team`."""
    by_subject = {
        (meeting_service.group_subject(int(key[2:])) if key.startswith("g_") else key): text
        for key, text in texts.items()
    }
    meeting_service.save_answers(deps, team_id=workspace, prompt_id=prompt_id, user_id=USER, texts=by_subject)


def numbers(deps: Deps, week: tuple[datetime, datetime], *, team: str = TEAM) -> MeetingsWeek:
    with deps.session_factory() as session:
        return week_numbers(session, team_id=team, start=week[0], end=week[1])


def test_numbers_per_meeting_and_week(timed: Deps, clock: SimClock) -> None:
    groups = {
        name: group_service.add_group(timed, team_id=TEAM, name=name, by=USER).id
        for name in ("Small clinics", "Hospitals", "Pharmacies", "Schools", "Legacy accounts")
    }
    clinics, hospitals, pharmacies, schools = (
        groups[name] for name in ("Small clinics", "Hospitals", "Pharmacies", "Schools")
    )
    theirs = group_service.add_group(timed, team_id=OTHER_TEAM, name="Small clinics", by=USER).id
    planning = register(timed, "Planning", {2, 4})
    review = register(timed, "Review", {3})
    their_meeting = register(timed, "Their planning", {2}, team=OTHER_TEAM)

    # before the week: Thursday 25 February, answered for the schools (not counted in the week)
    answer(timed, prompt_of(timed, clock, planning, date(2027, 2, 25)), **{f"g_{schools}": "Term starts"})
    # the week of 1 March
    unregistered_first = prompt_now(timed, clock, utc(2027, 3, 1), "a")  # exactly at the week's start: counted
    answer(timed, unregistered_first, **{f"g_{pharmacies}": "Fewer calls about stock"})
    tuesday = prompt_of(timed, clock, planning, date(2027, 3, 2))
    answer(timed, tuesday, **{f"g_{clinics}": "Refunds a day sooner", "team": "Less rework"})
    prompt_of(timed, clock, review, date(2027, 3, 3))  # asked, never answered
    thursday = prompt_of(timed, clock, planning, date(2027, 3, 4))
    answer(timed, thursday, **{f"g_{hospitals}": "One contact person", "outside": "Clearer pricing page"})
    friday = prompt_now(timed, clock, utc(2027, 3, 5, 15), "b")
    answer(timed, friday, team="We learn what the wards need")  # only the team: answered
    saturday = prompt_now(timed, clock, utc(2027, 3, 6, 10), "c")
    answer(timed, saturday, **{f"g_{clinics}": "Mistake"})
    answer(timed, saturday, **{f"g_{clinics}": ""})  # cleared again: not answered
    prompt_now(timed, clock, utc(2027, 3, 6, 11), "refused", sent=False)  # the channel refused it: not sent
    # another workspace's prompt in the same week, answered for its own group
    their_prompt = prompt_of(timed, clock, their_meeting, date(2027, 3, 2), team=OTHER_TEAM)
    answer(timed, their_prompt, workspace=OTHER_TEAM, **{f"g_{theirs}": "Theirs"})
    # the next week: exactly at its start (not in the first week), and Tuesday 9 March
    prompt_now(timed, clock, utc(2027, 3, 8), "d")
    next_tuesday = prompt_of(timed, clock, planning, date(2027, 3, 9))
    answer(timed, next_tuesday, **{f"g_{pharmacies}": "Deliveries on time"})
    # afterwards: an unanswered group is archived, and the review is deleted (what it gathered stays)
    group_service.archive_group(timed, team_id=TEAM, by="UADMIN", group_id=groups["Legacy accounts"])
    meeting_service.delete(timed, team_id=TEAM, meeting_id=review, user_id=USER)

    week = numbers(timed, WEEK)
    assert list(week.meetings) == [
        MeetingWeek(
            meeting_id=planning,
            title="Planning",
            prompts_sent=2,
            prompts_answered=2,
            groups_answered=("Hospitals", "Small clinics"),
            groups_never_mentioned=("Pharmacies", "Schools"),
        ),
        MeetingWeek(
            meeting_id=review,
            title="Review",
            prompts_sent=1,
            prompts_answered=0,
            groups_answered=(),
            groups_never_mentioned=("Hospitals", "Pharmacies", "Schools", "Small clinics"),
        ),
        MeetingWeek(
            meeting_id=None,
            title=UNREGISTERED,
            prompts_sent=3,
            prompts_answered=2,
            groups_answered=("Pharmacies",),
            groups_never_mentioned=("Hospitals", "Schools", "Small clinics"),
        ),
    ]
    assert week.groups_never_mentioned == ("Schools",)  # not "Legacy accounts": it is archived
    assert (week.prompts_sent, week.prompts_answered) == (6, 4)

    following = numbers(timed, NEXT_WEEK)
    assert [(m.meeting_id, m.prompts_sent, m.prompts_answered, m.groups_answered) for m in following.meetings] == [
        (planning, 1, 1, ("Pharmacies",)),
        (None, 1, 0, ()),
    ]
    assert following.groups_never_mentioned == ("Hospitals", "Schools", "Small clinics")

    # a week without prompts has nothing to say
    assert numbers(timed, (utc(2027, 3, 15), utc(2027, 3, 22))) == MeetingsWeek([], ())

    # the other workspace sees only its own
    other = numbers(timed, WEEK, team=OTHER_TEAM)
    assert [(m.title, m.prompts_sent, m.prompts_answered, m.groups_answered) for m in other.meetings] == [
        ("Their planning", 1, 1, ("Small clinics",)),
    ]
    assert other.groups_never_mentioned == ()


def test_archived_groups_and_answers_for_unknown_groups_are_left_out(timed: Deps, clock: SimClock) -> None:
    clinics = group_service.add_group(timed, team_id=TEAM, name="Small clinics", by=USER).id
    answered_then_archived = group_service.add_group(timed, team_id=TEAM, name="Old partners", by=USER).id
    dormant = group_service.add_group(timed, team_id=TEAM, name="Dormant", by=USER).id
    group_service.add_group(timed, team_id=TEAM, name="Hospitals", by=USER)
    planning = register(timed, "Planning", {2})
    tuesday = prompt_of(timed, clock, planning, date(2027, 3, 2))
    answer(
        timed,
        tuesday,
        **{f"g_{clinics}": "Refunds sooner", f"g_{answered_then_archived}": "Last call", "g_999999": "No such group"},
    )
    for group_id in (answered_then_archived, dormant):
        group_service.archive_group(timed, team_id=TEAM, by="UADMIN", group_id=group_id)

    week = numbers(timed, WEEK)
    [only] = week.meetings
    assert (only.meeting_id, only.title, only.prompts_sent, only.prompts_answered) == (planning, "Planning", 1, 1)
    assert only.groups_answered == ("Small clinics",)
    assert only.groups_never_mentioned == ("Hospitals",)
    assert week.groups_never_mentioned == ("Hospitals",)
