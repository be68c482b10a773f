"""Meeting prompts in simulated time: when the opening question goes out, to whom, and that it goes out once.

The clock is simulated (never slept). The engine ticks densely around the moments prompts are expected, and
at the same local moment on the days a meeting does not happen, so a prompt on a wrong day or an hour off
would be seen. Each test reads what was planned and sent (`Delivery`), what the prompt recorded
(`MeetingPrompt`) and what the fake Slack received.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select

from bot.deps import Deps
from bot.engine import planners
from bot.engine.engine import NudgeEngine
from bot.meetings.schedule import Repeat
from bot.services import meetings as meeting_service
from bot.services import questions as question_service
from bot.slack_client import make_web_client
from storage.db import make_engine, make_session_factory
from storage.models import Delivery, DeliveryStatus, MeetingPrompt, Person, PromptTarget
from tests.conftest import _empty_tables, make_settings
from tests.engine_harness import SimClock, Simulation, days, simulation, utc
from tests.fake_slack import Call, FakeSlack, dm_channel

TEAM = "T111"
BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"
LEAD = timedelta(minutes=10)
STEP = timedelta(minutes=10)
MON, TUE, WED, THU, FRI, SAT, SUN = range(1, 8)


# -- helpers --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    """A meeting as the test sees it: its local start time, zone, the local dates it meets on, its lead."""

    at: time
    tz: str
    dates: tuple[date, ...]
    lead: timedelta = LEAD


def add_meeting(
    sim: Simulation,
    title: str,
    *,
    owner: str,
    start: date,
    weekdays: Iterable[int] = (TUE,),
    at: time = time(10, 0),
    tz: str = BERLIN,
    repeat: Repeat = Repeat.WEEKLY,
    to: PromptTarget = PromptTarget.OWNER,
    channel: str | None = None,
    lead: int = 10,
) -> meeting_service.MeetingCard:
    form = meeting_service.MeetingForm(
        title=title,
        channel_id=channel,
        owner_id=owner,
        repeat=repeat,
        start=start,
        weekdays=frozenset(weekdays),
        at=at,
        tz=tz,
        lead_minutes=lead,
        prompt_to=to,
    )
    return meeting_service.register(sim.deps, team_id=TEAM, user_id=owner, form=form, key=f"test:{title}")


def edit_meeting(sim: Simulation, card: meeting_service.MeetingCard, **changes: Any) -> None:
    form = meeting_service.MeetingForm(
        title=card.title,
        channel_id=card.channel_id,
        owner_id=card.owner_id,
        repeat=card.schedule.repeat,
        start=card.schedule.start,
        weekdays=card.schedule.weekdays,
        at=card.schedule.at,
        tz=card.schedule.tz,
        lead_minutes=card.lead_minutes,
        prompt_to=card.prompt_to,
    )
    meeting_service.update(
        sim.deps, team_id=TEAM, meeting_id=card.id, user_id=card.owner_id, form=replace(form, **changes)
    )


def tick_at(sim: Simulation, *moments: datetime) -> None:
    for moment in sorted(moments):
        assert moment >= sim.clock.now, (moment, sim.clock.now)
        sim.clock.now = moment
        sim.tick()


def local_moment(day: date, at: time, tz: str) -> datetime:
    return datetime.combine(day, at, ZoneInfo(tz))


def run_days(sim: Simulation, first: date, last: date, meetings: Iterable[Expect]) -> None:
    """Tick through first..last: on a meeting's days 10 minutes before its prompt is due, when it is due and when
    the meeting starts; on its other days once, at the moment its prompt would be due."""
    meetings = list(meetings)
    for day in days(first, last):
        moments: set[datetime] = set()
        for meeting in meetings:
            start = local_moment(day, meeting.at, meeting.tz)
            if day in meeting.dates:
                moments.update((start - meeting.lead - STEP, start - meeting.lead, start))
            else:
                moments.add(start - meeting.lead)
        tick_at(sim, *(moment for moment in moments if moment > sim.clock.now))


def local(moment: datetime | None, tz: str) -> str:
    assert moment is not None
    return moment.astimezone(ZoneInfo(tz)).strftime("%a %Y-%m-%d %H:%M")


def deliveries(sim: Simulation, meeting_id: int | None = None) -> list[Delivery]:
    with sim.deps.session_factory() as session:
        query = select(Delivery).where(Delivery.kind == planners.MEETING_PROMPT).order_by(Delivery.due_at, Delivery.id)
        if meeting_id is not None:
            query = query.where(Delivery.subject == str(meeting_id))
        return list(session.scalars(query))


def schedule(sim: Simulation, meeting_id: int, tz: str) -> list[tuple[str, str, str, str]]:
    """(occurrence's local date, due, sent, status) of each of the meeting's prompts, in the meeting's
    local time. (A delivery's occasion is the occurrence's local date and start time, 2027-03-09T10:00.)"""
    return [
        (
            row.occasion.partition("T")[0],
            local(row.due_at, tz),
            local(row.sent_at, tz) if row.sent_at else "-",
            row.status,
        )
        for row in deliveries(sim, meeting_id)
    ]


def prompt_rows(sim: Simulation, meeting_id: int | None = None) -> list[MeetingPrompt]:
    with sim.deps.session_factory() as session:
        query = select(MeetingPrompt).order_by(MeetingPrompt.id)
        if meeting_id is not None:
            query = query.where(MeetingPrompt.meeting_id == meeting_id)
        return list(session.scalars(query))


def posts_to(sim: Simulation, channel: str) -> list[Call]:
    return [call for call in sim.fake.calls_to("chat.postMessage") if call.params.get("channel") == channel]


def prompt_id_of(call: Call) -> str:
    [value] = [el["value"] for b in call.params["blocks"] if b["type"] == "actions" for el in b["elements"]]
    return str(value)


def sent(times: Iterable[tuple[date, str]], tz: str) -> list[tuple[str, str, str, str]]:
    """The expected schedule when each prompt goes out on time: (local date, "HH:MM" of the prompt)."""
    rows = []
    for day, hhmm in times:
        at = local(local_moment(day, time.fromisoformat(hhmm), tz), tz)
        rows.append((day.isoformat(), at, at, "sent"))
    return rows


def assert_each_post_is_one_delivery(sim: Simulation) -> None:
    """Slack got exactly the sent deliveries, each once, each with its own prompt."""
    rows = [row for row in deliveries(sim) if row.status == DeliveryStatus.SENT.value]
    posts = sim.fake.calls_to("chat.postMessage")
    assert len(posts) == len(rows)
    assert Counter(call.params["channel"] for call in posts) == Counter(row.recipient for row in rows)
    assert len({prompt_id_of(call) for call in posts}) == len(posts)


# -- one prompt per occurrence, at local time, across DST -----------------------------------------------


def test_weekly_prompts_at_local_time_across_the_dst_changes(deps: Deps, fake_slack: FakeSlack) -> None:
    """Berlin moves to summer time on 28 March 2027, New York on 14 March: the prompts stay at 09:50 local."""
    sim = simulation(deps, fake_slack, utc(2027, 3, 8, 5))  # Monday 8 March, before anything is due
    sim.add_person("UBERLIN", "Asia/Kolkata")  # the owner's own zone does not move the meeting
    sim.add_person("UNEWYORK", NEW_YORK)
    berlin = add_meeting(sim, "Tuesday planning", owner="UBERLIN", start=date(2027, 3, 8), weekdays=(TUE,))
    new_york = add_meeting(
        sim, "Clinic call", owner="UNEWYORK", start=date(2027, 3, 8), weekdays=(MON, FRI), at=time(9), tz=NEW_YORK
    )
    tuesdays = (date(2027, 3, 9), date(2027, 3, 16), date(2027, 3, 23), date(2027, 3, 30), date(2027, 4, 6))
    mondays_fridays = (
        date(2027, 3, 8),  # Monday, EST
        date(2027, 3, 12),  # Friday, EST
        date(2027, 3, 15),  # Monday, EDT
        date(2027, 3, 19),
        date(2027, 3, 22),
        date(2027, 3, 26),
        date(2027, 3, 29),
        date(2027, 4, 2),
        date(2027, 4, 5),
    )
    run_days(
        sim,
        date(2027, 3, 8),
        date(2027, 4, 7),
        [Expect(time(10), BERLIN, tuesdays), Expect(time(9), NEW_YORK, mondays_fridays)],
    )

    assert schedule(sim, berlin.id, BERLIN) == sent(((day, "09:50") for day in tuesdays), BERLIN)
    assert schedule(sim, new_york.id, NEW_YORK) == sent(((day, "08:50") for day in mondays_fridays), NEW_YORK)
    # each occurrence is named by its local date and start time, which no clock change moves
    assert [row.occasion for row in deliveries(sim, berlin.id)] == [f"{day.isoformat()}T10:00" for day in tuesdays]
    # in UTC the prompts moved by an hour with the clocks
    berlin_utc = [row.sent_at.strftime("%m-%d %H:%M") for row in deliveries(sim, berlin.id) if row.sent_at]
    assert berlin_utc == ["03-09 08:50", "03-16 08:50", "03-23 08:50", "03-30 07:50", "04-06 07:50"]
    new_york_utc = [row.sent_at.strftime("%H:%M") for row in deliveries(sim, new_york.id) if row.sent_at]
    assert new_york_utc == ["13:50", "13:50"] + ["12:50"] * 7

    assert len(posts_to(sim, "UBERLIN")) == len(tuesdays)
    assert len(posts_to(sim, "UNEWYORK")) == len(mondays_fridays)
    # each prompt says when its meeting starts (shown in each reader's zone)
    starts = [local(prompt.starts_at, BERLIN) for prompt in prompt_rows(sim, berlin.id)]
    assert starts == [local(local_moment(day, time(10), BERLIN), BERLIN) for day in tuesdays]
    for call, prompt in zip(posts_to(sim, "UBERLIN"), prompt_rows(sim, berlin.id), strict=True):
        assert prompt.starts_at is not None
        assert f"<!date^{int(prompt.starts_at.timestamp())}^" in str(call.params["blocks"])
        assert call.params["text"].startswith("Tuesday planning: ")
    assert_each_post_is_one_delivery(sim)


def test_fortnightly_meets_every_other_week_and_a_one_off_once(deps: Deps, fake_slack: FakeSlack) -> None:
    sim = simulation(deps, fake_slack, utc(2027, 3, 8, 5))
    sim.add_person("UOWNER", BERLIN)
    # counted from the week of Wednesday 10 March: the weeks of 8 March, 22 March, 5 April
    fortnightly = add_meeting(
        sim, "Clinic review", owner="UOWNER", start=date(2027, 3, 10), weekdays=(MON, THU), repeat=Repeat.FORTNIGHTLY
    )
    once = add_meeting(
        sim, "Kick-off", owner="UOWNER", start=date(2027, 3, 17), at=time(15, 30), repeat=Repeat.ONCE, lead=30
    )
    review_days = (date(2027, 3, 11), date(2027, 3, 22), date(2027, 3, 25), date(2027, 4, 5), date(2027, 4, 8))
    run_days(
        sim,
        date(2027, 3, 8),
        date(2027, 4, 9),
        [
            Expect(time(10), BERLIN, review_days),
            Expect(time(15, 30), BERLIN, (date(2027, 3, 17),), timedelta(minutes=30)),
        ],
    )
    # Monday 8 March was before the series began (it starts on the 10th)
    assert schedule(sim, fortnightly.id, BERLIN) == sent(((day, "09:50") for day in review_days), BERLIN)
    assert schedule(sim, once.id, BERLIN) == sent([(date(2027, 3, 17), "15:00")], BERLIN)
    assert len(posts_to(sim, "UOWNER")) == 6
    assert_each_post_is_one_delivery(sim)


def test_monthly_prompts_on_the_nth_and_last_weekday_at_local_time_across_dst(
    deps: Deps, fake_slack: FakeSlack
) -> None:
    """A 2nd-Tuesday series in Berlin and a last-Friday series in New York, from February to May 2027: one prompt
    a month each, 10 minutes before the local start, through both zones' spring changes (New York on 14 March,
    Berlin on 28 March); nothing on the other Tuesdays and Fridays (March has five Tuesdays, April five Fridays)."""
    sim = simulation(deps, fake_slack, utc(2027, 2, 1, 5))
    sim.add_person("UBERLIN", BERLIN)
    sim.add_person("UNEWYORK", NEW_YORK)
    # the form's ticked weekdays are not used: a monthly series meets on its start's weekday
    second_tuesday = add_meeting(
        sim, "Monthly review", owner="UBERLIN", start=date(2027, 2, 9), weekdays=(MON,), repeat=Repeat.MONTHLY
    )
    last_friday = add_meeting(
        sim,
        "Customer council",
        owner="UNEWYORK",
        start=date(2027, 2, 26),  # the last Friday of February, but the 4th: the 4th Friday
        weekdays=(),
        at=time(16, 30),
        tz=NEW_YORK,
        repeat=Repeat.MONTHLY,
    )
    fifth = add_meeting(
        sim,
        "Month end",
        owner="UNEWYORK",
        start=date(2027, 3, 29),  # the 5th Monday: the last Monday of each month
        at=time(8, 0),
        tz=NEW_YORK,
        repeat=Repeat.MONTHLY,
        lead=30,
    )
    assert second_tuesday.schedule.weekdays == frozenset({TUE})
    tuesdays = (date(2027, 2, 9), date(2027, 3, 9), date(2027, 4, 13), date(2027, 5, 11))
    fridays = (date(2027, 2, 26), date(2027, 3, 26), date(2027, 4, 23), date(2027, 5, 28))
    mondays = (date(2027, 3, 29), date(2027, 4, 26), date(2027, 5, 31))
    expected = [
        Expect(time(10), BERLIN, tuesdays),
        Expect(time(16, 30), NEW_YORK, fridays),
        Expect(time(8), NEW_YORK, mondays, timedelta(minutes=30)),
    ]
    utc_times: dict[int, list[str]] = {second_tuesday.id: [], last_friday.id: []}
    # in two halves: sent deliveries are kept 90 days, so February's are gone by June
    for first, last in ((date(2027, 2, 1), date(2027, 3, 31)), (date(2027, 4, 1), date(2027, 6, 1))):

        def within(days: tuple[date, ...], first: date = first, last: date = last) -> list[date]:
            return [day for day in days if first <= day <= last]

        run_days(sim, first, last, expected)

        def rows(meeting_id: int, tz: str, first: date = first) -> list[tuple[str, str, str, str]]:
            return [row for row in schedule(sim, meeting_id, tz) if row[0] >= first.isoformat()]

        assert rows(second_tuesday.id, BERLIN) == sent(((day, "09:50") for day in within(tuesdays)), BERLIN)
        assert rows(last_friday.id, NEW_YORK) == sent(((day, "16:20") for day in within(fridays)), NEW_YORK)
        assert rows(fifth.id, NEW_YORK) == sent(((day, "07:30") for day in within(mondays)), NEW_YORK)
        for meeting_id in utc_times:
            utc_times[meeting_id] += [
                row.sent_at.strftime("%m-%d %H:%M")
                for row in deliveries(sim, meeting_id)
                if row.sent_at and row.occasion >= first.isoformat()
            ]
        if first.month == 2:  # before any was cleared away
            assert_each_post_is_one_delivery(sim)
    # in UTC the prompts moved with each zone's clocks
    assert utc_times[second_tuesday.id] == ["02-09 08:50", "03-09 08:50", "04-13 07:50", "05-11 07:50"]
    assert utc_times[last_friday.id] == ["02-26 21:20", "03-26 20:20", "04-23 20:20", "05-28 20:20"]
    assert len(posts_to(sim, "UBERLIN")) == len(tuesdays)
    assert len(posts_to(sim, "UNEWYORK")) == len(fridays) + len(mondays)


# -- restarts: late but before the start, or not at all ---------------------------------------------------


def test_a_prompt_missed_while_down_goes_out_late_before_the_start_and_never_after(
    deps: Deps, fake_slack: FakeSlack
) -> None:
    sim = simulation(deps, fake_slack, utc(2027, 3, 8, 5))
    sim.add_person("UOWNER", BERLIN)
    card = add_meeting(sim, "Tuesday planning", owner="UOWNER", start=date(2027, 3, 8))

    def berlin(day: int, hh: int, mm: int) -> datetime:
        return local_moment(date(2027, 3, day), time(hh, mm), BERLIN)

    # 9 March: down from 09:41 to 09:57, back before the 10:00 start: the question goes out at once
    tick_at(sim, berlin(9, 9, 30), berlin(9, 9, 40), berlin(9, 9, 57), berlin(9, 10, 5))
    # 16 March: down from 09:41 until 10:01, after the start: nothing for that meeting, then or later
    tick_at(sim, berlin(16, 9, 30), berlin(16, 9, 40), berlin(16, 10, 1), berlin(16, 10, 30), berlin(16, 15, 0))
    tick_at(sim, *(berlin(day, hh, 50) for day in (17, 18, 19, 22) for hh in (8, 9, 10)))
    # 23 March: up all along
    run_days(sim, date(2027, 3, 23), date(2027, 3, 24), [Expect(time(10), BERLIN, (date(2027, 3, 23),))])

    assert schedule(sim, card.id, BERLIN) == [
        ("2027-03-09", "Tue 2027-03-09 09:50", "Tue 2027-03-09 09:57", "sent"),
        ("2027-03-23", "Tue 2027-03-23 09:50", "Tue 2027-03-23 09:50", "sent"),
    ]
    assert [prompt.occurrence_date for prompt in prompt_rows(sim, card.id)] == [date(2027, 3, 9), date(2027, 3, 23)]
    assert len(posts_to(sim, "UOWNER")) == 2
    assert_each_post_is_one_delivery(sim)


def test_a_prompt_planned_before_a_crash_but_claimed_after_the_start_is_skipped(
    deps: Deps, fake_slack: FakeSlack
) -> None:
    sim = simulation(deps, fake_slack, utc(2027, 3, 8, 5))
    sim.add_person("UOWNER", BERLIN)
    card = add_meeting(sim, "Tuesday planning", owner="UOWNER", start=date(2027, 3, 8))
    tick_at(sim, local_moment(date(2027, 3, 9), time(9, 30), BERLIN))
    planned_at = local_moment(date(2027, 3, 9), time(9, 50), BERLIN)
    sim.clock.now = planned_at
    sim.engines[0].plan(planned_at)  # planned, then the process died before sending
    assert [row.status for row in deliveries(sim, card.id)] == [DeliveryStatus.PENDING.value]
    tick_at(sim, local_moment(date(2027, 3, 9), time(10, 0), BERLIN), local_moment(date(2027, 3, 9), time(11), BERLIN))
    assert schedule(sim, card.id, BERLIN) == [("2027-03-09", "Tue 2027-03-09 09:50", "-", "skipped")]
    assert posts_to(sim, "UOWNER") == []
    assert prompt_rows(sim) == []


# -- paused, resumed, deleted, edited ---------------------------------------------------------------------


def test_paused_and_deleted_meetings_get_no_prompt_and_resuming_brings_them_back(
    deps: Deps, fake_slack: FakeSlack
) -> None:
    sim = simulation(deps, fake_slack, utc(2027, 3, 8, 5))
    sim.add_person("UOWNER", BERLIN)
    sim.add_person("UAWAY", BERLIN)
    card = add_meeting(sim, "Tuesday planning", owner="UOWNER", start=date(2027, 3, 8))
    gone = add_meeting(sim, "Cancelled series", owner="UOWNER", start=date(2027, 3, 8), at=time(11))
    away = add_meeting(sim, "Owner on holiday", owner="UAWAY", start=date(2027, 3, 8), at=time(12))
    tuesdays = (date(2027, 3, 9), date(2027, 3, 16), date(2027, 3, 23))
    expect = [
        Expect(time(10), BERLIN, tuesdays),
        Expect(time(11), BERLIN, tuesdays),
        Expect(time(12), BERLIN, tuesdays),
    ]
    run_days(sim, date(2027, 3, 8), date(2027, 3, 8), expect)  # the owners' time zones become known

    meeting_service.set_paused(sim.deps, team_id=TEAM, meeting_id=card.id, user_id="UOWNER", paused=True)
    meeting_service.delete(sim.deps, team_id=TEAM, meeting_id=gone.id, user_id="UOWNER")
    with sim.deps.session_factory() as session:  # UAWAY paused their nudges up to and including 9 March
        person = session.scalars(select(Person).where(Person.team_id == TEAM, Person.user_id == "UAWAY")).one()
        person.paused_until = date(2027, 3, 9)
        session.commit()
    run_days(sim, date(2027, 3, 9), date(2027, 3, 10), expect)
    meeting_service.set_paused(sim.deps, team_id=TEAM, meeting_id=card.id, user_id="UOWNER", paused=False)

    # 16 March: planned at 09:50, then paused before it went out: skipped, not sent
    tick_at(sim, local_moment(date(2027, 3, 16), time(9, 40), BERLIN))
    sim.clock.now = local_moment(date(2027, 3, 16), time(9, 50), BERLIN)
    sim.engines[0].plan(sim.clock.now)
    assert [row.status for row in deliveries(sim, card.id)] == [DeliveryStatus.PENDING.value]
    meeting_service.set_paused(sim.deps, team_id=TEAM, meeting_id=card.id, user_id="UOWNER", paused=True)
    sim.tick()
    meeting_service.set_paused(sim.deps, team_id=TEAM, meeting_id=card.id, user_id="UOWNER", paused=False)
    run_days(sim, date(2027, 3, 16), date(2027, 3, 24), expect)

    assert schedule(sim, card.id, BERLIN) == [
        ("2027-03-16", "Tue 2027-03-16 09:50", "-", "skipped"),
        *sent([(date(2027, 3, 23), "09:50")], BERLIN),
    ]
    assert schedule(sim, gone.id, BERLIN) == []
    assert schedule(sim, away.id, BERLIN) == sent([(date(2027, 3, 16), "11:50"), (date(2027, 3, 23), "11:50")], BERLIN)
    assert len(posts_to(sim, "UOWNER")) == 1
    assert len(posts_to(sim, "UAWAY")) == 2
    assert_each_post_is_one_delivery(sim)


def test_moving_a_meeting_to_another_day_after_its_prompt_was_planned_skips_the_stale_prompt(
    deps: Deps, fake_slack: FakeSlack
) -> None:
    sim = simulation(deps, fake_slack, utc(2027, 3, 8, 5))
    sim.add_person("UOWNER", BERLIN)
    card = add_meeting(sim, "Tuesday planning", owner="UOWNER", start=date(2027, 3, 8))
    tick_at(sim, local_moment(date(2027, 3, 9), time(9, 40), BERLIN))
    sim.clock.now = local_moment(date(2027, 3, 9), time(9, 50), BERLIN)
    sim.engines[0].plan(sim.clock.now)
    assert [row.status for row in deliveries(sim, card.id)] == [DeliveryStatus.PENDING.value]
    edit_meeting(sim, card, weekdays=frozenset({WED}))  # this week it meets on Wednesday instead
    sim.tick()
    run_days(
        sim, date(2027, 3, 9), date(2027, 3, 17), [Expect(time(10), BERLIN, (date(2027, 3, 10), date(2027, 3, 17)))]
    )
    assert schedule(sim, card.id, BERLIN) == [
        ("2027-03-09", "Tue 2027-03-09 09:50", "-", "skipped"),
        *sent([(date(2027, 3, 10), "09:50"), (date(2027, 3, 17), "09:50")], BERLIN),
    ]
    assert len(posts_to(sim, "UOWNER")) == 2
    assert_each_post_is_one_delivery(sim)


def test_moving_a_meeting_later_the_same_day_after_its_prompt_was_planned_prompts_before_the_new_time(
    deps: Deps, fake_slack: FakeSlack
) -> None:
    sim = simulation(deps, fake_slack, utc(2027, 3, 8, 5))
    sim.add_person("UOWNER", BERLIN)
    card = add_meeting(sim, "Tuesday planning", owner="UOWNER", start=date(2027, 3, 8))
    tick_at(sim, local_moment(date(2027, 3, 9), time(9, 40), BERLIN))
    sim.clock.now = local_moment(date(2027, 3, 9), time(9, 50), BERLIN)
    sim.engines[0].plan(sim.clock.now)
    assert [row.status for row in deliveries(sim, card.id)] == [DeliveryStatus.PENDING.value]
    edit_meeting(sim, card, at=time(11, 0))  # today's meeting moves to 11:00
    sim.tick()
    run_days(sim, date(2027, 3, 9), date(2027, 3, 9), [Expect(time(11), BERLIN, (date(2027, 3, 9),))])

    [prompt] = prompt_rows(sim, card.id)
    assert local(prompt.starts_at, BERLIN) == "Tue 2027-03-09 11:00"
    assert local(prompt.sent_at, BERLIN) == "Tue 2027-03-09 10:50"  # not at 09:50, the stale moment
    assert len(posts_to(sim, "UOWNER")) == 1


# -- where the prompt goes, what it records, which follow-up it asks ---------------------------------------


def test_prompts_go_to_the_owner_or_the_channel_and_record_where_they_landed(deps: Deps, fake_slack: FakeSlack) -> None:
    sim = simulation(deps, fake_slack, utc(2027, 3, 8, 5))
    sim.add_person("UOWNER", BERLIN)
    dm = add_meeting(sim, "Tuesday planning", owner="UOWNER", start=date(2027, 3, 8), channel="CPLAN")
    in_channel = add_meeting(
        sim,
        "Clinic review",
        owner="UOWNER",
        start=date(2027, 3, 8),
        at=time(14),
        to=PromptTarget.CHANNEL,
        channel="CREVIEW",
    )
    tuesday = (date(2027, 3, 9),)
    run_days(
        sim, date(2027, 3, 9), date(2027, 3, 9), [Expect(time(10), BERLIN, tuesday), Expect(time(14), BERLIN, tuesday)]
    )

    [to_owner] = posts_to(sim, "UOWNER")
    [to_channel] = posts_to(sim, "CREVIEW")
    assert posts_to(sim, "CPLAN") == []
    assert to_owner.params["text"].startswith("Tuesday planning: ")
    assert to_channel.params["text"].startswith("Clinic review: ")
    [dm_delivery] = deliveries(sim, dm.id)
    [channel_delivery] = deliveries(sim, in_channel.id)
    assert (dm_delivery.recipient, channel_delivery.recipient) == ("UOWNER", "CREVIEW")

    posted_ts = {row.recipient: row.message_ts for row in (dm_delivery, channel_delivery)}
    for meeting_id, channel, at in ((dm.id, "UOWNER", "09:50"), (in_channel.id, "CREVIEW", "13:50")):
        [prompt] = prompt_rows(sim, meeting_id)
        # where Slack says it landed: posted to the owner's id, it is in the DM with them
        assert prompt.channel == (dm_channel(channel) if channel == "UOWNER" else channel)
        assert prompt.message_ts is not None and prompt.message_ts == posted_ts[channel]
        assert local(prompt.sent_at, BERLIN) == f"Tue 2027-03-09 {at}"
        assert prompt.occurrence_date == date(2027, 3, 9)
        assert str(prompt.id) == prompt_id_of(to_owner if channel == "UOWNER" else to_channel)


def test_follow_up_questions_rotate_and_never_repeat_back_to_back(deps: Deps, fake_slack: FakeSlack) -> None:
    sim = simulation(deps, fake_slack, utc(2027, 3, 8, 5))
    sim.add_person("UOWNER", BERLIN)
    every_weekday = (MON, TUE, WED, THU, FRI)
    stand_up = add_meeting(sim, "Stand-up", owner="UOWNER", start=date(2027, 3, 8), weekdays=every_weekday)
    review = add_meeting(sim, "Review", owner="UOWNER", start=date(2027, 3, 8), weekdays=(WED, FRI), at=time(15))
    weekdays = tuple(day for day in days(date(2027, 3, 8), date(2027, 3, 17)) if day.isoweekday() <= 5)
    review_days = (date(2027, 3, 10), date(2027, 3, 12), date(2027, 3, 17))
    expect = [Expect(time(10), BERLIN, weekdays), Expect(time(15), BERLIN, review_days)]
    run_days(sim, date(2027, 3, 8), date(2027, 3, 10), expect)  # three stand-ups, one review

    library = question_service.list_questions(sim.deps, team_id=TEAM)
    assert [card.text for card in library] == list(question_service.DEFAULT_QUESTIONS)
    # the fourth question is retired before the fourth stand-up: the rotation goes on without it
    question_service.retire_question(sim.deps, team_id=TEAM, by="UADMIN", question_id=library[3].id)
    run_days(sim, date(2027, 3, 11), date(2027, 3, 17), expect)

    q = question_service.DEFAULT_QUESTIONS
    asked = [prompt.question_text for prompt in prompt_rows(sim, stand_up.id)]
    assert len(asked) == len(weekdays) == 8
    assert asked == [q[0], q[1], q[2], q[4], q[5], q[0], q[1], q[2]]
    assert all(first != second for first, second in zip(asked, asked[1:], strict=False))
    # another meeting has its own turn
    assert [prompt.question_text for prompt in prompt_rows(sim, review.id)] == [q[0], q[1], q[2]]
    # and each message asks the question its prompt recorded
    for call in posts_to(sim, "UOWNER"):
        [prompt] = [found for found in prompt_rows(sim) if str(found.id) == prompt_id_of(call)]
        assert f"Also ask: _{prompt.question_text}_" in str(call.params["blocks"])


# -- two engines on PostgreSQL --------------------------------------------------------------------------


@pytest.fixture
def pg(postgres_url: str) -> Iterator[Engine]:
    _empty_tables(postgres_url)
    engine = make_engine(postgres_url, pool_size=6)
    yield engine
    engine.dispose()


@pytest.mark.postgres
def test_two_engines_prompt_each_occurrence_exactly_once(pg: Engine, fake_slack: FakeSlack) -> None:
    clock = SimClock(utc(2027, 3, 8, 5))
    settings = make_settings(slack_api_url=fake_slack.api_url, database_url=str(pg.url))
    deps = Deps(settings=settings, session_factory=make_session_factory(pg), clock=clock)
    sim = Simulation(deps, fake_slack, clock)
    owners = [f"U{n:02d}" for n in range(4)]
    for user in owners:
        sim.add_person(user, BERLIN)
    sim.add_person("UNY", NEW_YORK)

    weekdays = tuple(day for day in days(date(2027, 3, 8), date(2027, 3, 19)) if day.isoweekday() <= 5)
    expected: dict[int, tuple[date, ...]] = {}
    for n, user in enumerate(owners):  # four daily stand-ups at the same moment: the engines race for them
        card = add_meeting(sim, f"Stand-up {n}", owner=user, start=date(2027, 3, 8), weekdays=(MON, TUE, WED, THU, FRI))
        expected[card.id] = weekdays
    channel = add_meeting(
        sim, "Team review", owner="U00", start=date(2027, 3, 8), weekdays=(WED,), to=PromptTarget.CHANNEL, channel="CT"
    )
    expected[channel.id] = (date(2027, 3, 10), date(2027, 3, 17))
    fortnightly = add_meeting(
        sim, "Clinic review", owner="U01", start=date(2027, 3, 8), weekdays=(THU,), repeat=Repeat.FORTNIGHTLY
    )
    expected[fortnightly.id] = (date(2027, 3, 11),)
    once = add_meeting(sim, "Kick-off", owner="U02", start=date(2027, 3, 16), repeat=Repeat.ONCE)
    expected[once.id] = (date(2027, 3, 16),)
    new_york = add_meeting(
        sim, "NY sync", owner="UNY", start=date(2027, 3, 8), weekdays=(MON, FRI), at=time(9), tz=NEW_YORK
    )
    expected[new_york.id] = (date(2027, 3, 8), date(2027, 3, 12), date(2027, 3, 15), date(2027, 3, 19))

    client = make_web_client(settings)
    engines = [
        NudgeEngine(
            session_factory=deps.session_factory,
            client_for=lambda _team: client,
            clock=clock,
            worker_id=f"thread-{n}",
            batch_size=1,  # one delivery per claim: the engines take turns within a tick
        )
        for n in range(2)
    ]
    moments: set[datetime] = set()
    for day in days(date(2027, 3, 8), date(2027, 3, 21)):
        for at, tz in ((time(10), BERLIN), (time(9), NEW_YORK)):
            prompt = local_moment(day, at, tz) - LEAD
            spread = (-5, 0, 5) if day.isoweekday() <= 5 else (0,)
            moments.update(prompt + timedelta(minutes=minutes) for minutes in spread)
    with ThreadPoolExecutor(max_workers=2) as pool:
        for moment in sorted(moments):
            clock.now = moment
            for future in [pool.submit(engine.tick, moment) for engine in engines]:
                future.result()

    rows = deliveries(sim)
    assert {row.status for row in rows} == {DeliveryStatus.SENT.value}
    assert sorted((int(row.subject), row.occasion.partition("T")[0]) for row in rows) == sorted(
        (meeting_id, day.isoformat()) for meeting_id, dates in expected.items() for day in dates
    )
    assert {row.claimed_by for row in rows} == {"thread-0", "thread-1"}
    prompts = prompt_rows(sim)
    assert Counter((prompt.meeting_id, prompt.occurrence_date) for prompt in prompts).most_common(1)[0][1] == 1
    assert len(prompts) == len(rows) == sum(len(dates) for dates in expected.values())
    assert all(prompt.sent_at is not None and prompt.message_ts for prompt in prompts)
    assert_each_post_is_one_delivery(sim)
    assert len(posts_to(sim, "CT")) == 2
