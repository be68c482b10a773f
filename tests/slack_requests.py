"""Requests signed as Slack signs them, built from the captured payloads in tests/payloads/."""

from __future__ import annotations

import copy
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from slack_sdk.signature import SignatureVerifier

PAYLOADS = Path(__file__).parent / "payloads"

TEAM = "T111"
USER = "W111"
CHANNEL = "C111"


def payload(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PAYLOADS / name).read_text())
    return data


@dataclass
class Answer:
    status: int
    text: str
    headers: dict[str, str]

    @property
    def json(self) -> Any:
        return json.loads(self.text)


class SlackSender:
    """Sends signed slash commands, interactions and events to the app's HTTP endpoint."""

    def __init__(self, base_url: str, signing_secret: str, response_url_base: str) -> None:
        self.endpoint = base_url.rstrip("/") + "/slack/events"
        self.base_url = base_url.rstrip("/")
        self.verifier = SignatureVerifier(signing_secret)
        self.response_url_base = response_url_base
        self._trigger = 0

    def next_trigger(self) -> str:
        self._trigger += 1
        return f"{self._trigger}.{int(time.time())}.trigger"

    # -- building ------------------------------------------------------------------------

    def command_body(
        self, command: str, text: str, *, team: str = TEAM, user: str = USER, channel: str = CHANNEL
    ) -> dict[str, str]:
        body = payload("slash_command.dict.json")
        body.update(
            command=command,
            text=text,
            team_id=team,
            user_id=user,
            channel_id=channel,
            trigger_id=self.next_trigger(),
            response_url=f"{self.response_url_base}/{command.strip('/')}",
        )
        return body

    def view_submission(
        self,
        view: dict[str, Any],
        values: dict[str, dict[str, Any]],
        *,
        view_id: str,
        team: str = TEAM,
        user: str = USER,
        installed_team: str | None = None,
    ) -> dict[str, Any]:
        """A view_submission of a modal the app opened: its callback id, metadata and our values.

        `installed_team`: the workspace whose installation opened the modal, when it is not the
        person's own (Slack Connect: `team` is the person's workspace, in another organisation)."""
        body = payload("view_submission.json")
        body["team"]["id"] = team
        body["user"]["id"] = user
        body["user"]["team_id"] = team
        body["view"]["app_installed_team_id"] = installed_team or team
        body["trigger_id"] = self.next_trigger()
        submitted = body["view"]
        submitted.update(
            id=view_id,
            hash=f"{int(time.time())}.h{self._trigger}",  # each submission its own, as after a views.update
            team_id=team,
            callback_id=view["callback_id"],
            private_metadata=view.get("private_metadata", ""),
            blocks=view["blocks"],
            state={"values": values},
        )
        return body

    def block_action(
        self,
        action_id: str,
        value: str,
        *,
        message: dict[str, Any] | None = None,
        team: str = TEAM,
        user: str = USER,
        channel: str = CHANNEL,
        selected_option: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        body = payload("block_actions.json")
        body["team"]["id"] = team
        body["user"]["id"] = user
        body["user"]["team_id"] = team
        body["channel"]["id"] = channel
        body["trigger_id"] = self.next_trigger()
        body["response_url"] = f"{self.response_url_base}/action"
        action = body["actions"][0]
        # Slack stamps each click to the microsecond: two clicks are two requests, a replay is the same one
        action.update(action_id=action_id, value=value, block_id="b", action_ts=f"{time.time():.6f}{self._trigger}")
        if selected_option is not None:
            action.pop("value")
            action.update(type="overflow", selected_option=selected_option)
        if message is not None:
            body["message"] = message
            body["container"].update(message_ts=message.get("ts"), channel_id=channel, is_ephemeral=False)
        return body

    def message_shortcut(
        self,
        callback_id: str,
        text: str,
        *,
        team: str = TEAM,
        user: str = USER,
        channel: str = CHANNEL,
        ts: str = "1583636382.000300",
    ) -> dict[str, Any]:
        body = payload("message_shortcut.json")
        body["callback_id"] = callback_id
        body["team"]["id"] = team
        body["user"]["id"] = user
        body["channel"]["id"] = channel
        body["trigger_id"] = self.next_trigger()
        body["message_ts"] = ts
        body["message"].update(text=text, ts=ts)
        body["response_url"] = f"{self.response_url_base}/shortcut"
        return body

    # -- sending -------------------------------------------------------------------------

    def send_command(self, command: str, text: str, **kwargs: Any) -> Answer:
        return self.post_form(urlencode(self.command_body(command, text, **kwargs)))

    def send_interaction(self, body: dict[str, Any], **kwargs: Any) -> Answer:
        return self.post_form("payload=" + quote(json.dumps(body)), **kwargs)

    def send_event(self, body: dict[str, Any], *, retry_num: int | None = None) -> Answer:
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        return self.post(json.dumps(body), "application/json", extra_headers=headers)

    def post_form(self, raw: str, **kwargs: Any) -> Answer:
        return self.post(raw, "application/x-www-form-urlencoded", **kwargs)

    def post(
        self,
        raw: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> Answer:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature or self.verifier.generate_signature(timestamp=ts, body=raw),
            **(extra_headers or {}),
        }
        request = urllib.request.Request(self.endpoint, data=raw.encode(), headers=headers, method="POST")
        return _open(request)

    def get(self, path: str) -> Answer:
        return _open(urllib.request.Request(self.base_url + path, method="GET"))


def _open(request: urllib.request.Request) -> Answer:
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return Answer(response.status, response.read().decode(), dict(response.headers))
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.read().decode(), dict(error.headers))


def deep(value: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(value)


FUNCTION_TOKEN = "xwfp-step-token"


def function_executed(
    callback_id: str,
    inputs: dict[str, Any],
    *,
    execution_id: str = "Fx111",
    event_id: str | None = None,
    team: str = TEAM,
    token: str = FUNCTION_TOKEN,
) -> dict[str, Any]:
    """A `function_executed` event (a Workflow Builder step of ours runs), in the captured payload's shape:
    our step's callback id, its inputs, this run's `function_execution_id` and the step's own token. A
    workspace outside Enterprise Grid: no `enterprise_id`."""
    body = payload("function_executed.event.json")
    body.update(team_id=team, enterprise_id=None, event_id=event_id or f"Ev{execution_id}")
    event = body["event"]
    event["function"].update(callback_id=callback_id, title=callback_id.replace("_", " ").capitalize())
    event.update(
        inputs=inputs,
        function_execution_id=execution_id,
        workflow_execution_id=f"Wx{execution_id}",
        bot_access_token=token,
    )
    return body
