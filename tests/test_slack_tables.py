"""The OAuth tables our migrations create are the ones slack_sdk's stores read and write."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import MetaData, Table

from bot.scopes import BOT_SCOPES
from storage.models import (
    SLACK_BOTS,
    SLACK_INSTALLATIONS,
    SLACK_OAUTH_STATES,
    slack_bots,
    slack_installations,
    slack_oauth_states,
)
from storage.token_cipher import SEALED_LENGTH, TOKEN_COLUMNS

ROOT = Path(__file__).resolve().parent.parent


def shape(table: Table) -> dict[str, tuple[str, bool, bool]]:
    return {
        column.name: (
            type(column.type).__name__ + repr(getattr(column.type, "length", None)),
            column.nullable,
            column.primary_key,
        )
        for column in table.columns
    }


def indexes(table: Table) -> set[tuple[str, tuple[str, ...]]]:
    return {(str(index.name), tuple(column.name for column in index.columns)) for index in table.indexes}


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (slack_installations, SQLAlchemyInstallationStore.build_installations_table(MetaData(), SLACK_INSTALLATIONS)),
        (slack_bots, SQLAlchemyInstallationStore.build_bots_table(MetaData(), SLACK_BOTS)),
        (slack_oauth_states, SQLAlchemyOAuthStateStore.build_oauth_states_table(MetaData(), SLACK_OAUTH_STATES)),
    ],
    ids=["installations", "bots", "oauth_states"],
)
def test_our_oauth_tables_are_slack_sdks(ours: Table, theirs: Table) -> None:
    """The same columns, but for the token columns: wider, for they hold tokens encrypted."""
    sealed = TOKEN_COLUMNS.get(ours.name, ())
    assert {name: kind for name, kind in shape(ours).items() if name not in sealed} == {
        name: kind for name, kind in shape(theirs).items() if name not in sealed
    }
    for name in sealed:
        assert shape(theirs)[name] == ("String200", True, False)
        assert shape(ours)[name] == (f"String{SEALED_LENGTH}", True, False)
    assert indexes(ours) == indexes(theirs)


def test_the_scopes_the_app_asks_for_are_the_manifests() -> None:
    manifest = yaml.safe_load((ROOT / "app.manifest.yml").read_text())
    assert set(BOT_SCOPES) == set(manifest["oauth_config"]["scopes"]["bot"])
    assert len(BOT_SCOPES) == len(set(BOT_SCOPES))
