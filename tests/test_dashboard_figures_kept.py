"""Habit health's kept figures (bot/dashboard/figures_kept.py, migration 0023's triggers): the weeks and quarters
that are over are counted once and read afterwards, and what is read always equals the entries counted one by
one, through every way an entry changes (a root cause added, a kind or area edited, a tag added or taken, an
entry deleted, a person forgotten, an entry written into an old week), on both databases; on PostgreSQL a
change under way when the figures are counted is waited for, never kept out of them."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, delete, func, select, text, update
from sqlalchemy.orm import Session

from bot.dashboard import figures_kept
from bot.dashboard.access import Viewer
from bot.dashboard.service import habit_health
from bot.engine.engine import NudgeEngine
from storage.db import make_session_factory
from storage.models import Ambassador, DashboardFigures, Entry, EntryCustomerGroup, Person, Workspace
from storage.repositories import dashboard as repo
from storage.repositories import dashboard_figures as kept_repo
from storage.repositories import erasure, retention
from storage.repositories.dashboard_figures import QUARTER, WEEK
from tests.test_dashboard_figures import GROUPS, NOW, TEAM, counted_here, generate, ranges

ZONE = ZoneInfo("Asia/Kathmandu")  # +5:45: its local midnights are at no whole UTC hour
SPANS = 52 + 4
UNDER_WAY = 2  # this week and this quarter: never kept


@pytest.fixture
def factory(engine: Engine) -> Iterator[Callable[[], Session]]:
    factory = make_session_factory(engine)
    with factory() as session:
        generate(session, seed=7, count=600)
    yield factory


def count(session: Session, author: str | None = None, zone: ZoneInfo = ZONE) -> figures_kept.Counted:
    weeks, quarters = ranges(zone)
    return figures_kept.count(
        session,
        team_id=TEAM,
        author_id=author,
        zone=zone.key,
        weeks=figures_kept.spans(WEEK, weeks.bounds),
        quarters=figures_kept.spans(QUARTER, quarters.bounds),
        now=NOW,
    )


def assert_equals_the_entries(session: Session, found: figures_kept.Counted, zone: ZoneInfo = ZONE) -> None:
    weeks, quarters = ranges(zone)
    expected = counted_here(session, None, weeks, quarters)
    assert list(found.participation) == expected["participation"]
    assert [q.kinds for q in found.quarters] == expected["kinds"]
    assert [q.wait_days for q in found.quarters] == pytest.approx(expected["days"])
    groups = {(at, g, n, p) for at, q in enumerate(found.quarters) for g, n, p in q.groups}
    areas = {(at, a, n, p) for at, q in enumerate(found.quarters) for a, n, p in q.areas}
    assert groups == expected["groups"]
    assert areas == expected["areas"]


def kept_rows(session: Session) -> int:
    return int(session.scalar(select(func.count()).where(DashboardFigures.figures.is_not(None))) or 0)


def an_old_entry(session: Session, kind: str | None = None) -> Entry:
    """An entry of the workspace in the oldest of the four quarters (kept once counted)."""
    _, quarters = ranges(ZONE)
    query = select(Entry).where(
        Entry.team_id == TEAM, Entry.created_at >= quarters.bounds[0], Entry.created_at < quarters.bounds[1]
    )
    if kind is not None:
        query = query.where(Entry.kind == kind)
    return session.scalars(query.order_by(Entry.id).limit(1)).one()


def test_the_weeks_and_quarters_that_are_over_are_counted_once_then_read(factory: Callable[[], Session]) -> None:
    with factory() as session:
        first = count(session)
        assert (first.kept, first.counted) == (0, SPANS)
        assert_equals_the_entries(session, first)
        assert kept_rows(session) == SPANS - UNDER_WAY
    with factory() as session:
        again = count(session)
        assert (again.kept, again.counted) == (SPANS - UNDER_WAY, UNDER_WAY)
        assert again == figures_kept.Counted(first.participation, first.quarters, again.kept, again.counted)
        # a member's own figures are counted each time, never kept
        mine = count(session, author="U001")
        assert (mine.kept, mine.counted) == (0, SPANS)
        # another time zone has weeks of its own
        elsewhere = count(session, zone=ZoneInfo("America/Los_Angeles"))
        assert elsewhere.kept == 0
        assert_equals_the_entries(session, elsewhere, ZoneInfo("America/Los_Angeles"))


def _root_cause(session: Session) -> None:
    sorry = an_old_entry(session, "sorry")
    sorry.root_cause_at = (sorry.root_cause_at or sorry.created_at) + timedelta(days=3)
    sorry.root_cause = "found later"


def _kind(session: Session) -> None:
    entry = an_old_entry(session)
    entry.kind = "proud" if entry.kind == "sorry" else "sorry"


def _area(session: Session) -> None:
    entry = an_old_entry(session)
    entry.area = "operations" if entry.area != "operations" else "sales"


def _tag(session: Session) -> None:
    entry = an_old_entry(session)
    tagged = set(session.scalars(select(EntryCustomerGroup.group_id).where(EntryCustomerGroup.entry_id == entry.id)))
    session.add(EntryCustomerGroup(entry_id=entry.id, group_id=min(set(GROUPS) - tagged)))


def _untag(session: Session) -> None:
    _, quarters = ranges(ZONE)
    old = select(Entry.id).where(
        Entry.team_id == TEAM, Entry.created_at >= quarters.bounds[0], Entry.created_at < quarters.bounds[1]
    )
    tag = session.scalars(select(EntryCustomerGroup).where(EntryCustomerGroup.entry_id.in_(old))).first()
    assert tag is not None
    session.execute(
        delete(EntryCustomerGroup).where(
            EntryCustomerGroup.entry_id == tag.entry_id, EntryCustomerGroup.group_id == tag.group_id
        )
    )


def _delete(session: Session) -> None:
    session.execute(delete(Entry).where(Entry.id == an_old_entry(session).id))


def _forget(session: Session) -> None:
    erasure.forget_person(session, team_id=TEAM, user_id=an_old_entry(session).author_id, now=NOW)


def _written_late(session: Session) -> None:
    """An entry written now into an old week (an import, a clock put right): by someone new that week."""
    entry = an_old_entry(session)
    session.add(
        Entry(
            team_id=TEAM,
            kind="proud",
            author_id="U-new",
            channel_id="C1",
            text="late",
            created_at=entry.created_at + timedelta(minutes=1),
            idempotency_key="late",
        )
    )


def _posted(session: Session) -> None:
    """What the figures do not count: the bot's post of an old entry recorded."""
    session.execute(update(Entry).where(Entry.id == an_old_entry(session).id).values(message_ts="1.2"))


# each change, and how many spans it sends back to be counted: the oldest quarter, and its week for a change of
# who logged what when
CHANGES = {
    "root cause added": (_root_cause, 1),
    "kind edited": (_kind, 1),
    "area edited": (_area, 1),
    "tag added": (_tag, 1),
    "tag taken": (_untag, 1),
    "entry deleted": (_delete, 2),
    "person forgotten": (_forget, None),
    "entry written into an old week": (_written_late, 2),
    "post recorded": (_posted, 0),
}


@pytest.mark.parametrize("change", CHANGES, ids=list(CHANGES))
def test_what_is_read_equals_the_entries_after_every_kind_of_change(
    factory: Callable[[], Session], change: str
) -> None:
    make_change, recounted = CHANGES[change]
    with factory() as session:
        count(session)
    with factory() as session:
        make_change(session)
        session.commit()
    with factory() as session:
        found = count(session)
        assert_equals_the_entries(session, found)
        if recounted is not None:
            assert found.counted == UNDER_WAY + recounted
        else:  # the person's entries are in many weeks: those and the quarters counted again
            assert found.counted > UNDER_WAY
        # and kept again: the next request reads it
        assert count(session).counted == UNDER_WAY


def test_a_failed_count_keeps_nothing_and_the_next_request_counts(factory: Callable[[], Session]) -> None:
    """A request that claimed the spans and died before keeping them (its claim left without figures) is no
    harm: the claims are taken over."""
    with factory() as session:
        weeks, quarters = ranges(ZONE)
        spans = figures_kept.spans(WEEK, weeks.bounds)[:-1]
        kept_repo.claim(session, team_id=TEAM, zone=ZONE.key, spans=spans, token="died")
        session.commit()
    with factory() as session:
        found = count(session)
        assert found.counted == SPANS
        assert_equals_the_entries(session, found)
        assert kept_rows(session) == SPANS - UNDER_WAY


def test_the_triggers_are_there_at_the_head(engine: Engine) -> None:
    """A migration that rebuilds `entries` on SQLite (batch_alter_table) drops its triggers: this notices."""
    if engine.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    else:
        query = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    with engine.connect() as connection:
        names = {str(name) for (name,) in connection.execute(text(query))}
    assert {
        "entries_forget_figures_inserted",
        "entries_forget_figures_deleted",
        "entries_forget_figures_moved",
        "entries_forget_figures_changed",
        "entry_groups_forget_figures_inserted",
        "entry_groups_forget_figures_deleted",
    } <= names


@pytest.mark.postgres
def test_a_change_under_way_when_counting_is_waited_for_not_left_out(pg: Engine) -> None:
    """The race the lock closes (SQLite has one writer at a time, so none there): a root cause written (its
    trigger run, finding nothing to delete: the quarter is not kept) but not yet committed when a request claims
    and counts that quarter. Without the wait the request would count without it and keep that, for good."""
    engine = pg
    factory = make_session_factory(engine)
    with factory() as session:
        generate(session, seed=8, count=600)
    with factory() as writer:
        _root_cause(writer)
        writer.flush()  # the trigger has run: it holds the workspace's lock shared until the commit
        result: list[figures_kept.Counted] = []
        failed: list[BaseException] = []

        def request() -> None:
            try:
                with factory() as session:
                    result.append(count(session))
            except BaseException as problem:  # noqa: BLE001 - handed to the test's thread
                failed.append(problem)

        thread = threading.Thread(target=request)
        thread.start()
        with engine.connect() as watcher:
            waiting = 0
            for _ in range(500):  # until the request waits for the lock (a few ms), at most 10 s
                waiting = int(
                    watcher.execute(
                        text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
                    ).scalar_one()
                )
                if waiting or not thread.is_alive():
                    break
                threading.Event().wait(0.02)
        assert waiting == 1, "the request should wait for the change under way"
        writer.commit()
    thread.join(timeout=30)
    assert not failed and result
    with factory() as session:
        assert_equals_the_entries(session, result[0])
        again = count(session)
        assert again.counted == UNDER_WAY
        assert_equals_the_entries(session, again)


def test_habit_health_for_an_ambassador_is_the_same_read_or_counted(factory: Callable[[], Session]) -> None:
    viewer = Viewer(team_id=TEAM, user_id="U001", zone=ZONE, ambassador=True)
    with factory() as session:
        counted = habit_health(session, viewer, now=NOW)
    with factory() as session:
        assert kept_rows(session) == SPANS - UNDER_WAY
        assert habit_health(session, viewer, now=NOW) == counted
        weeks, _ = ranges(ZONE)
        assert list(counted.participation) == repo.participants_by_range(
            session, team_id=TEAM, author_id=None, ranges=weeks
        )


def test_the_figures_of_ranges_long_over_are_pruned(factory: Callable[[], Session]) -> None:
    with factory() as session:
        count(session)
        kept = kept_rows(session)
        ended = [
            ends_at
            for ends_at in session.scalars(select(DashboardFigures.ends_at).where(DashboardFigures.team_id == TEAM))
        ]
        # a year later, the oldest week (ended 51 weeks before NOW) is 400 days over; this quarter's are not
        later = min(ended) + retention.DASHBOARD_FIGURES_KEPT_FOR + timedelta(seconds=1)
        pruned = retention.prune_some(session, now=later, processed_events_before=later, deliveries_before=later)
        session.commit()
        assert pruned.dashboard_figures == sum(
            ends_at < later - retention.DASHBOARD_FIGURES_KEPT_FOR for ends_at in ended
        )
        assert pruned.dashboard_figures >= 1
        assert kept_rows(session) == kept - pruned.dashboard_figures


def test_the_engine_keeps_the_figures_for_those_who_see_the_workspace(factory: Callable[[], Session]) -> None:
    """After the engine's hourly pass, the first request of an ambassador (Kathmandu) and of a Slack admin (New
    York) reads every week and quarter that is over; a member's zone is not counted for; a left ambassador's
    neither; a pass with no change counts nothing."""
    with factory() as session:
        session.add_all(
            [
                Workspace(team_id=TEAM),
                Person(team_id=TEAM, user_id="U-amb", tz=ZONE.key),
                Ambassador(team_id=TEAM, user_id="U-amb", joined_at=NOW),
                Person(team_id=TEAM, user_id="U-admin", tz="America/New_York", slack_role="admin"),
                Person(team_id=TEAM, user_id="U-member", tz="Europe/Paris"),
                Person(team_id=TEAM, user_id="U-left", tz="Australia/Sydney"),
                Ambassador(team_id=TEAM, user_id="U-left", joined_at=NOW, left_at=NOW),
            ]
        )
        session.commit()
    engine = NudgeEngine(
        session_factory=factory, client_for=lambda _team: None, clock=lambda: NOW, keep_dashboard_figures=True
    )

    assert engine.tick(NOW).dashboard_figures == 2 * (SPANS - UNDER_WAY)

    with factory() as session:
        assert count(session).counted == UNDER_WAY
        assert count(session, zone=ZoneInfo("America/New_York")).counted == UNDER_WAY
        zones = set(session.scalars(select(DashboardFigures.zone).distinct()))
        assert zones == {ZONE.key, "America/New_York"}
    assert engine.tick(NOW + timedelta(minutes=2)).dashboard_figures == 0  # not before five minutes
    with factory() as session:
        _root_cause(session)
        session.commit()
    # five minutes later: the quarter the root cause is in, in both zones
    assert engine.tick(NOW + timedelta(minutes=5)).dashboard_figures == 2
    assert engine.tick(NOW + timedelta(minutes=10)).dashboard_figures == 0
