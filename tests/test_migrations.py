"""The Alembic migrations are the schema: they build exactly the models, and every one of them can be undone.

Each test starts from a brand-new, empty database (a new SQLite file, a new PostgreSQL database).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from storage import migrate
from storage.db import make_engine
from storage.models import Base
from tests.conftest import create_pg_database, drop_pg_database

MODEL_TABLES = set(Base.metadata.tables)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a database nothing has touched yet."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}", pool_size=1)
        yield engine
        engine.dispose()
        return
    admin_url: str = request.getfixturevalue("postgres_admin_url")
    url = create_pg_database(admin_url, prefix="mindset_migrations")
    engine = make_engine(url, pool_size=1)
    try:
        yield engine
    finally:
        engine.dispose()
        drop_pg_database(admin_url, url)


def differences(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        found: list[Any] = compare_metadata(context, Base.metadata)
        return found


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def autoincrement(engine: Engine, table: str) -> bool:
    """SQLite: whether the table hands out ids of deleted rows again (no) or not (AUTOINCREMENT)."""
    if engine.dialect.name != "sqlite":
        return False
    with engine.connect() as connection:
        sql = connection.execute(
            text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :name"), {"name": table}
        ).scalar_one()
    return "AUTOINCREMENT" in str(sql).upper()


def schema(engine: Engine) -> dict[str, Any]:
    """What a revision leaves behind: each table's columns (name, type, nullability), indexes and keys."""
    inspector = inspect(engine)
    snapshot: dict[str, Any] = {}
    for table in sorted(inspector.get_table_names()):
        snapshot[table] = {
            "autoincrement": autoincrement(engine, table),
            "columns": [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)],
            "indexes": sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in inspector.get_indexes(table)
            ),
            "unique": sorted((u["name"], tuple(u["column_names"])) for u in inspector.get_unique_constraints(table)),
            "foreign_keys": sorted(
                (tuple(fk["constrained_columns"]), fk["referred_table"], tuple(fk["referred_columns"]))
                for fk in inspector.get_foreign_keys(table)
            ),
        }
    return snapshot


def revisions_in_order(engine: Engine) -> list[str]:
    script = ScriptDirectory.from_config(migrate.alembic_config(engine))
    assert len(script.get_heads()) == 1, f"the migrations have several heads: {script.get_heads()}"
    return [revision.revision for revision in reversed(list(script.walk_revisions("base", "heads")))]


def test_upgraded_empty_database_matches_the_models(empty_engine: Engine) -> None:
    assert tables(empty_engine) == set()

    migrate.upgrade(empty_engine)

    found = differences(empty_engine)
    assert found == [], "the migrations and storage/models.py disagree:\n" + "\n".join(map(repr, found))
    assert tables(empty_engine) == MODEL_TABLES | {"alembic_version"}
    assert current_revision(empty_engine) == revisions_in_order(empty_engine)[-1]


def test_comparison_sees_a_schema_that_lacks_the_models(empty_engine: Engine) -> None:
    """The check above can fail: a database one migration short differs from the models."""
    first = revisions_in_order(empty_engine)[0]
    migrate.upgrade(empty_engine, first)

    missing_tables = {diff[1].name for diff in differences(empty_engine) if diff[0] == "add_table"}

    assert missing_tables
    assert missing_tables <= MODEL_TABLES
    assert missing_tables.isdisjoint(tables(empty_engine))


def test_upgrading_twice_changes_nothing(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine)
    before = schema(empty_engine)

    migrate.upgrade(empty_engine)

    assert schema(empty_engine) == before


def test_downgrade_to_base_and_upgrade_again(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine)
    upgraded = schema(empty_engine)

    migrate.downgrade(empty_engine, "base")

    assert tables(empty_engine) <= {"alembic_version"}
    assert current_revision(empty_engine) is None

    migrate.upgrade(empty_engine)

    assert schema(empty_engine) == upgraded
    assert differences(empty_engine) == []


def test_each_revision_upgrades_and_downgrades_one_step_at_a_time(empty_engine: Engine) -> None:
    revisions = revisions_in_order(empty_engine)
    assert len(revisions) >= 2
    # up, one step at a time, remembering what each step left behind
    after: dict[str | None, dict[str, Any]] = {None: schema(empty_engine)}
    previous: str | None = None
    for revision in revisions:
        migrate.upgrade(empty_engine, revision)
        assert current_revision(empty_engine) == revision
        after[revision] = schema(empty_engine)
        module = ScriptDirectory.from_config(migrate.alembic_config(empty_engine)).get_revision(revision).module
        if empty_engine.dialect.name in getattr(module, "CHANGES_ONLY", (empty_engine.dialect.name,)):
            assert after[revision] != after[previous], f"revision {revision} changed nothing"
        previous = revision

    # down, one step at a time: each downgrade gives back exactly the schema of the revision before
    for index in range(len(revisions) - 1, -1, -1):
        previous = revisions[index - 1] if index else None
        migrate.downgrade(empty_engine, previous or "base")
        assert current_revision(empty_engine) == previous, f"downgrade of {revisions[index]}"
        expected = {name: value for name, value in after[previous].items() if name != "alembic_version"}
        found = {name: value for name, value in schema(empty_engine).items() if name != "alembic_version"}
        assert found == expected, f"downgrading {revisions[index]} did not give back the schema of {previous}"


def test_a_database_url_with_a_percent_sign_migrates(tmp_path: Path) -> None:
    """Alembic's configuration reads `%` as interpolation: a percent-encoded password or a file named
    with `@` (rendered as `%40`) once stopped `mindset-bot run` with "invalid interpolation syntax"."""
    folder = tmp_path / "team@50%"
    folder.mkdir()
    engine = make_engine(f"sqlite:///{folder / 'bot@v1.db'}", pool_size=1)
    try:
        assert "%" in engine.url.render_as_string(hide_password=False)
        migrate.upgrade(engine)
        assert "entries" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


# -- SQLite never hands out a deleted row's id again (issue 17) -------------------------------------

BUTTON_TABLES = (
    "entries",
    "customer_groups",
    "action_items",
    "meetings",
    "meeting_questions",
    "meeting_prompts",
    "lead_links",
    "lead_reviews",
    "futures",
)


def test_sqlite_tables_whose_ids_buttons_carry_never_reuse_an_id(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'ids.db'}", pool_size=1)
    try:
        migrate.upgrade(engine)
        assert all(autoincrement(engine, table) for table in BUTTON_TABLES)
        insert = text(
            "INSERT INTO entries (team_id, kind, author_id, channel_id, text, created_at, idempotency_key) "
            "VALUES ('T1', 'proud', 'U1', 'C1', :text, '2026-12-07 00:00:00', :key)"
        )
        with engine.begin() as connection:
            first = connection.execute(insert, {"text": "old", "key": "k1"}).lastrowid
            connection.execute(text("DELETE FROM entries WHERE id = :id"), {"id": first})
            second = connection.execute(insert, {"text": "new", "key": "k2"}).lastrowid
        # a button still showing the deleted entry names an id that is nobody's now
        assert second != first
    finally:
        engine.dispose()


def test_rebuilding_the_sqlite_tables_keeps_rows_tags_and_indexes(tmp_path: Path) -> None:
    """An existing database, migrated to AUTOINCREMENT: every row, every tag (a foreign key to a rebuilt table,
    ON DELETE CASCADE) and every index (the partial one too) survive; the highest id is not handed out again."""
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}", pool_size=1)
    try:
        revisions = revisions_in_order(engine)
        before_rebuild = revisions[revisions.index(_rebuild_revision(engine)) - 1]
        migrate.upgrade(engine, before_rebuild)
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO customer_groups (id, team_id, name, name_key, created_by, created_at) "
                    "VALUES (7, 'T1', 'Clinics', 'clinics', 'U1', '2026-12-01 00:00:00')"
                )
            )
            for entry_id in (1, 2, 3):
                connection.execute(
                    text(
                        "INSERT INTO entries (id, team_id, kind, author_id, channel_id, text, created_at, "
                        "idempotency_key) VALUES (:id, 'T1', 'proud', 'U1', 'C1', 'x', '2026-12-01 00:00:00', :key)"
                    ),
                    {"id": entry_id, "key": f"k{entry_id}"},
                )
                connection.execute(
                    text("INSERT INTO entry_customer_groups (entry_id, group_id) VALUES (:id, 7)"), {"id": entry_id}
                )
        indexes_before = schema(engine)["entries"]["indexes"]

        migrate.upgrade(engine)

        with engine.begin() as connection:
            assert connection.execute(text("SELECT count(*) FROM entries")).scalar_one() == 3
            assert connection.execute(text("SELECT count(*) FROM entry_customer_groups")).scalar_one() == 3
            assert connection.execute(text("PRAGMA foreign_key_check")).fetchall() == []
            partial = connection.execute(
                text("SELECT sql FROM sqlite_master WHERE name = 'ix_entries_unposted'")
            ).scalar_one()
            assert "WHERE message_ts IS NULL AND post_error IS NULL" in partial
            connection.execute(text("DELETE FROM entries WHERE id = 3"))
            again = connection.execute(
                text(
                    "INSERT INTO entries (team_id, kind, author_id, channel_id, text, created_at, idempotency_key) "
                    "VALUES ('T1', 'proud', 'U1', 'C1', 'y', '2026-12-02 00:00:00', 'k9')"
                )
            ).lastrowid
            assert connection.execute(text("PRAGMA foreign_keys")).scalar_one() == 1  # on again after migrating
        assert again == 4
        # every index survives the rebuild; later migrations (0025) add their own
        added_later = [
            ("ix_entries_team_channel", ("team_id", "channel_id"), False),
            ("ix_entries_team_stage", ("team_id", "stage"), False),
        ]
        assert schema(engine)["entries"]["indexes"] == sorted([*indexes_before, *added_later])
        assert all(autoincrement(engine, table) for table in BUTTON_TABLES)
        assert differences(engine) == []
    finally:
        engine.dispose()


def _rebuild_revision(engine: Engine) -> str:
    script = ScriptDirectory.from_config(migrate.alembic_config(engine))
    [found] = [
        revision.revision
        for revision in script.walk_revisions("base", "heads")
        if getattr(revision.module, "CHANGES_ONLY", None) == ("sqlite",)
    ]
    return found


def test_gitignore_ignores_the_sqlite_lock_file() -> None:
    patterns = [
        line.strip()
        for line in (Path(__file__).resolve().parent.parent / ".gitignore").read_text(encoding="utf-8").splitlines()
    ]
    for name in ("mindset.db", "mindset.db-wal", "mindset.db-shm", "mindset.db.lock"):
        assert any(fnmatch.fnmatch(name, pattern) for pattern in patterns if pattern), name
