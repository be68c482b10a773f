"""The Home tab: a personal dashboard."""

from __future__ import annotations

from typing import Any

from bot import ids
from bot.digest.chart import sparkline
from bot.render import futures as futures_render
from bot.render.actions import action_blocks
from bot.render.blocks import button, context, section
from bot.render.entries import KIND_EMOJI, KIND_LABEL
from bot.render.index import quarter_heading, quarter_lines
from bot.services.home import HomeData
from bot.slack_text import BLOCKS_PER_VIEW_MAX, clip, escape_mrkdwn
from storage.models import EntryKind

Blocks = list[dict[str, Any]]


def home_view(data: HomeData, *, notice: str | None = None) -> dict[str, Any]:
    blocks: Blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Customer Mindset"}},
        *([context(f":information_source: {notice}")] if notice else []),
        section(
            "Share how customers were served: a *proud* when it went well, a *sorry* when it did not. "
            "Turn what you learn into an *action item* with an owner and a date."
        ),
        {
            "type": "actions",
            "elements": [
                button("Log a proud", ids.OPEN_PROUD_MODAL, EntryKind.PROUD.value, "primary"),
                button("Log a sorry", ids.OPEN_SORRY_MODAL, EntryKind.SORRY.value),
                button("Create an action item", ids.OPEN_ACTION_MODAL, "action"),
            ],
        },
        {"type": "divider"},
        section(f"*Your open action items ({data.items_total})*"),
    ]
    if not data.items:
        blocks.append(context("Nothing open. Commit to the next step for a customer with `/action`."))
    for card in data.items:
        blocks += action_blocks(card, data.today)
    if data.items_total > len(data.items):
        blocks.append(context("More in `/action list`, soonest due first."))
    blocks += [
        {"type": "divider"},
        section(f":bar_chart: *Your Success Index, {quarter_heading(data.quarter)}*\n{quarter_lines(data.quarter)}"),
        {"type": "divider"},
        section("*Your recent entries*"),
    ]
    if not data.recent:
        blocks.append(context("Nothing yet: try `/proud` in any channel."))
    for entry in data.recent:
        heading = f"{KIND_EMOJI[entry.kind]} *{KIND_LABEL[entry.kind]}* in <#{entry.channel_id}>"
        line = f"{heading}: {escape_mrkdwn(clip(entry.text, 300))}"
        if entry.kind is EntryKind.SORRY and not entry.root_cause:
            line += "\n_No root cause yet._"
        blocks.append(section(line))
    blocks += [{"type": "divider"}, *futures_render.home_blocks(data.futures, proposals=data.proposals)]
    values = list(data.participation)
    blocks += [
        {"type": "divider"},
        context(
            f"*Habit health* of the workspace, people taking part over {len(values)} weeks: "
            f"`{sparkline(values)}` ({values[-1] if values else 0} this week)"
        ),
    ]
    return {"type": "home", "blocks": blocks[:BLOCKS_PER_VIEW_MAX]}
