"""The fake Slack is as strict as Slack: what Slack refuses, it refuses, so a test cannot pass on a call that
would fail in production (a misspelled method, a missing argument, a token of the wrong kind)."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from tests.fake_slack import APP, BOT, CLIENT, FUNCTION, METHODS, USER, FakeSlack, dm_channel
from tests.test_manifest import sources, web_api_calls

BOT_TOKEN = "xoxb-fake-test"
APP_TOKEN = "xapp-1-A111-fake-test"
VIEW = {"type": "modal", "title": {"type": "plain_text", "text": "Hi"}, "blocks": [{"type": "divider"}]}


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    fake = FakeSlack()  # not the fixture: these tests make violations on purpose
    yield fake
    fake.close()


def client(fake: FakeSlack, token: str | None = BOT_TOKEN) -> WebClient:
    return WebClient(base_url=fake.api_url, token=token, retry_handlers=[])


def refusal(call: Any) -> str:
    with pytest.raises(SlackApiError) as refused:
        call()
    return str(refused.value.response["error"])


# -- the table covers the code ------------------------------------------------------------------


def test_every_method_the_code_calls_is_in_the_table() -> None:
    called = set(web_api_calls(sources()))
    # slack_sdk's files_upload_v2 is two Web API calls
    if "files.upload.v2" in called:
        called = (called - {"files.upload.v2"}) | {"files.getUploadURLExternal", "files.completeUploadExternal"}
    called |= {"oauth.v2.access"}  # Bolt's OAuth flow exchanges the code
    missing = sorted(called - METHODS.keys())
    assert missing == [], f"add these methods to METHODS in tests/fake_slack.py, with what Slack requires: {missing}"


def test_the_table_names_only_real_token_kinds() -> None:
    assert {method.token for method in METHODS.values()} <= {BOT, APP, CLIENT, FUNCTION, USER}
    assert METHODS["apps.connections.open"].token == APP
    assert METHODS["oauth.v2.access"].token == CLIENT


# -- unknown methods ----------------------------------------------------------------------------


def test_an_unknown_method_is_refused_and_recorded(fake: FakeSlack) -> None:
    slack = client(fake)

    assert refusal(lambda: slack.api_call("chat.postMesage", json={"channel": "C1", "text": "hi"})) == "unknown_method"
    assert refusal(lambda: slack.reactions_add(channel="C1", timestamp="1.2", name="tada")) == "unknown_method"
    assert fake.violations == [
        "chat.postMesage: unknown_method (chat.postMesage is not a Web API method the fake knows)",
        "reactions.add: unknown_method (reactions.add is not a Web API method the fake knows)",
    ]


def test_a_test_cannot_script_a_method_the_bot_could_never_call(fake: FakeSlack) -> None:
    with pytest.raises(ValueError, match="chat.postMesage"):
        fake.fail("chat.postMesage", "channel_not_found")


# -- required arguments --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "arguments", "missing"),
    [
        ("chat.postMessage", {"text": "hi"}, "channel"),
        ("chat.postMessage", {"channel": "C1"}, "text or blocks or attachments"),
        ("chat.postMessage", {"channel": "C1", "text": ""}, "text or blocks or attachments"),
        ("chat.update", {"channel": "C1", "text": "hi"}, "ts"),
        ("chat.delete", {"ts": "1.2"}, "channel"),
        ("chat.getPermalink", {"channel": "C1", "ts": "1.2"}, "message_ts"),
        ("chat.postEphemeral", {"channel": "C1", "text": "hi"}, "user"),
        ("views.open", {"view": VIEW}, "trigger_id or interactivity_pointer"),
        ("views.open", {"trigger_id": "1.2.abc"}, "view"),
        ("views.publish", {"view": VIEW}, "user_id"),
        ("views.update", {"view": VIEW}, "view_id or external_id"),
        ("users.info", {}, "user"),
        ("conversations.info", {}, "channel"),
        ("conversations.members", {}, "channel"),
        ("files.getUploadURLExternal", {"filename": "chart.png"}, "length"),
        ("files.completeUploadExternal", {"channel_id": "C1"}, "files"),
    ],
)
def test_a_missing_required_argument_is_refused(
    fake: FakeSlack, method: str, arguments: dict[str, Any], missing: str
) -> None:
    assert refusal(lambda: client(fake).api_call(method, json=arguments)) == "invalid_arguments"
    assert fake.violations == [f"{method}: invalid_arguments (missing required field: {missing})"]


def test_arguments_count_in_a_form_body_a_json_body_and_the_query(fake: FakeSlack) -> None:
    slack = client(fake)
    slack.chat_postMessage(channel="C1", text="a form body")  # slack_sdk's own encoding
    slack.api_call("chat.update", json={"channel": "C1", "ts": "1.2", "text": "a JSON body"})
    asked = urllib.request.Request(
        fake.api_url + "conversations.info?channel=C1", headers={"Authorization": f"Bearer {BOT_TOKEN}"}
    )
    with urllib.request.urlopen(asked, timeout=5) as answer:
        assert json.loads(answer.read())["ok"] is True

    assert fake.violations == []
    assert [call.method for call in fake.calls] == ["chat.postMessage", "chat.update", "conversations.info"]


def test_the_calls_slack_sdk_makes_for_an_upload_pass(fake: FakeSlack) -> None:
    client(fake).files_upload_v2(channel="C1", content=b"\x89PNG", filename="chart.png", title="Chart")

    assert fake.violations == []
    [completed] = fake.calls_to("files.completeUploadExternal")
    assert completed.params["files"][0]["title"] == "Chart"


# -- tokens ---------------------------------------------------------------------------------------


def test_a_call_without_a_token_is_not_authed(fake: FakeSlack) -> None:
    assert refusal(lambda: client(fake, token=None).chat_postMessage(channel="C1", text="hi")) == "not_authed"
    assert fake.violations == ["chat.postMessage: not_authed (no token)"]


@pytest.mark.parametrize("token", [APP_TOKEN, "xoxp-a-user-token"])
def test_a_bot_method_refuses_other_kinds_of_token(fake: FakeSlack, token: str) -> None:
    assert refusal(lambda: client(fake, token=token).views_publish(user_id="U1", view=VIEW)) == "not_allowed_token_type"
    assert fake.violations == ["views.publish: not_allowed_token_type (needs a bot token (xoxb-...))"]


def test_socket_mode_needs_an_app_token_not_a_bot_token(fake: FakeSlack) -> None:
    slack = client(fake)
    assert refusal(lambda: slack.apps_connections_open(app_token=BOT_TOKEN)) == "not_allowed_token_type"
    slack.apps_connections_open(app_token=APP_TOKEN)

    assert fake.violations == ["apps.connections.open: not_allowed_token_type (needs a app token (xapp-...))"]
    assert [call.token for call in fake.calls] == [BOT_TOKEN, APP_TOKEN]


def test_the_oauth_exchange_needs_the_apps_credentials_not_a_token(fake: FakeSlack) -> None:
    slack = client(fake, token=None)
    answer = slack.oauth_v2_access(client_id="1.2", client_secret="secret", code="T222:abc")
    assert answer["access_token"] == "xoxb-T222-abc"
    assert fake.calls[0].client_credentials == ("1.2", "secret")

    assert refusal(lambda: slack.api_call("oauth.v2.access", data={"code": "T222:abc"})) == "invalid_client_id"
    assert refusal(lambda: slack.oauth_v2_access(client_id="1.2", client_secret="secret")) == "invalid_arguments"
    assert len(fake.violations) == 2


# -- conversations and users ----------------------------------------------------------------------


def test_a_post_to_a_user_lands_in_the_dm_whose_id_updates_it(fake: FakeSlack) -> None:
    slack = client(fake)
    posted = slack.chat_postMessage(channel="UANNA", text="Reminder")
    assert posted["channel"] == dm_channel("UANNA") == "DANNA"

    slack.chat_update(channel=posted["channel"], ts=posted["ts"], text="Reminder (done)")
    assert fake.violations == []
    # Slack: "For direct messages, ensure that this value is a DM ID (starts with D) instead of a User ID"
    assert refusal(lambda: slack.chat_update(channel="UANNA", ts=posted["ts"], text="x")) == "channel_not_found"
    assert refusal(lambda: slack.chat_delete(channel="WANNA", ts=posted["ts"])) == "channel_not_found"
    assert len(fake.violations) == 2


def test_a_trigger_opens_one_view(fake: FakeSlack) -> None:
    slack = client(fake)
    slack.views_open(trigger_id="1.2.abc", view=VIEW)

    assert refusal(lambda: slack.views_open(trigger_id="1.2.abc", view=VIEW)) == "trigger_exchanged"
    assert fake.violations == []  # Slack's answer to a replayed click, not a malformed call


@pytest.mark.parametrize(("method", "key", "limit"), [("chat.postMessage", "blocks", 50), ("views.open", "view", 100)])
def test_more_blocks_than_slack_shows_are_refused(fake: FakeSlack, method: str, key: str, limit: int) -> None:
    blocks = [{"type": "divider"}] * (limit + 1)
    arguments: dict[str, Any] = {"channel": "C1", "text": "x", "blocks": blocks}
    if key == "view":
        arguments = {"trigger_id": "1.2.abc", "view": {**VIEW, "blocks": blocks}}

    assert refusal(lambda: client(fake).api_call(method, json=arguments)) == "invalid_blocks"
    assert fake.violations == [f"{method}: invalid_blocks ({limit + 1} blocks in {key}, at most {limit})"]


BUTTON = {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "Done"}}


@pytest.mark.parametrize(
    ("method", "arguments", "why"),
    [
        (
            "chat.postMessage",
            {
                "channel": "C1",
                "text": "x",
                "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}],
            },
            "text attribute cannot exceed 3000 characters",
        ),
        (
            "chat.update",
            {
                "channel": "C1",
                "ts": "1.2",
                "blocks": [
                    {"type": "actions", "elements": [{**BUTTON, "text": {"type": "plain_text", "text": "y" * 76}}]}
                ],
            },
            "text attribute cannot exceed 75 characters",
        ),
        (
            "views.open",
            {
                "trigger_id": "1.2.abc",
                "view": {**VIEW, "title": {"type": "plain_text", "text": "A title of thirty letters"}},
            },
            "title must be between 1 and 24 characters",
        ),
    ],
)
def test_a_block_outside_slacks_limits_is_refused(
    fake: FakeSlack, method: str, arguments: dict[str, Any], why: str
) -> None:
    assert refusal(lambda: client(fake).api_call(method, json=arguments)) == "invalid_blocks"
    [violation] = fake.violations
    assert violation.startswith(f"{method}: invalid_blocks (") and why in violation


def test_a_response_url_message_is_held_to_the_same_limits(fake: FakeSlack) -> None:
    webhook = WebhookClient(fake.response_url("proud"))
    assert (
        webhook.send(text="fine", blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "ok"}}]).status_code
        == 200
    )
    too_long = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]
    assert webhook.send(text="x", blocks=too_long).body != "ok"

    [violation] = fake.violations
    assert violation.startswith("response_url:proud: invalid_blocks")


def test_scripted_answers_do_not_hide_a_malformed_call(fake: FakeSlack) -> None:
    fake.fail("chat.postMessage", "is_archived")
    slack = client(fake)

    assert refusal(lambda: slack.api_call("chat.postMessage", json={"text": "no channel"})) == "invalid_arguments"
    assert refusal(lambda: slack.chat_postMessage(channel="C1", text="hi")) == "is_archived"  # still scripted
    assert len(fake.violations) == 1
    assert json.dumps(fake.calls[0].params) == '{"text": "no channel"}'
