"""The quarterly pulse in simulated time (issue 18, item 4), on SQLite and PostgreSQL: whom it is asked (those who
took part since the start of the quarter before), when (their first working morning of the pulse's week in their
own zone), once (two engines, weeks of ticks), and not at all while the workspace has it off."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy.engine import Engine

from bot.engine import planners
from bot.services import people, pulse
from storage.models import DeliveryStatus, Entry, EntryKind
from tests.engine_harness import Simulation, simulation, utc
from tests.fake_slack import FakeSlack
from tests.sql_log import each_statement
from tests.test_engine_schedule import TEAM, add_item, local, rows

AUCKLAND, BERLIN, NEW_YORK = "Pacific/Auckland", "Europe/Berlin", "America/New_York"


def log_entry(sim: Simulation, author: str, at: datetime, *, kind: EntryKind = EntryKind.PROUD) -> None:
    with sim.deps.session_factory() as session:
        session.add(
            Entry(
                team_id=TEAM,
                kind=kind.value,
                author_id=author,
                channel_id="C0ENTRIES",
                text=f"{kind.value} of {author}",
                created_at=at,
                idempotency_key=f"test:{author}:{at.isoformat()}",
                message_ts="1.0",
            )
        )
        session.commit()


def a_workspace(deps: object, fake: FakeSlack, *, week: int | None, engines: int = 1) -> Simulation:
    """Q1 2027's pulse in week `week`: people in Auckland, Berlin and New York who took part in Q4 2026 (a proud,
    a commitment, a sorry), one whose last entry was in Q3 2026, and one who never took part."""
    sim = simulation(deps, fake, utc(2026, 12, 1), engines=engines)  # type: ignore[arg-type]
    for user, tz in (("UAUCK", AUCKLAND), ("UBERLIN", BERLIN), ("UNY", NEW_YORK), ("UOLD", BERLIN), ("UIDLE", BERLIN)):
        sim.add_person(user, tz)
    log_entry(sim, "UAUCK", utc(2026, 11, 3, 9))
    sim.clock.now = utc(2026, 12, 1, 10)
    add_item(sim, "UBERLIN", date(2027, 3, 1), "A commitment of Q4")
    log_entry(sim, "UNY", utc(2026, 10, 2, 15), kind=EntryKind.SORRY)
    log_entry(sim, "UOLD", utc(2026, 9, 20, 15))  # Q3: before the quarter before Q1 2027
    if week is not None:
        pulse.set_week(sim.deps, team_id=TEAM, by="UADMIN", week=week)
    return sim


def test_everyone_who_took_part_is_asked_once_at_their_first_working_morning_of_the_week(
    deps: object, fake_slack: FakeSlack
) -> None:
    sim = a_workspace(deps, fake_slack, week=2, engines=2)
    sim.clock.now = utc(2027, 1, 6)
    sim.run_until(utc(2027, 1, 25), step=timedelta(hours=1))

    asked = rows(sim, kind=planners.PULSE)
    assert sorted(row.recipient for row in asked) == ["UAUCK", "UBERLIN", "UNY"]
    assert all(row.status == DeliveryStatus.SENT.value and row.occasion == "2027-Q1" for row in asked)
    sent = {row.recipient: row.sent_at for row in asked}
    # week 2 of Q1 2027 begins on Friday 8 January: 09:00 there, in each one's own zone
    assert local(sent["UAUCK"], AUCKLAND) == "Fri 2027-01-08 09:00"  # type: ignore[arg-type]
    assert local(sent["UBERLIN"], BERLIN) == "Fri 2027-01-08 09:00"  # type: ignore[arg-type]
    assert local(sent["UNY"], NEW_YORK) == "Fri 2027-01-08 09:00"  # type: ignore[arg-type]

    dms = [call for call in sim.messages("A short pulse on what works") if call.params["channel"] == "UBERLIN"]
    assert len(dms) == 1  # two engines, weeks of ticks: once
    shown = str(dms[0].params["blocks"])
    assert "Answer the pulse" in shown and "2027-Q1" in shown and "anonymous" in shown


def test_a_week_that_begins_on_a_day_off_is_asked_on_the_next_working_morning(
    deps: object, fake_slack: FakeSlack
) -> None:
    sim = a_workspace(deps, fake_slack, week=3)
    # Monday to Thursday: week 3 of Q1 2027 begins on Friday 15 January, a day off
    people.set_work_time(sim.deps, team_id=TEAM, by="UADMIN", days=frozenset({1, 2, 3, 4}), start=time(8), end=time(16))
    sim.clock.now = utc(2027, 1, 14)
    sim.run_until(utc(2027, 1, 20), step=timedelta(minutes=30))
    [berlin] = rows(sim, kind=planners.PULSE, recipient="UBERLIN")
    assert local(berlin.sent_at, BERLIN) == "Mon 2027-01-18 08:00"  # type: ignore[arg-type]
    window = pulse.window(2027, 1, 3)
    assert (window.first_day, window.close_day) == (date(2027, 1, 15), date(2027, 1, 29))


def test_nobody_is_asked_while_the_pulse_is_off(deps: object, fake_slack: FakeSlack) -> None:
    sim = a_workspace(deps, fake_slack, week=None)
    sim.clock.now = utc(2027, 1, 6)
    sim.run_until(utc(2027, 1, 22), step=timedelta(hours=1))
    assert rows(sim, kind=planners.PULSE) == []
    assert sim.messages("A short pulse on what works") == []


def test_turned_off_before_its_morning_nothing_is_sent(deps: object, fake_slack: FakeSlack) -> None:
    sim = a_workspace(deps, fake_slack, week=2)
    sim.clock.now = utc(2027, 1, 7, 12)  # Auckland's morning of 8 January has passed, not Berlin's
    sim.run_until(utc(2027, 1, 7, 22), step=timedelta(minutes=30))
    assert [row.recipient for row in rows(sim, kind=planners.PULSE)] == ["UAUCK"]
    pulse.set_week(sim.deps, team_id=TEAM, by="UADMIN", week=None)
    sim.run_until(utc(2027, 1, 20), step=timedelta(hours=1))
    assert [row.recipient for row in rows(sim, kind=planners.PULSE)] == ["UAUCK"]


def test_a_tick_while_the_pulse_is_open_reads_people_only_when_one_is_due(
    deps: object, fake_slack: FakeSlack, engine: Engine
) -> None:
    """While a pulse is open (two weeks a quarter), a tick reads nobody's zone unless someone's pulse falls due
    then: who took part is read hourly, leaving out those asked, and when each falls due is kept between reads
    (bot/engine/reviews.py), so a tick costs what is due, not how many took part."""
    sim = a_workspace(deps, fake_slack, week=2)
    sim.clock.now = utc(2027, 1, 7, 12)
    people_reads: list[datetime] = []
    with each_statement(
        engine, lambda statement: people_reads.append(sim.clock.now) if "\nFROM people" in statement else None
    ):
        sim.run_until(utc(2027, 1, 9, 12), step=timedelta(minutes=10))  # 288 ticks

    asked = {row.recipient: row.sent_at for row in rows(sim, kind=planners.PULSE)}
    assert asked == {
        "UAUCK": utc(2027, 1, 7, 20),  # 09:00 on Friday 8 January in Auckland (UTC+13)
        "UBERLIN": utc(2027, 1, 8, 8),
        "UNY": utc(2027, 1, 8, 14),
    }
    ticks = sorted(set(people_reads))
    # the pulse's reads: its first tick here, and each one's moment (not the 288 ticks); the other planners' own
    # looks (Berlin's commitment, New York's sorry) come at those people's mornings too
    assert len(ticks) <= 6, " ".join(f"{t:%d.%H:%M}" for t in ticks)
    assert {utc(2027, 1, 7, 20), utc(2027, 1, 8, 8), utc(2027, 1, 8, 14)} <= set(ticks)
