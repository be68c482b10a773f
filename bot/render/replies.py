"""Short ephemeral answers to bad input."""

from __future__ import annotations

from bot.slack_text import SECTION_TEXT_MAX, quote_back


def too_long_reply(text: str, shown_length: int) -> str:
    return (
        f"That is too long for Slack to show in one post: an entry can be at most "
        f"{SECTION_TEXT_MAX:,} characters once shown (yours comes to {shown_length:,}; "
        "each &, < and > counts as several). Nothing was saved. Here is your text to shorten:\n"
        f"{quote_back(text)}"
    )


def too_long_field_error(shown_length: int, limit: int = SECTION_TEXT_MAX) -> str:
    return (
        f"Slack can show at most {limit:,} characters here; this comes to "
        f"{shown_length:,} (each &, < and > counts as several). Please shorten it."
    )


EMPTY_TEXT = "Write a few words about what happened for the customer."
EMPTY_ROOT_CAUSE = "Write what you think made this happen; a first guess is fine."


def cut_from_form(text: str, limit: int) -> str:
    """Handed back when a form could hold only the start of a text."""
    return (
        f"That message has {len(text):,} characters, more than the form holds ({limit:,}), so only the start of "
        "it is filled in. Here is the whole text, to shorten or to split in two entries:\n"
        f"{quote_back(text)}"
    )
