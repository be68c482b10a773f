"""Slack tokens at rest: the OAuth installations' bot (and refresh) tokens are stored encrypted.

Fernet (AES-128-CBC with an HMAC-SHA256, from `cryptography`) under the keys of TOKEN_ENCRYPTION_KEYS:
the first key encrypts, every key decrypts (MultiFernet), so a key is rotated by putting a new one
first, re-encrypting (`mindset-bot db rotate-tokens`) and then dropping the old one. A stored value is
a Fernet token (it starts with `gAAAAA`); a Slack token in the clear starts with `xox` and is only ever
found in a database the migration to encrypted tokens has not reached yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import String, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# The command that makes a key, for the messages that ask for one.
KEY_COMMAND = 'python3 -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
# The token columns of slack_sdk's installation store tables (storage/models.py), by table.
TOKEN_COLUMNS: dict[str, tuple[str, ...]] = {
    "slack_bots": ("bot_token", "bot_refresh_token"),
    "slack_installations": ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token"),
}
# Wide enough for a Fernet token of any token the columns held in the clear (200 characters: 356).
SEALED_LENGTH = 500
CLEAR_PREFIX = "xox"  # every Slack token: xoxb-, xoxp-, xoxe-, xoxe.xoxb-


class TokenKeyProblem(Exception):
    """The stored tokens cannot be read or written with the keys given (or no keys were given)."""


class TokenCipher:
    """Encrypts with the first key, decrypts with any of them."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("needs at least one key")
        self._keys = tuple(Fernet(key) for key in keys)
        self._all = MultiFernet(list(self._keys))

    @classmethod
    def parse(cls, text: str) -> TokenCipher:
        """Comma-separated keys, as TOKEN_ENCRYPTION_KEYS holds them; a ValueError saying which one is wrong."""
        keys = [key.strip() for key in text.split(",") if key.strip()]
        if not keys:
            raise ValueError("holds no key")
        for number, key in enumerate(keys, start=1):
            try:
                Fernet(key)
            except (ValueError, TypeError):
                raise ValueError(
                    f"key {number} of {len(keys)} is not a Fernet key (44 characters of url-safe base64)"
                ) from None
        return cls(keys)

    @property
    def key_count(self) -> int:
        return len(self._keys)

    def seal(self, token: str) -> str:
        return self._keys[0].encrypt(token.encode("utf-8")).decode("ascii")

    def open(self, sealed: str) -> str:
        """The token; `TokenKeyProblem` when none of the keys opens it."""
        try:
            return self._all.decrypt(sealed.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError) as error:
            raise TokenKeyProblem("a stored Slack token cannot be decrypted with TOKEN_ENCRYPTION_KEYS") from error

    def under_first_key(self, sealed: str) -> bool:
        try:
            self._keys[0].decrypt(sealed.encode("ascii"))
            return True
        except (InvalidToken, UnicodeError):
            return False

    def rotate(self, sealed: str) -> str:
        """The same token, encrypted with the first key."""
        try:
            return self._all.rotate(sealed.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeError) as error:
            raise TokenKeyProblem("a stored Slack token cannot be decrypted with TOKEN_ENCRYPTION_KEYS") from error


def in_the_clear(value: str) -> bool:
    return value.startswith(CLEAR_PREFIX)


class SealedToken(TypeDecorator[str]):
    """A token column read and written through a cipher: the database only ever sees ciphertext."""

    impl = String(SEALED_LENGTH)
    cache_ok = True

    def __init__(self, cipher: TokenCipher) -> None:
        super().__init__()
        self.cipher = cipher

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else self.cipher.seal(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else self.cipher.open(str(value))


def seal_columns(table: Table, cipher: TokenCipher) -> Table:
    """`table` (slack_sdk's own declaration of one of the store's tables), its token columns encrypted."""
    for name in TOKEN_COLUMNS[table.name]:
        table.c[name].type = SealedToken(cipher)
    return table
