"""One reader's weekly digest, composed from a database seeded through the services with a clock we hold.

Every number below is counted by hand from the seed (see `seed_weeks`), on SQLite and PostgreSQL.
The digest is of 2027-W06 (Monday 8 to Sunday 14 February 2027, UTC), composed on Monday
15 February at 09:00 as the engine would. The weeks before: W05 (1-7 Feb), W04 (25-31 Jan),
W03 (18-24 Jan), W02 (11-17 Jan); the month before W06 is W02..W05.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.deps import Deps
from bot.digest.chart import WeekPoint
from bot.digest.compose import (
    AreaCount,
    Digest,
    GroupCount,
    Metric,
    Quote,
    Reader,
    ReaderKind,
    compose,
    compose_common,
    fading,
    for_reader,
)
from bot.digest.period import Week
from bot.digest.themes import Theme
from bot.engine.senders import digest_reader
from bot.render.digest import digest_blocks
from bot.services import actions as action_service
from bot.services import ambassadors as ambassador_service
from bot.services import entries as entry_service
from bot.services import groups as group_service
from bot.services import meetings as meeting_service
from bot.services.meeting_numbers import UNREGISTERED
from bot.services.success_index import IndexLine
from storage import migrate
from storage.db import make_engine, make_session_factory
from storage.models import ActionStatus, Area, EntryKind
from storage.repositories import channels as channels_repo
from storage.repositories import digest as digest_repo
from storage.repositories.digest import ActionLine
from tests.conftest import create_pg_database, drop_pg_database, make_settings
from tests.engine_harness import SimClock, utc

TEAM = "T111"
UTC_ZONE = ZoneInfo("UTC")
W06 = Week(date(2027, 2, 8), UTC_ZONE)
SENT_AT = utc(2027, 2, 15, 9)  # Monday after W06, 09:00: when the engine composes W06's digest
LABELS_12 = ("W48", "W49", "W50", "W51", "W52", "W53", "W01", "W02", "W03", "W04", "W05", "W06")
PUBLIC, PRIVATE, UNKNOWN = "CPUB", "CPRIV", "CUNK"
MEMBER, OUTSIDER = "UAMB1", "UAMB2"  # ambassadors: in the private channel, and not


@dataclass
class World:
    deps: Deps
    clock: SimClock
    team: str = TEAM
    groups: dict[str, int] = field(default_factory=dict)
    entries: dict[str, int] = field(default_factory=dict)
    actions: dict[str, int] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)

    def at(self, moment: datetime) -> World:
        self.clock.now = moment
        return self

    def entry(
        self,
        name: str,
        moment: datetime,
        author: str,
        kind: EntryKind,
        channel: str,
        text: str,
        groups: tuple[str, ...] = (),
        area: Area | None = None,
    ) -> None:
        logged = entry_service.log_entry(
            self.at(moment).deps,
            entry_service.NewEntry(
                team_id=self.team,
                kind=kind,
                author_id=author,
                channel_id=channel,
                text=text,
                idempotency_key=f"seed:{name}",
                area=area,
                group_ids=[self.groups[group] for group in groups],
            ),
        )
        self.entries[name], self.texts[name] = logged.card.id, text

    def action(self, name: str, moment: datetime, by: str, owner: str, due: date, title: str) -> None:
        card, created = action_service.create_action(
            self.at(moment).deps,
            action_service.NewAction(
                team_id=self.team,
                title=title,
                owner_id=owner,
                created_by=by,
                due_date=due,
                today=moment.date(),
                idempotency_key=f"seed:{name}",
            ),
        )
        assert created
        self.actions[name], self.texts[name] = card.id, title

    def done(self, name: str, moment: datetime, by: str) -> None:
        action_service.set_status(
            self.at(moment).deps, team_id=self.team, action_id=self.actions[name], user_id=by, status=ActionStatus.DONE
        )

    def prompt(self, key: str, moment: datetime, by: str, channel: str, title: str) -> int:
        card = meeting_service.start_prompt_now(
            self.at(moment).deps, team_id=self.team, user_id=by, channel_id=channel, title=title, key=key
        )
        meeting_service.record_sent_now(self.deps, team_id=self.team, prompt_id=card.id, channel=channel, ts=f"{key}.1")
        return card.id

    def answer(self, prompt_id: int, moment: datetime, by: str, group: str, text: str) -> None:
        subject = meeting_service.group_subject(self.groups[group])
        meeting_service.save_answers(
            self.at(moment).deps, team_id=self.team, prompt_id=prompt_id, user_id=by, texts={subject: text}
        )

    def channel(self, channel_id: str, *, private: bool, members: list[str] | None = None) -> None:
        with self.deps.session_factory() as session:
            channels_repo.save(
                session,
                team_id=self.team,
                channel_id=channel_id,
                is_private=private,
                members=members,
                now=self.clock.now,
            )
            session.commit()

    def compose(self, reader: Reader, week: Week = W06, now: datetime = SENT_AT) -> Digest:
        with self.deps.session_factory() as session:
            return compose(session, team_id=self.team, week=week, reader=reader, now=now)

    def reader(self, recipient: str) -> Reader:
        """The reader as the engine makes it for a delivery to `recipient` (an ambassador or the digest channel)."""
        with self.deps.session_factory() as session:
            found = digest_reader(session, team_id=self.team, recipient=recipient)
        assert found is not None
        return found[0]


def world_of(deps: Deps, start: datetime, team: str = TEAM) -> World:
    clock = SimClock(start)
    return World(Deps(settings=deps.settings, session_factory=deps.session_factory, clock=clock), clock, team)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deps]:
    """A migrated database of this module's own on each backend, seeded once: the tests only read it
    (or write in workspaces of their own)."""
    admin = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('digest') / 'mindset.db'}"
    else:
        admin = request.getfixturevalue("postgres_admin_url")
        url = create_pg_database(admin, prefix="mindset_digest")
    engine = make_engine(url, pool_size=5)
    migrate.upgrade(engine)
    yield Deps(settings=make_settings(database_url=url), session_factory=make_session_factory(engine))
    engine.dispose()
    if admin is not None:
        drop_pg_database(admin, url)


_teams = itertools.count(1)


@pytest.fixture
def fresh(backend: Deps) -> World:
    """An empty workspace of the test's own."""
    return world_of(backend, utc(2027, 2, 1, 9), f"T9{next(_teams):04d}")


def seed_weeks(deps: Deps) -> World:
    """Five weeks of a small workspace. The numbers each test expects are counted from here."""
    w = world_of(deps, utc(2027, 1, 4, 9))
    for name in ("Small clinics", "Hospitals", "Pharmacies", "Labs"):
        w.groups[name] = group_service.add_group(w.deps, team_id=w.team, name=name, by="UADMIN").id
    ambassador_service.join(w.deps, team_id=w.team, user_id=MEMBER, group_words=[])
    ambassador_service.join(w.deps, team_id=w.team, user_id=OUTSIDER, group_words=["#labs"])
    ambassador_service.set_digest_channel(w.deps, team_id=w.team, by="UADMIN", channel="CDIGEST")
    w.channel(PUBLIC, private=False)
    w.channel(PRIVATE, private=True, members=[MEMBER, "UALICE", "UERIN"])
    # UNKNOWN: the bot never learnt anything about it

    # the month before (all public, untagged); "refund delay" in four texts: 1 a week
    w.entry("M1", utc(2027, 1, 12, 10), "UALICE", EntryKind.PROUD, PUBLIC, "Refund delay solved for a lab")  # W02
    w.entry("M2", utc(2027, 1, 19, 10), "UBOB", EntryKind.SORRY, PUBLIC, "Refund delay annoyed a clinic")  # W03
    w.entry("M3", utc(2027, 1, 26, 10), "UCAROL", EntryKind.PROUD, PUBLIC, "Refund delay shortened")  # W04
    w.entry("M4", utc(2027, 2, 2, 10), "UALICE", EntryKind.PROUD, PUBLIC, "Refund delay tracked daily")  # W05
    w.entry("M5", utc(2027, 2, 4, 10), "UBOB", EntryKind.PROUD, PUBLIC, "Quick callback to a hospital")  # W05

    # action items through the weeks
    w.action("A1", utc(2027, 1, 11, 10), "UGREG", "UGREG", date(2027, 1, 20), "Call back the clinics")  # W02
    w.action("A7", utc(2027, 1, 19, 11), "UKIM", "UKIM", date(2027, 1, 29), "Publish the refund policy")  # W03
    w.action("A2", utc(2027, 1, 26, 11), "UHAL", "UHAL", date(2027, 2, 5), "Fix the hospital export")  # W04
    w.action("A3", utc(2027, 2, 2, 11), "UIDA", "UIDA", date(2027, 2, 10), "Train the pharmacy desk")  # W05
    w.done("A7", utc(2027, 2, 3, 12), "UKIM")  # W05, five days late
    p0 = w.prompt("p0", utc(2027, 2, 3, 10), "UIDA", PUBLIC, "Clinic sync")  # W05
    w.answer(p0, utc(2027, 2, 3, 10, 5), "UIDA", "Small clinics", "Clinics ask about invoices")

    # the week itself, W06
    w.entry(
        "E1",
        utc(2027, 2, 8, 10),
        "UALICE",
        EntryKind.PROUD,
        PUBLIC,
        "Invoice portal rebuilt overnight",
        ("Small clinics",),
        Area.PRODUCTS,
    )
    w.entry("E2", utc(2027, 2, 9, 10), "UBOB", EntryKind.PROUD, PUBLIC, "Invoice portal answers faster", ("Hospitals",))
    w.done("A3", utc(2027, 2, 9, 12), "UIDA")  # on time
    w.entry(
        "E3",
        utc(2027, 2, 9, 11),
        "UCAROL",
        EntryKind.SORRY,
        PUBLIC,
        "Refund delay upset a clinic",
        ("Small clinics",),
        Area.OPERATIONS,
    )
    p1 = w.prompt("p1", utc(2027, 2, 9, 14), "UFRAN", PUBLIC, "Sprint review")
    w.answer(p1, utc(2027, 2, 9, 14, 5), "UFRAN", "Pharmacies", "Pharmacies want fewer calls")
    w.entry("E4", utc(2027, 2, 10, 10), "UDAN", EntryKind.SORRY, UNKNOWN, "Refund delay hit a hospital", ("Hospitals",))
    w.action("A4", utc(2027, 2, 10, 11), "UALICE", "UJOE", date(2027, 2, 17), "Visit two clinics")
    w.entry("E5", utc(2027, 2, 10, 12), "UALICE", EntryKind.PROUD, PRIVATE, "Falcon pricing agreed quietly")
    w.prompt("p2", utc(2027, 2, 10, 15), "UFRAN", PUBLIC, "Planning")  # never answered
    w.entry("E6", utc(2027, 2, 11, 10), "UERIN", EntryKind.PROUD, PRIVATE, "Falcon rollout planned quietly")
    w.action("A5", utc(2027, 2, 11, 11), "UBOB", "UBOB", date(2027, 2, 19), "Rewrite the invoice email")
    w.action("A6", utc(2027, 2, 11, 12), "UBOB", "UBOB", date(2027, 3, 31), "Quarterly clinic survey")
    w.entry("E7", utc(2027, 2, 12, 10), "UCAROL", EntryKind.SORRY, PUBLIC, "Refund delay on the pharmacy order")
    entry_service.add_root_cause(
        w.at(utc(2027, 2, 12, 15)).deps, team_id=TEAM, entry_id=w.entries["M2"], root_cause="No owner", by="UBOB"
    )
    w.at(SENT_AT)
    return w


@pytest.fixture(scope="module")
def world(backend: Deps) -> World:
    return seed_weeks(backend)


def quote(w: World, name: str, author: str, channel: str) -> Quote:
    return Quote(w.entries[name], author, channel, w.texts[name])


def line(w: World, name: str, owner: str, due: date) -> ActionLine:
    return ActionLine(w.actions[name], w.texts[name], owner, due)


# -- the numbers ------------------------------------------------------------------------------------


def test_each_number_this_week_last_week_and_the_four_week_average(world: World) -> None:
    digest = world.compose(world.reader(OUTSIDER))

    assert digest.week == W06 and not digest.so_far
    assert digest.metrics == (
        # W06 E1 E2 E5 E6; W05 M4 M5; W04 M3; W03 none; W02 M1
        Metric("Prouds", 4, 2, (2 + 1 + 0 + 1) / 4),
        # W06 E3 E4 E7 (E4 from a channel nobody may be quoted from still counts); W03 M2
        Metric("Sorries", 3, 0, (0 + 0 + 1 + 0) / 4),
        # W06 ALICE BOB CAROL DAN ERIN, IDA (closed A3), FRAN (answered); W05 ALICE BOB IDA KIM;
        # W04 CAROL HAL; W03 BOB KIM; W02 ALICE GREG
        Metric("People taking part", 7, 4, (4 + 2 + 2 + 2) / 4),
        # W06 p1 (p2 unanswered); W05 p0
        Metric("Meeting prompts answered", 1, 1, (1 + 0 + 0 + 0) / 4),
        # W06 A4 A5 A6; W05 A3; W04 A2; W03 A7; W02 A1
        Metric("Action items created", 3, 1, (1 + 1 + 1 + 1) / 4),
        # W06 A3; W05 A7
        Metric("Action items done", 1, 1, (1 + 0 + 0 + 0) / 4),
        # at each week's end: W06 A1 A2; W05 A1 A2; W04 A1 A7 (closed later); W03 A1; W02 none
        Metric("Action items overdue", 2, 2, (2 + 2 + 1 + 0) / 4),
    )
    assert [point.value for point in digest.participation] == [0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 4, 7]
    assert [point.label for point in digest.participation] == list(LABELS_12)
    assert not digest.fading and not any(point.warn for point in digest.participation)
    assert digest.participation_average == (2 + 2 + 2 + 4) / 4


def test_overdue_stuck_and_due_next_week(world: World) -> None:
    digest = world.compose(world.reader(OUTSIDER))

    # today is Monday 15 February: overdue means due by Sunday 14, stuck 15 days or more late
    a1 = line(world, "A1", "UGREG", date(2027, 1, 20))
    assert (digest.overdue, digest.overdue_total) == ((a1, line(world, "A2", "UHAL", date(2027, 2, 5))), 2)
    assert (digest.stuck, digest.stuck_total) == ((a1,), 1)
    # the week the digest is read in: Monday 15 to Sunday 21 February
    due = (line(world, "A4", "UJOE", date(2027, 2, 17)), line(world, "A5", "UBOB", date(2027, 2, 19)))
    assert (digest.due_next_week, digest.due_next_week_total) == (due, 2)


@pytest.mark.parametrize("chunk", [500, 1], ids=["tags-at-once", "tags-an-entry-at-a-time"])
def test_groups_areas_and_groups_nobody_mentioned(world: World, chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(digest_repo, "TAG_LOOKUP_CHUNK", chunk)  # the week's tags are read in chunks
    outsider = world.compose(world.reader(OUTSIDER))  # follows Labs
    member = world.compose(world.reader(MEMBER))  # follows all groups: none is starred

    # Hospitals: E2 proud, E4 sorry; Small clinics: E1 proud, E3 sorry; Pharmacies: only a meeting answer
    assert outsider.groups == (
        GroupCount("Labs", 0, 0, False, True),
        GroupCount("Hospitals", 1, 1, False, False),
        GroupCount("Small clinics", 1, 1, False, False),
        GroupCount("Pharmacies", 0, 0, True, False),
    )
    assert member.groups == (
        GroupCount("Hospitals", 1, 1, False, False),
        GroupCount("Small clinics", 1, 1, False, False),
        GroupCount("Labs", 0, 0, False, False),
        GroupCount("Pharmacies", 0, 0, True, False),
    )
    assert outsider.silent_groups == member.silent_groups == ("Labs",)
    assert outsider.areas == (
        AreaCount("Products and services", 1, 0),
        AreaCount("Operations", 0, 1),
        AreaCount("Organisation and culture", 0, 0),
        AreaCount("People", 0, 0),
    )
    meetings = outsider.meetings
    assert (meetings.prompts_sent, meetings.prompts_answered) == (2, 1)
    assert meetings.groups_never_mentioned == ("Hospitals", "Labs", "Small clinics")
    assert [(m.title, m.prompts_sent, m.prompts_answered, m.groups_answered) for m in meetings.meetings] == [
        (UNREGISTERED, 2, 1, ("Pharmacies",))
    ]


def test_themes_against_the_month_before(world: World) -> None:
    outsider = world.compose(world.reader(OUTSIDER))

    # "invoice portal": E1 E2, never in the month before: new. "refund delay": E3 E7 (E4 is in a channel
    # nobody may be quoted from), and M1..M4 in the four weeks before: 1 a week, so rising.
    assert outsider.themes == (Theme("invoice portal", 2, 0.0), Theme("refund delay", 2, 1.0))
    assert outsider.themes[0].is_new and not outsider.themes[1].is_new


def test_the_workspace_success_index_of_the_quarter_so_far(world: World) -> None:
    digest = world.compose(world.reader(OUTSIDER))

    # due in 2027 Q1 by 15 February: A1 (open), A7 (done late), A2 (open), A3 (done on time); A4 is due later
    assert digest.quarter == "2027 Q1"
    assert digest.success == (IndexLine("Short term", 1, 4), IndexLine("Long term", 0, 0), IndexLine("All", 1, 4))


def test_contributors_are_thanked_in_a_stable_order_not_by_how_much_they_did(world: World, fresh: World) -> None:
    digest = world.compose(world.reader(OUTSIDER))

    # CAROL logged two sorries, BOB a proud and a root cause, the others one thing each (FRAN answered a
    # meeting's question): the order is by id
    assert digest.contributors == (
        ("UALICE", ("proud",)),
        ("UBOB", ("proud", "root cause")),
        ("UCAROL", ("sorry",)),
        ("UFRAN", ("answer",)),
        ("UIDA", ("done",)),
    )
    # however much more one of them does, the order stays
    fresh.channel(PUBLIC, private=False)
    fresh.entry("z", utc(2027, 2, 8, 10), "UZED", EntryKind.PROUD, PUBLIC, "A win")
    fresh.entry("a", utc(2027, 2, 8, 11), "UABE", EntryKind.SORRY, PUBLIC, "A miss")
    before = fresh.compose(Reader(ReaderKind.PERSON, OUTSIDER))
    for n in range(5):
        fresh.entry(f"z{n}", utc(2027, 2, 9, 10 + n), "UZED", EntryKind.PROUD, PUBLIC, f"Another win {n}")
    after = fresh.compose(Reader(ReaderKind.PERSON, OUTSIDER))
    assert before.contributors == after.contributors == (("UABE", ("sorry",)), ("UZED", ("proud",)))
    thanks = digest_blocks(after, today=SENT_AT.date())[2]["text"]["text"]
    assert thanks == ":clap: Thank you to the 2 people who kept the customer in view: <@UABE>, <@UZED>."


# -- privacy ---------------------------------------------------------------------------------------


def test_a_private_channels_entry_is_quoted_only_to_its_members(world: World) -> None:
    member = world.compose(world.reader(MEMBER))
    outsider = world.compose(world.reader(OUTSIDER))
    channel = world.compose(world.reader("CDIGEST"))
    assert channel.reader.kind is ReaderKind.CHANNEL

    # the week's prouds, newest first: E6 and E5 (private), E2, E1; three are quoted at most
    assert member.prouds == (
        quote(world, "E6", "UERIN", PRIVATE),
        quote(world, "E5", "UALICE", PRIVATE),
        quote(world, "E2", "UBOB", PUBLIC),
    )
    public = (quote(world, "E2", "UBOB", PUBLIC), quote(world, "E1", "UALICE", PUBLIC))
    assert outsider.prouds == channel.prouds == public
    # counted for everyone all the same
    assert member.prouds_total == outsider.prouds_total == channel.prouds_total == 4
    # the channel nobody knows anything about counts as private: E4 is counted, never quoted
    open_sorries = (quote(world, "E7", "UCAROL", PUBLIC), quote(world, "E3", "UCAROL", PUBLIC))
    for digest in (member, outsider, channel):
        assert digest.open_sorries == open_sorries
        assert digest.open_sorries_total == 3
    # what the digests say, in Slack
    member_text = str(digest_blocks(member, today=SENT_AT.date()))
    assert "Falcon pricing agreed quietly" in member_text and "Falcon rollout planned quietly" in member_text
    for digest in (outsider, channel):
        shown = str(digest_blocks(digest, today=SENT_AT.date()))
        assert "Falcon" not in shown and "falcon" not in shown
        assert "Refund delay hit a hospital" not in shown
        assert "Invoice portal rebuilt overnight" in shown


def test_private_words_feed_only_their_members_themes(world: World) -> None:
    member = world.compose(world.reader(MEMBER))
    outsider = world.compose(world.reader(OUTSIDER))
    channel = world.compose(world.reader("CDIGEST"))

    assert member.themes == (
        Theme("invoice portal", 2, 0.0),
        Theme("refund delay", 2, 1.0),
        Theme("falcon", 2, 0.0),
        Theme("quietly", 2, 0.0),
    )
    assert outsider.themes == channel.themes == (Theme("invoice portal", 2, 0.0), Theme("refund delay", 2, 1.0))


def test_a_channel_digest_never_quotes_a_private_channel_even_its_own(world: World) -> None:
    with_private = world.compose(Reader(ReaderKind.CHANNEL, PRIVATE))

    assert [q.channel_id for q in with_private.prouds] == [PUBLIC, PUBLIC]
    assert "falcon" not in [theme.term for theme in with_private.themes]
    # thanks follow the same rule: ERIN's only entry was in the private channel
    assert "UERIN" not in dict(with_private.contributors)
    assert "UERIN" in dict(world.compose(world.reader(MEMBER)).contributors)


def test_readers_drawn_from_one_common_part_see_exactly_what_each_saw_alone(world: World) -> None:
    """The engine composes a week's common part once for every reader due at the same moment (bot/digest/
    shared.py); a member of the private channel and an outsider drawn from that one part see what each was
    shown when their digest was composed alone (the expectations of the tests above)."""
    with world.deps.session_factory() as session:
        common = compose_common(session, team_id=world.team, week=W06, now=SENT_AT)
    readers = [world.reader(MEMBER), world.reader(OUTSIDER), world.reader("CDIGEST")]
    member, outsider, channel = (for_reader(common, reader) for reader in readers)

    assert member.prouds == (
        quote(world, "E6", "UERIN", PRIVATE),
        quote(world, "E5", "UALICE", PRIVATE),
        quote(world, "E2", "UBOB", PUBLIC),
    )
    assert (
        outsider.prouds == channel.prouds == (quote(world, "E2", "UBOB", PUBLIC), quote(world, "E1", "UALICE", PUBLIC))
    )
    assert "falcon" in [theme.term for theme in member.themes]
    assert outsider.themes == channel.themes == (Theme("invoice portal", 2, 0.0), Theme("refund delay", 2, 1.0))
    assert "UERIN" in dict(member.contributors)
    assert "UERIN" not in dict(outsider.contributors) and "UERIN" not in dict(channel.contributors)
    assert [g.name for g in outsider.groups][:1] == ["Labs"] and outsider.groups[0].reader_follows
    assert not any(g.reader_follows for g in member.groups)
    for digest in (member, outsider, channel):
        assert digest.prouds_total == 4 and digest.open_sorries_total == 3
    # field for field what composing alone gives, in any order of readers (drawing one changes nothing shared)
    for reader in [*readers, *reversed(readers)]:
        assert for_reader(common, reader) == world.compose(reader)
    shown = str(digest_blocks(outsider, today=SENT_AT.date()))
    assert "Falcon" not in shown and "falcon" not in shown


def test_an_unknown_channel_counts_as_private_until_the_bot_learns_it_is_public(fresh: World) -> None:
    fresh.entry("u", utc(2027, 2, 9, 10), "UDAN", EntryKind.PROUD, UNKNOWN, "Refund delay gone")
    reader = Reader(ReaderKind.PERSON, MEMBER)

    unknown = fresh.compose(reader)
    assert (unknown.prouds, unknown.prouds_total) == ((), 1)

    fresh.channel(UNKNOWN, private=False)

    assert fresh.compose(reader).prouds == (quote(fresh, "u", "UDAN", UNKNOWN),)


def test_a_member_who_left_the_private_channel_no_longer_sees_it(fresh: World) -> None:
    fresh.channel(PRIVATE, private=True, members=[MEMBER, "UALICE"])
    fresh.entry("p", utc(2027, 2, 9, 10), "UALICE", EntryKind.PROUD, PRIVATE, "Pilot signed")
    reader = Reader(ReaderKind.PERSON, MEMBER)
    assert fresh.compose(reader).prouds == (quote(fresh, "p", "UALICE", PRIVATE),)

    fresh.channel(PRIVATE, private=True, members=["UALICE"])  # what the engine learns the next time it asks

    assert fresh.compose(reader).prouds == ()


# -- things a reader would take as wrong -------------------------------------------------------------


def test_someone_who_only_answered_a_meeting_question_is_thanked(fresh: World) -> None:
    w = fresh
    w.groups["Labs"] = group_service.add_group(w.deps, team_id=w.team, name="Labs", by="UADMIN").id
    w.channel(PUBLIC, private=False)
    prompt = w.prompt("only", utc(2027, 2, 9, 14), "UFRAN", PUBLIC, "Sprint review")
    w.answer(prompt, utc(2027, 2, 9, 14, 5), "UFRAN", "Labs", "Labs want earlier samples")

    digest = w.compose(Reader(ReaderKind.PERSON, OUTSIDER))

    assert digest.metrics[2] == Metric("People taking part", 1, 0, 0.0)
    assert "UFRAN" in dict(digest.contributors)


def test_a_week_of_private_entries_is_not_called_quiet_in_the_channel(fresh: World) -> None:
    w = fresh
    w.channel(PRIVATE, private=True, members=["UALICE"])
    w.entry("P1", utc(2027, 2, 9, 10), "UALICE", EntryKind.PROUD, PRIVATE, "Closed the pilot")
    w.entry("P2", utc(2027, 2, 10, 10), "UALICE", EntryKind.PROUD, PRIVATE, "Signed the pilot")

    digest = w.compose(Reader(ReaderKind.CHANNEL, "CDIGEST"))

    assert digest.metrics[0] == Metric("Prouds", 2, 0, 0.0)
    shown = str(digest_blocks(digest, today=SENT_AT.date()))
    assert "quiet week" not in shown.lower()


def test_adding_a_root_cause_counts_as_taking_part(fresh: World) -> None:
    w = fresh
    w.channel(PUBLIC, private=False)
    w.entry("S1", utc(2027, 2, 2, 10), "UBOB", EntryKind.SORRY, PUBLIC, "Missed a callback")  # W05
    entry_service.add_root_cause(
        w.at(utc(2027, 2, 9, 10)).deps, team_id=w.team, entry_id=w.entries["S1"], root_cause="No rota", by="UHAL"
    )

    digest = w.compose(Reader(ReaderKind.PERSON, OUTSIDER))

    assert dict(digest.contributors) == {"UHAL": ("root cause",)}
    assert digest.metrics[2] == Metric("People taking part", 1, 1, 0.25)


# -- the fade warning -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param([5] * 8, False, id="steady"),
        pytest.param([5] * 6 + [3], False, id="first-week-below"),
        pytest.param([5] * 6 + [3, 3], True, id="second-week-below"),
        pytest.param([5] * 6 + [3, 3, 5], False, id="recovered"),
        # 10, 10, 6, 6 average 8: 6 is above 70% of it (5.6), so the habit is back
        pytest.param([10] * 6 + [6, 6, 6], False, id="back-above-70-percent"),
        pytest.param([10] * 6 + [6, 6, 5], True, id="still-below-70-percent"),
        # exactly 30% below counts as below: 7 of 10; then 6 of 9.25 (6.475)
        pytest.param([10] * 4 + [7, 6], True, id="exactly-30-percent-below"),
        pytest.param([10] * 4 + [7, 7], False, id="second-week-not-low-enough"),
        pytest.param([], False, id="nothing"),
        pytest.param([5, 5, 5, 5, 1], False, id="too-little-history"),
        pytest.param([0] * 10 + [4, 1], False, id="second-week-ever"),
        pytest.param([0] * 12, False, id="never-anyone"),
    ],
)
def test_fading(values: list[int], expected: bool) -> None:
    assert fading(values) is expected


WEEKLY_PEOPLE = (5, 5, 5, 5, 5, 3, 3, 5)  # 2027-W01 .. W08


@pytest.fixture(scope="module")
def habit(backend: Deps) -> World:
    """Distinct people logging one proud each, on Wednesday of each week W01..W08 of 2027 (a workspace of its own)."""
    w = world_of(backend, utc(2027, 1, 4, 9), "T222")
    w.channel(PUBLIC, private=False)
    for index, people in enumerate(WEEKLY_PEOPLE):
        wednesday = utc(2027, 1, 6, 12) + timedelta(weeks=index)
        for person in range(people):
            w.entry(f"h{index}-{person}", wednesday, f"U{person:03d}", EntryKind.PROUD, PUBLIC, f"Win {index}")
    return w


def week(n: int) -> Week:
    return Week(date.fromisocalendar(2027, n, 1), UTC_ZONE)


def monday_after(n: int) -> datetime:
    return utc(2027, 1, 4, 9) + timedelta(weeks=n)


def test_the_fade_warning_through_compose(habit: World) -> None:
    reader = Reader(ReaderKind.PERSON, OUTSIDER)

    def fade(n: int) -> tuple[bool, list[int], list[str]]:
        digest = habit.compose(reader, week(n), monday_after(n))
        warned = [point.label for point in digest.participation if point.warn]
        return digest.fading, [point.value for point in digest.participation][-len(WEEKLY_PEOPLE) :], warned

    assert fade(1) == (False, [0, 0, 0, 0, 0, 0, 0, 5], [])  # the first week: no history, no warning
    assert fade(2) == (False, [0, 0, 0, 0, 0, 0, 5, 5], [])
    assert fade(5) == (False, [0, 0, 0, 5, 5, 5, 5, 5], [])  # a steady habit
    assert fade(6) == (False, [0, 0, 5, 5, 5, 5, 5, 3], [])  # 3 of 5: below, but only one week
    assert fade(7) == (True, [0, 5, 5, 5, 5, 5, 3, 3], ["W06", "W07"])  # 3 of 4.5, the second week running
    assert fade(8) == (False, [5, 5, 5, 5, 5, 3, 3, 5], [])  # back to 5: above 70% of 4
    # the numbers say it too
    digest = habit.compose(reader, week(7), monday_after(7))
    assert digest.metrics[2] == Metric("People taking part", 3, 3, (3 + 5 + 5 + 5) / 4)
    blocks = str(digest_blocks(digest, today=monday_after(7).date()))
    assert "two weeks running (3 and 3 people)" in blocks
    assert ":warning:" not in str(
        digest_blocks(habit.compose(reader, week(8), monday_after(8)), today=monday_after(8).date())
    )


def test_the_week_so_far_warns_from_the_complete_weeks_only(habit: World) -> None:
    """On Wednesday of W08, before anyone took part: the two complete weeks before were low."""
    digest = habit.compose(Reader(ReaderKind.PERSON, OUTSIDER), week(8), utc(2027, 2, 24, 11))

    assert digest.so_far
    assert [point.value for point in digest.participation][-3:] == [3, 3, 0]
    assert digest.fading
    assert [point.label for point in digest.participation if point.warn] == ["W06", "W07"]
    assert digest.participation[-1] == WeekPoint("W08", 0, False)
