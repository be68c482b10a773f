"""The weekly digest delivered by the engine, in simulated time, on SQLite and PostgreSQL.

The clock is ours: it jumps through the days where nothing is due and, on the days a digest is due,
ticks on every whole hour that is 09:00 somewhere a reader lives (07:00 and 08:00 UTC for Berlin in
summer and winter, 09:00 for London and UTC, 13:00 and 14:00 for New York). Each test reads what
was planned (`Delivery.due_at`, the moment the digest was meant for, shown in the reader's zone) and
what the fake Slack received: the DM or channel post, and the chart uploaded in its thread.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.deps import Deps
from bot.digest import shared as shared_digests
from bot.digest.chart import png_size
from bot.digest.compose import compose
from bot.digest.period import Week
from bot.engine.digest_planner import DIGEST
from bot.engine.senders import digest_reader
from bot.render.digest import digest_blocks
from bot.services import actions as action_service
from bot.services import ambassadors as ambassador_service
from bot.services import entries as entry_service
from bot.services import people as people_service
from bot.worktime import local_date, zone
from storage.models import Delivery, DeliveryStatus, EntryKind
from tests.engine_harness import Simulation, simulation, utc
from tests.fake_slack import Call, FakeSlack, Reply

TEAM = "T111"
PUBLIC, PRIVATE, DIGEST_CHANNEL = "CPUB", "CPRIV", "CDIGEST"
ZONES = {
    "UBERLIN": "Europe/Berlin",
    "UNEWYORK": "America/New_York",
    "UPAUSED": "Europe/Berlin",
    "ULEAVER": "Europe/London",
}
Event = Callable[[Simulation], None]


# -- the simulated weeks ---------------------------------------------------------------------------


def ticks(
    first: date, last: date, busy: Callable[[date], bool], hours: Iterable[int] = (7, 8, 9, 13, 14)
) -> Iterator[datetime]:
    """On busy days, every whole hour a digest may be due (09:00 in Berlin in summer and winter, in London,
    in New York in summer and winter); on other days, noon on Thursday; nothing else."""
    day = first
    while day <= last:
        if busy(day):
            yield from (datetime.combine(day, time(hour), ZoneInfo("UTC")) for hour in hours)
        elif day.isoweekday() == 4:
            yield datetime.combine(day, time(12), ZoneInfo("UTC"))
        day += timedelta(days=1)


def run(sim: Simulation, moments: Iterable[datetime], events: dict[datetime, Event] | None = None) -> None:
    """Tick at each moment, in order; an event happens (someone types a command) just before its moment."""
    pending = dict(events or {})
    for moment in sorted(set(moments) | set(pending)):
        sim.clock.now = moment
        if moment in pending:
            pending.pop(moment)(sim)
        sim.tick()


def start(deps: Deps, fake: FakeSlack, at: datetime, engines: int = 1) -> Simulation:
    sim = simulation(deps, fake, at, engines=engines)
    for user, tz in ZONES.items():
        sim.add_person(user, tz)
    return sim


def private_channels(monkeypatch: pytest.MonkeyPatch, fake: FakeSlack, members: dict[str, list[str]]) -> None:
    """conversations.info says these channels are private (the bot in them), conversations.members who is in."""
    answer = fake._default

    def default(method: str, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel") or "")
        if method == "conversations.info" and channel in members:
            return {"ok": True, "channel": {"id": channel, "is_private": True, "is_member": True}}
        if method == "conversations.members" and channel in members:
            return {"ok": True, "members": members[channel], "response_metadata": {"next_cursor": ""}}
        return answer(method, params)

    monkeypatch.setattr(fake, "_default", default)


def log(sim: Simulation, at: datetime, author: str, channel: str, text: str, kind: EntryKind = EntryKind.PROUD) -> None:
    """Store an entry as the app does, posted in its channel (else the engine would post it)."""
    now, sim.clock.now = sim.clock.now, at
    logged = entry_service.log_entry(
        sim.deps,
        entry_service.NewEntry(
            team_id=TEAM,
            kind=kind,
            author_id=author,
            channel_id=channel,
            text=text,
            idempotency_key=f"{at}:{author}:{text}",
        ),
    )
    entry_service.record_post(sim.deps, team_id=TEAM, entry_id=logged.card.id, message_ts=f"{at.timestamp():.6f}")
    sim.clock.now = now


def label(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


# -- reading what happened -------------------------------------------------------------------------


def digests(sim: Simulation, recipient: str | None = None) -> list[Delivery]:
    with sim.deps.session_factory() as session:
        query = select(Delivery).where(Delivery.kind == DIGEST).order_by(Delivery.due_at, Delivery.id)
        if recipient is not None:
            query = query.where(Delivery.recipient == recipient)
        return list(session.scalars(query))


def local(moment: datetime, tz: str) -> str:
    return moment.astimezone(ZoneInfo(tz)).strftime("%a %Y-%m-%d %H:%M")


def schedule_of(sim: Simulation, recipient: str, tz: str) -> list[tuple[str, str]]:
    return [(row.occasion, local(row.due_at, tz)) for row in digests(sim, recipient)]


def shown(call: Call) -> str:
    return json.dumps(call.params.get("blocks"), ensure_ascii=False)


def title(call: Call) -> str:
    blocks = call.params["blocks"]
    assert blocks[0]["type"] == "header"
    return str(blocks[0]["text"]["text"])


def posts_to(sim: Simulation, channel: str) -> list[Call]:
    return [call for call in sim.fake.calls_to("chat.postMessage") if call.params.get("channel") == channel]


def assert_each_sent_once_on_time(sim: Simulation) -> list[Delivery]:
    """Every digest planned was sent, at its moment, once; nothing else reached Slack."""
    rows = digests(sim)
    assert rows, "no digest was planned"
    assert {row.status for row in rows} == {DeliveryStatus.SENT.value}, [(r.recipient, r.status) for r in rows]
    assert all(row.sent_at == row.due_at for row in rows), [
        (r.due_at, r.sent_at) for r in rows if r.sent_at != r.due_at
    ]
    posts = sim.fake.calls_to("chat.postMessage")
    assert Counter(call.params["channel"] for call in posts) == Counter(row.recipient for row in rows)
    assert len({(row.recipient, row.occasion) for row in rows}) == len(rows)
    return rows


def assert_chart_in_each_thread(sim: Simulation, rows: list[Delivery]) -> None:
    """One PNG per digest, uploaded and shared in the digest message's thread."""
    urls = sim.fake.calls_to("files.getUploadURLExternal")
    assert len(urls) == len(rows)
    assert all(str(call.params["filename"]).startswith("habit-health-") for call in urls)
    uploads = [call for call in sim.fake.calls if call.method.startswith("upload:")]
    assert len(uploads) == len(rows)
    assert {png_size(call.params["content"]) for call in uploads} == {(720, 300)}
    completed = sim.fake.calls_to("files.completeUploadExternal")
    threads = Counter((call.params.get("channel_id"), call.params.get("thread_ts")) for call in completed)
    assert threads == Counter((row.channel, row.message_ts) for row in rows)
    assert all(row.message_ts for row in rows)


# -- a quarter ---------------------------------------------------------------------------------------


FIRST_MONDAY = date(2027, 1, 11)
MONDAYS = [FIRST_MONDAY + timedelta(weeks=n) for n in range(13)]  # 11 January .. 5 April 2027
EASTER_MONDAY = date(2027, 3, 29)  # a holiday of the workspace: that week's digests come on Tuesday


def expected(tz: str, mondays: Iterable[date], holiday: date | None = None) -> list[tuple[str, str]]:
    """(reported week, local moment): the week before each Monday, at 09:00 that Monday (Tuesday after a holiday)."""
    found = []
    for monday in mondays:
        day = monday + timedelta(days=1) if monday == holiday else monday
        found.append((label(monday - timedelta(weeks=1)), local(datetime.combine(day, time(9), ZoneInfo(tz)), tz)))
    return found


def test_a_quarter_of_weekly_digests(deps: Deps, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> None:
    private_channels(monkeypatch, fake_slack, {PRIVATE: ["UBERLIN", "UWRITER"]})
    sim = start(deps, fake_slack, utc(2027, 1, 10, 12))
    for user in ("UBERLIN", "UNEWYORK"):
        ambassador_service.join(sim.deps, team_id=TEAM, user_id=user, group_words=[])
    ambassador_service.set_digest_channel(sim.deps, team_id=TEAM, by="UADMIN", channel=DIGEST_CHANNEL)
    people_service.add_holiday(
        sim.deps, team_id=TEAM, by="UADMIN", day=EASTER_MONDAY, name="Easter Monday", today=date(2027, 1, 10)
    )
    for monday in [FIRST_MONDAY - timedelta(weeks=1), *MONDAYS[:-1]]:  # each reported week's Wednesday
        wednesday = datetime.combine(monday + timedelta(days=2), time(12), ZoneInfo("UTC"))
        log(sim, wednesday, "UWRITER", PUBLIC, f"Public win of {label(monday)}")
        log(sim, wednesday + timedelta(hours=1), "UWRITER", PRIVATE, f"Private plan of {label(monday)}")

    busy = set(MONDAYS) | {EASTER_MONDAY + timedelta(days=1)}
    run(sim, ticks(FIRST_MONDAY, MONDAYS[-1] + timedelta(days=1), lambda day: day in busy))

    # 09:00 local on Monday, whatever the offset that day (New York moves on 14 March, Berlin on 28 March)
    berlin = schedule_of(sim, "UBERLIN", "Europe/Berlin")
    new_york = schedule_of(sim, "UNEWYORK", "America/New_York")
    assert berlin == expected("Europe/Berlin", MONDAYS, EASTER_MONDAY)
    assert new_york == expected("America/New_York", MONDAYS, EASTER_MONDAY)
    assert new_york[8:10] == [("2027-W09", "Mon 2027-03-08 09:00"), ("2027-W10", "Mon 2027-03-15 09:00")]
    assert [row.due_at.hour for row in digests(sim, "UNEWYORK")][8:10] == [14, 13]  # EST, then EDT
    assert berlin[10:12] == [("2027-W11", "Mon 2027-03-22 09:00"), ("2027-W12", "Tue 2027-03-30 09:00")]
    assert [row.due_at.hour for row in digests(sim, "UBERLIN")][10:13] == [8, 7, 7]  # CET, then CEST
    # the channel: in the workspace's zone, UTC
    assert schedule_of(sim, DIGEST_CHANNEL, "UTC") == expected("UTC", MONDAYS, EASTER_MONDAY)

    rows = assert_each_sent_once_on_time(sim)
    assert len(rows) == 3 * 13
    assert_chart_in_each_thread(sim, rows)

    # each message is the digest of the week before, with that week's entries
    for row in rows:
        [post] = [
            call
            for call in posts_to(sim, row.recipient)
            if f"Customer focus, week {int(row.occasion[-2:])}" == title(call)
        ]
        assert f"Public win of {row.occasion}" in shown(post), (row.recipient, row.occasion)
        # the private channel's entry: quoted to its member, counted but never quoted to anyone else
        assert (f"Private plan of {row.occasion}" in shown(post)) is (row.recipient == "UBERLIN"), row.recipient
        assert row.recipient == "UBERLIN" or "Private plan" not in shown(post)
        assert "*Prouds (2)*" in shown(post)
    assert fake_slack.calls_to("conversations.members"), "the bot asked who is in the private channel"


def test_a_pause_skips_that_weeks_digest_and_leaving_ends_them(deps: Deps, fake_slack: FakeSlack) -> None:
    sim = start(deps, fake_slack, utc(2027, 1, 10, 12))
    for user in ("UPAUSED", "ULEAVER"):
        ambassador_service.join(sim.deps, team_id=TEAM, user_id=user, group_words=[])

    def pause(sim: Simulation) -> None:  # on Wednesday 13 January, through Monday 18 January
        people_service.pause_until(sim.deps, team_id=TEAM, user_id="UPAUSED", day=date(2027, 1, 18))

    def leave(sim: Simulation) -> None:  # on Wednesday 20 January
        assert ambassador_service.leave(sim.deps, team_id=TEAM, user_id="ULEAVER")

    mondays = [date(2027, 1, 11) + timedelta(weeks=n) for n in range(4)]
    run(
        sim,
        ticks(mondays[0], mondays[-1], lambda day: day in mondays),
        {utc(2027, 1, 13, 12): pause, utc(2027, 1, 20, 12): leave},
    )

    # that week's digest is not kept for later (it would be stale); the next one comes as usual
    assert schedule_of(sim, "UPAUSED", "Europe/Berlin") == expected("Europe/Berlin", [mondays[0], *mondays[2:]])
    assert schedule_of(sim, "ULEAVER", "Europe/London") == expected("Europe/London", mondays[:2])
    assert_each_sent_once_on_time(sim)


# -- the digest's day, time and thread -----------------------------------------------------------------


def test_the_chart_is_uploaded_in_the_thread_of_the_dm(deps: Deps, fake_slack: FakeSlack) -> None:
    sim = start(deps, fake_slack, utc(2027, 1, 10, 12))
    ambassador_service.join(sim.deps, team_id=TEAM, user_id="UBERLIN", group_words=[])
    log(sim, utc(2027, 1, 6, 12), "UWRITER", PUBLIC, "A win")
    # Slack answers a DM with the DM channel's id, not the user's
    fake_slack.script("chat.postMessage", Reply(body={"ok": True, "channel": "D0BERLIN", "ts": "1799999999.000100"}))

    run(sim, ticks(date(2027, 1, 11), date(2027, 1, 12), lambda day: day.isoweekday() == 1))

    [post] = fake_slack.calls_to("chat.postMessage")
    assert post.params["channel"] == "UBERLIN"
    assert title(post) == "Customer focus, week 1"
    [row] = digests(sim)
    assert (row.channel, row.message_ts, local(row.sent_at, "Europe/Berlin")) == (
        "D0BERLIN",
        "1799999999.000100",
        "Mon 2027-01-11 09:00",
    )
    [url] = fake_slack.calls_to("files.getUploadURLExternal")
    [upload] = [call for call in fake_slack.calls if call.method.startswith("upload:")]
    assert int(url.params["length"]) == len(upload.params["content"])
    assert png_size(upload.params["content"]) == (720, 300)
    [completed] = fake_slack.calls_to("files.completeUploadExternal")
    assert completed.params["channel_id"] == "D0BERLIN"
    assert completed.params["thread_ts"] == "1799999999.000100"
    assert completed.params["files"][0]["title"].startswith("Habit health")


def test_a_failed_chart_upload_still_delivers_the_digest_once(deps: Deps, fake_slack: FakeSlack) -> None:
    sim = start(deps, fake_slack, utc(2027, 1, 10, 12))
    ambassador_service.join(sim.deps, team_id=TEAM, user_id="UBERLIN", group_words=[])
    for week, people in enumerate((2, 4)):  # W52 of 2026 and W01 of 2027
        for person in range(people):
            log(sim, utc(2026, 12, 30, 12) + timedelta(weeks=week), f"U{person}", PUBLIC, f"Win {week}")
    fake_slack.fail("files.getUploadURLExternal", "internal_error")

    run(sim, ticks(date(2027, 1, 11), date(2027, 1, 15), lambda day: day.isoweekday() == 1))

    [post] = fake_slack.calls_to("chat.postMessage")
    assert "`▁▁▁▁▁▁▁▁▁▁▅█` (4 this week)" in shown(post)  # the habit's health is in the message itself
    [row] = digests(sim)
    assert row.status == DeliveryStatus.SENT.value and row.attempts == 1
    assert len(fake_slack.calls_to("files.getUploadURLExternal")) == 1  # not retried: the digest is out
    assert fake_slack.calls_to("files.completeUploadExternal") == []


def test_the_workspace_schedule_friday_at_four(deps: Deps, fake_slack: FakeSlack) -> None:
    sim = start(deps, fake_slack, utc(2027, 1, 10, 12))
    ambassador_service.join(sim.deps, team_id=TEAM, user_id="UBERLIN", group_words=[])
    ambassador_service.join(sim.deps, team_id=TEAM, user_id="UNEWYORK", group_words=[])
    ambassador_service.set_digest_schedule(sim.deps, team_id=TEAM, by="UADMIN", weekday=5, at=time(16, 0))

    # 16:00 in Berlin is 15:00 UTC, in New York 21:00 UTC; Mondays at 09:00 as before
    run(sim, ticks(date(2027, 1, 13), date(2027, 1, 30), lambda day: day.isoweekday() in (1, 5), (7, 8, 14, 15, 21)))

    # a Friday digest reports its own week so far (issue 16: it reported the week before last)
    assert schedule_of(sim, "UBERLIN", "Europe/Berlin") == [
        ("2027-W02", "Fri 2027-01-15 16:00"),
        ("2027-W03", "Fri 2027-01-22 16:00"),
        ("2027-W04", "Fri 2027-01-29 16:00"),
    ]
    assert schedule_of(sim, "UNEWYORK", "America/New_York") == [
        ("2027-W02", "Fri 2027-01-15 16:00"),
        ("2027-W03", "Fri 2027-01-22 16:00"),
        ("2027-W04", "Fri 2027-01-29 16:00"),
    ]
    assert_each_sent_once_on_time(sim)


def test_a_friday_digest_lists_the_items_due_in_the_coming_week(deps: Deps, fake_slack: FakeSlack) -> None:
    sim = start(deps, fake_slack, utc(2027, 1, 10, 12))
    ambassador_service.join(sim.deps, team_id=TEAM, user_id="UBERLIN", group_words=[])
    ambassador_service.set_digest_schedule(sim.deps, team_id=TEAM, by="UADMIN", weekday=5, at=time(16, 0))
    for title_, due in (("Due last Wednesday", date(2027, 1, 13)), ("Due next Wednesday", date(2027, 1, 20))):
        action_service.create_action(
            sim.deps,
            action_service.NewAction(
                team_id=TEAM,
                title=title_,
                owner_id="UOWNER",
                created_by="UOWNER",
                due_date=due,
                today=date(2027, 1, 10),
                idempotency_key=title_,
            ),
        )

    run(sim, ticks(date(2027, 1, 15), date(2027, 1, 15), lambda day: True, hours=(15,)))

    [post] = [call for call in sim.fake.calls_to("chat.postMessage") if call.params["channel"] == "UBERLIN"]
    due_next = next(b["text"]["text"] for b in post.params["blocks"] if "due next week" in str(b.get("text")))
    assert "Due next Wednesday" in due_next
    assert "Due last Wednesday" not in due_next


def test_the_fade_warning_comes_when_and_only_when_participation_faded_two_weeks(
    deps: Deps, fake_slack: FakeSlack
) -> None:
    sim = start(deps, fake_slack, utc(2027, 2, 14, 12))
    ambassador_service.join(sim.deps, team_id=TEAM, user_id="UBERLIN", group_words=[])
    # people taking part in 2027-W01..W08: steady, two weeks down to 3 of 5, back to 5
    for week, people in enumerate((5, 5, 5, 5, 5, 3, 3, 5)):
        for person in range(people):
            log(sim, utc(2027, 1, 6, 12) + timedelta(weeks=week), f"U{person:02d}", PUBLIC, f"Win {week}")

    mondays = {date(2027, 2, 15), date(2027, 2, 22), date(2027, 3, 1)}  # the digests of W06, W07, W08
    run(sim, ticks(date(2027, 2, 15), date(2027, 3, 1), lambda day: day in mondays))

    posts = posts_to(sim, "UBERLIN")
    assert [title(call) for call in posts] == [
        "Customer focus, week 6",
        "Customer focus, week 7",
        "Customer focus, week 8",
    ]
    warned = [":warning:" in shown(call) for call in posts]
    assert warned == [False, True, False]  # the first week below: no; the second: yes; back above: no
    assert "two weeks running (3 and 3 people)" in shown(posts[1])
    assert_each_sent_once_on_time(sim)


def test_two_engines_in_threads_deliver_each_digest_once(
    deps: Deps, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    private_channels(monkeypatch, fake_slack, {PRIVATE: ["UBERLIN"]})
    sim = start(deps, fake_slack, utc(2027, 3, 7, 12), engines=2)
    for user in ("UBERLIN", "UNEWYORK"):
        ambassador_service.join(sim.deps, team_id=TEAM, user_id=user, group_words=[])
    ambassador_service.set_digest_channel(sim.deps, team_id=TEAM, by="UADMIN", channel=DIGEST_CHANNEL)
    for week in range(2):
        log(sim, utc(2027, 3, 3, 12) + timedelta(weeks=week), "UWRITER", PRIVATE, f"Private plan {week}")
        log(sim, utc(2027, 3, 3, 13) + timedelta(weeks=week), "UWRITER", PUBLIC, f"Public win {week}")
    for engine in sim.engines:
        engine.batch_size = 1  # the engines take turns within a tick

    mondays = {date(2027, 3, 8), date(2027, 3, 15)}  # New York changes to summer time in between
    with ThreadPoolExecutor(max_workers=2) as pool:
        for moment in ticks(date(2027, 3, 8), date(2027, 3, 15), lambda day: day in mondays):
            sim.clock.now = moment
            for future in [pool.submit(engine.tick, moment) for engine in sim.engines]:
                future.result()

    rows = assert_each_sent_once_on_time(sim)
    assert len(rows) == 3 * 2
    assert_chart_in_each_thread(sim, rows)
    assert all("Private plan" not in shown(post) for post in posts_to(sim, DIGEST_CHANNEL))


def test_a_monday_of_many_readers_composes_the_common_part_once_and_each_reads_their_own(
    deps: Deps, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Six ambassadors in Berlin, two of them in the private channel: one composition of the week for all six
    at 09:00, and each DM is exactly the digest composed for that reader alone (private entries only to the
    members); New York's reader, due five hours later, gets one of their own."""
    readers = ["UBERLIN", *(f"UBERLIN{n}" for n in range(2, 7))]
    members = ["UBERLIN", "UBERLIN2"]
    private_channels(monkeypatch, fake_slack, {PRIVATE: [*members, "UWRITER"]})
    sim = start(deps, fake_slack, utc(2027, 1, 10, 12))
    for user in readers[1:]:
        sim.add_person(user, "Europe/Berlin")
    for user in [*readers, "UNEWYORK"]:
        ambassador_service.join(sim.deps, team_id=TEAM, user_id=user, group_words=[])
    log(sim, utc(2027, 1, 6, 12), "UWRITER", PUBLIC, "Public win of the week")
    log(sim, utc(2027, 1, 6, 13), "UWRITER", PRIVATE, "Private plan of the week")
    composed: list[tuple[str, str]] = []
    compose_common = shared_digests.compose_common

    def counting(*args: Any, **kwargs: Any) -> Any:
        common = compose_common(*args, **kwargs)
        composed.append((str(common.week.tz), common.week.label))
        return common

    monkeypatch.setattr(shared_digests, "compose_common", counting)

    run(sim, ticks(date(2027, 1, 11), date(2027, 1, 11), lambda day: True))

    rows = assert_each_sent_once_on_time(sim)
    assert len(rows) == 7
    assert composed == [("Europe/Berlin", "2027-W01"), ("America/New_York", "2027-W01")]
    for row in rows:
        [post] = posts_to(sim, row.recipient)
        assert ("Private plan of the week" in shown(post)) is (row.recipient in members), row.recipient
        with sim.deps.session_factory() as session:
            found = digest_reader(session, team_id=TEAM, recipient=row.recipient)
            assert found is not None
            reader, tz = found
            week = Week.parse(row.occasion, zone(tz))
            alone = compose(session, team_id=TEAM, week=week, reader=reader, now=row.sent_at)
        assert post.params["blocks"] == digest_blocks(alone, today=local_date(row.sent_at, zone(tz)))
    assert_chart_in_each_thread(sim, rows)


def test_charts_wait_out_slacks_rate_limit_and_follow_the_messages(deps: Deps, fake_slack: FakeSlack) -> None:
    """A Monday storm in small: every digest message goes out first, then the charts; a chart rate-limited
    longer than the client's own two retries waits out each Retry-After and still arrives (bench 6 lost
    39 of 200 charts to Tier-4 429s when each was uploaded right after its message and given up quickly)."""
    sim = start(deps, fake_slack, utc(2027, 1, 10, 12))
    for user in ("UBERLIN", "UPAUSED"):
        ambassador_service.join(sim.deps, team_id=TEAM, user_id=user, group_words=[])
    log(sim, utc(2027, 1, 6, 12), "UWRITER", PUBLIC, "A win")
    fake_slack.rate_limit("files.getUploadURLExternal", retry_after=1, times=6)  # the client alone gives up after 3

    run(sim, ticks(date(2027, 1, 11), date(2027, 1, 12), lambda day: day.isoweekday() == 1))

    posts = fake_slack.calls_to("chat.postMessage")
    assert sorted(post.params["channel"] for post in posts) == ["UBERLIN", "UPAUSED"]
    completed = fake_slack.calls_to("files.completeUploadExternal")
    assert len(completed) == 2  # neither chart lost
    assert {call.params["thread_ts"] for call in completed} == {str(row.message_ts) for row in digests(sim)}
    first_upload = min(call.arrived for call in fake_slack.calls_to("files.getUploadURLExternal"))
    assert max(post.arrived for post in posts) < first_upload  # the messages did not wait for the charts
