"""What `/mindset ambassador…` and `/mindset digest …` answer."""

from __future__ import annotations

from collections.abc import Sequence

from bot.services.ambassadors import AmbassadorCard, DigestSettings
from bot.services.people import DAY_NAMES
from bot.slack_text import clip, escape_mrkdwn


def _groups(names: Sequence[str]) -> str:
    return ", ".join(escape_mrkdwn(name) for name in names) if names else "all customer groups"


def joined(card: AmbassadorCard) -> str:
    return (
        f":star2: You are a customer ambassador now, for {_groups(card.group_names)}. Your weekly digest "
        "arrives on the workspace's digest day; `/mindset digest` shows this week so far."
    )


def left(was: bool) -> str:
    if not was:
        return "You were not an ambassador, so nothing changed. `/mindset ambassador join` makes you one."
    return "You are no longer an ambassador: no more weekly digests. Thank you for carrying the customer across teams."


def ambassador_list(cards: Sequence[AmbassadorCard]) -> str:
    if not cards:
        return (
            "No customer ambassadors yet. `/mindset ambassador join` makes you one (add `#group-name` words to "
            "follow given customer groups first); ambassadors get the weekly digest."
        )
    lines = [f"• <@{card.user_id}>: {_groups(card.group_names)}" for card in cards[:100]]
    more = f"\n…and {len(cards) - 100} more." if len(cards) > 100 else ""
    return clip(f"*Customer ambassadors ({len(cards)})*\n" + "\n".join(lines) + more, 3000)


def digest_settings(settings: DigestSettings, *, changed: str | None = None) -> str:
    where = f" and in <#{settings.channel}>" if settings.channel else ""
    when = f"{DAY_NAMES[settings.weekday - 1]}s at {settings.at:%H:%M}"
    head = f":white_check_mark: {changed} " if changed else ""
    return (
        f"{head}The weekly digest goes to each ambassador by DM{where}, on {when} in each reader's own time "
        f"zone (the channel's in the workspace's, {settings.tz}; the next working day when that day is not one). "
        "Change it with `/mindset digest channel here` (or `#name`, or `off`), `/mindset digest schedule mon "
        "09:00` and `/mindset digest timezone Europe/Berlin`."
    )
