"""Apply and revert the Alembic migrations that define the schema."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from storage.token_cipher import TokenCipher

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine, token_cipher: TokenCipher | None = None) -> Config:
    """`token_cipher`: TOKEN_ENCRYPTION_KEYS, for the migration that encrypts stored Slack tokens (and its
    downgrade); without it that migration refuses to run on a database that holds tokens."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolates "%": a percent-encoded password or a path with "%" would break it
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    config.attributes["engine"] = engine
    config.attributes["token_cipher"] = token_cipher
    return config


def pending(engine: Engine) -> list[str]:
    """The revisions `upgrade` would apply, oldest first (connecting creates a SQLite file that is not there)."""
    script = ScriptDirectory.from_config(alembic_config(engine))
    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    todo = [
        revision.revision
        for revision in script.iterate_revisions("heads", tuple(current) or "base")
        if revision.revision not in current
    ]
    return list(reversed(todo))


def upgrade(
    engine: Engine,
    revision: str = "head",
    *,
    token_cipher: TokenCipher | None = None,
    on_applied: Callable[[str], None] | None = None,
) -> None:
    """Apply the migrations up to `revision`; `on_applied(revision)` after each one (progress)."""
    config = alembic_config(engine, token_cipher)
    if on_applied is not None:

        def applied(*_args: Any, step: Any, **_kwargs: Any) -> None:
            if step.is_upgrade and step.up_revision_id:
                on_applied(str(step.up_revision_id))

        config.attributes["on_version_apply"] = applied
    command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str = "base", *, token_cipher: TokenCipher | None = None) -> None:
    command.downgrade(alembic_config(engine, token_cipher), revision)
