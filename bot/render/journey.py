"""The customer journey in Slack: the stage menu of the forms, the edit form, the breakdown map, what `>stage`
came to, and the digest's "Where the journey breaks"."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot import ids
from bot.digest.chart import WeekPoint, stages_png
from bot.digest.journey import JourneyWeek, StageCount
from bot.journey import EDIT_TEXT_MAX, STAGES_MAX, STAGES_MIN, StageMatch
from bot.render.blocks import Block, context, input_block, metadata_json, option, plain, section
from bot.services.journey import BreakdownMap, GroupBreakdown, JourneyEdit, Journeys
from bot.slack_text import SECTION_TEXT_MAX, clip, escape_mrkdwn
from storage.models import STAGE_NAME_MAX

ARROW = " → "
STAGE_OPTIONS_MAX = 100  # a static select's options


def stage_element(action_id: str, stages: Sequence[str], initial: str | None = None) -> dict[str, Any]:
    """The forms' menu of stages (a stage no longer offered is not preselected)."""
    element: dict[str, Any] = {
        "type": "static_select",
        "action_id": action_id,
        "placeholder": plain("Where in the customer journey?"),
        "options": [option(stage, stage) for stage in stages[:STAGE_OPTIONS_MAX]],
    }
    if initial and initial in stages[:STAGE_OPTIONS_MAX]:
        element["initial_option"] = option(initial, initial)
    return element


def stage_input(block_id: str, action_id: str, stages: Sequence[str], initial: str | None = None) -> Block:
    return input_block(
        block_id,
        "Journey stage",
        stage_element(action_id, stages, initial),
        optional=True,
        hint="Where in the customer's journey it happened: the breakdown map counts it there.",
    )


def journey_line(stages: Sequence[str]) -> str:
    return ARROW.join(escape_mrkdwn(stage) for stage in stages)


def stage_mark_note(match: StageMatch | None, stages: Sequence[str]) -> str | None:
    """What `>words` in an entry's text came to, when any of them named no stage or several."""
    if match is None or not (match.unknown or match.ambiguous or match.ignored):
        return None
    parts: list[str] = []
    if match.unknown:
        words = ", ".join(f"`&gt;{escape_mrkdwn(word[:40])}`" for word in match.unknown[:5])
        parts.append(f"{words} names no stage of the customer journey, so it stays as text.")
    for word, found in match.ambiguous[:3]:
        which = " or ".join(escape_mrkdwn(stage) for stage in found[:5])
        parts.append(f"`&gt;{escape_mrkdwn(word[:40])}` could be {which}: write more of the name.")
    if match.ignored:
        parts.append(f"An entry has one stage: it is {escape_mrkdwn(match.stage or '')}, the first one named.")
    if match.stage is None:
        parts.append("The entry has no stage.")
    parts.append(f"The stages: {journey_line(stages[:STAGE_OPTIONS_MAX])} (write `&gt;` and the start of one).")
    return " ".join(parts)


# -- the edit form ---------------------------------------------------------------------------------


def journey_modal(edit: JourneyEdit, *, metadata: dict[str, Any]) -> dict[str, Any]:
    """The form of `/mindset journey edit [#group]`: the stages one a line, in order."""
    whose = f"the customer group *{escape_mrkdwn(edit.group_name)}*" if edit.group_name else "the workspace"
    if edit.group_name:
        about = (
            f"The journey of {whose}, where it differs from the workspace's. "
            + ("" if edit.own else "It has the workspace's now. ")
            + "Leave the field empty to give it the workspace's journey again."
        )
    else:
        about = (
            f"The journey of {whose}: the stages customers go through, in order. "
            + ("" if edit.own else "This is the default journey. ")
            + "Leave the field empty to go back to the default."
        )
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": ids.JOURNEY_STAGES_INPUT,
        "multiline": True,
        "max_length": EDIT_TEXT_MAX,
        "initial_value": "\n".join(edit.stages),
    }
    return {
        "type": "modal",
        "callback_id": ids.JOURNEY_MODAL,
        "title": plain("Customer journey"),
        "submit": plain("Save"),
        "close": plain("Cancel"),
        "private_metadata": metadata_json({"group_id": edit.group_id, **metadata}),
        "blocks": [
            section(about),
            input_block(
                ids.JOURNEY_STAGES_BLOCK,
                "Stages, one a line, in order",
                element,
                optional=True,
                hint=f"{STAGES_MIN} to {STAGES_MAX} stages of up to {STAGE_NAME_MAX} characters each. Entries and "
                "action items keep the stage they have.",
            ),
        ],
    }


def journey_saved(journeys: Journeys, *, group_id: int | None, group_name: str | None) -> str:
    if group_id is None or group_name is None:
        default = "" if journeys.own else " (the default)"
        return f"Saved. The customer journey{default}: {journey_line(journeys.stages)}."
    stages = journeys.of_group(group_id)
    own = "its own" if group_id in journeys.by_group else "the workspace's"
    return f"Saved. *{escape_mrkdwn(group_name)}* has {own} journey: {journey_line(stages)}."


# -- the breakdown map -----------------------------------------------------------------------------

BAR_WIDTH = 10


def _sorries(count: int) -> str:
    return f"{count} sorr{'y' if count == 1 else 'ies'}"


def _bar(value: int, top: int) -> str:
    filled = 0 if value <= 0 or top <= 0 else max(1, round(value / top * BAR_WIDTH))
    return "█" * filled + "░" * (BAR_WIDTH - filled)


def _stage_lines(rows: Sequence[StageCount]) -> list[str]:
    top = max((row.sorries for row in rows), default=0)
    lines = []
    for row in rows:
        if not row.in_journey and not (row.sorries or row.open_actions):
            continue
        name = escape_mrkdwn(row.stage) + ("" if row.in_journey else " _(no longer in the journey)_")
        sorries = f"{row.sorries} sorr{'y' if row.sorries == 1 else 'ies'}"
        items = f" · {row.open_actions} open action{'' if row.open_actions == 1 else 's'}" if row.open_actions else ""
        warn = " :warning: no open action" if row.sorries and not row.open_actions else ""
        lines.append(f"`{_bar(row.sorries, top)}` *{name}*: {sorries}{items}{warn}")
    return lines


def _group_section(group: GroupBreakdown) -> Block:
    own = " (its own journey)" if group.own_journey else ""
    unstaged = f", {group.without_stage} without a stage" if group.without_stage else ""
    heading = f"*{escape_mrkdwn(group.name)}*{own}: {_sorries(group.sorries)}{unstaged}"
    staged = [row for row in group.stages if row.sorries or row.open_actions]
    lines = [
        f"{escape_mrkdwn(row.stage)} {row.sorries}" + (f" ({row.open_actions} open)" if row.open_actions else "")
        for row in staged
    ]
    return section(heading + ("\n" + " · ".join(lines) if lines else ""))


GROUPS_SHOWN = 10


def map_blocks(found: BreakdownMap, *, picture: bool = False) -> list[Block]:
    """The breakdown map: the journey with each stage's sorries and open action items, the stages where most
    sorries cluster (their open items and recent sorries the reader may see), and each customer group's."""
    weeks = f"the last {found.weeks} week{'s' if found.weeks != 1 else ''}"
    blocks: list[Block] = [
        {"type": "header", "text": plain("Where the customer journey breaks")},
        context(f"Sorries of {weeks} by stage of the journey: {journey_line(found.journey)}."),
    ]
    if not found.sorries:
        blocks.append(
            section(
                f"No sorries in {weeks}. When a customer is let down, `/sorry` it with `&gt;stage` (for example "
                "`/sorry The invoice came twice &gt;buy`) and the map shows where the journey breaks."
            )
        )
        return blocks
    unstaged = (
        f" {found.without_stage} of them {'carries' if found.without_stage == 1 else 'carry'} no stage: add "
        "`&gt;stage` to a `/sorry` or pick one in its form."
        if found.without_stage
        else ""
    )
    blocks.append(section(f"*{found.sorries} sorr{'y' if found.sorries == 1 else 'ies'}* in {weeks}.{unstaged}"))
    blocks.append(section("\n".join(_stage_lines(found.stages)) or "No sorry carries a stage yet."))
    if found.more_than_read:
        blocks.append(context("Only the newest 5,000 sorries are counted."))
    for stage in found.top:
        lines = [f"*{escape_mrkdwn(stage)}*"]
        for quote in found.quotes.get(stage, ()):
            text = escape_mrkdwn(clip(" ".join(quote.text.split()), 200))
            lines.append(f"> {text} (<#{quote.channel_id}>)")
        items = found.items.get(stage, ())
        for item in items:
            lines.append(f"• {escape_mrkdwn(clip(item.title, 120))}: <@{item.owner_id}>, due {item.due}")
        if not items:
            lines.append("_No open action item against it: a sorry's *Create action item* button starts one._")
        blocks.append(section("\n".join(lines)))
    if found.unquoted:
        blocks.append(
            context(
                f"{found.unquoted} of these stages' sorries come from channels you are not in (or I cannot see): "
                "counted, not quoted."
            )
        )
    if found.groups:
        blocks.append({"type": "divider"})
        blocks.append(section("*By customer group*"))
        blocks += [_group_section(group) for group in found.groups[:GROUPS_SHOWN]]
        if len(found.groups) > GROUPS_SHOWN:
            blocks.append(context(f"…and {len(found.groups) - GROUPS_SHOWN} more groups."))
    tail = "`/mindset journey 12` looks back 12 weeks; admins change the stages with `/mindset journey edit`."
    if picture:
        tail = "The picture is in your messages with me. " + tail
    blocks.append(context(tail))
    return blocks


def map_text(found: BreakdownMap) -> str:
    """The map as plain text (notifications, clients without blocks)."""
    if not found.sorries:
        return f"Where the customer journey breaks: no sorries in the last {found.weeks} weeks."
    parts = [f"{escape_mrkdwn(row.stage)} {row.sorries}" for row in found.stages if row.sorries]
    return clip(
        f"Where the customer journey breaks, last {found.weeks} weeks: {found.sorries} sorries. " + ", ".join(parts),
        SECTION_TEXT_MAX,
    )


def chart_title(found: BreakdownMap) -> str:
    return f"Sorries by journey stage, last {found.weeks} weeks"


CHART_LABEL_MAX = 14


def map_chart(found: BreakdownMap) -> bytes | None:
    """The map as a picture (the digest's chart machinery): a bar per stage, in the journey's order, amber where
    sorries meet no open action item; None when no sorry carries a stage (nothing to look at)."""
    rows = [row for row in found.stages if row.in_journey or row.sorries]
    if not any(row.sorries for row in rows):
        return None
    points = [
        WeekPoint(clip(row.stage, CHART_LABEL_MAX), row.sorries, bool(row.sorries and not row.open_actions))
        for row in rows
    ]
    return stages_png(points, title=chart_title(found))


# -- the digest ------------------------------------------------------------------------------------


def digest_journey_text(week: JourneyWeek) -> str | None:
    """The digest's short "Where the journey breaks": the few stages with the week's most sorries, and the open
    action items against each; None when no sorry of the week carries a stage."""
    if not week.stages:
        return None
    lines = []
    for row in week.stages:
        items = (
            f"{row.open_actions} open action{'' if row.open_actions == 1 else 's'}"
            if row.open_actions
            else "no open action"
        )
        lines.append(f"• *{escape_mrkdwn(row.stage)}*: {_sorries(row.sorries)}, {items}")
    text = ":world_map: *Where the journey breaks*\n" + "\n".join(lines) + "\n`/mindset journey` has the map."
    return clip(text, SECTION_TEXT_MAX)
