"""What `/mindset settings`, `/mindset admins`, `/mindset groups archived` and `/mindset questions retired` show."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time
from typing import Any

from bot import ids
from bot.render.blocks import button, context, section
from bot.render.settings import day_label, days_label
from bot.services import admins as admin_service
from bot.services.admins import AdminCard, ChangeCard
from bot.services.groups import GroupOption
from bot.services.people import DAY_NAMES
from bot.services.questions import QuestionCard
from bot.services.workspace_settings import SettingsOverview
from bot.slack_text import BLOCKS_PER_MESSAGE_MAX, clip, escape_mrkdwn
from bot.worktime import zone

Blocks = list[dict[str, Any]]

WHO_CAN = (
    "the workspace's admins and owners, and the Customer Mindset admins they name with `/mindset admins add @someone`"
)


def _admins(cards: Sequence[AdminCard]) -> str:
    if not cards:
        return "none named yet"
    shown = ", ".join(f"<@{card.user_id}>" for card in cards[:20])
    return shown + (f" and {len(cards) - 20} more" if len(cards) > 20 else "")


# -- the record of changes ------------------------------------------------------------------------


def _work_time(value: str | None) -> str:
    try:
        days, hours = (value or "").split(" ")
        start, end = hours.split("-")
        return f"{days_label(frozenset(int(day) for day in days.split(',')))}, {start} to {end}"
    except ValueError:
        return escape_mrkdwn(value or "none")


def _schedule(value: str | None) -> str:
    try:
        weekday, at = (value or "").split(" ")
        return f"{DAY_NAMES[int(weekday) - 1]}s at {at}"
    except (ValueError, IndexError):
        return escape_mrkdwn(value or "none")


def _holiday(value: str | None) -> str:
    day, _, name = (value or "").partition(" ")
    try:
        shown = day_label(date.fromisoformat(day))
    except ValueError:
        shown = escape_mrkdwn(day)
    return f"{shown} ({escape_mrkdwn(name)})" if name else shown


def _channel(value: str | None) -> str:
    return f"<#{value}>" if value else "no channel"


def _plain(value: str | None) -> str:
    return escape_mrkdwn(value or "none")


def _text(value: str | None) -> str:
    return f"“{escape_mrkdwn(value or '')}”"


def change_line(change: ChangeCard) -> str:
    """What changed, in words: `working time: Monday to Friday, 09:00 to 17:00 → …`."""
    old, new = change.old, change.new
    described = {
        admin_service.WORK_TIME: lambda: f"working time: {_work_time(old)} → {_work_time(new)}",
        admin_service.HOLIDAY_ADDED: lambda: f"added the holiday {_holiday(new)}",
        admin_service.HOLIDAY_REMOVED: lambda: f"removed the holiday {_holiday(old)}",
        admin_service.DIGEST_CHANNEL: lambda: f"digest channel: {_channel(old)} → {_channel(new)}",
        admin_service.DIGEST_SCHEDULE: lambda: f"digest day and time: {_schedule(old)} → {_schedule(new)}",
        admin_service.TIME_ZONE: lambda: (
            f"workspace time zone: {escape_mrkdwn(old or '')} → {escape_mrkdwn(new or '')}"
        ),
        admin_service.GROUP_RENAMED: lambda: f"renamed the customer group {_text(old)} → {_text(new)}",
        admin_service.GROUP_ARCHIVED: lambda: f"archived the customer group {_text(old)}",
        admin_service.GROUP_RESTORED: lambda: f"restored the customer group {_text(new)}",
        admin_service.QUESTION_RETIRED: lambda: f"retired the question {_text(old)}",
        admin_service.QUESTION_RESTORED: lambda: f"restored the question {_text(new)}",
        admin_service.ADMIN_ADDED: lambda: f"named {_by(new or '')} a Customer Mindset admin",
        admin_service.ADMIN_REMOVED: lambda: f"removed {_by(old or '')} as a Customer Mindset admin",
        admin_service.JOURNEY: lambda: f"customer journey: {_text(old)} → {_text(new)}",
        admin_service.FUTURE_CONFIRMED: lambda: f"confirmed the common future of {_text(old)}: {_text(new)}",
    }
    line = described.get(change.setting)
    return line() if line is not None else escape_mrkdwn(f"{change.setting}: {old} → {new}")


def _when(change: ChangeCard, tz: str) -> str:
    local = change.at.astimezone(zone(tz))
    return f"{local:%a %-d %b %Y, %H:%M}"


def _by(user_id: str) -> str:
    return "someone since forgotten" if user_id == "forgotten" else f"<@{user_id}>"


def changes_text(changes: Sequence[ChangeCard], tz: str) -> str:
    if not changes:
        return "*Last changes*\nNo settings changed yet (changes are recorded from this version on)."
    lines = [f"• {_when(change, tz)}: {_by(change.by)} {change_line(change)}" for change in changes]
    return f"*Last changes* (times in your time zone, {escape_mrkdwn(tz)})\n" + "\n".join(lines)


# -- /mindset settings ----------------------------------------------------------------------------


def _clock(at: time) -> str:
    return f"{at:%H:%M}"


def settings_blocks(found: SettingsOverview) -> Blocks:
    work = found.work_time
    if found.holidays:
        first = found.holidays[0]
        named = f" ({escape_mrkdwn(first.name)})" if first.name else ""
        holidays = f"{len(found.holidays)} to come, the next on {day_label(first.day)}{named} (`/mindset holidays`)"
    else:
        holidays = "none to come"
    digest = found.digest
    where = f" and in <#{digest.channel}>" if digest.channel else " (no digest channel)"
    current = "\n".join(
        [
            "*Workspace settings*",
            f"• Working time for nudges: {days_label(work.days)}, {_clock(work.start)} to {_clock(work.end)}, in each "
            "person's own time zone",
            f"• Holidays: {holidays}",
            f"• Workspace time zone: {escape_mrkdwn(digest.tz)}",
            f"• Weekly digest: {DAY_NAMES[digest.weekday - 1]}s at {_clock(digest.at)}, to ambassadors by DM{where}",
            f"• Customer groups: {found.groups_active} in use, {found.groups_archived} archived "
            "(`/mindset groups archived`)",
            *_journey_line(found),
            f"• Follow-up questions: {found.questions_active} in the rotation, {found.questions_retired} retired "
            "(`/mindset questions retired`)",
            f"• Customer Mindset admins: {_admins(found.admins)}",
            f"Who can change these: {WHO_CAN}. Everyone can read them.",
        ]
    )
    return [section(current), section(changes_text(found.changes, found.reader_tz))]


def _journey_line(found: SettingsOverview) -> list[str]:
    if found.journey is None:
        return []
    stages = " → ".join(escape_mrkdwn(stage) for stage in found.journey.stages)
    default = "" if found.journey.own else " (the default)"
    groups = len(found.journey.by_group)
    own = f"; {groups} customer group{'s have their' if groups != 1 else ' has its'} own" if groups else ""
    return [f"• Customer journey{default}: {stages}{own} (`/mindset journey edit`)"]


def settings_text(found: SettingsOverview) -> str:
    return clip(settings_blocks(found)[0]["text"]["text"], 3000)


# -- /mindset admins ------------------------------------------------------------------------------


def admins_text(cards: Sequence[AdminCard]) -> str:
    if not cards:
        listed = "No Customer Mindset admins named yet."
    else:
        lines = [f"• <@{card.user_id}>, named by {_by(card.added_by)} on {card.added_at:%-d %B %Y}" for card in cards]
        listed = f"*Customer Mindset admins ({len(cards)})*\n" + "\n".join(lines)
    return clip(
        f"{listed}\nWorkspace settings can be changed by {WHO_CAN}. Only workspace admins and owners can name or "
        "remove Customer Mindset admins: `/mindset admins add @someone`, `/mindset admins remove @someone`.",
        3000,
    )


def admin_added(user_id: str, *, added: bool) -> str:
    if not added:
        return f"<@{user_id}> already is a Customer Mindset admin; nothing changed."
    return f":white_check_mark: <@{user_id}> is a Customer Mindset admin now: they can change workspace settings."


def admin_removed(user_id: str, *, removed: bool) -> str:
    if not removed:
        return f"<@{user_id}> is not a Customer Mindset admin; nothing changed."
    return f"<@{user_id}> is no longer a Customer Mindset admin."


# -- archived groups and retired questions --------------------------------------------------------


def _list_blocks(title: str, empty: str, rows: Sequence[tuple[int, str]], action_id: str, notice: str | None) -> Blocks:
    blocks: Blocks = []
    if notice:
        blocks.append(context(notice))
    blocks.append(section(title))
    room = BLOCKS_PER_MESSAGE_MAX - len(blocks) - 1
    for row_id, text in rows[:room]:
        blocks.append(
            {
                **section(f"• {escape_mrkdwn(text)}", accessory=button("Restore", action_id, str(row_id))),
                "block_id": f"r{row_id}",
            }
        )
    if len(rows) > room:
        blocks.append(context(f"…and {len(rows) - room} more not shown here."))
    if not rows:
        blocks.append(context(empty))
    return blocks


def archived_groups_blocks(options: Sequence[GroupOption], *, notice: str | None = None) -> Blocks:
    return _list_blocks(
        f"*Archived customer groups ({len(options)})*\nRestoring one brings it back to tags, forms and the digest.",
        "No archived customer groups.",
        [(option.id, option.name) for option in options],
        ids.GROUP_RESTORE,
        notice,
    )


def archived_groups_text(options: Sequence[GroupOption]) -> str:
    return clip("Archived customer groups: " + (" / ".join(escape_mrkdwn(o.name) for o in options) or "none"), 3000)


def retired_questions_blocks(cards: Sequence[QuestionCard], *, notice: str | None = None) -> Blocks:
    return _list_blocks(
        f"*Retired follow-up questions ({len(cards)})*\nRestoring one puts it back in the rotation.",
        "No retired questions.",
        [(card.id, card.text) for card in cards],
        ids.QUESTION_RESTORE,
        notice,
    )


def retired_questions_text(cards: Sequence[QuestionCard]) -> str:
    return clip("Retired follow-up questions: " + (" / ".join(escape_mrkdwn(c.text) for c in cards) or "none"), 3000)
