"""app.manifest.http.yml, the manifest for serving over HTTP: Slack's schema, the code's ids, and nothing but
Socket Mode and the request URLs apart from app.manifest.yml (which tests/test_manifest.py holds to the code
and the served app in every other respect)."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import ids
from bot.scopes import BOT_SCOPES
from tests.test_manifest import ROOT, load_manifest, manifest_scopes, schema_errors, shortcuts, slash_commands

HTTP_MANIFEST = ROOT / "app.manifest.http.yml"
ENDPOINT = "https://YOUR-HOST/slack/events"
README = ROOT / "README.md"


def load_http_manifest() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(HTTP_MANIFEST.read_text(encoding="utf-8"))
    return data


def request_urls(manifest: dict[str, Any]) -> list[str]:
    settings = manifest["settings"]
    found = [command.get("url") for command in manifest["features"].get("slash_commands", [])]
    found += [settings["interactivity"].get("request_url"), settings["event_subscriptions"].get("request_url")]
    return [str(url) for url in found if url is not None]


def test_the_http_manifest_validates_against_slacks_schema() -> None:
    errors = schema_errors(load_http_manifest())
    assert errors == [], "app.manifest.http.yml does not validate:\n" + "\n".join(errors)


def test_the_http_manifest_declares_what_the_code_answers() -> None:
    manifest = load_http_manifest()
    assert slash_commands(manifest) == set(ids.COMMANDS)
    assert {shortcut["callback_id"] for shortcut in shortcuts(manifest)} == set(ids.MESSAGE_SHORTCUTS)
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == set(ids.BOT_EVENTS)
    assert set(manifest_scopes(manifest)) == set(BOT_SCOPES)
    assert manifest["settings"]["interactivity"]["is_enabled"] is True


def test_the_http_manifest_turns_socket_mode_off_and_sends_everything_to_slack_events() -> None:
    manifest = load_http_manifest()
    assert manifest["settings"]["socket_mode_enabled"] is False
    # every command, the buttons and forms, and the events: one URL each, the bot's endpoint
    assert request_urls(manifest) == [ENDPOINT] * (len(ids.COMMANDS) + 2)


def test_the_http_manifest_is_the_socket_mode_manifest_but_for_the_urls() -> None:
    """Whatever changes in app.manifest.yml (a command, a scope, an event) must change here too."""
    http = copy.deepcopy(load_http_manifest())
    for command in http["features"]["slash_commands"]:
        del command["url"]
    del http["settings"]["interactivity"]["request_url"]
    del http["settings"]["event_subscriptions"]["request_url"]
    http["settings"]["socket_mode_enabled"] = True

    assert http == load_manifest()


def test_the_socket_mode_manifest_has_no_urls_and_points_to_the_http_one() -> None:
    text = (ROOT / "app.manifest.yml").read_text(encoding="utf-8")
    assert request_urls(load_manifest()) == []
    assert load_manifest()["settings"]["socket_mode_enabled"] is True
    assert "app.manifest.http.yml" in text
    assert "each url / request_url below" not in text  # it had none


@pytest.mark.parametrize("where", [HTTP_MANIFEST, README])
def test_the_placeholder_is_explained_where_a_person_reads_it(where: Path) -> None:
    text = where.read_text(encoding="utf-8")
    assert re.search(r"[Rr]eplace\s+`?YOUR-HOST`?", text), where.name
    assert "app.manifest.http.yml" in README.read_text(encoding="utf-8")
