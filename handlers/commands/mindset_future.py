"""`/mindset future [#group-tag]`: each customer group's common future and the proposed ones, with buttons to
propose, endorse and (admins) confirm."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from bot.deps import Deps
from bot.render import futures as render
from bot.services import futures as future_service
from bot.services.futures import FutureBoard
from bot.services.people import SettingsProblem, escape_text
from bot.tags import group_keys, tag_key

WORD_MAX = 80


def board_for(deps: Deps, *, team_id: str, user_id: str, group_id: int | None) -> FutureBoard:
    """The whole board, or one group's (every proposal shown) when `group_id` is given and still there."""
    board = future_service.board(deps, team_id=team_id, user_id=user_id, show_all_of=group_id)
    if group_id is None:
        return board
    return FutureBoard(tuple(group for group in board.groups if group.group_id == group_id))


def future(ack: Ack, command: dict[str, Any], args: list[str], deps: Deps, context: BoltContext) -> None:
    team_id, user_id = command["team_id"], command["user_id"]
    group_id = None
    if args:
        word = " ".join(args)[:WORD_MAX]
        wanted = tag_key(word)
        board = future_service.board(deps, team_id=team_id, user_id=user_id)
        found = [group for group in board.groups if wanted in group_keys(group.group_name, group.group_id)]
        if not wanted or not found:
            shown = escape_text(word.replace("`", "'"))
            raise SettingsProblem(f"No customer group is called `{shown}`. {render.USAGE}")
        group_id = found[0].group_id
    board = board_for(deps, team_id=team_id, user_id=user_id, group_id=group_id)
    ack(
        text=render.board_text(board),
        blocks=render.board_blocks(board, one_group=group_id is not None),
        response_type="ephemeral",
    )
