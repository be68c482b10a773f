"""A customer group tag carries its entry's workspace, author, kind and moment (migration 0024): written by the
database's triggers however the tag is made, kept equal when the entry changes, and filled in for the tags
that existed before the migration; the dashboard's counts by customer group read them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select, text, update
from sqlalchemy.orm import Session

from storage import migrate
from storage.db import make_session_factory
from storage.models import CustomerGroup, Entry, EntryCustomerGroup
from storage.repositories import dashboard as repo
from tests.test_migrations import empty_engine  # noqa: F401 - the fixture

AT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with make_session_factory(engine)() as session:
        yield session


def copies(session: Session) -> dict[tuple[int, int], tuple[str | None, str | None, str | None, datetime | None]]:
    rows = session.execute(
        select(
            EntryCustomerGroup.entry_id,
            EntryCustomerGroup.group_id,
            EntryCustomerGroup.team_id,
            EntryCustomerGroup.author_id,
            EntryCustomerGroup.kind,
            EntryCustomerGroup.created_at,
        ).execution_options(populate_existing=True)
    )
    return {(entry, group): (team, author, kind, at) for entry, group, team, author, kind, at in rows}


def an_entry(session: Session, number: int, **columns: object) -> Entry:
    values: dict[str, object] = {
        "team_id": "T1",
        "kind": "sorry",
        "author_id": "U1",
        "channel_id": "C1",
        "text": f"entry {number}",
        "created_at": AT + timedelta(hours=number),
        "idempotency_key": f"k{number}",
    }
    values.update(columns)
    entry = Entry(**values)
    session.add(entry)
    session.flush()
    return entry


def groups(session: Session, count: int) -> list[CustomerGroup]:
    made = [
        CustomerGroup(team_id="T1", name=f"g{n}", name_key=f"g{n}", created_by="U1", created_at=AT)
        for n in range(count)
    ]
    session.add_all(made)
    session.flush()
    return made


def test_a_tag_carries_its_entry_however_it_is_made(session: Session) -> None:
    first, second = groups(session, 2)
    by_relationship = an_entry(session, 1, author_id="U7", kind="proud")
    by_relationship.groups = [first, second]
    by_row = an_entry(session, 2)
    session.add(EntryCustomerGroup(entry_id=by_row.id, group_id=first.id))
    session.commit()

    assert copies(session) == {
        (by_relationship.id, first.id): ("T1", "U7", "proud", AT + timedelta(hours=1)),
        (by_relationship.id, second.id): ("T1", "U7", "proud", AT + timedelta(hours=1)),
        (by_row.id, first.id): ("T1", "U1", "sorry", AT + timedelta(hours=2)),
    }


def test_a_change_of_the_entry_reaches_its_tags_and_only_its_own(session: Session) -> None:
    first, second = groups(session, 2)
    changed, other = an_entry(session, 1), an_entry(session, 2)
    changed.groups = [first, second]
    other.groups = [first]
    session.commit()

    session.execute(
        update(Entry)
        .where(Entry.id == changed.id)
        .values(kind="proud", author_id="forgotten", created_at=AT - timedelta(days=3), message_ts="1.2")
    )
    session.commit()

    found = copies(session)
    assert found[(changed.id, first.id)] == ("T1", "forgotten", "proud", AT - timedelta(days=3))
    assert found[(changed.id, second.id)] == ("T1", "forgotten", "proud", AT - timedelta(days=3))
    assert found[(other.id, first.id)] == ("T1", "U1", "sorry", AT + timedelta(hours=2))


def test_the_counts_by_group_follow_an_edited_kind(session: Session) -> None:
    (group,) = groups(session, 1)
    entry = an_entry(session, 1)
    entry.groups = [group]
    session.commit()
    window = {"team_id": "T1", "author_id": None, "start": AT - timedelta(days=1), "end": AT + timedelta(days=1)}
    assert repo.kinds_by_group(session, **window) == {group.id: {"sorry": 1}}  # type: ignore[arg-type]

    entry.kind = "proud"
    session.commit()

    assert repo.kinds_by_group(session, **window) == {group.id: {"proud": 1}}  # type: ignore[arg-type]


def test_the_tags_made_before_the_migration_are_filled_in(empty_engine: Engine) -> None:  # noqa: F811
    migrate.upgrade(empty_engine, "0023")
    with empty_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO customer_groups (id, team_id, name, name_key, created_by, created_at) "
                "VALUES (7, 'T1', 'Clinics', 'clinics', 'U1', :at)"
            ),
            {"at": AT},
        )
        for number, kind in ((1, "proud"), (2, "sorry")):
            connection.execute(
                text(
                    "INSERT INTO entries (id, team_id, kind, author_id, channel_id, text, created_at, idempotency_key) "
                    "VALUES (:id, 'T1', :kind, :author, 'C1', 'x', :at, :key)"
                ),
                {"id": number, "kind": kind, "author": f"U{number}", "at": AT + timedelta(hours=number), "key": number},
            )
            connection.execute(
                text("INSERT INTO entry_customer_groups (entry_id, group_id) VALUES (:id, 7)"), {"id": number}
            )

    migrate.upgrade(empty_engine)

    with make_session_factory(empty_engine)() as session:
        assert copies(session) == {
            (1, 7): ("T1", "U1", "proud", AT + timedelta(hours=1)),
            (2, 7): ("T1", "U2", "sorry", AT + timedelta(hours=2)),
        }
