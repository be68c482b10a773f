"""Escaping user text for Slack's mrkdwn, and Slack's size limits (see shared/slack/FACTS.md)."""

from __future__ import annotations

SECTION_TEXT_MAX = 3000
MESSAGE_TEXT_MAX = 40_000
BLOCKS_PER_MESSAGE_MAX = 50
BLOCKS_PER_VIEW_MAX = 100
PLAIN_INPUT_MAX = 3000
OPTION_TEXT_MAX = 75
MODAL_TITLE_MAX = 24
HEADER_TEXT_MAX = 150
BUTTON_TEXT_MAX = 75
PRIVATE_METADATA_MAX = 3000
# a root cause is shown under a heading in one section, so it gets a little less than a section
ROOT_CAUSE_MAX = 2900


def escape_mrkdwn(text: str) -> str:
    """Escape the three characters Slack treats as control characters.

    With `&`, `<` and `>` escaped, user text can no longer form `<!channel>`, `<!here>`,
    `<@U123>` mentions or `<https://evil|innocent>` links when the bot reposts it.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def entry_text_length(text: str) -> int:
    """How long the text is once escaped for a section block."""
    return len(escape_mrkdwn(text))


def section_fits(text: str) -> bool:
    return entry_text_length(text) <= SECTION_TEXT_MAX


def clip(text: str, limit: int, *, ellipsis: str = "…") -> str:
    """Shorten `text` to `limit` characters, at a word boundary when one is near."""
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ellipsis)]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip() + ellipsis


def quote_back(text: str, limit: int = 35_000) -> str:
    """User text escaped for a message that hands it back, within a message's size."""
    escaped = escape_mrkdwn(text)
    if len(escaped) <= limit:
        return escaped
    # escaping can grow a character to five; clip the original so no entity is cut in half
    return escape_mrkdwn(clip(text, limit // 5))
