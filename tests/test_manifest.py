"""app.manifest.yml against Slack's schema, against the code's ids, against the served app and its scopes.

The manifest is what a person pastes into api.slack.com: a command it declares that the app does not
answer is a command that shows "dispatch_failed" to everyone, and a scope it lacks is a call that fails
with `missing_scope` in production only.
"""

from __future__ import annotations

import ast
import copy
import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot import ids
from bot.app import build_app
from bot.deps import Deps
from storage.models import Workspace
from tests import conftest
from tests.conftest import RunningBot, serve
from tests.fake_slack import FakeSlack
from tests.slack_requests import Answer, deep, function_executed, payload
from tests.waiting import eventually

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "app.manifest.yml"
SCHEMA = Path(__file__).with_name("manifest.schema.json")
SCANNED = ("bot", "handlers")


def load_manifest() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    return data


def validator() -> jsonschema.Draft7Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def schema_errors(manifest: dict[str, Any]) -> list[str]:
    return [
        f"{'/'.join(str(part) for part in error.absolute_path) or '(root)'}: {error.message}"
        for error in sorted(validator().iter_errors(manifest), key=lambda e: list(map(str, e.absolute_path)))
    ]


def slash_commands(manifest: dict[str, Any]) -> set[str]:
    return {command["command"] for command in manifest["features"].get("slash_commands", [])}


def shortcuts(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = manifest["features"].get("shortcuts", [])
    return found


# -- the schema ----------------------------------------------------------------------------------


def test_manifest_validates_against_slacks_schema() -> None:
    errors = schema_errors(load_manifest())
    assert errors == [], "app.manifest.yml does not validate:\n" + "\n".join(errors)


@pytest.mark.parametrize(
    "breakage",
    [
        "command without a leading slash",
        "shortcut name longer than 24 characters",
        "unknown top-level key",
        "no display name",
    ],
)
def test_schema_check_rejects_a_broken_manifest(breakage: str) -> None:
    """The check above cannot pass vacuously: each of these broken copies is refused."""
    broken = copy.deepcopy(load_manifest())
    if breakage == "command without a leading slash":
        broken["features"]["slash_commands"][0]["command"] = "proud"
    elif breakage == "shortcut name longer than 24 characters":
        broken["features"]["shortcuts"][0]["name"] = "Log this message as a proud, please"
    elif breakage == "unknown top-level key":
        broken["sttings"] = broken["settings"]
    else:
        del broken["display_information"]["name"]

    assert schema_errors(broken), f"a manifest with a {breakage} validated"


# -- the manifest and the code name the same things ----------------------------------------------


def test_manifest_slash_commands_are_the_codes_commands() -> None:
    assert slash_commands(load_manifest()) == set(ids.COMMANDS)
    assert len(ids.COMMANDS) == len(set(ids.COMMANDS))


def test_manifest_shortcuts_are_the_codes_message_shortcuts() -> None:
    declared = shortcuts(load_manifest())
    assert {shortcut["type"] for shortcut in declared} == {"message"}  # no global shortcut nobody answers
    assert {shortcut["callback_id"] for shortcut in declared} == set(ids.MESSAGE_SHORTCUTS)


def test_manifest_bot_events_are_the_codes_events() -> None:
    manifest = load_manifest()
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == set(ids.BOT_EVENTS)
    # the Home tab the app_home_opened listener publishes to must be switched on
    if "app_home_opened" in ids.BOT_EVENTS:
        assert manifest["features"]["app_home"]["home_tab_enabled"] is True


def function_problems(manifest: dict[str, Any]) -> list[str]:
    """How the manifest's Workflow Builder steps differ from the code's (bot/ids.py): the steps, their input
    and output parameters (names, in order, each with a title), and the settings steps need."""
    problems: list[str] = []
    functions = manifest.get("functions", {})
    if set(functions) != set(ids.WORKFLOW_STEPS):
        problems.append(f"functions {sorted(functions)} are not the code's steps {sorted(ids.WORKFLOW_STEPS)}")
    for callback_id, (inputs, outputs) in ids.STEP_PARAMETERS.items():
        declared = functions.get(callback_id, {})
        for kind, names in (("input_parameters", inputs), ("output_parameters", outputs)):
            parameters = declared.get(kind, {})
            if list(parameters) != list(names):
                problems.append(f"{callback_id} {kind}: {list(parameters)}, the code reads {list(names)}")
            for name, parameter in parameters.items():
                if parameter.get("name", name) != name or not parameter.get("title"):
                    problems.append(f"{callback_id} {kind} {name}: a title, and its own name if any")
    settings = manifest["settings"]
    if functions and (
        ids.FUNCTION_EXECUTED not in settings["event_subscriptions"]["bot_events"]
        or settings.get("function_runtime") != "remote"
        or settings.get("org_deploy_enabled") is not True
    ):
        problems.append("steps need function_executed, function_runtime: remote and org_deploy_enabled: true")
    return problems


def test_manifest_functions_are_the_codes_workflow_steps() -> None:
    assert set(ids.STEP_PARAMETERS) == set(ids.WORKFLOW_STEPS)
    assert function_problems(load_manifest()) == []


@pytest.mark.parametrize("breakage", ["a step missing", "an input missing", "remote runtime off"])
def test_function_check_rejects_a_broken_manifest(breakage: str) -> None:
    broken = copy.deepcopy(load_manifest())
    if breakage == "a step missing":
        del broken["functions"][ids.STEP_CREATE_ACTION]
    elif breakage == "an input missing":
        del broken["functions"][ids.STEP_LOG_PROUD]["input_parameters"][ids.STEP_AUTHOR]
    else:
        del broken["settings"]["function_runtime"]
    assert function_problems(broken), f"a manifest with {breakage} passed"


def test_interactivity_is_on_for_the_buttons_modals_and_shortcuts() -> None:
    assert load_manifest()["settings"]["interactivity"]["is_enabled"] is True


# -- the served app answers everything the manifest declares --------------------------------------


def _not_unhandled(answer: Answer, what: str) -> None:
    assert answer.status == 200, f"{what} was answered {answer.status}: {answer.text!r}"
    assert "unhandled request" not in answer.text, f"{what} reached no listener: {answer.text!r}"


def _declared() -> list[tuple[str, str]]:
    manifest = load_manifest()
    declared = [("command", command) for command in sorted(slash_commands(manifest))]
    declared += [("shortcut", shortcut["callback_id"]) for shortcut in shortcuts(manifest)]
    declared += [
        ("event", event)
        for event in manifest["settings"]["event_subscriptions"]["bot_events"]
        if event != ids.FUNCTION_EXECUTED  # delivered for a step: each declared step is tried below
    ]
    declared += [("function", callback_id) for callback_id in manifest.get("functions", {})]
    return declared


@pytest.fixture
def one_worker_bot(
    deps: Deps, engine: Engine, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> Iterator[RunningBot]:
    """The bot with one background worker: background jobs run one after another, in arrival order."""
    monkeypatch.setattr(conftest, "build_app", functools.partial(build_app, background_workers=1))
    yield from serve(deps, engine, fake_slack)


def settle(bot: RunningBot) -> None:
    """Wait until the background work of earlier requests is done: a later marker's work comes after it."""
    _not_unhandled(bot.slack.send_command(ids.PROUD, "", channel="CMARKER"), "the marker /proud")
    eventually(
        lambda: [
            call
            for call in bot.fake.calls_to("views.open")
            if '"initial_conversation": "CMARKER"' in json.dumps(call.params.get("view"))
        ]
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("surface", "name"), _declared(), ids=[f"{s}:{n}" for s, n in _declared()])
def test_served_app_answers_what_the_manifest_declares(one_worker_bot: RunningBot, surface: str, name: str) -> None:
    """Registration, not storage, so SQLite only: each declared surface reaches a listener."""
    bot = one_worker_bot
    if surface == "command":
        _not_unhandled(bot.slack.send_command(name, ""), name)
    elif surface == "shortcut":
        body = bot.slack.message_shortcut(name, "The clinic got its refund today")
        _not_unhandled(bot.slack.send_interaction(body), f"shortcut {name}")
        # the shortcut's listener really ran: it opens the entry form
        [opened] = bot.fake.wait_for("views.open")
        assert opened.params["view"]["callback_id"] == ids.ENTRY_MODAL
    elif surface == "function":
        _not_unhandled(bot.slack.send_event(function_executed(name, {})), f"step {name}")
        # the step's listener really ran: it ended the step (in error: it was given no inputs)
        [ended] = bot.fake.wait_for("functions.completeError")
        assert "is empty" in ended.params["error"]
    elif name == "app_home_opened":
        event = deep(payload("app_home_opened.home_tab.json"))
        event["event_id"] = "EvManifest1"
        _not_unhandled(bot.slack.send_event(event), name)
        bot.fake.wait_for("views.publish")
    elif name == "user_change":
        event = deep(payload("user_change.json"))
        _not_unhandled(bot.slack.send_event(event), name)
        # what it changes is in tests/test_zone_change.py; here: a listener answered
    elif name in ("member_left_channel", "group_left"):
        event = deep(payload(f"{name}.json"))
        _not_unhandled(bot.slack.send_event(event), name)
        # what each changes is in tests/test_channel_membership.py; here: a listener answered
    else:
        assert name in ("app_uninstalled", "tokens_revoked"), f"add a captured {name} payload to this test"
        event = deep(payload(f"{name}.json"))
        _not_unhandled(bot.slack.send_event(event), name)
        # the listener really ran: the workspace is marked as no longer installed
        with bot.deps.session_factory() as session:
            workspace = session.get(Workspace, event["team_id"])
            assert workspace is not None and workspace.uninstalled_at is not None
    settle(bot)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_served_app_refuses_what_the_manifest_does_not_declare(bot: RunningBot) -> None:
    """The check above can fail: an undeclared command is Bolt's 404, not a quiet 200."""
    answer = bot.slack.send_command("/not-in-the-manifest", "")
    assert answer.status == 404
    assert "unhandled request" in answer.text


# -- scopes --------------------------------------------------------------------------------------

# Each Web API method the code calls, and the bot scopes it needs (empty: none).
# https://api.slack.com/methods lists the scopes of each method.
SCOPES_OF_METHOD: dict[str, frozenset[str]] = {
    "auth.test": frozenset(),
    "chat.postMessage": frozenset({"chat:write"}),
    "chat.postEphemeral": frozenset({"chat:write"}),
    "chat.update": frozenset({"chat:write"}),
    "chat.delete": frozenset({"chat:write"}),
    "chat.getPermalink": frozenset(),
    "views.open": frozenset(),
    "views.push": frozenset(),
    "views.update": frozenset(),
    "views.publish": frozenset(),
    "users.info": frozenset({"users:read"}),
    "users.list": frozenset({"users:read"}),  # `/mindset admins add @name`
    # public channels need channels:read, private ones groups:read (the meeting form checks either)
    "conversations.info": frozenset({"channels:read", "groups:read"}),
    "conversations.members": frozenset({"channels:read", "groups:read"}),
    "conversations.list": frozenset({"channels:read", "groups:read"}),
    # slack_sdk's files_upload_v2: files.getUploadURLExternal, then files.completeUploadExternal
    "files.upload.v2": frozenset({"files:write"}),
    # with the app-level token (its connections:write scope), not the bot's: `mindset-bot doctor` checks it
    "apps.connections.open": frozenset(),
    # Workflow Builder steps end with these (Bolt's complete() / fail()), with the step's own token
    "functions.completeSuccess": frozenset(),
    "functions.completeError": frozenset(),
    # Sign in with Slack (the web dashboard): the app's client id and secret, then the person's own user token
    # (the user scopes openid, email and profile: test_sign_in_with_slack_is_in_both_manifests)
    "openid.connect.token": frozenset(),
    "openid.connect.userInfo": frozenset(),
}


@dataclass(frozen=True)
class Justified:
    reason: str
    holds: bool


def _renders_use(word: str) -> bool:
    return any(word in path.read_text(encoding="utf-8") for path in sorted((ROOT / "handlers").rglob("*.py")))


def scopes_without_a_call(manifest: dict[str, Any]) -> dict[str, Justified]:
    """Scopes no Web API call needs, and whether what they are there for is really in the app."""
    calls = set(web_api_calls(sources()))
    return {
        "commands": Justified(
            "slash commands and message shortcuts",
            bool(slash_commands(manifest) or shortcuts(manifest)),
        ),
        "chat:write.public": Justified(
            "posting entries in public channels the bot has not been invited to",
            "chat.postMessage" in calls,
        ),
        "channels:read": Justified(
            "the conversations_select (public channels) in the entry modal", _renders_use('"conversations_select"')
        ),
        "groups:read": Justified(
            "the conversations_select (private channels) in the entry modal", _renders_use('"conversations_select"')
        ),
    }


def sources() -> dict[str, str]:
    return {
        str(path.relative_to(ROOT)): path.read_text(encoding="utf-8")
        for package in SCANNED
        for path in sorted((ROOT / package).rglob("*.py"))
    }


WEB_CLIENT_METHODS = frozenset(
    name
    for name in dir(WebClient)
    # api_call is what every method goes through (bot/slack_client.py's counting client overrides it)
    if not name.startswith("_") and name != "api_call" and callable(getattr(WebClient, name))
)


def api_method(attribute: str) -> str:
    """`chat_postMessage` -> `chat.postMessage`, as slack_sdk names its methods."""
    return attribute.replace("_", ".")


def web_api_calls(files: dict[str, str]) -> dict[str, list[str]]:
    """Each Web API method called in `files` (source text by path), with where: `path:line`."""
    found: dict[str, list[str]] = {}
    for path, source in files.items():
        for node in ast.walk(ast.parse(source, filename=path)):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in WEB_CLIENT_METHODS
            ):
                found.setdefault(api_method(node.func.attr), []).append(f"{path}:{node.lineno}")
    return found


def needed_scopes(calls: dict[str, list[str]]) -> dict[str, list[str]]:
    """The bot scopes the calls need, with where; fails naming any method the table does not know."""
    unknown = {method: where for method, where in calls.items() if method not in SCOPES_OF_METHOD}
    if unknown:
        listed = "; ".join(f"{method} (at {', '.join(where)})" for method, where in sorted(unknown.items()))
        pytest.fail(
            f"the code calls Web API methods this test does not know: {listed}. Add each to SCOPES_OF_METHOD "
            "in tests/test_manifest.py with the bot scopes it needs (see https://api.slack.com/methods), "
            "and add those scopes to oauth_config.scopes.bot in app.manifest.yml.",
            pytrace=False,
        )
    needed: dict[str, list[str]] = {}
    for method, where in calls.items():
        for scope in SCOPES_OF_METHOD[method]:
            needed.setdefault(scope, []).extend(where)
    return needed


def manifest_scopes(manifest: dict[str, Any]) -> list[str]:
    found: list[str] = manifest["oauth_config"]["scopes"]["bot"]
    return found


def test_scan_finds_the_calls_the_app_is_known_to_make() -> None:
    """The scanner is not blind: it sees the calls every scenario test relies on."""
    calls = web_api_calls(sources())
    for method in ("chat.postMessage", "views.open", "views.publish", "users.info", "auth.test", "chat.update"):
        assert method in calls, f"the scan of {', '.join(SCANNED)} missed {method}"
    assert any(where.startswith("handlers/events/home.py:") for where in calls["views.publish"])


def test_every_scope_the_code_needs_is_in_the_manifest() -> None:
    needed = needed_scopes(web_api_calls(sources()))
    granted = set(manifest_scopes(load_manifest()))
    missing = {scope: where for scope, where in needed.items() if scope not in granted}
    assert missing == {}, f"add these scopes to oauth_config.scopes.bot (needed at): {missing}"


def test_an_unknown_web_api_method_fails_with_advice() -> None:
    code = "def react(client):\n    client.reactions_add(channel='C1', timestamp='1.2', name='tada')\n"
    calls = web_api_calls({"handlers/example.py": code})
    assert calls == {"reactions.add": ["handlers/example.py:2"]}

    with pytest.raises(pytest.fail.Exception) as failed:
        needed_scopes(calls)

    message = str(failed.value)
    assert "reactions.add" in message
    assert "handlers/example.py:2" in message
    assert "SCOPES_OF_METHOD" in message


def test_scan_ignores_what_is_not_a_web_client_method() -> None:
    code = "def f(session, client):\n    session.get(1)\n    client.chat_postMessage(channel='C1')\n    chat_update()\n"
    assert web_api_calls({"x.py": code}) == {"chat.postMessage": ["x.py:3"]}


def test_every_manifest_scope_is_justified() -> None:
    manifest = load_manifest()
    granted = manifest_scopes(manifest)
    assert len(granted) == len(set(granted)), f"a scope is listed twice: {granted}"
    needed = needed_scopes(web_api_calls(sources()))
    allowed = scopes_without_a_call(manifest)
    unjustified: list[str] = []
    for scope in granted:
        if scope in needed:
            continue
        justified = allowed.get(scope)
        if justified is None:
            unjustified.append(f"{scope}: no call needs it and it is not in the allow-list")
        elif not justified.holds:
            unjustified.append(f"{scope}: allowed for {justified.reason}, but the app no longer has that")
    assert unjustified == [], "scopes to drop from app.manifest.yml (least privilege):\n" + "\n".join(unjustified)


# -- Sign in with Slack (the web dashboard) ---------------------------------------------------------


@pytest.mark.parametrize("name", ["app.manifest.yml", "app.manifest.http.yml"])
def test_sign_in_with_slack_is_in_both_manifests(name: str) -> None:
    """The dashboard's sign-in asks for these user scopes and comes back to its callback page: Slack refuses a
    redirect_uri not listed in the app's redirect URLs, and a scope the app does not declare."""
    from bot.dashboard.oidc import SCOPES
    from bot.dashboard.web import PREFIX

    manifest = yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))
    assert sorted(manifest["oauth_config"]["scopes"]["user"]) == sorted(SCOPES.split())
    assert manifest["oauth_config"]["redirect_urls"] == [f"https://YOUR-HOST{PREFIX}/oidc"]
