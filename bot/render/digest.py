"""The weekly digest as Block Kit (for Slack) and as plain text (for the terminal).

Congratulatory, not a leaderboard: people are thanked by name in a stable (alphabetical by id)
order, never ranked. Everything stays within Slack's limits; a list that does not fit says how many
more there are and points to `/mindset digest`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from bot.digest.chart import sparkline
from bot.digest.compose import Digest, Metric, Quote
from bot.digest.themes import Theme
from bot.render import futures as futures_render
from bot.render.journey import digest_journey_text
from bot.slack_text import BLOCKS_PER_MESSAGE_MAX, HEADER_TEXT_MAX, SECTION_TEXT_MAX, clip, escape_mrkdwn
from storage.repositories.digest import ActionLine

Blocks = list[dict[str, Any]]

MORE = "`/mindset digest`"
QUOTE_MAX = 280


def counted(count: int, one: str, many: str) -> str:
    """`1 proud`, `2 prouds`, `1 sorry`, `0 sorries`."""
    return f"{count} {one if count == 1 else many}"


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _span(digest: Digest, today: date | None = None) -> str:
    """The days the digest covers: Monday to Sunday, or Monday to today for the week so far."""
    first, last = digest.week.monday, digest.week.last_day
    if digest.so_far and today is not None and first <= today < last:
        last = today
    start = f"{first.day} {first:%B}" if first.year == last.year else _day(first)
    return f"{start} to {_day(last)}" + (" (so far)" if digest.so_far else "")


def title(digest: Digest) -> str:
    week = digest.week.monday.isocalendar()[1]
    when = "so far" if digest.so_far else ""
    return clip(f"Customer focus, week {week} {when}".replace("  ", " ").strip(), HEADER_TEXT_MAX)


def _change(metric: Metric) -> str:
    return f"last week {metric.last}, 4-week average {average_text(metric.average)}"


def _sections(
    heading: str,
    lines: Sequence[str],
    *,
    total: int | None = None,
    more: str = f" in {MORE}",
    unquoted: int = 0,
) -> list[dict[str, Any]]:
    """A heading and as many lines as fit in one section; the rest is counted, never cut mid-line.
    `unquoted` of `total` are not listed because the reader may not see them quoted (private channels):
    said as such, not sent to `/mindset digest`, which would not show them either."""
    text = f"*{heading}*"
    shown = 0
    for line in lines:
        candidate = f"{text}\n{line}"
        if len(candidate) > SECTION_TEXT_MAX - 120:
            break
        text, shown = candidate, shown + 1
    hidden = (total if total is not None else len(lines)) - shown
    private = min(max(unquoted, 0), max(hidden, 0))
    if hidden - private > 0:
        text += f"\n…and {hidden - private} more{more}"
    if private > 0:
        text += f"\n{_unquoted_note(private, shown + hidden - private)}"
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]


def _unquoted_note(count: int, quotable: int) -> str:
    """How many a list leaves out because the reader may not see them quoted (`quotable`: how many it could
    list, shown or counted)."""
    where = "a private channel" if count == 1 else "private channels"
    if quotable:
        lead = f"{count} more" + (" is" if count == 1 else " are")
    else:
        lead = "It is" if count == 1 else ("Both are" if count == 2 else f"All {count} are")
    return f"_{lead} in {where}, not quoted here_"


def names_that_fit(names: Sequence[str], room: int, *, more: str = "") -> str:
    """Names joined by commas, as many as fit in `room` characters; the rest counted (`, and 7 more`
    followed by `more`), none cut."""
    shown: list[str] = []
    used = 0
    tail_room = len(f", and {len(names)} more{more}")
    for index, name in enumerate(names):
        piece = escape_mrkdwn(name)
        if shown and used + len(piece) + 2 + tail_room > room:
            return ", ".join(shown) + f", and {len(names) - index} more{more}"
        shown.append(piece)
        used += len(piece) + 2
    return ", ".join(shown)


def average_text(value: float) -> str:
    """One decimal, rounded half up (1.25 is 1.3), without a trailing .0."""
    rounded = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{rounded}".removesuffix(".0")


def _quote(quote: Quote) -> str:
    text = escape_mrkdwn(clip(" ".join(quote.text.split()), QUOTE_MAX))
    return f"• <@{quote.author_id}> in <#{quote.channel_id}>: {text}"


def _action(line: ActionLine, today: date | None = None) -> str:
    late = f", {(today - line.due_date).days} days late" if today else ""
    return f"• {escape_mrkdwn(clip(line.title, 150))}: <@{line.owner_id}>, due {line.due_date:%-d %b}{late}"


def _theme(theme: Theme) -> str:
    if theme.is_new:
        trend = "new"
    else:
        before = f"{theme.month_average:.1f}".rstrip("0").rstrip(".")
        arrow = "↑" if theme.texts > theme.month_average else "↓" if theme.texts < theme.month_average else "="
        trend = f"{arrow} from {before} a week"
    return f"*{escape_mrkdwn(theme.term)}* ({theme.texts}, {trend})"


def taking_part(digest: Digest) -> tuple[int, int]:
    """(everyone the participation line counts, how many of them the reader may not see named): the thanks
    count the same people as "People taking part", and say why some are not named."""
    named = len(digest.contributors)
    counted_people = digest.metrics[2].now if len(digest.metrics) > 2 else 0
    everyone = max(counted_people, named)
    return everyone, everyone - named


def _thanks(digest: Digest) -> str:
    everyone, unnamed = taking_part(digest)
    if not everyone:
        return "A quiet week: no prouds, sorries or closed commitments yet. One small entry gets the habit going."
    people = counted(everyone, "person", "people")
    if not digest.contributors:  # people took part only where this reader may not see (private channels)
        where = "a private channel" if everyone == 1 else "private channels"
        return f":clap: Thank you to the {people} who kept the customer in view, in {where} not quoted here."
    head = f":clap: Thank you to the {people} who kept the customer in view: "
    where = "a private channel" if unnamed == 1 else "private channels"
    private = f"{unnamed} more in {where}" if unnamed else ""
    room = SECTION_TEXT_MAX - len(head) - len(private) - 40  # for the tails: ", 1234 more, and …."
    shown: list[str] = []
    used = 0
    for person, _ in digest.contributors:
        mention = f"<@{person}>"
        if used + len(mention) + 2 > room:
            break
        shown.append(mention)
        used += len(mention) + 2
    rest = len(digest.contributors) - len(shown)  # no room to name them all: counted, never cut mid-mention
    tails = [f"{rest} more"] if rest else []
    tails += [private] if private else []
    if tails:
        shown[-1:] = [f"{shown[-1]}, {'and ' if len(tails) == 1 else ''}{tails[0]}"] if shown else [tails[0]]
        if len(tails) == 2:
            shown.append(f"and {tails[1]}")
    return f"{head}{', '.join(shown)}."


def fade_warning(digest: Digest) -> str | None:
    if not digest.fading:
        return None
    weeks = [point for point in digest.participation if point.warn]
    counts = " and ".join(str(point.value) for point in weeks)
    return (
        ":warning: *The habit is fading.* Participation has been 30% or more below its 4-week average for "
        f"two weeks running ({counts} people). A nudge from an ambassador, a proud shared in a team channel, "
        "or a meeting opened with the customer question can turn it around."
    )


def digest_blocks(digest: Digest, *, today: date) -> Blocks:
    more = "" if digest.detailed else f" in {MORE}"  # `/mindset digest` does not send readers to itself
    blocks: Blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": title(digest)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": _span(digest, today)}]},
        {"type": "section", "text": {"type": "mrkdwn", "text": clip(_thanks(digest), SECTION_TEXT_MAX)}},
    ]
    warning = fade_warning(digest)
    if warning:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": warning}})
    blocks.append(
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*{metric.label}*\n{metric.now} ({_change(metric)})"}
                for metric in digest.metrics[:10]
            ],
        }
    )
    values = [point.value for point in digest.participation]
    blocks.append(
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"*Habit health*, people taking part over {len(values)} weeks: "
                    f"`{sparkline(values)}` ({values[-1] if values else 0} this week)",
                }
            ],
        }
    )
    blocks.append({"type": "divider"})
    if digest.prouds_total:
        blocks += _sections(
            f"Prouds ({digest.prouds_total})",
            [_quote(q) for q in digest.prouds],
            total=digest.prouds_total,
            more=more,
            unquoted=digest.prouds_unquoted,
        )
    if digest.open_sorries_total:
        blocks += _sections(
            f"Sorries still without a root cause ({digest.open_sorries_total})",
            [_quote(q) for q in digest.open_sorries],
            total=digest.open_sorries_total,
            more=more,
            unquoted=digest.open_sorries_unquoted,
        )
    if digest.due_next_week_total:
        blocks += _sections(
            f"Action items due next week ({digest.due_next_week_total})",
            [_action(line) for line in digest.due_next_week],
            total=digest.due_next_week_total,
            more=more,
        )
    if digest.overdue_total:
        blocks += _sections(
            f"Overdue ({digest.overdue_total}), of which stuck ({digest.stuck_total})",
            [_action(line, today) for line in digest.overdue],
            total=digest.overdue_total,
            more=more,
        )
    if digest.stuck_total:
        blocks += _sections(
            "Stuck: overdue through three nudges",
            [_action(line, today) for line in digest.stuck],
            total=digest.stuck_total,
            more=more,
        )
    blocks.append({"type": "divider"})
    group_lines = [
        f"• {'★ ' if group.reader_follows else ''}{escape_mrkdwn(group.name)}: "
        f"{counted(group.prouds, 'proud', 'prouds')}, {counted(group.sorries, 'sorry', 'sorries')}"
        f"{', discussed in meetings' if group.in_meetings else ''}"
        for group in digest.groups
        if group.prouds or group.sorries or group.in_meetings or group.reader_follows
    ]
    if group_lines:
        blocks += _sections("By customer group", group_lines, more=more)
    if digest.silent_groups:
        names = names_that_fit(digest.silent_groups, SECTION_TEXT_MAX - 40, more=more)
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"Nobody mentioned: {names}"}]})
    area_lines = [
        f"• {area.label}: {counted(area.prouds, 'proud', 'prouds')}, {counted(area.sorries, 'sorry', 'sorries')}"
        for area in digest.areas
        if area.prouds or area.sorries
    ]
    if area_lines:
        blocks += _sections("By area", area_lines, more=more)
    journey = digest_journey_text(digest.journey)
    if journey:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": journey}})
    if digest.themes:
        themes = " · ".join(_theme(theme) for theme in digest.themes)
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": clip(f"*Recurring themes*\n{themes}", SECTION_TEXT_MAX)},
            }
        )
    meetings = digest.meetings
    if meetings.prompts_sent:
        never = names_that_fit(meetings.groups_never_mentioned, SECTION_TEXT_MAX - 200, more=more) or "none"
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": clip(
                        f"*Meetings*\n{meetings.prompts_answered} of {meetings.prompts_sent} opening questions "
                        f"answered. Customer groups no meeting mentioned: {never}.",
                        SECTION_TEXT_MAX,
                    ),
                },
            }
        )
    if digest.futures:
        blocks += _sections(
            "Common futures: open action items serving each, and how many were kept",
            futures_render.digest_lines(digest.futures, digest.quarter),
            more=" in `/mindset future`",
        )
    success = " · ".join(f"{line.label} {line.kept} of {line.due} ({line.percent})" for line in digest.success)
    blocks.append(
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": f"*Success Index {digest.quarter} so far*: {success}"}],
        }
    )
    if len(blocks) > BLOCKS_PER_MESSAGE_MAX:
        blocks = blocks[: BLOCKS_PER_MESSAGE_MAX - 1]
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"More in {MORE}."}]})
    return blocks


def digest_fallback(digest: Digest) -> str:
    """The notification text."""
    prouds, sorries, people = (metric.now for metric in digest.metrics[:3])
    counts = (
        f"{counted(prouds, 'proud', 'prouds')}, {counted(sorries, 'sorry', 'sorries')}, "
        f"{counted(people, 'person', 'people')} taking part"
    )
    return clip(f"{title(digest)}: {counts}", 3000)


def digest_text(digest: Digest, *, today: date) -> str:
    """The whole digest as plain text, for `mindset-bot digest` in a terminal."""
    lines = [title(digest), _span(digest, today), ""]
    warning = fade_warning(digest)
    if warning:
        lines += [warning.replace("*", "").replace(":warning: ", "WARNING: "), ""]
    for metric in digest.metrics:
        lines.append(f"{metric.label}: {metric.now} ({_change(metric)})")
    values = [point.value for point in digest.participation]
    lines += ["", f"Habit health (people taking part, {len(values)} weeks): {sparkline(values)} {values}"]
    lines += [
        "",
        f"Prouds ({digest.prouds_total}):",
        *(f"  {q.author_id}: {' '.join(q.text.split())}" for q in digest.prouds),
        *_text_rest(digest.prouds_total, len(digest.prouds), digest.prouds_unquoted),
    ]
    lines += [f"Sorries without a root cause: {digest.open_sorries_total}"]
    lines += [f"  {q.author_id}: {' '.join(q.text.split())}" for q in digest.open_sorries]
    lines += _text_rest(digest.open_sorries_total, len(digest.open_sorries), digest.open_sorries_unquoted)
    lines += [f"Action items due next week: {digest.due_next_week_total}"]
    lines += [f"  {a.title} ({a.owner_id}, {a.due_date})" for a in digest.due_next_week]
    lines += [f"Overdue: {digest.overdue_total}, stuck: {digest.stuck_total}"]
    lines += [f"  {a.title} ({a.owner_id}, due {a.due_date})" for a in digest.overdue]
    lines += ["", "By customer group:"]
    lines += [
        f"  {'* ' if g.reader_follows else ''}{g.name}: {counted(g.prouds, 'proud', 'prouds')}, "
        f"{counted(g.sorries, 'sorry', 'sorries')}"
        for g in digest.groups
    ]
    if digest.silent_groups:
        lines.append(f"  Nobody mentioned: {', '.join(digest.silent_groups)}")
    lines += [
        "By area:",
        *(
            f"  {a.label}: {counted(a.prouds, 'proud', 'prouds')}, {counted(a.sorries, 'sorry', 'sorries')}"
            for a in digest.areas
        ),
    ]
    if digest.journey.stages:
        lines += [
            "Where the journey breaks: "
            + ", ".join(f"{row.stage} {row.sorries} (open actions {row.open_actions})" for row in digest.journey.stages)
        ]
    if digest.themes:
        lines += ["Recurring themes: " + ", ".join(_theme(t).replace("*", "") for t in digest.themes)]
    meetings = digest.meetings
    lines += [f"Meetings: {meetings.prompts_answered} of {meetings.prompts_sent} opening questions answered"]
    if digest.futures:
        lines += ["Common futures:", *futures_render.digest_text_lines(digest.futures, digest.quarter)]
    success = ", ".join(f"{line.label} {line.kept}/{line.due}" for line in digest.success)
    lines += [f"Success Index {digest.quarter} so far: {success}"]
    everyone, unnamed = taking_part(digest)
    thanks = [person for person, _ in digest.contributors]
    where = "a private channel" if unnamed == 1 else "private channels"
    if unnamed and thanks:
        thanks.append(f"and {unnamed} more in {where}")
    elif unnamed:
        thanks.append(f"{counted(unnamed, 'person', 'people')} in {where}")
    lines += ["", f"Thank you: {', '.join(thanks)}" if everyone else "A quiet week."]
    return "\n".join(lines)


def _text_rest(total: int, shown: int, unquoted: int) -> list[str]:
    """The terminal's digest: what a list leaves out, and why (private channels, or no room)."""
    hidden = total - shown
    private = min(max(unquoted, 0), max(hidden, 0))
    lines = [f"  …and {hidden - private} more"] if hidden - private > 0 else []
    if private:
        lines.append(f"  ({_unquoted_note(private, total - private).strip('_')})")
    return lines
