"""What `/mindset` and `/mindset help` answer."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from bot.services.people import example_day, example_holiday
from bot.slack_text import escape_mrkdwn


def command_examples(today: date) -> tuple[tuple[str, str], ...]:
    """Each command with an example; dates in examples are relative to `today` (fixed ones go stale)."""
    pause = example_day(today).isoformat()
    holiday = example_holiday(today).isoformat()
    return (
        ("/proud <what went well>", "/proud Shipped the export fix the clinic asked for #small-clinics"),
        ("/proud", "opens a form with customer groups, an area and the channel to share in"),
        ("/sorry <what went wrong>", "/sorry Three customers waited 2 days for refunds"),
        ("/sorry", "opens the same form for a miss; the post gets an *Add root cause* button"),
        ("/action", "opens a form to commit to an action item: owner, people involved, due date, desired outcome"),
        ("/action <title>", "/action Call the three clinics about refunds (opens the form with the title filled in)"),
        ("/action list", "your open action items, with buttons to update each"),
        ("/action help", "how action items and their reminders work"),
        ("/meeting", "registers a meeting: before each one I ask how it will be useful for each customer group"),
        ("/meeting list", "your meetings, to edit, pause, resume or delete"),
        ("/meeting now [title]", "/meeting now Sprint review asks the opening question in this channel right away"),
        ("/meeting help", "how meeting questions work"),
        ("/mindset questions", "the follow-up questions meeting prompts rotate through, to add or retire"),
        ("/mindset ambassador join [#group …]", "/mindset ambassador join #small-clinics: get the weekly digest"),
        ("/mindset ambassador leave", "stops your weekly digest"),
        ("/mindset ambassadors", "lists the customer ambassadors"),
        ("/mindset digest", "this week's digest so far"),
        ("/mindset digest channel here|#name|off", "/mindset digest channel #customer-focus also posts it there"),
        ("/mindset digest schedule [<day> <HH:MM>]", "/mindset digest schedule mon 09:00 sets when it comes"),
        ("/mindset digest timezone [<zone>]", "/mindset digest timezone Europe/Berlin: the workspace's own zone"),
        ("/mindset forget me", "deletes your data for good, after offering you a copy"),
        (
            "/mindset groups",
            "lists the workspace's customer groups with the tag to type for each, to add, rename or archive them",
        ),
        (
            "/mindset journey [weeks]",
            "where in the customer journey the last 8 weeks' sorries cluster, with open items",
        ),
        ("/mindset lead [@person|none]", "names your lead, who reviews your commitments with you each quarter"),
        (
            "/mindset future [#group]",
            "ideal futures per customer group: propose, endorse; admins confirm the common one",
        ),
        ("/mindset pulse", "the last quarter's pulse on what works: each practice's score, 1 to 5, and the trend"),
        ("/mindset index", "your Success Index (commitments kept of due): this quarter so far and the 3 before"),
        ("/mindset pause until <YYYY-MM-DD>", f"/mindset pause until {pause} holds your nudges through that day"),
        ("/mindset resume", "ends your pause: nudges start again"),
        (
            "/mindset workdays [<days> <HH:MM-HH:MM>]",
            "/mindset workdays mon-fri 09:00-17:00 sets when nudges may arrive",
        ),
        ("/mindset holidays", "lists the workspace's holidays (no nudges on them)"),
        ("/mindset holidays add <YYYY-MM-DD> [name]", f"/mindset holidays add {holiday} Christmas"),
        ("/mindset holidays remove <YYYY-MM-DD>", f"/mindset holidays remove {holiday}"),
        ("/mindset help", "shows this message"),
    )


# who may change the workspace: its own section, so the commands above stay within one section's 3,000 characters
ADMIN_NOTE = (
    "Working days and hours, holidays, the digest channel, day and time, the workspace's time zone, renaming, "
    "archiving and restoring customer groups, retiring and restoring questions, the customer journey, each "
    "group's confirmed common future and the pulse's week: the workspace's admins and owners may change them, and "
    "so may the Customer Mindset admins they name. Everyone can read them."
)
ADMIN_EXAMPLES: tuple[tuple[str, str], ...] = (
    ("/mindset settings", "the workspace's settings now, who may change them, and the last changes"),
    ("/mindset admins", "lists the Customer Mindset admins"),
    ("/mindset admins add @someone", "(workspace admins and owners) lets them change workspace settings"),
    ("/mindset admins remove @someone", "(workspace admins and owners) takes that back"),
    ("/mindset pulse schedule <1-11|off>", "the week of each quarter the pulse is asked in (off until set)"),
    ("/mindset groups archived", "archived customer groups, to restore"),
    ("/mindset journey edit [#group]", "the customer journey's stages, one a line (or a customer group's own)"),
    ("/mindset questions retired", "retired follow-up questions, to restore"),
)

INTRO = (
    "*Customer Mindset* keeps the customer in every conversation. Share *prouds* (a customer was "
    "served well) and *sorries* (a customer was let down) where you work; every sorry asks "
    "_why did this happen?_ so that we fix causes, not only symptoms. Tag entries with customer "
    "groups (write a group's tag, such as `#small-clinics`, in the text: `/mindset groups` shows each "
    "group's tag; or use the form), an area and a stage of the customer journey (`&gt;get-help` in the text), "
    "and the weekly digest shows whether the habit is holding. "
    "To log an entry that starts with a command word such as `help` or `list`, put it in quotes."
)

SHORTCUTS = (
    "On any message, open the *⋯* menu and choose *Log as proud* or *Log as sorry* to log it "
    "with a link back to the message."
)

WORKFLOW_STEPS = (
    "In Workflow Builder, add my steps to your own workflows (a support form, a weekly ritual): "
    "*Log a proud*, *Log a sorry* and *Create an action item*. Each gives the next steps its number "
    "and a link to its post."
)


def help_blocks(*, today: date, unknown: str | None = None) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if unknown:
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f"I don't know `/mindset {escape_mrkdwn(unknown[:50])}`. Here is what I can do:",
                },
            }
        )
    # `<` and `>` are control characters in mrkdwn, even inside code: `<text>` would become a link; the
    # `/mindset` commands have a section of their own, so that each stays within a section's 3,000 characters
    examples = command_examples(today)
    logging = _lines(example for example in examples if not example[0].startswith("/mindset"))
    mindset = _lines(example for example in examples if example[0].startswith("/mindset"))
    blocks += [
        {"type": "section", "text": {"type": "mrkdwn", "text": INTRO}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*Commands*\n{logging}"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*`/mindset` commands*\n{mindset}"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _admin_section()}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*Shortcuts*\n{SHORTCUTS}"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*Workflow Builder steps*\n{WORKFLOW_STEPS}"}},
    ]
    return blocks


def _lines(examples: Iterable[tuple[str, str]]) -> str:
    return "\n".join(f"• `{escape_mrkdwn(command)}`: {escape_mrkdwn(example)}" for command, example in examples)


def _admin_section() -> str:
    return f"*Who may change the workspace*\n{ADMIN_NOTE}\n{_lines(ADMIN_EXAMPLES)}"


def help_text(*, today: date, unknown: str | None = None) -> str:
    lines = "\n".join(
        f"{escape_mrkdwn(command)}: {escape_mrkdwn(example)}"
        for command, example in command_examples(today) + ADMIN_EXAMPLES
    )
    prefix = f"I don't know /mindset {escape_mrkdwn(unknown[:50])}. " if unknown else ""
    steps = "Workflow Builder steps: Log a proud, Log a sorry, Create an action item."
    return f"{prefix}Customer Mindset commands:\n{lines}\n{steps}"


ACTION_HELP = (
    "*Action items* turn a customer miss or an idea into a commitment with an owner, a date and a voice.\n"
    "• `/action`: opens the form (title, desired outcome, owner, people involved, due date, customer groups, "
    "area)\n"
    "• `/action Call the three clinics about refunds`: the same form with the title filled in\n"
    "• `/action list`: your open items, owned or involved, with buttons to update each\n"
    "Short term means due within 6 months, long term up to 3 years ahead. The owner gets a reminder 7 days and "
    "1 day before the due date, an overdue nudge the day after and then weekly, and a check-in every Monday."
)
