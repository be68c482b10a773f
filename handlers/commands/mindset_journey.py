"""`/mindset journey [weeks]`: the breakdown map; `/mindset journey edit [#group]`: the stages (admins)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.deps import Deps
from bot.journey import JourneyProblem
from bot.render import journey as render
from bot.services import journey as journey_service
from bot.services.people import SettingsProblem
from handlers.roles import guard

MAP_WANTED = "mindset_journey_map"  # the weeks the map looks back over
EDIT_WANTED = "mindset_journey_edit"  # what the edit form shows

JOURNEY_USAGE = (
    "`/mindset journey` shows where in the customer journey the sorries of the last 8 weeks cluster "
    f"(`/mindset journey 12` looks back 12 weeks, at most {journey_service.WEEKS_MAX}); "
    "`/mindset journey edit` changes the stages (admins), `/mindset journey edit #group-name` a customer group's "
    "own."
)


def journey(ack: Ack, command: dict[str, Any], args: list[str], deps: Deps, context: BoltContext) -> None:
    team_id, user_id = command["team_id"], command["user_id"]
    words = [arg.lower() for arg in args]
    if words and words[0] == "edit" and len(words) <= 2:
        guard(deps, context, team_id, user_id, "change the customer journey")
        try:
            edit = journey_service.edit_target(deps, team_id=team_id, group_word=args[1] if len(args) == 2 else None)
        except JourneyProblem as problem:
            raise SettingsProblem(str(problem)) from None
        context[EDIT_WANTED] = edit
        ack()
        return
    if words and words[-1] in ("week", "weeks"):
        words = words[:-1]
    if len(words) > 1 or (words and not words[0].isdigit()):
        raise SettingsProblem(f"Journey: {JOURNEY_USAGE}")
    weeks = int(words[0]) if words else journey_service.WEEKS_DEFAULT
    if not 1 <= weeks <= journey_service.WEEKS_MAX:
        raise SettingsProblem(f"Look back 1 to {journey_service.WEEKS_MAX} weeks, for example `/mindset journey 12`.")
    context[MAP_WANTED] = weeks
    ack()


def after_journey(
    command: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond, deps: Deps
) -> None:
    """After the answer: the edit form opens, or the map is drawn (its picture sent in the person's DM with the
    bot: an ephemeral answer cannot carry a file, and a file in the channel would show everyone)."""
    edit = context.get(EDIT_WANTED)
    if isinstance(edit, journey_service.JourneyEdit):
        client.views_open(
            trigger_id=command["trigger_id"],
            view=render.journey_modal(edit, metadata={"response_url": command.get("response_url")}),
        )
        return
    weeks = context.get(MAP_WANTED)
    if weeks is None:
        return
    team_id, user_id = command["team_id"], command["user_id"]
    found = journey_service.breakdown(deps, team_id=team_id, user_id=user_id, weeks=int(weeks))
    chart = render.map_chart(found)
    respond(
        text=render.map_text(found),
        blocks=render.map_blocks(found, picture=chart is not None),
        response_type="ephemeral",
    )
    if chart is not None:
        note = client.chat_postMessage(channel=user_id, text=render.chart_title(found) + ".")
        client.files_upload_v2(
            channel=str(note["channel"]),
            thread_ts=str(note["ts"]),
            file=chart,
            filename="customer-journey.png",
            title=render.chart_title(found),
        )
