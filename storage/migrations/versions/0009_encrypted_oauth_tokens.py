"""the OAuth installations' Slack tokens are stored encrypted (TOKEN_ENCRYPTION_KEYS)

Upgrade widens the token columns (a Fernet token is longer than the token it holds) and encrypts the
tokens already stored with the first key. Downgrade decrypts them and narrows the columns again. Either
refuses, saying what to do, on a database that holds tokens when no keys were given (or keys that do
not open them); a database without tokens (one workspace, a new one) needs no keys.

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

from storage.token_cipher import KEY_COMMAND, SEALED_LENGTH, TOKEN_COLUMNS, TokenCipher, TokenKeyProblem, in_the_clear

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None

CLEAR_LENGTH = 200


Change = tuple[sa.TableClause, int, dict[str, str]]


def upgrade() -> None:
    changes = _plan(in_the_clear, lambda cipher, value: cipher.seal(value), "are stored in the clear")
    _resize(SEALED_LENGTH)
    _apply(changes)


def downgrade() -> None:
    changes = _plan(
        lambda value: not in_the_clear(value),
        lambda cipher, value: cipher.open(value),
        "are encrypted, and going back means decrypting them",
    )
    _apply(changes)
    _resize(CLEAR_LENGTH)


def _resize(length: int) -> None:
    for table, columns in TOKEN_COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(column, type_=sa.String(length=length), existing_nullable=True)


def _plan(needs: Callable[[str], bool], change: Callable[[TokenCipher, str], str], why: str) -> list[Change]:
    """Every token to rewrite, rewritten, before anything is changed: a refusal leaves the database as it was."""
    config = op.get_context().config
    cipher = config.attributes.get("token_cipher") if config is not None else None
    connection = op.get_bind()
    changes: list[Change] = []
    for name, columns in TOKEN_COLUMNS.items():
        table = sa.table(name, sa.column("id", sa.Integer), *(sa.column(column, sa.String) for column in columns))
        for row in connection.execute(sa.select(table)).mappings().all():
            values = {column: str(row[column]) for column in columns if row[column] and needs(str(row[column]))}
            if not values:
                continue
            if not isinstance(cipher, TokenCipher):
                raise TokenKeyProblem(
                    f"The Slack tokens of the installed workspaces {why}, and TOKEN_ENCRYPTION_KEYS is not set. "
                    f"Make a key with: {KEY_COMMAND} and set TOKEN_ENCRYPTION_KEYS=<that key> (keep it secret, "
                    "and keep a copy: without it the tokens cannot be read), then run the bot or "
                    "`mindset-bot db upgrade` again. Nothing was changed."
                )
            try:
                changes.append(
                    (table, int(row["id"]), {column: change(cipher, value) for column, value in values.items()})
                )
            except TokenKeyProblem:
                raise TokenKeyProblem(
                    f"The Slack tokens of the installed workspaces {why}, and TOKEN_ENCRYPTION_KEYS does not "
                    "decrypt them: set it to the keys they were encrypted with. Nothing was changed."
                ) from None
    return changes


def _apply(changes: list[Change]) -> None:
    connection = op.get_bind()
    for table, row_id, values in changes:
        connection.execute(sa.update(table).where(table.c.id == row_id).values(**values))
