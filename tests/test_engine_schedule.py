"""When nudges go out: in each owner's own time zone, across DST changes, weekends, holidays and pauses.

Time is simulated (never slept): the engine ticks every few hours of simulated time, and each test
reads what was planned (`Delivery.due_at`, the moment a nudge was meant for) and what the fake Slack
received.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.deps import Deps
from bot.engine import planners
from bot.services import actions, entries
from storage.models import ActionStatus, Delivery, DeliveryStatus, EntryKind, Holiday, Person
from tests.engine_harness import Simulation, simulation, utc
from tests.fake_slack import FakeSlack

TEAM = "T111"
OTHER_TEAM = "T222"
STEP = timedelta(hours=3)
REMINDER, OVERDUE = planners.REMINDER, planners.OVERDUE
FAR_AWAY = date(2027, 12, 31)  # a due date no reminder of which falls in the simulated windows


# -- helpers --------------------------------------------------------------------------------------


def add_item(sim: Simulation, owner: str, due: date, title: str, *, team: str = TEAM) -> actions.ActionCard:
    card, created = actions.create_action(
        sim.deps,
        actions.NewAction(
            team_id=team,
            title=title,
            owner_id=owner,
            created_by=owner,
            due_date=due,
            today=sim.clock.now.date(),
            idempotency_key=f"test:{team}:{title}",
        ),
    )
    assert created
    return card


def add_holidays(sim: Simulation, team: str, *days: date) -> None:
    with sim.deps.session_factory() as session:
        session.add_all(Holiday(team_id=team, day=day, name="holiday") for day in days)
        session.commit()


def set_pause(sim: Simulation, team: str, user: str, until: date | None) -> None:
    """Pause a person's nudges by writing the database directly, as `/mindset pause` would."""
    with sim.deps.session_factory() as session:
        person = session.scalars(select(Person).where(Person.team_id == team, Person.user_id == user)).first()
        if person is None:
            person = Person(team_id=team, user_id=user)
            session.add(person)
        person.paused_until = until
        session.commit()


def rows(sim: Simulation, *, kind: str | None = None, recipient: str | None = None) -> list[Delivery]:
    with sim.deps.session_factory() as session:
        query = select(Delivery).order_by(Delivery.due_at, Delivery.id)
        if kind is not None:
            query = query.where(Delivery.kind == kind)
        if recipient is not None:
            query = query.where(Delivery.recipient == recipient)
        return list(session.scalars(query))


def local(moment: datetime, tz: str) -> str:
    return moment.astimezone(ZoneInfo(tz)).strftime("%a %Y-%m-%d %H:%M")


def posts_to(sim: Simulation, user: str, prefix: str = "") -> list[str]:
    return [
        str(call.params.get("text"))
        for call in sim.fake.calls_to("chat.postMessage")
        if call.params.get("channel") == user and str(call.params.get("text")).startswith(prefix)
    ]


def assert_sent_once_each(sim: Simulation) -> None:
    """Every sent delivery reached Slack once, nothing else reached Slack, and no send came early or late."""
    sent = [row for row in rows(sim) if row.status == DeliveryStatus.SENT.value]
    posts = sim.fake.calls_to("chat.postMessage")
    assert len(posts) == len(sent)
    assert Counter(call.params["channel"] for call in posts) == Counter(row.recipient for row in sent)
    for row in sent:
        assert row.sent_at is not None
        assert row.due_at <= row.sent_at < row.due_at + STEP, (row.kind, row.occasion, row.due_at, row.sent_at)


def mondays(first: date, last: date) -> Iterable[date]:
    day = first + timedelta(days=(7 - first.weekday()) % 7)
    while day <= last:
        yield day
        day += timedelta(days=7)


# -- weekly check-ins across DST changes -----------------------------------------------------------


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    # (user, zone, team)
    owners: tuple[tuple[str, str, str], ...]
    holidays: tuple[tuple[str, date], ...] = ()


OWNERS = (
    ("UNEWYORK", "America/New_York", TEAM),
    ("UBERLIN", "Europe/Berlin", TEAM),
    ("ULORDHOWE", "Australia/Lord_Howe", TEAM),
    ("UKOLKATA", "Asia/Kolkata", TEAM),
    # a workspace whose Easter Monday (29 March 2027) is a holiday: that week's check-in is on Tuesday
    ("UBERLIN2", "Europe/Berlin", OTHER_TEAM),
)
WINDOWS = {
    # Lord Howe moves +10:30 -> +11 on Sunday 4 October 2026; New York EDT -> EST on Sunday 1 November 2026
    "autumn-2026": Window(utc(2026, 9, 27, 12), utc(2026, 11, 9, 12), OWNERS),
    # New York EST -> EDT on 14 March 2027, Berlin CET -> CEST on 28 March, Lord Howe +11 -> +10:30 on 4 April
    "spring-2027": Window(utc(2027, 3, 7, 12), utc(2027, 4, 6, 18), OWNERS, ((OTHER_TEAM, date(2027, 3, 29)),)),
}


@pytest.mark.parametrize("window", list(WINDOWS.values()), ids=list(WINDOWS))
def test_one_checkin_per_week_at_nine_on_monday_across_dst(deps: Deps, fake_slack: FakeSlack, window: Window) -> None:
    sim = simulation(deps, fake_slack, window.start)
    for team, day in window.holidays:
        add_holidays(sim, team, day)
    for user, tz, team in window.owners:
        sim.add_person(user, tz)
        add_item(sim, user, FAR_AWAY, f"Open item of {user}", team=team)
    sim.run_until(window.end, step=STEP)

    holidays = {(team, day) for team, day in window.holidays}
    for user, tz, team in window.owners:
        checkins = rows(sim, kind=planners.CHECKIN, recipient=user)
        expected = []
        for monday in mondays(window.start.date() - timedelta(days=1), window.end.date() + timedelta(days=1)):
            day = monday + timedelta(days=1) if (team, monday) in holidays else monday
            if window.start <= datetime.combine(day, time(9), ZoneInfo(tz)) <= window.end:
                year, week, _ = monday.isocalendar()
                expected.append((f"{year}-W{week:02d}", f"{day:%a %Y-%m-%d} 09:00"))
        assert len(expected) >= 5
        assert [(row.occasion, local(row.due_at, tz)) for row in checkins] == expected, user
        assert {row.status for row in checkins} == {DeliveryStatus.SENT.value}
        assert len(posts_to(sim, user, "Weekly check-in")) == len(expected)
    assert_sent_once_each(sim)


# -- reminders and overdue nudges -------------------------------------------------------------------


def test_reminders_and_overdue_nudges_at_nine_local_on_working_days(deps: Deps, fake_slack: FakeSlack) -> None:
    sim = simulation(deps, fake_slack, utc(2027, 3, 5, 12))
    # Good Friday and Easter Monday 2027 are holidays in TEAM; OTHER_TEAM works through Easter
    add_holidays(sim, TEAM, date(2027, 3, 26), date(2027, 3, 29))
    people = {
        "UNY": ("America/New_York", TEAM, date(2027, 3, 15)),  # Monday after the US DST change
        "UBER": ("Europe/Berlin", TEAM, date(2027, 3, 25)),  # Thursday before Good Friday
        "UKOL": ("Asia/Kolkata", TEAM, date(2027, 4, 3)),  # a Saturday
        "ULH": ("Australia/Lord_Howe", OTHER_TEAM, date(2027, 4, 5)),  # Monday after the half-hour DST change
    }
    for user, (tz, team, due) in people.items():
        sim.add_person(user, tz)
        add_item(sim, user, due, f"Commitment of {user}", team=team)
    sim.run_until(utc(2027, 4, 13, 12), step=STEP)

    def schedule(user: str) -> list[tuple[str, str]]:
        tz = people[user][0]
        nudges = rows(sim, recipient=user)
        return [(row.occasion, local(row.due_at, tz)) for row in nudges if row.kind in (REMINDER, OVERDUE)]

    assert schedule("UNY") == [
        ("due-7:2027-03-15", "Mon 2027-03-08 09:00"),  # EST
        ("due-1:2027-03-15", "Mon 2027-03-15 09:00"),  # Sunday -> Monday, EDT
        ("overdue-1:2027-03-15", "Tue 2027-03-16 09:00"),
        ("overdue-2:2027-03-15", "Tue 2027-03-23 09:00"),
        ("overdue-3:2027-03-15", "Tue 2027-03-30 09:00"),
        ("overdue-4:2027-03-15", "Tue 2027-04-06 09:00"),
    ]
    assert schedule("UBER") == [
        ("due-7:2027-03-25", "Thu 2027-03-18 09:00"),  # CET
        ("due-1:2027-03-25", "Wed 2027-03-24 09:00"),
        ("overdue-1:2027-03-25", "Tue 2027-03-30 09:00"),  # Good Friday, weekend, Easter Monday; CEST
        ("overdue-2:2027-03-25", "Fri 2027-04-02 09:00"),
        ("overdue-3:2027-03-25", "Fri 2027-04-09 09:00"),
    ]
    assert schedule("UKOL") == [
        ("due-7:2027-04-03", "Tue 2027-03-30 09:00"),  # Saturday -> Monday, a holiday -> Tuesday
        ("due-1:2027-04-03", "Fri 2027-04-02 09:00"),
        ("overdue-1:2027-04-03", "Mon 2027-04-05 09:00"),  # Sunday -> Monday
        ("overdue-2:2027-04-03", "Mon 2027-04-12 09:00"),
    ]
    assert schedule("ULH") == [
        ("due-7:2027-04-05", "Mon 2027-03-29 09:00"),  # +11 (no holiday in this workspace)
        ("due-1:2027-04-05", "Mon 2027-04-05 09:00"),  # Sunday -> Monday, +10:30
        ("overdue-1:2027-04-05", "Tue 2027-04-06 09:00"),
        ("overdue-2:2027-04-05", "Tue 2027-04-13 09:00"),
    ]
    assert len(posts_to(sim, "UNY", "Reminder")) == 2
    assert len(posts_to(sim, "UNY", "Overdue")) == 4
    assert_sent_once_each(sim)


def test_paused_person_gets_nothing_during_the_pause_and_the_pending_nudges_after(
    deps: Deps, fake_slack: FakeSlack
) -> None:
    start = utc(2027, 2, 26, 12)  # Friday 13:00 in Berlin
    sim = simulation(deps, fake_slack, start)
    sim.add_person("UPAUSED", "Europe/Berlin")
    sim.add_person("UACTIVE", "Europe/Berlin")
    for user in ("UPAUSED", "UACTIVE"):
        add_item(sim, user, date(2027, 3, 10), f"Wednesday item of {user}")
        add_item(sim, user, date(2027, 3, 2), f"Tuesday item of {user}")
    set_pause(sim, TEAM, "UPAUSED", date(2027, 3, 5))  # until Friday 5 March inclusive
    sim.run_until(utc(2027, 3, 10, 21), step=STEP)

    def schedule(user: str) -> list[tuple[str, str, str]]:
        return [(row.kind, row.occasion, local(row.due_at, "Europe/Berlin")) for row in rows(sim, recipient=user)]

    pause_ends = utc(2027, 3, 5, 23)  # midnight in Berlin
    assert all(row.sent_at and row.sent_at > pause_ends for row in rows(sim, recipient="UPAUSED"))
    assert schedule("UPAUSED") == [
        # the week of 1 March had its check-in during the pause: the next one covers it
        ("action_reminder", "due-7:2027-03-10", "Mon 2027-03-08 09:00"),  # was Wed 3 March
        ("action_overdue", "overdue-1:2027-03-02", "Mon 2027-03-08 09:00"),  # was Wed 3 March
        ("weekly_checkin", "2027-W10", "Mon 2027-03-08 09:00"),
        ("action_reminder", "due-1:2027-03-10", "Tue 2027-03-09 09:00"),
        ("action_overdue", "overdue-2:2027-03-02", "Wed 2027-03-10 09:00"),
    ]
    assert [(kind, occasion, at) for kind, occasion, at in schedule("UACTIVE")] == [
        ("action_reminder", "due-1:2027-03-02", "Mon 2027-03-01 09:00"),
        ("weekly_checkin", "2027-W09", "Mon 2027-03-01 09:00"),
        ("action_reminder", "due-7:2027-03-10", "Wed 2027-03-03 09:00"),
        ("action_overdue", "overdue-1:2027-03-02", "Wed 2027-03-03 09:00"),
        ("weekly_checkin", "2027-W10", "Mon 2027-03-08 09:00"),
        ("action_reminder", "due-1:2027-03-10", "Tue 2027-03-09 09:00"),
        ("action_overdue", "overdue-2:2027-03-02", "Wed 2027-03-10 09:00"),
    ]
    assert_sent_once_each(sim)


# -- sorries without a root cause -------------------------------------------------------------------


def log_sorry(sim: Simulation, author: str, at: datetime, text: str) -> int:
    sim.clock.now = at
    logged = entries.log_entry(
        sim.deps,
        entries.NewEntry(
            team_id=TEAM,
            kind=EntryKind.SORRY,
            author_id=author,
            channel_id="CTEAM",
            text=text,
            idempotency_key=f"sorry:{text}",
        ),
    )
    return logged.card.id


def test_root_cause_nudge_two_working_days_later_once(deps: Deps, fake_slack: FakeSlack) -> None:
    sim = simulation(deps, fake_slack, utc(2027, 3, 5, 12))
    add_holidays(sim, TEAM, date(2027, 3, 26), date(2027, 3, 29))
    sim.add_person("UBERLIN", "Europe/Berlin")
    sim.add_person("UNEWYORK", "America/New_York")
    sim.add_person("UFIXER", "Europe/Berlin")
    berlin = log_sorry(sim, "UBERLIN", utc(2027, 3, 5, 15), "Refunds waited two days")  # Friday 16:00 CET
    fixed = log_sorry(sim, "UFIXER", utc(2027, 3, 5, 15), "The clinic got the wrong invoice")
    new_york = log_sorry(sim, "UNEWYORK", utc(2027, 3, 12, 21), "Missed the callback")  # Friday 16:00 EST
    easter = log_sorry(sim, "UBERLIN", utc(2027, 3, 25, 15), "Order stuck before Easter")  # Thursday 16:00 CET

    sim.clock.now = utc(2027, 3, 5, 15)
    sim.run_until(utc(2027, 3, 8, 12), step=STEP)  # Monday: a root cause arrives before the nudge
    assert entries.add_root_cause(sim.deps, team_id=TEAM, entry_id=fixed, root_cause="Template bug", by="UFIXER")
    # hourly ticks on the afternoons nudges are due at 16:00 local: a tick at 17:00, the end of work, would
    # hold them to the next morning (nudges go out in working time only)
    for day in (16, 31):
        sim.run_until(utc(2027, 3, day, 12), step=STEP)
        sim.run_until(utc(2027, 3, day, 12) + timedelta(hours=12), step=timedelta(hours=1))
    sim.run_until(utc(2027, 4, 1), step=STEP)

    nudges = rows(sim, kind=planners.ROOT_CAUSE)
    assert [(row.subject, row.recipient, row.occasion, row.status) for row in nudges] == [
        (str(berlin), "UBERLIN", "root-cause", "sent"),
        (str(new_york), "UNEWYORK", "root-cause", "sent"),
        (str(easter), "UBERLIN", "root-cause", "sent"),
    ]
    assert local(nudges[0].due_at, "Europe/Berlin") == "Tue 2027-03-09 16:00"
    assert local(nudges[1].due_at, "America/New_York") == "Tue 2027-03-16 16:00"  # EDT by then
    assert local(nudges[2].due_at, "Europe/Berlin") == "Wed 2027-03-31 16:00"  # Fri, Mon holidays; CEST
    assert posts_to(sim, "UFIXER") == []
    assert len(posts_to(sim, "UBERLIN")) == 2
    assert_sent_once_each(sim)


# -- items closed, moved, and listed ---------------------------------------------------------------


def test_closed_item_gets_no_reminder_and_rescheduled_item_gets_the_new_dates(
    deps: Deps, fake_slack: FakeSlack
) -> None:
    sim = simulation(deps, fake_slack, utc(2027, 3, 1, 6))  # Monday 07:00 in Berlin
    sim.add_person("UOWNER", "Europe/Berlin")
    closed = add_item(sim, "UOWNER", date(2027, 3, 12), "Closed early")
    dropped_late = add_item(sim, "UOWNER", date(2027, 3, 11), "Dropped after its reminder was planned")
    moved = add_item(sim, "UOWNER", date(2027, 3, 10), "Moved to a later date")
    closer = add_item(sim, "UOWNER", date(2027, 3, 26), "Moved to an earlier date")
    sim.run_until(utc(2027, 3, 2, 12), step=STEP)
    actions.set_status(sim.deps, team_id=TEAM, action_id=closed.id, user_id="UOWNER", status=ActionStatus.DONE)
    sim.run_until(utc(2027, 3, 4, 6), step=STEP)

    # the 7-day reminder of the dropped item is planned, then the item is dropped before it goes out
    sim.clock.now = utc(2027, 3, 4, 8, 1)  # Thursday 09:01
    sim.engines[0].plan(sim.clock.now)
    actions.set_status(
        sim.deps,
        team_id=TEAM,
        action_id=dropped_late.id,
        user_id="UOWNER",
        status=ActionStatus.DROPPED,
        reason="Not needed",
    )
    sim.tick()
    # Thursday 4 March: moved from Wednesday 10 March to Friday 19 March
    actions.reschedule(
        sim.deps, team_id=TEAM, action_id=moved.id, user_id="UOWNER", due=date(2027, 3, 19), today=date(2027, 3, 4)
    )
    sim.run_until(utc(2027, 3, 9, 9), step=STEP)
    # Tuesday 9 March 10:00: brought forward to Friday 12 March; its 7-day reminder day has passed
    # before the date was set (as for a new item), so only the 1-day reminder is due
    actions.reschedule(
        sim.deps, team_id=TEAM, action_id=closer.id, user_id="UOWNER", due=date(2027, 3, 12), today=date(2027, 3, 9)
    )
    sim.run_until(utc(2027, 3, 23, 12), step=STEP)

    def schedule(item: actions.ActionCard) -> list[tuple[str, str, str]]:
        return [
            (row.occasion, local(row.due_at, "Europe/Berlin"), row.status)
            for row in rows(sim)
            if row.subject == str(item.id) and row.kind != planners.CHECKIN
        ]

    assert schedule(closed) == []  # never planned
    assert schedule(dropped_late) == [("due-7:2027-03-11", "Thu 2027-03-04 09:00", "skipped")]
    assert schedule(moved) == [
        ("due-7:2027-03-10", "Wed 2027-03-03 09:00", "sent"),
        ("due-7:2027-03-19", "Fri 2027-03-12 09:00", "sent"),
        ("due-1:2027-03-19", "Thu 2027-03-18 09:00", "sent"),
        ("overdue-1:2027-03-19", "Mon 2027-03-22 09:00", "sent"),
    ]
    assert schedule(closer) == [
        ("due-1:2027-03-12", "Thu 2027-03-11 09:00", "sent"),
        ("overdue-1:2027-03-12", "Mon 2027-03-15 09:00", "sent"),
        ("overdue-2:2027-03-12", "Mon 2027-03-22 09:00", "sent"),
    ]
    assert_sent_once_each(sim)


def test_checkin_lists_every_open_item_in_one_message(deps: Deps, fake_slack: FakeSlack) -> None:
    sim = simulation(deps, fake_slack, utc(2027, 3, 5, 12))
    sim.add_person("UOWNER", "Asia/Kolkata")
    sim.add_person("UOTHER", "Asia/Kolkata")
    titles = [f"Commitment number {n}" for n in range(1, 5)]
    cards = [add_item(sim, "UOWNER", FAR_AWAY, title) for title in titles]
    add_item(sim, "UOTHER", FAR_AWAY, "Someone else's commitment")
    sim.run_until(utc(2027, 3, 9), step=STEP)
    actions.set_status(sim.deps, team_id=TEAM, action_id=cards[0].id, user_id="UOWNER", status=ActionStatus.DONE)
    sim.run_until(utc(2027, 3, 16), step=STEP)

    checkins = [call for call in sim.messages("Weekly check-in") if call.params["channel"] == "UOWNER"]
    assert [call.params["text"] for call in checkins] == [
        "Weekly check-in: 4 open commitments",
        "Weekly check-in: 3 open commitments",
    ]
    first, second = (str(call.params["blocks"]) for call in checkins)
    assert all(title in first for title in titles)
    assert "Someone else" not in first
    assert titles[0] not in second and all(title in second for title in titles[1:])
    assert len(sim.messages()) == 4  # two weeks, two owners, one message each
    assert_sent_once_each(sim)
