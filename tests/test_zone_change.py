"""Someone who changes their time zone in Slack is nudged in the new one from the next tick (Slack's
`user_change` event), not after the weekly `users.info`; the bot keeps nothing of people it does not know."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.deps import Deps
from bot.engine import planners
from bot.services import people
from storage.models import DeliveryStatus, Person
from storage.repositories import people as people_repo
from tests.conftest import RunningBot
from tests.engine_harness import simulation, utc
from tests.fake_slack import FakeSlack
from tests.slack_requests import deep, payload
from tests.test_engine_schedule import TEAM, add_item, local, rows

KNOWN = "W222"


def user_change(bot: RunningBot, event_id: str, **user: object) -> None:
    body = deep(payload("user_change.json"))
    body["event_id"] = event_id
    body["event"]["user"].update(user)
    answer = bot.slack.send_event(body)
    assert answer.status == 200, answer.text


def stored(bot: RunningBot, user_id: str) -> Person | None:
    with bot.deps.session_factory() as session:
        return session.scalars(select(Person).where(Person.user_id == user_id)).one_or_none()


def know(bot: RunningBot, user_id: str, tz: str) -> None:
    with bot.deps.session_factory() as session:
        row = people_repo.get_or_add_person(session, team_id="T111", user_id=user_id)
        row.tz, row.tz_checked_at = tz, bot.deps.clock()
        session.commit()


def test_a_known_person_who_moves_is_kept_in_the_new_zone_at_once(bot: RunningBot) -> None:
    know(bot, KNOWN, "Europe/Berlin")

    user_change(bot, "EvZone1", id=KNOWN, tz="Asia/Tokyo")

    person = stored(bot, KNOWN)
    assert person is not None and person.tz == "Asia/Tokyo" and not person.deactivated


def test_someone_the_bot_does_not_know_is_not_stored(bot: RunningBot) -> None:
    user_change(bot, "EvZone2", id="W999", tz="Asia/Tokyo")

    assert stored(bot, "W999") is None


def test_a_zone_this_machine_does_not_know_keeps_the_one_we_had(bot: RunningBot) -> None:
    know(bot, KNOWN, "Europe/Berlin")

    user_change(bot, "EvZone3", id=KNOWN, tz="Mars/Olympus_Mons")

    person = stored(bot, KNOWN)
    assert person is not None and person.tz == "Europe/Berlin"


def test_someone_deactivated_is_no_longer_nudged(bot: RunningBot) -> None:
    know(bot, KNOWN, "Europe/Berlin")

    user_change(bot, "EvZone4", id=KNOWN, deleted=True, tz="Europe/Berlin")

    person = stored(bot, KNOWN)
    assert person is not None and person.deactivated


def test_a_reminder_after_a_move_comes_at_nine_in_the_new_zone(deps: Deps, fake_slack: FakeSlack) -> None:
    sim = simulation(deps, fake_slack, utc(2027, 3, 1, 12))  # Monday 1 March, Berlin
    sim.add_person("UOWNER", "Europe/Berlin")
    add_item(sim, "UOWNER", date(2027, 3, 10), "Call the clinic back")
    sim.tick()  # the engine learns the owner's zone (Berlin) from users.info
    # Tuesday: they move to Tokyo; Slack tells the bot (the weekly users.info would come only next Monday)
    sim.clock.now = utc(2027, 3, 2, 10)
    sim.fake.users["UOWNER"]["tz"] = "Asia/Tokyo"
    assert people.user_changed(sim.deps, team_id=TEAM, user=sim.fake.users["UOWNER"])
    sim.run_until(datetime(2027, 3, 3, 12, 0, tzinfo=ZoneInfo("Europe/Berlin")))

    [reminder] = rows(sim, kind=planners.REMINDER)
    assert reminder.occasion == "due-7:2027-03-10" and reminder.status == DeliveryStatus.SENT.value
    assert reminder.sent_at is not None
    assert local(reminder.sent_at, "Asia/Tokyo") == "Wed 2027-03-03 09:00"  # 01:00 in Berlin
