"""`/mindset`: help, the customer groups, a person's Success Index and pause, the workspace's working time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from slack_bolt import Ack, BoltContext

from bot.deps import Deps
from bot.render import admin as admin_render
from bot.render import settings as settings_render
from bot.render.groups import groups_blocks, groups_text
from bot.render.help import help_blocks, help_text
from bot.render.index import index_blocks, index_text
from bot.render.meetings import questions_blocks, questions_text
from bot.render.privacy import FORGET_TEXT, forget_blocks
from bot.services import groups as group_service
from bot.services import people as people_service
from bot.services import privacy, success_index
from bot.services import questions as question_service
from bot.services.people import SettingsProblem
from handlers.commands import mindset_admin as admin_commands
from handlers.commands import mindset_digest as digest_commands
from handlers.commands import mindset_future as future_commands
from handlers.commands import mindset_journey as journey_commands
from handlers.commands import mindset_lead as lead_commands
from handlers.roles import guard


def pause_usage(today: date) -> str:
    example = people_service.example_day(today)
    return f"Pause your nudges with `/mindset pause until YYYY-MM-DD`, for example `/mindset pause until {example}`."


def holidays_usage(today: date) -> str:
    example = people_service.example_holiday(today)
    return (
        f"Holidays: `/mindset holidays` lists them, `/mindset holidays add {example} Christmas` adds one, "
        f"`/mindset holidays remove {example}` removes one."
    )


def _today(command: dict[str, Any], deps: Deps) -> date:
    return people_service.today_of(deps, team_id=command["team_id"], user_id=command["user_id"])


def mindset_command(ack: Ack, command: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    text = command.get("text") or ""
    words = text.split()
    sub = words[0].lower() if words else "help"
    handler = SUBCOMMANDS.get(sub)
    if handler is None:
        unknown = " ".join(words)
        today = _today(command, deps)
        ack(
            text=help_text(today=today, unknown=unknown),
            blocks=help_blocks(today=today, unknown=unknown),
            response_type="ephemeral",
        )
        return
    try:
        handler(ack, command, words[1:], deps, context)
    except SettingsProblem as problem:
        ack(text=str(problem), response_type="ephemeral")


Subcommand = Callable[[Ack, dict[str, Any], list[str], Deps, BoltContext], None]


def _help(ack: Ack, command: dict[str, Any], args: list[str], deps: Deps, context: BoltContext) -> None:
    today = _today(command, deps)
    ack(text=help_text(today=today), blocks=help_blocks(today=today), response_type="ephemeral")


def _groups(ack: Ack, command: dict[str, Any], args: list[str], deps: Deps, context: BoltContext) -> None:
    if [arg.lower() for arg in args] == ["archived"]:
        archived = group_service.list_archived(deps, team_id=command["team_id"])
        ack(
            text=admin_render.archived_groups_text(archived),
            blocks=admin_render.archived_groups_blocks(archived),
            response_type="ephemeral",
        )
        return
    options = group_service.list_options(deps, team_id=command["team_id"])
    ack(text=groups_text(options), blocks=groups_blocks(options), response_type="ephemeral")


def _questions(ack: Ack, command: dict[str, Any], args: list[str], deps: Deps, context: BoltContext) -> None:
    if [arg.lower() for arg in args] == ["retired"]:
        retired = question_service.list_retired(deps, team_id=command["team_id"])
        ack(
            text=admin_render.retired_questions_text(retired),
            blocks=admin_render.retired_questions_blocks(retired),
            response_type="ephemeral",
        )
        return
    if args:
        raise SettingsProblem(
            "`/mindset questions` lists the follow-up questions (add and retire them with its buttons); "
            "`/mindset questions retired` lists the retired ones, to restore."
        )
    cards = question_service.list_questions(deps, team_id=command["team_id"])
    ack(text=questions_text(cards), blocks=questions_blocks(cards), response_type="ephemeral")


def _forget(ack: Ack, command: dict[str, Any], args: list[str], deps: Deps, context: BoltContext) -> None:
    if [arg.lower() for arg in args] != ["me"]:
        raise SettingsProblem("`/mindset forget me` deletes your data, after asking you to confirm.")
    rows = privacy.what_forgetting_deletes(deps, team_id=command["team_id"], user_id=command["user_id"])
    ack(text=FORGET_TEXT, blocks=forget_blocks(rows), response_type="ephemeral")


def _pause(ack: Ack, command: dict[str, Any], args: list[str], deps: Deps, context: BoltContext) -> None:
    team_id, user_id = command["team_id"], command["user_id"]
    if not args:
        until = people_service.get_pause(deps, team_id=team_id, user_id=user_id)
        ack(text=settings_render.pause_status(until), response_type="ephemeral")
        return
    if args[0].lower() == "until":
        args = args[1:]
    today = people_service.today_of(deps, team_id=team_id, user_id=user_id)
    if len(args) != 1:
        raise SettingsProblem(pause_usage(today))
    day = people_service.parse_day(args[0], today)
    paused = people_service.pause_until(deps, team_id=team_id, user_id=user_id, day=day)
    ack(text=settings_render.paused(paused), response_type="ephemeral")


def _resume(ack: Ack, command: dict[str, Any], args: list[str], deps: Deps, context: BoltContext) -> None:
    if args:
        raise SettingsProblem("`/mindset resume` takes nothing after it: it ends your pause now.")
    was = people_service.resume(deps, team_id=command["team_id"], user_id=command["user_id"])
    ack(text=settings_render.resumed(was), response_type="ephemeral")


def _index(ack: Ack, command: dict[str, Any], args: list[str], deps: Deps, context: BoltContext) -> None:
    if args:
        raise SettingsProblem("`/mindset index` takes nothing after it: it shows your own Success Index.")
    quarters = success_index.person_quarters(deps, team_id=command["team_id"], user_id=command["user_id"])
    ack(text=index_text(quarters), blocks=index_blocks(quarters), response_type="ephemeral")


def _workdays(ack: Ack, command: dict[str, Any], args: list[str], deps: Deps, context: BoltContext) -> None:
    team_id = command["team_id"]
    if not args:
        current = people_service.get_work_time(deps, team_id=team_id)
        ack(text=settings_render.work_time(current), response_type="ephemeral")
        return
    guard(deps, context, team_id, command["user_id"], "change the working days and hours")
    change = people_service.parse_work_time(" ".join(args))
    current = people_service.change_work_time(deps, team_id=team_id, by=command["user_id"], change=change)
    ack(text=settings_render.work_time(current, changed=True), response_type="ephemeral")


def _holidays(ack: Ack, command: dict[str, Any], args: list[str], deps: Deps, context: BoltContext) -> None:
    team_id, user_id = command["team_id"], command["user_id"]
    today = people_service.today_of(deps, team_id=team_id, user_id=user_id)
    verb = args[0].lower() if args else "list"
    if verb == "list" and len(args) <= 1:
        cards = people_service.list_holidays(deps, team_id=team_id, since=today)
        ack(text=settings_render.holidays_list(cards, today=today), response_type="ephemeral")
    elif verb == "add" and len(args) >= 2:
        guard(deps, context, team_id, user_id, "add holidays")
        day = people_service.parse_day(args[1], today)
        name = " ".join(args[2:]) or None
        card = people_service.add_holiday(deps, team_id=team_id, by=user_id, day=day, name=name, today=today)
        ack(text=settings_render.holiday_added(card), response_type="ephemeral")
    elif verb == "remove" and len(args) == 2:
        guard(deps, context, team_id, user_id, "remove holidays")
        day = people_service.parse_day(args[1], today)
        card = people_service.remove_holiday(deps, team_id=team_id, by=user_id, day=day)
        work = people_service.get_work_time(deps, team_id=team_id)
        ack(text=settings_render.holiday_removed(card, work), response_type="ephemeral")
    else:
        raise SettingsProblem(holidays_usage(today))


SUBCOMMANDS: dict[str, Subcommand] = {
    "help": _help,
    "groups": _groups,
    "questions": _questions,
    "forget": _forget,
    "pause": _pause,
    "resume": _resume,
    "index": _index,
    "workdays": _workdays,
    "holidays": _holidays,
    "settings": admin_commands.settings,
    "admins": admin_commands.admins,
    "ambassador": digest_commands.ambassador,
    "ambassadors": digest_commands.ambassadors,
    "digest": digest_commands.digest,
    "lead": lead_commands.lead,
    "journey": journey_commands.journey,
    "future": future_commands.future,
    "futures": future_commands.future,
}
