"""The entries page's filter choices, the channels and journey stages a workspace's entries have, found by
skipping through an index (storage/repositories/dashboard.py `_distinct`), equal the plain DISTINCT of every
entry, on both databases: for the workspace, for one author, with no entries and with no stages at all."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from storage.db import make_session_factory
from storage.models import Entry
from storage.repositories import dashboard as repo

AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with make_session_factory(engine)() as session:
        yield session


def add_entries(session: Session, seed: int, count: int) -> list[Entry]:
    rng = random.Random(seed)
    made = []
    for number in range(count):
        made.append(
            Entry(
                team_id=rng.choice(["T1", "T1", "T1", "T2"]),
                kind="proud",
                author_id=rng.choice(["U1", "U2", "U3"]),
                # "C" sorts before "C0…" and "c…" after every "C…": the skipping keeps the database's order
                channel_id=rng.choice(["C", "C01", "C02", "C10", "c9", "G7", "CZZ"]),
                text="x",
                stage=rng.choice([None, None, "Buy", "Use", "buy", "Évaluer", "Use later"]),
                created_at=AT + timedelta(minutes=number),
                idempotency_key=f"{seed}-{number}",
            )
        )
    session.add_all(made)
    session.commit()
    return made


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_channels_and_stages_are_those_of_the_entries(session: Session, seed: int) -> None:
    made = add_entries(session, seed, 300)
    for author in (None, "U1", "U9"):
        mine = [e for e in made if e.team_id == "T1" and (author is None or e.author_id == author)]
        channels = repo.channels_of(session, team_id="T1", author_id=author)
        stages = repo.stages_of(session, team_id="T1", author_id=author)
        assert set(channels) == {e.channel_id for e in mine}
        assert set(stages) == {e.stage for e in mine if e.stage is not None}
        # in the database's own order, as the plain query gives them
        assert channels == sorted(channels, key=channels.index) and len(channels) == len(set(channels))
        plain = session.scalars(
            Entry.__table__.select()
            .with_only_columns(Entry.channel_id)
            .where(Entry.team_id == "T1", *([Entry.author_id == author] if author else []))
            .distinct()
            .order_by(Entry.channel_id)
        ).all()
        assert channels == list(plain)


def test_a_workspace_without_entries_or_stages_has_no_choices(session: Session) -> None:
    assert repo.channels_of(session, team_id="T1", author_id=None) == []
    assert repo.stages_of(session, team_id="T1", author_id=None) == []
    session.add(
        Entry(team_id="T1", kind="sorry", author_id="U1", channel_id="C1", text="x", created_at=AT, idempotency_key="k")
    )
    session.commit()
    assert repo.channels_of(session, team_id="T1", author_id=None) == ["C1"]
    assert repo.stages_of(session, team_id="T1", author_id=None) == []
