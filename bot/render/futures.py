"""Ideal futures and the common future: the list `/mindset future` shows (buttons to endorse, to confirm, to
propose), the proposal form, and the lines the App Home and the digest show."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot import ids
from bot.render.blocks import button, context, input_block, metadata_json, option, plain, section
from bot.render.meetings import slack_time
from bot.services.futures import TEXT_MAX, FutureBoard, FutureCard, FutureLine, GroupFutures
from bot.services.groups import GroupOption
from bot.slack_text import BLOCKS_PER_MESSAGE_MAX, clip, escape_mrkdwn
from bot.tags import group_tag

Blocks = list[dict[str, Any]]
View = dict[str, Any]

PROPOSE_ANY = "any"  # the Propose button's value when no group is chosen yet
FUTURE_SHOWN_MAX = 600  # characters of a future in lists (the whole text is at most TEXT_MAX)
HOME_FUTURES_SHOWN = 10
USAGE = (
    "`/mindset future` lists the ideal futures of each customer group; `/mindset future #group-tag` shows all of "
    "one group's proposals."
)
INTRO = (
    "*Ideal futures and the common future.* Picture how a customer group should experience us a few years from "
    "now (_“In 2028 a clinic onboards itself in a day”_). Anyone can propose one; endorse those you share. The "
    "workspace's admins confirm one per group as its *common future*, and action items can serve it."
)


def _future_text(card: FutureCard) -> str:
    return f"_{escape_mrkdwn(clip(card.text, FUTURE_SHOWN_MAX))}_"


def _by(user_id: str | None) -> str:
    return f"<@{user_id}>" if user_id else "someone since forgotten"


def _endorsements(count: int) -> str:
    return f"{count} endorsement" + ("" if count == 1 else "s")


def _serving(count: int) -> str:
    if count == 0:
        return "no open action item serves it yet"
    return f"{count} open action item{' serves' if count == 1 else 's serve'} it"


def confirmed_line(card: FutureCard) -> str:
    when = f" on {slack_time(card.confirmed_at, '{date_short_pretty}')}" if card.confirmed_at else ""
    return (
        f":star: *Common future:* {_future_text(card)}\n"
        f"Proposed by {_by(card.author_id)}, confirmed by {_by(card.confirmed_by)}{when}; "
        f"{_endorsements(card.endorsements)}, {_serving(card.open_actions)}."
    )


def button_value(future_id: int, scope: str) -> str:
    """A future's button: the future and what the list showed (`all`, or the one group's id), to draw it again."""
    return f"{future_id}:{scope}"


def parse_value(value: str | None) -> tuple[int | None, int | None]:
    """(the future id, the one group the list showed, if so) of a button's value."""
    first, _, scope = str(value or "").partition(":")
    future_id = int(first) if first.isdigit() else None
    return future_id, int(scope) if scope.isdigit() else None


def _endorse_button(card: FutureCard, scope: str) -> dict[str, Any]:
    if card.endorsed_by_me:
        return button("Withdraw my endorsement", ids.FUTURE_WITHDRAW, button_value(card.id, scope))
    return button(f"Endorse ({card.endorsements})", ids.FUTURE_ENDORSE, button_value(card.id, scope), "primary")


def _proposal_blocks(card: FutureCard, scope: str) -> Blocks:
    mine = " (you endorsed it)" if card.endorsed_by_me else ""
    endorse = _endorse_button(card, scope)
    confirm = button("Confirm as common future", ids.FUTURE_CONFIRM, button_value(card.id, scope))
    confirm["confirm"] = {
        "title": plain("Confirm the common future?"),
        "text": plain(f"It becomes the common future of {clip(card.group_name, 60)}, in place of any before it."),
        "confirm": plain("Confirm"),
        "deny": plain("Cancel"),
    }
    return [
        section(f"{_future_text(card)}\nProposed by {_by(card.author_id)}; {_endorsements(card.endorsements)}{mine}."),
        {"type": "actions", "elements": [endorse, confirm]},
    ]


def _group_blocks(group: GroupFutures, *, proposals: Sequence[FutureCard], all_shown: bool) -> Blocks:
    blocks: Blocks = [{"type": "divider"}, section(f"*{escape_mrkdwn(group.group_name)}*")]
    scope = str(group.group_id) if all_shown else "all"
    if group.confirmed is not None:
        blocks.append(section(confirmed_line(group.confirmed), accessory=_endorse_button(group.confirmed, scope)))
    elif not group.proposals_total:
        blocks.append(context("No future proposed yet: be the first."))
    else:
        blocks.append(context("No common future confirmed yet."))
    for card in proposals:
        blocks += _proposal_blocks(card, scope)
    hidden = group.proposals_total - len(proposals)
    if hidden > 0 and not all_shown:
        blocks.append(context(f"…and {hidden} more proposed: `/mindset future #{_tag(group)}` shows them all."))
    return blocks


def _tag(group: GroupFutures) -> str:
    return escape_mrkdwn(group_tag(group.group_name, group.group_id).lstrip("#"))


def board_blocks(board: FutureBoard, *, notice: str | None = None, one_group: bool = False) -> Blocks:
    """The list: each group's common future and its proposals, with buttons; within one message's 50 blocks (a
    group that does not fit is named, to be shown on its own)."""
    propose = {
        "type": "actions",
        "elements": [
            button("Propose an ideal future", ids.FUTURE_PROPOSE, _propose_value(board, one_group), "primary")
        ],
    }
    blocks: Blocks = [*([context(f":information_source: {notice}")] if notice else []), section(INTRO), propose]
    if not board.has_groups:
        blocks.append(
            context("This workspace has no customer groups yet: add one with `/mindset groups`, then propose.")
        )
        return blocks
    left_out: list[GroupFutures] = []
    room = BLOCKS_PER_MESSAGE_MAX - 1  # one for the note of the groups left out
    for group in board.groups:
        shown = _group_blocks(group, proposals=group.proposals, all_shown=one_group)
        if len(blocks) + len(shown) > room:
            left_out.append(group)
            continue
        blocks += shown
    if left_out:
        tags = ", ".join(f"`/mindset future #{_tag(group)}`" for group in left_out[:10])
        more = f" and {len(left_out) - 10} more" if len(left_out) > 10 else ""
        blocks.append(context(clip(f"No room here for every group: {tags}{more}.", 2900)))
    return blocks


def _propose_value(board: FutureBoard, one_group: bool) -> str:
    return str(board.groups[0].group_id) if one_group and board.groups else PROPOSE_ANY


def board_text(board: FutureBoard) -> str:
    """The notification text, and what a screen reader says first."""
    confirmed = sum(1 for group in board.groups if group.confirmed is not None)
    proposed = sum(group.proposals_total for group in board.groups)
    return (
        f"Ideal futures: {confirmed} of {len(board.groups)} customer groups have a confirmed common future; "
        f"{proposed} more proposed."
    )


def propose_modal(groups: Sequence[GroupOption], *, metadata: dict[str, Any], group_id: int | None = None) -> View:
    by_id = {group.id: group for group in groups}
    select: dict[str, Any] = {
        "type": "static_select",
        "action_id": ids.FUTURE_GROUP_INPUT,
        "placeholder": plain("Which customers?"),
        "options": [option(group.name, str(group.id)) for group in groups[:100]],
    }
    if group_id in by_id:
        select["initial_option"] = option(by_id[group_id].name, str(group_id))
    return {
        "type": "modal",
        "callback_id": ids.FUTURE_MODAL,
        "title": plain("Propose a future"),
        "submit": plain("Propose"),
        "close": plain("Cancel"),
        "private_metadata": metadata_json(metadata),
        "blocks": [
            context(
                "An ideal future scenario: how this customer group experiences us a few years from now, at our best. "
                "Others endorse it; the workspace's admins confirm one per group as its common future."
            ),
            input_block(ids.FUTURE_GROUP_BLOCK, "Customer group", select),
            input_block(
                ids.FUTURE_TEXT_BLOCK,
                "The future",
                {
                    "type": "plain_text_input",
                    "action_id": ids.FUTURE_TEXT_INPUT,
                    "multiline": True,
                    "min_length": 10,
                    "max_length": TEXT_MAX,
                    "placeholder": plain("In 2028 a clinic onboards itself in a day"),
                },
                hint=f"A sentence or two, up to {TEXT_MAX} characters, as the customer would live it.",
            ),
        ],
    }


def no_groups_modal() -> View:
    return {
        "type": "modal",
        "title": plain("Propose a future"),
        "close": plain("Close"),
        "blocks": [
            section(
                "A future is proposed for a customer group, and this workspace has none yet. Add one with "
                "`/mindset groups`, then propose."
            )
        ],
    }


def proposed_view(card: FutureCard) -> View:
    return {
        "type": "modal",
        "title": plain("Future proposed"),
        "close": plain("Close"),
        "blocks": [
            section(
                f":sparkles: Proposed for *{escape_mrkdwn(card.group_name)}*: {_future_text(card)}\n"
                "Others can endorse it in `/mindset future`; the workspace's admins may confirm it as the group's "
                "common future."
            )
        ],
    }


def endorsed_notice(card: FutureCard, *, endorsed: bool, changed: bool) -> str:
    group = escape_mrkdwn(card.group_name)
    if endorsed:
        return (
            f"You endorse this future of {group} ({_endorsements(card.endorsements)})."
            if changed
            else f"You had already endorsed this future of {group}: it counts once."
        )
    return (
        f"You withdrew your endorsement of this future of {group}."
        if changed
        else f"You had not endorsed this future of {group}."
    )


def confirmed_notice(card: FutureCard, *, replaced: FutureCard | None, changed: bool) -> str:
    group = escape_mrkdwn(card.group_name)
    if not changed:
        return f"That is already the common future of {group}."
    instead = f", in place of {_future_text(replaced)}" if replaced is not None else ""
    return f"Confirmed: the common future of {group} is now {_future_text(card)}{instead}."


# -- the App Home and the digest ---------------------------------------------------------------------


def home_blocks(futures: Sequence[FutureCard], *, proposals: int) -> Blocks:
    blocks: Blocks = [section("*:star: Common futures*")]
    if not futures:
        blocks.append(
            context("No common future confirmed yet. Propose how a customer group should experience us, and endorse.")
        )
    for card in futures[:HOME_FUTURES_SHOWN]:
        blocks.append(
            section(
                f"*{escape_mrkdwn(card.group_name)}*: {_future_text(card)}\n"
                f"{_endorsements(card.endorsements)}, {_serving(card.open_actions)}."
            )
        )
    if len(futures) > HOME_FUTURES_SHOWN:
        blocks.append(context(f"…and {len(futures) - HOME_FUTURES_SHOWN} more in `/mindset future`."))
    waiting = f"{proposals} proposed future{'' if proposals == 1 else 's'} to endorse in `/mindset future`."
    blocks.append(
        {
            "type": "actions",
            "elements": [button("Propose an ideal future", ids.FUTURE_PROPOSE, PROPOSE_ANY)],
        }
    )
    if proposals:
        blocks.append(context(waiting))
    return blocks


def digest_lines(lines: Sequence[FutureLine], quarter: str) -> list[str]:
    """Per confirmed future: the open items serving it and its Success Index this quarter so far."""
    found = []
    for line in lines:
        index = line.index
        kept = (
            f"{index.kept} of {index.due} due in {quarter} kept ({index.percent})"
            if index.due
            else f"none due in {quarter} yet"
        )
        found.append(
            f"• *{escape_mrkdwn(line.group_name)}*: _{escape_mrkdwn(clip(line.text, 200))}_: "
            f"{line.open_actions} open action item{'' if line.open_actions == 1 else 's'}, {kept}"
        )
    return found


def digest_text_lines(lines: Sequence[FutureLine], quarter: str) -> list[str]:
    return [
        f"  {line.group_name}: {' '.join(line.text.split())} ({line.open_actions} open, "
        f"{line.index.kept}/{line.index.due} kept in {quarter})"
        for line in lines
    ]
