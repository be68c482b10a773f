"""The pulse's button: opens its form, if the person may still answer (it is open, they were asked, not
answered yet); else tells them why not."""

from __future__ import annotations

from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient

from bot.deps import Deps
from bot.render import pulse as render
from bot.services import pulse as pulse_service


def open_form(body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond, deps: Deps) -> None:
    team_id, user_id = body["team"]["id"], body["user"]["id"]
    quarter = pulse_service.parse_occasion(action.get("value"))
    try:
        if quarter is None:
            raise pulse_service.PulseProblem(pulse_service.NOT_A_PULSE)
        window = pulse_service.may_answer(deps, team_id=team_id, user_id=user_id, year=quarter[0], quarter=quarter[1])
    except pulse_service.PulseProblem as problem:
        respond(text=str(problem), response_type="ephemeral", replace_original=False)
        return
    container = body.get("container") or {}
    where = {"channel": container.get("channel_id"), "ts": container.get("message_ts")}
    client.views_open(trigger_id=body["trigger_id"], view=render.modal(window, where=where))
