"""`/mindset pause`, `resume`, `index`, `workdays` and `holidays` end to end: signed requests in, answers out.

The app runs behind the real HTTP server with a clock we hold (Wednesday 4 November 2026), so
"yesterday" and "a year ahead" mean the same thing whenever the suite runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, time
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from bot.deps import Deps
from bot.errors import DATABASE_DOWN, SOMETHING_WRONG
from bot.services import actions
from storage.models import ActionStatus, Holiday, Person, Workspace
from tests.conftest import RunningBot, serve
from tests.engine_harness import SimClock, utc
from tests.fake_slack import FakeSlack
from tests.slack_requests import TEAM, USER


@pytest.fixture
def clock() -> SimClock:
    return SimClock(utc(2026, 11, 4, 10, 0))


@pytest.fixture
def app(deps: Deps, engine: Engine, fake_slack: FakeSlack, clock: SimClock) -> Iterator[RunningBot]:
    fake_slack.add_user(USER, role="admin")  # the person typing changes workspace settings: a workspace admin
    timed = Deps(settings=deps.settings, session_factory=deps.session_factory, clock=clock)
    yield from serve(timed, engine, fake_slack)


def mindset(app: RunningBot, text: str) -> dict[str, Any]:
    answer = app.slack.send_command("/mindset", text)
    assert answer.status == 200, answer.text
    body: dict[str, Any] = answer.json
    assert body["response_type"] == "ephemeral"
    assert "Traceback" not in answer.text
    assert body["text"] not in (SOMETHING_WRONG, DATABASE_DOWN)
    return body


def shown(body: dict[str, Any]) -> str:
    """Everything a person sees: the text, or the blocks when there are some."""
    parts = []
    for block in body.get("blocks") or []:
        if "text" in block:
            parts.append(block["text"]["text"])
        for element in block.get("elements", []):
            parts.append(element.get("text", ""))
    return "\n".join(parts) or body["text"]


def pause_of(app: RunningBot) -> date | None:
    with app.deps.session_factory() as session:
        person = session.scalars(select(Person).where(Person.team_id == TEAM, Person.user_id == USER)).first()
        return person.paused_until if person else None


# -- help -------------------------------------------------------------------------------------------


def test_help_lists_the_new_commands(app: RunningBot) -> None:
    for typed in ("", "help"):
        text = shown(mindset(app, typed))
        for command in ("/mindset index", "/mindset pause until", "/mindset resume", "/mindset workdays"):
            assert command in text
        assert "/mindset holidays add 2026-12-25" in text
        # placeholders are escaped: a bare `<YYYY-MM-DD>` would be read by Slack as a link
        assert "`/mindset pause until &lt;YYYY-MM-DD&gt;`" in text
        assert "<YYYY" not in text and "<what" not in text


def test_unknown_subcommand_still_answers_with_help(app: RunningBot) -> None:
    body = mindset(app, "frobnicate now")
    assert "I don't know `/mindset frobnicate now`" in shown(body)
    assert "/mindset index" in shown(body)


# -- pause and resume -------------------------------------------------------------------------------


def test_pause_until_a_date_then_resume(app: RunningBot) -> None:
    assert "not paused" in mindset(app, "pause")["text"]

    answer = mindset(app, "pause until 2026-12-31")["text"]
    assert "paused until *Thursday 31 December 2026*" in answer
    assert pause_of(app) == date(2026, 12, 31)
    assert "paused until *Thursday 31 December 2026*" in mindset(app, "pause")["text"]

    answer = mindset(app, "resume")["text"]
    assert "Welcome back" in answer and "31 December 2026" in answer
    assert pause_of(app) is None
    assert "were not paused" in mindset(app, "resume")["text"]
    assert app.fake.calls_to("chat.postMessage") == []


def test_pause_accepts_a_date_without_until_and_relative_words(app: RunningBot) -> None:
    assert "Friday 20 November 2026" in mindset(app, "PAUSE 2026-11-20")["text"]
    assert "Thursday 5 November 2026" in mindset(app, "pause until tomorrow")["text"]
    assert pause_of(app) == date(2026, 11, 5)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("pause until yesterday", "3 November 2026 is in the past"),
        ("pause until 2026-11-03", "3 November 2026 is in the past"),
        ("pause until 2026-13-45", "`2026-13-45` is not a day of the calendar"),
        ("pause until next week", "Pause your nudges with `/mindset pause until YYYY-MM-DD`"),
        ("pause until", "Pause your nudges with"),
        ("pause until soon", "`soon` is not a date I can read"),
        ("pause until 2027-11-06", "more than a year ahead. Pick 2027-11-05 or earlier"),
        ("resume now", "takes nothing after it"),
    ],
)
def test_bad_pauses_are_explained_and_change_nothing(app: RunningBot, typed: str, expected: str) -> None:
    answer = mindset(app, typed)["text"]
    assert expected in answer
    assert pause_of(app) is None


def test_a_bad_pause_keeps_the_current_one(app: RunningBot) -> None:
    mindset(app, "pause until 2026-12-31")
    assert "in the past" in mindset(app, "pause until yesterday")["text"]
    assert pause_of(app) == date(2026, 12, 31)


# -- the Success Index ------------------------------------------------------------------------------


def test_index_with_nothing_due(app: RunningBot) -> None:
    body = mindset(app, "index")
    text = shown(body)
    assert "*2026 Q4 so far (to 4 November)*" in text
    for label in ("2026 Q3", "2026 Q2", "2026 Q1"):
        assert f"*{label}*" in text
    assert "• Short term: *n/a*" in text
    assert "No commitments of yours were due" in text
    assert "2026 Q4 so far (to 4 November): Short term n/a" in body["text"]


def test_index_shows_kept_of_due_per_horizon(app: RunningBot, clock: SimClock) -> None:
    timed = app.deps

    def create(title: str, due: date) -> int:
        card, _ = actions.create_action(
            timed,
            actions.NewAction(
                team_id=TEAM,
                title=title,
                owner_id=USER,
                created_by=USER,
                due_date=due,
                today=clock.now.date(),
                idempotency_key=f"index:{title}",
            ),
        )
        return card.id

    def done(item: int) -> None:
        actions.set_status(timed, team_id=TEAM, action_id=item, user_id=USER, status=ActionStatus.DONE)

    clock.now = utc(2026, 1, 5, 10)
    long_term = create("Long one", date(2026, 9, 30))  # more than 6 months ahead: long term
    clock.now = utc(2026, 7, 1, 10)
    kept = create("Kept", date(2026, 7, 20))
    create("Missed", date(2026, 8, 10))
    in_q4 = create("Due in October", date(2026, 10, 15))
    create("Due later in Q4", date(2026, 12, 1))
    clock.now = utc(2026, 7, 15, 10)
    done(kept)
    clock.now = utc(2026, 9, 29, 10)
    done(long_term)
    clock.now = utc(2026, 10, 20, 10)
    done(in_q4)  # five days late
    clock.now = utc(2026, 11, 4, 10)

    body = mindset(app, "index")
    text = shown(body)
    q4, q3 = text.split("*2026 Q4 so far (to 4 November)*")[1], text.split("*2026 Q3*")[1]
    assert q4.split("*2026 Q3*")[0].strip() == ("• Short term: *0 of 1 (0%)*\n• Long term: *n/a*\n• All: *0 of 1 (0%)*")
    assert q3.split("*2026 Q2*")[0].strip() == (
        "• Short term: *1 of 2 (50%)*\n• Long term: *1 of 1 (100%)*\n• All: *2 of 3 (67%)*"
    )
    assert "Kept means done on or before the due date as it stood when the quarter began" in text
    assert "2026 Q3: Short term 1 of 2 (50%), Long term 1 of 1 (100%), All 2 of 3 (67%)" in body["text"]


def test_index_takes_no_arguments(app: RunningBot) -> None:
    assert "takes nothing after it" in mindset(app, "index <@U999>")["text"]


# -- working days and hours -------------------------------------------------------------------------


def work_row(app: RunningBot) -> tuple[str, time, time] | None:
    with app.deps.session_factory() as session:
        row = session.get(Workspace, TEAM)
        return (row.work_days, row.work_start, row.work_end) if row else None


def test_workdays_shows_then_sets(app: RunningBot) -> None:
    assert "*Monday to Friday, 09:00 to 17:00*" in mindset(app, "workdays")["text"]

    answer = mindset(app, "workdays mon-thu 8:30-16:30")["text"]
    assert "Working time is now *Monday to Thursday, 08:30 to 16:30*" in answer
    assert work_row(app) == ("1,2,3,4", time(8, 30), time(16, 30))

    answer = mindset(app, "workdays mon,tue,wed,thu,fri 08:30-16:30")["text"]
    assert "*Monday to Friday, 08:30 to 16:30*" in answer
    answer = mindset(app, "workdays sun-thu")["text"]
    assert "*Sunday to Thursday, 08:30 to 16:30*" in answer
    answer = mindset(app, "workdays 09:00-17:00")["text"]
    assert "*Sunday to Thursday, 09:00 to 17:00*" in answer
    assert "*Monday, Wednesday and Friday, 09:00 to 17:00*" in mindset(app, "workdays mon wed fri")["text"]
    assert "*Sunday to Thursday" not in mindset(app, "workdays")["text"]
    assert work_row(app) == ("1,3,5", time(9), time(17))


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("workdays xyz", "`xyz` is not a day of the week"),
        ("workdays mon-fri 17:00-09:00", "Work has to start before it ends"),
        ("workdays mon-fri 9-5", "24-hour clock"),
        ("workdays mon-fri 24:00-25:00", "not a time of day"),
        ("workdays <!channel>", "&lt;!channel&gt;"),
    ],
)
def test_bad_workdays_are_explained_and_change_nothing(app: RunningBot, typed: str, expected: str) -> None:
    assert expected in mindset(app, typed)["text"]
    assert work_row(app) is None


# -- holidays ---------------------------------------------------------------------------------------


def holiday_count(app: RunningBot) -> int:
    with app.deps.session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(Holiday)) or 0)


def test_holidays_add_list_remove(app: RunningBot) -> None:
    assert "No holidays to come" in mindset(app, "holidays")["text"]

    answer = mindset(app, "holidays add 2026-12-25 Christmas Day")["text"]
    assert "Friday 25 December 2026 (Christmas Day) is now a holiday" in answer
    mindset(app, "holidays add 2026-12-24")
    listed = mindset(app, "holidays list")["text"]
    assert "*Holidays to come (2)*" in listed
    assert listed.index("Thursday 24 December 2026") < listed.index("Friday 25 December 2026 (Christmas Day)")

    answer = mindset(app, "holidays add 2026-12-25 Again")["text"]
    assert "Friday 25 December 2026 is already a holiday (Christmas Day); nothing changed." in answer
    assert holiday_count(app) == 2

    assert "is a working day again" in mindset(app, "holidays remove 2026-12-25")["text"]
    assert "is not a holiday of this workspace" in mindset(app, "holidays remove 2026-12-25")["text"]
    assert holiday_count(app) == 1


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("holidays add nope", "`nope` is not a date I can read"),
        ("holidays add 2026-02-30", "not a day of the calendar"),
        ("holidays add yesterday Gone", "has already passed"),
        ("holidays add 2030-01-01", "more than 3 years ahead"),
        ("holidays add", "`/mindset holidays add 2026-12-25 Christmas` adds one"),
        ("holidays remove", "`/mindset holidays remove 2026-12-25` removes one"),
        ("holidays remove 2026-12-25 extra", "removes one"),
        ("holidays purge", "`/mindset holidays` lists them"),
    ],
)
def test_bad_holidays_are_explained_and_change_nothing(app: RunningBot, typed: str, expected: str) -> None:
    assert expected in mindset(app, typed)["text"]
    assert holiday_count(app) == 0


def test_holiday_names_cannot_ping(app: RunningBot) -> None:
    answer = mindset(app, "holidays add 2026-12-25 <!channel> party")["text"]
    assert "<!channel>" not in answer and "&lt;!channel&gt; party" in answer
    with app.deps.session_factory() as session:
        assert session.scalars(select(Holiday.name)).one() == "<!channel> party"


def test_settings_are_per_workspace(app: RunningBot) -> None:
    mindset(app, "holidays add 2026-12-25")
    mindset(app, "workdays mon-thu")
    answer = app.slack.send_command("/mindset", "holidays", team="T999")
    assert "No holidays to come" in answer.json["text"]
    answer = app.slack.send_command("/mindset", "workdays", team="T999")
    assert "*Monday to Friday, 09:00 to 17:00*" in answer.json["text"]


def test_with_the_real_clock(bot: RunningBot) -> None:
    """The suite's usual bot, whose clock is the real one: relative words work the same."""
    answer = bot.slack.send_command("/mindset", "pause until yesterday")
    assert answer.status == 200 and "is in the past" in answer.json["text"]
    answer = bot.slack.send_command("/mindset", "pause until tomorrow")
    assert "Your nudges are paused until" in answer.json["text"]


# -- examples and answers that say what is true (issue 17) -------------------------------------------


def test_help_lists_action_and_meeting_help_with_examples_relative_to_today(app: RunningBot, clock: SimClock) -> None:
    text = shown(mindset(app, "help"))
    assert "`/action help`" in text and "`/meeting help`" in text
    assert "/mindset pause until 2026-11-18" in text  # two weeks after today, Wednesday 4 November 2026
    assert "/mindset holidays add 2026-12-25" in text

    clock.now = utc(2027, 1, 10, 10, 0)
    later = shown(mindset(app, "help"))
    assert "/mindset pause until 2027-01-24" in later
    assert "/mindset holidays add 2027-12-25" in later
    assert "2026-" not in later
    assert "2027-01-24" in mindset(app, "pause until someday")["text"]


def test_removing_a_holiday_on_a_day_off_does_not_call_it_a_working_day(app: RunningBot) -> None:
    mindset(app, "holidays add 2026-12-26 Boxing Day")  # a Saturday; the working days are Monday to Friday

    answer = mindset(app, "holidays remove 2026-12-26")["text"]

    assert "working day again" not in answer
    assert "Saturday 26 December 2026 (Boxing Day) is no longer a holiday" in answer
    assert "not a working day" in answer
