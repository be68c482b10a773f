"""Many workspaces: the Slack tokens the installs bring are stored encrypted (TOKEN_ENCRYPTION_KEYS).

Nothing in the database is a token: a copy of it (a backup, a dump, a read-only leak) gives no access to
any workspace. The bot refuses to serve many workspaces without a key, and with keys that cannot open
the stored tokens; the keys rotate without a reinstall; the migration encrypts the tokens stored before.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from cryptography.fernet import Fernet
from sqlalchemy import Engine, insert, select

from bot.cli import CliError, _wire, main
from bot.doctor import run_checks
from bot.settings import Settings, SettingsError, load_settings
from storage import migrate
from storage.db import make_engine
from storage.models import slack_bots, slack_installations
from storage.token_cipher import KEY_COMMAND, TokenCipher, TokenKeyProblem
from tests.conftest import SIGNING_SECRET, TOKEN_KEY, make_settings
from tests.fake_slack import FakeSlack
from tests.test_cli import mindset_bot, no_traceback
from tests.test_migrations import empty_engine  # noqa: F401 - a fixture
from tests.test_oauth import CLIENT_ID, CLIENT_SECRET, OAuthBot, rows, serve_oauth

NEW_KEY = "p7asCauB4H7hzGfw1k5_XRV5_edOucmkRNm70vsPkxM="


def _revision_before_encryption() -> str:
    config = Config()
    config.set_main_option("script_location", str(migrate.MIGRATIONS_DIR))
    [encrypting] = [
        revision
        for revision in ScriptDirectory.from_config(config).walk_revisions()
        if str(revision.path).endswith("_encrypted_oauth_tokens.py")
    ]
    assert isinstance(encrypting.down_revision, str)
    return encrypting.down_revision


BEFORE = _revision_before_encryption()
TOKEN_FIELDS = {
    "slack_bots": ("bot_token", "bot_refresh_token"),
    "slack_installations": ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token"),
}


@pytest.fixture
def oauth_bot(engine: Engine, fake_slack: FakeSlack) -> Iterator[OAuthBot]:
    yield from serve_oauth(engine, fake_slack)


def stored_values(engine: Engine) -> list[str]:
    """Every token column's value, as the database holds it."""
    found = []
    for table in (slack_bots, slack_installations):
        for row in rows(engine, table):
            found += [str(row[column]) for column in TOKEN_FIELDS[table.name] if row[column] is not None]
    return found


def oauth_settings(engine: Engine, fake: FakeSlack | None = None, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": None,
        "slack_client_id": CLIENT_ID,
        "slack_client_secret": CLIENT_SECRET,
        "database_url": str(engine.url),
    }
    if fake is not None:
        values["slack_api_url"] = fake.api_url
    return make_settings(**values | overrides)


# -- stored encrypted, used in the clear ---------------------------------------------------------------


def test_an_install_stores_its_token_encrypted_and_the_bot_uses_the_token(oauth_bot: OAuthBot) -> None:
    token = oauth_bot.install("T111")

    stored = stored_values(oauth_bot.engine)
    assert len(stored) == 2  # the installation's and the bot's
    for value in stored:
        assert "xox" not in value and token not in value
        assert value.startswith("gAAAAA")  # a Fernet token
        assert TokenCipher.parse(TOKEN_KEY).open(value) == token
    # two encryptions of the same token differ (a random IV): equal ciphertexts would tell equal tokens apart
    assert stored[0] != stored[1]
    # the bot reads it back as the token, and Slack gets the token (the fake refuses anything but xoxb-)
    assert oauth_bot.wiring.clients.for_team("T111") is not None
    assert oauth_bot.slack.send_command("/proud", "Called the clinic back", team="T111").status == 200
    [post] = oauth_bot.fake.wait_for("chat.postMessage")
    assert post.token == token


def test_a_token_of_another_key_cannot_be_read(oauth_bot: OAuthBot) -> None:
    oauth_bot.install("T111")
    [stored, _] = stored_values(oauth_bot.engine)

    with pytest.raises(TokenKeyProblem):
        TokenCipher.parse(NEW_KEY).open(stored)


# -- no key, a malformed key, a wrong key ---------------------------------------------------------------


def test_many_workspaces_without_a_key_refuse_to_start_and_say_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(
            Settings,
            _env_file=None,
            slack_client_id=CLIENT_ID,
            slack_client_secret=CLIENT_SECRET,
            slack_signing_secret=SIGNING_SECRET,
        )
    [line] = refused.value.lines
    assert line.startswith("TOKEN_ENCRYPTION_KEYS is missing: make a key with: ")
    assert KEY_COMMAND in line

    result = mindset_bot(
        "run",
        cwd=tmp_path,
        SLACK_CLIENT_ID=CLIENT_ID,
        SLACK_CLIENT_SECRET=CLIENT_SECRET,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        DATABASE_URL=f"sqlite:///{tmp_path / 'mindset.db'}",
    )
    assert result.returncode == 2, result.stdout + result.stderr
    no_traceback(result)
    assert f"TOKEN_ENCRYPTION_KEYS is missing: make a key with: {KEY_COMMAND}" in result.stderr
    assert not (tmp_path / "mindset.db").exists()  # refused before anything was opened


def test_the_command_it_prints_makes_a_key_that_works() -> None:
    program, *arguments = shlex.split(KEY_COMMAND)
    assert program == "python3"
    made = subprocess.run([sys.executable, *arguments], capture_output=True, text=True, timeout=60, check=True)
    cipher = TokenCipher.parse(made.stdout.strip())
    assert cipher.open(cipher.seal("xoxb-1-2-3")) == "xoxb-1-2-3"


@pytest.mark.parametrize(
    ("keys", "why"),
    [
        ("not-a-key", "key 1 of 1 is not a Fernet key"),
        (f"{NEW_KEY},{NEW_KEY[:-2]}", "key 2 of 2 is not a Fernet key"),
        (" , ", "holds no key"),
    ],
)
def test_a_malformed_key_is_named(keys: str, why: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(
            Settings,
            _env_file=None,
            slack_client_id=CLIENT_ID,
            slack_client_secret=CLIENT_SECRET,
            slack_signing_secret=SIGNING_SECRET,
            token_encryption_keys=keys,
        )
    [line] = refused.value.lines
    assert line.startswith(f"TOKEN_ENCRYPTION_KEYS is invalid ({why}")
    assert NEW_KEY not in line


def test_one_workspace_needs_no_key() -> None:
    settings = make_settings(token_encryption_keys=None)
    assert not settings.oauth and settings.token_cipher is None


def test_the_keys_never_reach_the_logs() -> None:
    settings = make_settings(token_encryption_keys=f"{NEW_KEY},{TOKEN_KEY}")
    assert {NEW_KEY, TOKEN_KEY} <= set(settings.secrets())


def test_a_wrong_key_refuses_to_start_and_doctor_says_so(
    oauth_bot: OAuthBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    oauth_bot.install("T111")
    oauth_bot.install("T222")

    with pytest.raises(CliError) as refused:
        _wire(oauth_settings(oauth_bot.engine, token_encryption_keys=NEW_KEY), oauth_bot.engine)
    assert refused.value.code == 2
    assert "TOKEN_ENCRYPTION_KEYS cannot decrypt 4 of the 4 stored Slack tokens (workspaces T111, T222)" in str(
        refused.value
    )

    doctor = doctor_lines(monkeypatch, tmp_path, oauth_bot.engine, NEW_KEY)
    assert doctor["token encryption"].startswith(
        "PROBLEM  token encryption: TOKEN_ENCRYPTION_KEYS cannot decrypt 4 of the 4 stored Slack tokens"
    )
    assert "set TOKEN_ENCRYPTION_KEYS to the key(s) they were encrypted with" in doctor["token encryption"]

    assert doctor_lines(monkeypatch, tmp_path, oauth_bot.engine, TOKEN_KEY)["token encryption"].startswith(
        "OK       token encryption: the 4 stored Slack tokens are encrypted and TOKEN_ENCRYPTION_KEYS (1 key)"
    )


def doctor_lines(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, engine: Engine, keys: str) -> dict[str, str]:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    for name, value in {
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "TOKEN_ENCRYPTION_KEYS": keys,
        "DATABASE_URL": engine.url.render_as_string(hide_password=False),
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    return {check.name: check.line() for check in run_checks()}


# -- rotation ---------------------------------------------------------------------------------------------


def test_keys_rotate_without_a_reinstall(
    oauth_bot: OAuthBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    token = oauth_bot.install("T111")
    engine = oauth_bot.engine

    # 1. the new key first, the old one after it: the stored tokens still open, new ones use the new key
    both = f"{NEW_KEY},{TOKEN_KEY}"
    wiring = _wire(oauth_settings(engine, oauth_bot.fake, token_encryption_keys=both), engine)
    assert wiring.clients.for_team("T111") is not None
    assert doctor_lines(monkeypatch, tmp_path, engine, both)["token encryption"].endswith(
        "; 2 are under an older key: run `mindset-bot db rotate-tokens`, then remove the older keys"
    )

    # 2. re-encrypt with the new key
    assert main(["db", "rotate-tokens"]) == 0
    assert "Re-encrypted 2 of the 2 stored Slack tokens" in capsys.readouterr().out
    assert [TokenCipher.parse(NEW_KEY).open(value) for value in stored_values(engine)] == [token, token]

    # 3. the old key goes
    wiring = _wire(oauth_settings(engine, oauth_bot.fake, token_encryption_keys=NEW_KEY), engine)
    client = wiring.clients.for_team("T111")
    assert client is not None and client.token == token
    assert "OK" in doctor_lines(monkeypatch, tmp_path, engine, NEW_KEY)["token encryption"]


def test_rotating_without_the_old_key_changes_nothing(
    oauth_bot: OAuthBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    oauth_bot.install("T111")
    before = stored_values(oauth_bot.engine)
    doctor_lines(monkeypatch, tmp_path, oauth_bot.engine, NEW_KEY)  # the environment, with the new key alone

    assert main(["db", "rotate-tokens"]) == 2
    assert "cannot decrypt 2 of the 2 stored Slack tokens (workspaces T111)" in capsys.readouterr().err
    assert stored_values(oauth_bot.engine) == before


# -- the migration ----------------------------------------------------------------------------------------


@pytest.fixture
def before_encryption(empty_engine: Engine) -> Engine:  # noqa: F811 - the fixture imported above
    """A new database at the revision before tokens were encrypted, holding tokens in the clear."""
    engine = empty_engine
    migrate.upgrade(engine, BEFORE)
    with engine.begin() as connection:
        common = {"client_id": CLIENT_ID, "app_id": "A111", "team_id": "T111", "is_enterprise_install": False}
        connection.execute(insert(slack_bots).values(bot_token="xoxb-T111-old", **common))
        connection.execute(
            insert(slack_installations).values(
                user_id="W111", bot_token="xoxb-T111-old", user_token="xoxp-W111-old", **common
            )
        )
    return engine


def clear_values(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return [
            *connection.execute(select(slack_bots.c.bot_token)).scalars(),
            *connection.execute(select(slack_installations.c.bot_token, slack_installations.c.user_token)).one(),
        ]


def revision(engine: Engine) -> str:
    with engine.connect() as connection:
        return str(MigrationContext.configure(connection).get_current_revision())


def test_the_migration_encrypts_the_tokens_stored_before(before_encryption: Engine) -> None:
    engine = before_encryption
    assert clear_values(engine) == ["xoxb-T111-old", "xoxb-T111-old", "xoxp-W111-old"]

    migrate.upgrade(engine, token_cipher=TokenCipher.parse(TOKEN_KEY))

    stored = stored_values(engine)
    assert len(stored) == 3 and not any(value.startswith("xox") for value in stored)
    cipher = TokenCipher.parse(TOKEN_KEY)
    assert sorted(cipher.open(value) for value in stored) == ["xoxb-T111-old", "xoxb-T111-old", "xoxp-W111-old"]

    # and back: downgrading decrypts them
    migrate.downgrade(engine, BEFORE, token_cipher=cipher)
    assert clear_values(engine) == ["xoxb-T111-old", "xoxb-T111-old", "xoxp-W111-old"]


def test_the_migration_without_a_key_refuses_and_changes_nothing(before_encryption: Engine) -> None:
    engine = before_encryption

    with pytest.raises(TokenKeyProblem) as refused:
        migrate.upgrade(engine)

    assert KEY_COMMAND in str(refused.value) and "Nothing was changed" in str(refused.value)
    assert revision(engine) == BEFORE
    assert clear_values(engine) == ["xoxb-T111-old", "xoxb-T111-old", "xoxp-W111-old"]


def test_db_upgrade_without_a_key_says_how_to_make_one(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'mindset.db'}"
    engine = make_engine(url, pool_size=1)
    migrate.upgrade(engine, BEFORE)
    with engine.begin() as connection:
        connection.execute(
            insert(slack_bots).values(client_id=CLIENT_ID, app_id="A111", team_id="T111", bot_token="xoxb-T111-old")
        )
    engine.dispose()

    refused = mindset_bot("db", "upgrade", cwd=tmp_path, DATABASE_URL=url)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    no_traceback(refused)
    assert KEY_COMMAND in refused.stderr

    key = Fernet.generate_key().decode()
    done = mindset_bot("db", "upgrade", cwd=tmp_path, DATABASE_URL=url, TOKEN_ENCRYPTION_KEYS=key)
    assert done.returncode == 0, done.stdout + done.stderr
    engine = make_engine(url, pool_size=1)
    try:
        [stored] = stored_values(engine)
        assert TokenCipher.parse(key).open(stored) == "xoxb-T111-old"
        assert key not in done.stdout + done.stderr
    finally:
        engine.dispose()


def test_downgrading_encrypted_tokens_without_the_key_is_refused(oauth_bot: OAuthBot) -> None:
    oauth_bot.install("T111")
    before = stored_values(oauth_bot.engine)

    with pytest.raises(TokenKeyProblem, match="TOKEN_ENCRYPTION_KEYS is not set"):
        migrate.downgrade(oauth_bot.engine, BEFORE)
    with pytest.raises(TokenKeyProblem, match="does not decrypt them"):
        migrate.downgrade(oauth_bot.engine, BEFORE, token_cipher=TokenCipher.parse(NEW_KEY))

    assert stored_values(oauth_bot.engine) == before
