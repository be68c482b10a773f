"""What the quarterly pulse looks like: the message that asks it, its form, `/mindset pulse` and the digest's
part. Pure functions of their cards; results only ever as aggregates of at least five answers."""

from __future__ import annotations

from typing import Any

from bot import ids
from bot.engine.messages import Message
from bot.render.blocks import Block, button, input_block, metadata_json, option, plain, section
from bot.render.meetings import slack_time
from bot.render.modals import View
from bot.services.pulse import (
    BETTER_MAX,
    LAST_WEEK,
    MIN_ANSWERS,
    PRACTICE_LABELS,
    SUGGESTED_WEEK,
    Overview,
    Results,
    Window,
)
from bot.slack_text import SECTION_TEXT_MAX, clip, escape_mrkdwn
from storage.repositories.pulse import PRACTICES

PULSE_USAGE = (
    "`/mindset pulse` shows the last quarter's pulse (how well each practice works, 1 to 5, against the quarter "
    f"before); `/mindset pulse schedule <week 1-{LAST_WEEK}|off>` sets the week of each quarter it is asked in "
    f"(workspace admins; off until set, week {SUGGESTED_WEEK} suggested)."
)
SCALE = (
    ("1", "1 · does not work for me"),
    ("2", "2 · works a little"),
    ("3", "3 · works somewhat"),
    ("4", "4 · works well"),
    ("5", "5 · works very well"),
)
BETTER_SHOWN = 10  # free texts shown by `/mindset pulse`
THANKS = (
    ":seedling: Thank you: your answer is in, without your name. The results come to everyone once the pulse closes."
)


def ask_message(window: Window) -> Message:
    """The DM that asks the pulse, with the button that opens its form."""
    text = (
        f":seedling: *How well do our customer practices work for you?* A short pulse for {window.year} "
        f"Q{window.quarter}: rate each practice from 1 to 5 and say what would make it work better. It is "
        f"anonymous: your answer is kept without your name, and results are only shown for at least "
        f"{MIN_ANSWERS} answers. Open until {slack_time(window.closes_at)}."
    )
    actions: Block = {
        "type": "actions",
        "elements": [button("Answer the pulse", ids.PULSE_OPEN, window.occasion, style="primary")],
    }
    fallback = f"A short pulse on what works, {window.year} Q{window.quarter}"
    return Message(text=fallback, blocks=[section(text), actions])


def modal(window: Window, *, where: dict[str, Any] | None = None) -> View:
    """The form; `where`: the message that asked (channel, ts), shown answered once it is sent."""
    blocks: list[Block] = [
        section(
            "How well does each practice work for you? Leave out what you do not use. Your answer is kept without "
            f"your name; only totals of at least {MIN_ANSWERS} answers are ever shown."
        )
    ]
    options = [option(label, value) for value, label in SCALE]
    for practice in PRACTICES:
        element: dict[str, Any] = {
            "type": "static_select",
            "action_id": ids.PULSE_SCORE_INPUT,
            "placeholder": plain("1 to 5"),
            "options": options,
        }
        blocks.append(input_block(ids.PULSE_SCORE_BLOCK + practice, PRACTICE_LABELS[practice], element, optional=True))
    better: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": ids.PULSE_BETTER_INPUT,
        "multiline": True,
        "max_length": BETTER_MAX,
    }
    blocks.append(
        input_block(
            ids.PULSE_BETTER_BLOCK,
            "What would make it work better?",
            better,
            optional=True,
            hint=f"Up to {BETTER_MAX:,} characters. Leave names out: mentions of people are taken out.",
        )
    )
    return {
        "type": "modal",
        "callback_id": ids.PULSE_MODAL,
        "title": plain("Pulse on what works"),
        "submit": plain("Send"),
        "close": plain("Cancel"),
        "private_metadata": metadata_json({"q": window.occasion, **(where or {})}),
        "blocks": blocks,
    }


def thanks_modal() -> View:
    return {"type": "modal", "title": plain("Pulse on what works"), "close": plain("Close"), "blocks": thanks_blocks()}


def thanks_blocks() -> list[Block]:
    return [section(THANKS)]


def _change(change: float | None) -> str:
    if change is None:
        return ""
    if abs(change) < 0.05:
        return " (= last quarter)"
    return f" ({'↑' if change > 0 else '↓'}{abs(change):.1f} on last quarter)"


def result_lines(found: Results) -> list[str]:
    """One line per practice: its mean and how many rated it, and the change since the quarter before."""
    if not found.shown:
        return [
            f"{_answers(found.answers)}: fewer than {MIN_ANSWERS}, so no results are shown (they could point to "
            "someone)."
        ]
    lines = []
    for practice in found.practices:
        if practice.mean is None:
            lines.append(f"• {practice.label}: rated by {practice.count}, fewer than {MIN_ANSWERS}")
        else:
            lines.append(
                f"• {practice.label}: *{practice.mean:.1f}* of 5 ({practice.count} rated){_change(practice.change)}"
            )
    return lines


def _answers(count: int) -> str:
    return f"{count} answer" if count == 1 else f"{count} answers"


def overview_text(found: Overview) -> str:
    parts: list[str] = []
    if found.results is not None:
        results = found.results
        head = f"*Pulse {results.label}*, {_answers(results.answers)}"
        if results.shown and results.previous_answers < MIN_ANSWERS:
            head += " (no results of the quarter before to compare with)"
        parts.append("\n".join([head + ":", *result_lines(results)]))
        if results.shown and results.better:
            shown = [f"> {escape_mrkdwn(clip(' '.join(text.split()), 300))}" for text in results.better[:BETTER_SHOWN]]
            more = len(results.better) - len(shown)
            parts.append(
                "*What would make it work better*\n" + "\n".join(shown) + (f"\n_and {more} more_" if more else "")
            )
    if found.open_now is not None:
        window = found.open_now
        mine = " You have answered it." if found.answered_open else ""
        parts.append(
            f"The pulse of {window.year} Q{window.quarter} is open until {slack_time(window.closes_at)}: "
            f"{_answers(found.open_answers)} so far.{mine} Its results are shown once it closes."
        )
    if found.week is None:
        parts.append(
            "The pulse is off in this workspace: a workspace admin turns it on with "
            f"`/mindset pulse schedule {SUGGESTED_WEEK}`."
        )
    else:
        parts.append(f"The pulse is asked in week {found.week} of each quarter.")
    if found.results is None and found.open_now is None and found.week is not None:
        parts.insert(0, "No pulse has closed yet.")
    parts.append(PULSE_USAGE)
    return clip("\n\n".join(parts), 3000)


def schedule_text(week: int | None, *, changed: bool) -> str:
    done = "Done. " if changed else ""
    if week is None:
        return f"{done}The pulse is off: nobody is asked. `/mindset pulse schedule {SUGGESTED_WEEK}` turns it on."
    return (
        f"{done}The pulse is asked in week {week} of each quarter (week 1 begins on the quarter's first day): "
        "everyone who took part since the start of the quarter before gets it at their first working morning of "
        "that week, and it stays open two weeks."
    )


def digest_part(found: Results) -> Block:
    """The digest's short part: the pulse that closed this week, as a whole."""
    head = f"*Pulse on what works, {found.label}* ({_answers(found.answers)})"
    lines = result_lines(found)
    text = clip("\n".join([head, *lines, "`/mindset pulse` shows more."]), SECTION_TEXT_MAX)
    return section(text)


def digest_part_text(found: Results) -> str:
    return "\n".join([f"Pulse on what works, {found.label} ({_answers(found.answers)})", *result_lines(found)]).replace(
        "*", ""
    )
