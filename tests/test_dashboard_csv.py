"""The dashboard's entries CSV (`service.entries_csv`, written by hand for speed) is byte for byte the CSV made the
plain way: the entries page's rows (`service.entries`: TextRule, the groups' names, the local time) written by
`csv.writer` with the formulas neutralised, as the dashboard made it before. On both databases, for generated
entries: texts with commas, quotes, line breaks and formula starts, hidden and readable channels, one's own words,
archived and oddly named groups, moments around daylight saving changes with and without microseconds, viewers in
several time zones, links of each kind, with and without the workspace's domain, and each filter."""

from __future__ import annotations

import csv
import io
import random
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.dashboard import pages, service
from bot.dashboard.access import Viewer
from bot.dashboard.service import EntryChoice
from bot.export import neutralise_formula
from storage.db import make_session_factory
from storage.models import Area, Channel, CustomerGroup, Entry, EntryCustomerGroup, Workspace
from storage.repositories import dashboard as repo

TEAM, OTHER_TEAM = "T111", "T222"
ME = "U0ME"
AUTHORS = [ME, "U0A", "U0B", "U,ODD"]
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
# public, private with me in it, private without me, known but not yet checked, never seen by the bot
CHANNELS = ["CPUB", "GMINE", "GNOTMINE", "CUNKNOWN", "CNEVER"]
TEXTS = [
    "plain words",
    "a, comma",
    'a "quote"',
    "two\nlines",
    "carriage\rreturn",
    "crlf\r\nhere",
    "=SUM(A1:A2)",
    "+1 for this",
    "-minus",
    "@mention",
    "\tTabbed",
    "\rstarts with a return",
    "",
    " leading space",
    "unicode: Café – 日本語 🎉",
    '"',
    ",",
]
GROUP_NAMES = ["Small clinics", "=formula group", "Zebra, Inc.", 'The "best"', "école", "Éclair", "alpha", "Archived"]
ZONES = ["Europe/Dublin", "UTC", "Asia/Kathmandu", "America/St_Johns", "Australia/Lord_Howe"]


def generate(session: Session, seed: int, count: int = 400) -> list[int]:
    rng = random.Random(seed)
    session.add_all([Workspace(team_id=TEAM), Workspace(team_id=OTHER_TEAM)])
    session.add(Channel(team_id=TEAM, channel_id="CPUB", is_private=False, checked_at=NOW))
    session.add(Channel(team_id=TEAM, channel_id="GMINE", is_private=True, members=f"{ME} U0A", checked_at=NOW))
    session.add(Channel(team_id=TEAM, channel_id="GNOTMINE", is_private=True, members="U0A U0B", checked_at=NOW))
    session.add(Channel(team_id=TEAM, channel_id="CUNKNOWN", is_private=None))
    # another workspace's facts about a channel of the same id say nothing about this one's
    session.add(Channel(team_id=OTHER_TEAM, channel_id="CNEVER", is_private=False, checked_at=NOW))
    groups = []
    for number, name in enumerate(GROUP_NAMES):
        group = CustomerGroup(
            team_id=TEAM,
            name=name,
            name_key=name.casefold(),
            created_by=ME,
            created_at=NOW,
            archived_at=NOW if name == "Archived" else None,
        )
        session.add(group)
        groups.append(group)
        del number
    session.flush()
    # around the spring and autumn changes of 2026 in Europe, North America and Lord Howe, and anywhere in the year
    turns = [datetime(2026, 3, 29, 1, 0, tzinfo=UTC), datetime(2026, 10, 25, 1, 0, tzinfo=UTC)]
    turns += [datetime(2026, 3, 8, 5, 30, tzinfo=UTC), datetime(2026, 11, 1, 4, 30, tzinfo=UTC)]
    turns += [datetime(2026, 4, 4, 14, 30, tzinfo=UTC), datetime(2026, 10, 3, 15, 30, tzinfo=UTC)]
    for number in range(count):
        if rng.random() < 0.5:
            at = rng.choice(turns) + timedelta(seconds=rng.randrange(-5400, 5400))
        else:
            at = NOW - timedelta(seconds=rng.randrange(400 * 86400))
        if rng.random() < 0.6:
            at += timedelta(microseconds=rng.randrange(1, 1_000_000))
        if number % 7 == 0 and number:  # the same moment as another entry: the newer id first
            at = NOW - timedelta(days=3)
        text = rng.choice(TEXTS) + (f" {number}" if rng.random() < 0.5 else "")
        entry = Entry(
            team_id=TEAM if number % 13 else OTHER_TEAM,
            kind=rng.choice(["proud", "sorry"]),
            author_id=rng.choice(AUTHORS),
            channel_id=rng.choice(CHANNELS),
            text=text,
            area=rng.choice([None, *(area.value for area in Area)]),
            stage=rng.choice([None, "Billing", "On, boarding", "=stage", 'the "end"']),
            created_at=at,
            idempotency_key=f"{seed}-{number}",
            message_ts=rng.choice([None, "1700000000.000100", f"17000{number:05d}.123456"]),
            source_permalink=rng.choice(
                [None, None, None, "https://acme.slack.com/archives/C1/p1700000000000100?thread_ts=1,2", ""]
            ),
        )
        if rng.random() < 0.5:
            entry.root_cause = rng.choice(TEXTS)
            entry.root_cause_by, entry.root_cause_at = entry.author_id, at + timedelta(days=1)
        session.add(entry)
        session.flush()
        for group in rng.sample(groups, rng.choice([0, 0, 1, 2, 3])):
            session.add(EntryCustomerGroup(entry_id=entry.id, group_id=group.id))
    session.commit()
    return [group.id for group in groups]


def plain_csv(session: Session, viewer: Viewer, choice: EntryChoice, *, team_domain: str) -> str:
    """The CSV as the dashboard made it before: the entries page's rows, csv.writer, neutralise_formula."""
    page = service.entries(session, viewer, choice, limit=service.CSV_MAX_ROWS)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["created_at", "kind", "author", "channel", "text", "root_cause", "customer_groups", "area", "stage", "link"]
    )
    for shown in page.entries:
        row = shown.row
        writer.writerow(
            [
                shown.local_time.isoformat(),
                row.kind,
                row.author_id,
                row.channel_id,
                neutralise_formula(shown.text),
                neutralise_formula(shown.root_cause or ""),
                neutralise_formula("; ".join(shown.groups)),
                pages.AREA_NAMES.get(row.area or "", ""),
                neutralise_formula(row.stage or ""),
                pages.message_link(row, team_id=viewer.team_id, team_domain=team_domain),
            ]
        )
    return out.getvalue()


@pytest.fixture
def sessions(engine: Engine) -> Iterator[tuple[Session, list[int]]]:
    factory = make_session_factory(engine)
    with factory() as session:
        group_ids = generate(session, seed=19)
    with factory() as session:
        yield session, group_ids


def test_the_csv_is_the_plain_csv_for_every_viewer_zone_domain_and_filter(
    sessions: tuple[Session, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    session, group_ids = sessions
    monkeypatch.setattr(repo, "CSV_SLICE", 37)  # lines read in several slices
    choices = [
        EntryChoice(),
        EntryChoice(kind="sorry"),
        EntryChoice(group_id=group_ids[0]),
        EntryChoice(area=Area.OPERATIONS.value, channel_id="GMINE"),
        EntryChoice(stage="On, boarding"),
        EntryChoice(since=date(2026, 3, 28), until=date(2026, 3, 29)),
        EntryChoice(since=date(2026, 10, 25), until=date(2026, 10, 25)),
        EntryChoice(kind="proud", since=date(2030, 1, 1)),  # nothing
    ]
    compared = 0
    for zone in ZONES:
        for ambassador in (True, False):  # the workspace's entries, or one's own
            viewer = Viewer(TEAM, ME, ZoneInfo(zone), ambassador=ambassador)
            for domain in ("acme", ""):
                for choice in choices:
                    made = service.entries_csv(session, viewer, choice, team_domain=domain)
                    assert made == plain_csv(session, viewer, choice, team_domain=domain), (zone, choice, domain)
                    compared += made.count("\r\n")
    # the comparisons looked at many lines, hidden texts and quoted cells among them
    workspace = service.entries_csv(
        session, Viewer(TEAM, ME, ZoneInfo("UTC"), ambassador=True), EntryChoice(), team_domain=""
    )
    assert compared > 2000
    assert "(posted in a private channel you are not in: not shown)" in workspace
    assert "'=SUM(A1:A2)" in workspace and '"two\nlines' in workspace and '""best""' in workspace
    assert "Archived" not in workspace


def test_the_csv_holds_the_newest_entries_up_to_its_limit(
    sessions: tuple[Session, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    session, _ = sessions
    monkeypatch.setattr(service, "CSV_MAX_ROWS", 25)
    monkeypatch.setattr(repo, "CSV_SLICE", 10)
    viewer = Viewer(TEAM, ME, ZoneInfo("Europe/Dublin"), ambassador=True)
    made = service.entries_csv(session, viewer, EntryChoice(), team_domain="acme")
    assert made == plain_csv(session, viewer, EntryChoice(), team_domain="acme")
    lines = list(csv.reader(io.StringIO(made)))
    assert len(lines) == 26
    moments = [datetime.fromisoformat(line[0]) for line in lines[1:]]
    assert moments == sorted(moments, reverse=True)
    newest = session.query(Entry.created_at).filter(Entry.team_id == TEAM).order_by(Entry.created_at.desc()).first()
    assert newest is not None and moments[0] == newest[0]


def test_without_chunked_rows_the_csv_is_the_same(
    sessions: tuple[Session, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a libpq older than 17, psycopg cannot stream in chunks: the lines are read the plain way."""
    session, _ = sessions
    viewer = Viewer(TEAM, ME, ZoneInfo("America/St_Johns"), ambassador=True)
    streamed = service.entries_csv(session, viewer, EntryChoice(), team_domain="acme")
    monkeypatch.setattr(repo, "_chunked_rows", lambda: False)
    monkeypatch.setattr(repo, "CSV_SLICE", 50)
    assert service.entries_csv(session, viewer, EntryChoice(), team_domain="acme") == streamed
    assert streamed == plain_csv(session, viewer, EntryChoice(), team_domain="acme")


def test_a_csv_that_fails_halfway_leaves_the_session_usable(
    sessions: tuple[Session, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lines are streamed (the driver holds its connection while a stream is open): a failure while writing
    them ends the stream, so the session can roll back and be used again instead of waiting on it for ever."""
    session, _ = sessions
    monkeypatch.setattr(repo, "CSV_SLICE", 20)
    viewer = Viewer(TEAM, ME, ZoneInfo("UTC"), ambassador=True)
    calls = []

    def failing(*args: object, **kwargs: object) -> str:
        calls.append(args)
        if len(calls) > 30:
            raise RuntimeError("the disk is full")
        return ""

    monkeypatch.setattr(service, "entry_link", failing)
    counted: list[int] = []

    def use_again() -> None:
        session.rollback()
        counted.append(session.query(Entry).filter(Entry.team_id == TEAM).count())

    try:
        service.entries_csv(session, viewer, EntryChoice(), team_domain="")
    except RuntimeError:
        # while the failure is handled (its traceback, and the frames it holds, still alive), as the dashboard's
        # `with session` rolls back
        worker = threading.Thread(target=use_again, daemon=True)
        worker.start()
        worker.join(timeout=10)
    assert len(calls) == 31
    assert counted and counted[0] > 300
