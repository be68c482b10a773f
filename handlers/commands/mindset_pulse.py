"""`/mindset pulse [schedule [<week>|off]]`: the last quarter's pulse, and the week of each quarter it is asked."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from bot.deps import Deps
from bot.render import pulse as render
from bot.services import pulse as pulse_service
from bot.services.people import SettingsProblem
from handlers.roles import guard


def pulse(ack: Ack, command: dict[str, Any], args: list[str], deps: Deps, context: BoltContext) -> None:
    team_id, user_id = command["team_id"], command["user_id"]
    verb = args[0].lower() if args else ""
    if not args:
        found = pulse_service.overview(deps, team_id=team_id, user_id=user_id)
        ack(text=render.overview_text(found), response_type="ephemeral")
    elif verb == "schedule" and len(args) == 1:
        week = pulse_service.get_week(deps, team_id=team_id)
        ack(text=render.schedule_text(week, changed=False), response_type="ephemeral")
    elif verb == "schedule" and len(args) == 2:
        try:
            week = pulse_service.parse_week(args[1])
        except pulse_service.PulseProblem as problem:
            raise SettingsProblem(str(problem)) from None
        guard(deps, context, team_id, user_id, "change when the pulse is asked")
        week = pulse_service.set_week(deps, team_id=team_id, by=user_id, week=week)
        ack(text=render.schedule_text(week, changed=True), response_type="ephemeral")
    else:
        raise SettingsProblem(render.PULSE_USAGE)
