"""The timing rules a user can rely on (README, "When the bot writes to you"), one regression test each,
on SQLite and PostgreSQL, in simulated time (issue 16's five defects).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot import export
from bot.deps import Deps
from bot.engine import planners
from bot.services import actions, ambassadors, entries, success_index
from storage.models import ActionStatus, DeliveryStatus, EntryKind
from storage.repositories import people
from tests.engine_harness import simulation, utc
from tests.fake_slack import FakeSlack
from tests.test_engine_schedule import FAR_AWAY, TEAM, add_item, local, rows

STEP = timedelta(minutes=5)


# -- a catch-up waits for working time -------------------------------------------------------------


def test_a_checkin_missed_on_monday_comes_at_nine_on_tuesday_not_at_night(deps: Deps, fake_slack: FakeSlack) -> None:
    tz = "Europe/Berlin"
    sim = simulation(deps, fake_slack, utc(2027, 3, 3, 12))  # Wednesday 3 March
    sim.add_person("UOWNER", tz)
    add_item(sim, "UOWNER", FAR_AWAY, "Open all along")
    # no engine runs on Monday 8 March; the first tick after is Tuesday 03:05 in Berlin
    sim.clock.now = datetime(2027, 3, 9, 3, 5, tzinfo=ZoneInfo(tz))
    sim.run_until(datetime(2027, 3, 9, 10, 0, tzinfo=ZoneInfo(tz)), step=STEP)

    [checkin] = [row for row in rows(sim, kind=planners.CHECKIN) if row.occasion == "2027-W10"]
    assert checkin.status == DeliveryStatus.SENT.value
    assert checkin.sent_at is not None
    assert local(checkin.sent_at, tz) == "Tue 2027-03-09 09:00"


# -- "New commitment" waits for working time -----------------------------------------------------


def test_a_new_commitment_made_on_sunday_is_told_on_monday_morning(deps: Deps, fake_slack: FakeSlack) -> None:
    tz = "Asia/Kolkata"
    sunday = datetime(2027, 3, 7, 11, 0, tzinfo=ZoneInfo(tz))
    sim = simulation(deps, fake_slack, sunday.astimezone(ZoneInfo("UTC")))
    sim.add_person("UOWNER", tz)
    sim.add_person("UBOSS", tz)
    card, _ = actions.create_action(
        sim.deps,
        actions.NewAction(
            team_id=TEAM,
            title="Call the clinic back",
            owner_id="UOWNER",
            created_by="UBOSS",
            due_date=date(2027, 6, 1),
            today=sunday.date(),
            idempotency_key="sunday",
        ),
    )
    sim.run_until(datetime(2027, 3, 8, 10, 0, tzinfo=ZoneInfo(tz)).astimezone(ZoneInfo("UTC")), step=STEP)

    [told] = rows(sim, kind=actions.ASSIGNED)
    assert told.subject == str(card.id) and told.status == DeliveryStatus.SENT.value
    assert told.sent_at is not None
    assert local(told.sent_at, tz) == "Mon 2027-03-08 09:00"


# -- the quarterly review, on the first working day of the quarter in the owner's zone ----------------


def test_the_quarterly_review_comes_at_nine_on_new_years_day_in_auckland(deps: Deps, fake_slack: FakeSlack) -> None:
    tz = "Pacific/Auckland"
    sim = simulation(deps, fake_slack, utc(2026, 10, 5, 1))
    sim.add_person("UAKL", tz)
    sim.add_person("UBERLIN", "Europe/Berlin")
    for user in ("UAKL", "UBERLIN"):
        card = add_item(sim, user, date(2026, 11, 16), f"Q4 commitment of {user}")
        actions.set_status(sim.deps, team_id=TEAM, action_id=card.id, user_id=user, status=ActionStatus.DONE)
    # Friday 1 January 2027 at 09:00 in Auckland (+13) is Thursday 31 December 20:00 UTC
    sim.clock.now = utc(2026, 12, 31, 16)
    sim.run_until(utc(2027, 1, 1, 9), step=timedelta(minutes=15))

    reviews = rows(sim, kind=planners.REVIEW)
    assert [(row.recipient, row.occasion, row.status) for row in reviews] == [
        ("UAKL", "2026-Q4", DeliveryStatus.SENT.value),
        ("UBERLIN", "2026-Q4", DeliveryStatus.SENT.value),
    ]
    assert [local(row.sent_at, tz) for row in reviews if row.sent_at][:1] == ["Fri 2027-01-01 09:00"]
    assert local(reviews[1].due_at, "Europe/Berlin") == "Fri 2027-01-01 09:00"
    assert reviews[1].sent_at == reviews[1].due_at


def test_the_quarterly_review_waits_for_the_first_working_day(deps: Deps, fake_slack: FakeSlack) -> None:
    """1 April 2028 is a Saturday: the review of Q1 comes on Monday 3 April at nine, in Kathmandu (+5:45)."""
    tz = "Asia/Kathmandu"
    sim = simulation(deps, fake_slack, utc(2028, 1, 5, 6))
    sim.add_person("UKTM", tz)
    add_item(sim, "UKTM", date(2028, 3, 1), "Q1 commitment")
    sim.clock.now = utc(2028, 3, 31, 12)
    sim.run_until(utc(2028, 4, 3, 12), step=timedelta(minutes=15))

    [review] = rows(sim, kind=planners.REVIEW)
    assert review.occasion == "2028-Q1" and review.sent_at is not None
    assert local(review.sent_at, tz) == "Mon 2028-04-03 09:00"


# -- the digest covers the week it says ------------------------------------------------------------


def test_a_friday_digest_reports_the_week_it_is_sent_in_so_far(deps: Deps, fake_slack: FakeSlack) -> None:
    tz = "America/Santiago"
    sim = simulation(deps, fake_slack, utc(2027, 1, 4, 12))
    sim.add_person("UAMB", tz)
    ambassadors.join(sim.deps, team_id=TEAM, user_id="UAMB", group_words=[])
    ambassadors.set_digest_schedule(sim.deps, team_id=TEAM, by="UADMIN", weekday=5, at=time(16, 30))
    for day, text in ((date(2027, 1, 6), "Win of the week before"), (date(2027, 1, 13), "Win of this week")):
        sim.clock.now = datetime.combine(day, time(12), ZoneInfo(tz))
        logged = entries.log_entry(
            sim.deps,
            entries.NewEntry(
                team_id=TEAM,
                kind=EntryKind.PROUD,
                author_id="UAMB",
                channel_id="CPUB",
                text=text,
                idempotency_key=text,
            ),
        )
        entries.record_post(sim.deps, team_id=TEAM, entry_id=logged.card.id, message_ts=f"{day.toordinal()}.000100")
    sim.clock.now = datetime(2027, 1, 15, 16, 0, tzinfo=ZoneInfo(tz))
    sim.run_until(datetime(2027, 1, 15, 17, 0, tzinfo=ZoneInfo(tz)), step=timedelta(minutes=15))

    [row] = rows(sim, kind="weekly_digest")
    assert row.occasion == "2027-W02" and row.sent_at is not None
    assert local(row.sent_at, tz) == "Fri 2027-01-15 16:30"
    [post] = [call for call in fake_slack.calls_to("chat.postMessage") if call.params["channel"] == "UAMB"]
    blocks = post.params["blocks"]
    assert blocks[0]["text"]["text"] == "Customer focus, week 2 so far"
    assert blocks[1]["elements"][0]["text"] == "11 January to 15 January 2027 (so far)"
    assert "Win of this week" in str(blocks) and "Win of the week before" not in str(blocks)


# -- one horizon per item -----------------------------------------------------------------------------


def test_an_item_has_one_horizon_on_its_card_in_the_export_and_in_the_index(deps: Deps, fake_slack: FakeSlack) -> None:
    """Made on 2 March local time in Kiritimati (+14), still 1 March in UTC: due 2 September is six months
    from the owner's date (short term), six months and a day from the UTC date (it was long term on the
    card and in the export, short term in the index)."""
    tz = "Pacific/Kiritimati"
    sim = simulation(deps, fake_slack, utc(2027, 3, 1, 11))
    with sim.deps.session_factory() as session:
        people.get_or_add_person(session, team_id=TEAM, user_id="UKIRI").tz = tz
        session.commit()
    card, _ = actions.create_action(
        sim.deps,
        actions.NewAction(
            team_id=TEAM,
            title="Six months to the day",
            owner_id="UKIRI",
            created_by="UKIRI",
            due_date=date(2027, 9, 2),
            today=date(2027, 3, 2),
            idempotency_key="six-months",
        ),
    )

    assert card.horizon is actions.Horizon.SHORT
    later = actions.get_card(sim.deps, team_id=TEAM, action_id=card.id)
    assert later is not None and later.horizon is actions.Horizon.SHORT
    [row] = list(export.action_rows(sim.deps.session_factory, team=TEAM))
    assert row["horizon"] == "short"
    with sim.deps.session_factory() as session:
        short, long, _ = success_index.index_lines(session, team_id=TEAM, user_id="UKIRI", year=2027, quarter=3)
    assert (short.due, long.due) == (1, 0)
