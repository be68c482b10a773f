"""Escaping user text for Slack's mrkdwn, and Slack's size limits (see shared/slack/FACTS.md)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

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
    return _whole_markup(cut).rstrip() + ellipsis


def _whole_markup(cut: str) -> str:
    """`cut` without an escape (`&amp;`) or a piece of Slack markup (`<@U1|name>`) it would end inside of."""
    amp = cut.rfind("&")
    if amp >= 0 and ";" not in cut[amp:] and len(cut) - amp < 6:
        cut = cut[:amp]
    opened = cut.rfind("<")
    if opened >= 0 and ">" not in cut[opened:]:
        cut = cut[:opened]
    return cut


def quote_back(text: str, limit: int = 35_000) -> str:
    """User text escaped for a message that hands it back, within a message's size."""
    escaped = escape_mrkdwn(text)
    if len(escaped) <= limit:
        return escaped
    # escaping can grow a character to five; clip the original so no entity is cut in half
    return escape_mrkdwn(clip(text, limit // 5))


# Slack's markup in a message's `text`: <@U123>, <#C123|name>, <!here>, <!subteam^S1|@team>,
# <!date^…|fallback>, <https://x|label>, <mailto:a@b|a@b>; and &amp; &lt; &gt; for the three control characters
_MARKUP = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")
_SPECIAL = {"here": "@here", "channel": "@channel", "everyone": "@everyone"}


def mentioned_users(text: str) -> list[str]:
    """The user ids `<@U123>` mentions name in a message's text, once each, in order."""
    found = [target[1:] for target, _ in _MARKUP.findall(text) if target.startswith("@")]
    return list(dict.fromkeys(found))


def readable(text: str, names: Mapping[str, str] | None = None) -> str:
    """A message's text as a person reads it: `@name` for a mention (the id when the name is unknown),
    `#channel`, `@here`, a link's label with its URL, and `&`, `<`, `>` for their escapes."""
    names = names or {}

    def one(match: re.Match[str]) -> str:
        target, label = match[1], match[2]
        if target.startswith("@"):
            return "@" + (names.get(target[1:]) or label or target[1:])
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            word = target[1:].split("^")[0]
            if word in _SPECIAL:
                return _SPECIAL[word]
            return label or f"@{word}"
        if target.startswith("mailto:"):
            return label or target.removeprefix("mailto:")
        if label and label != target:
            return f"{label} ({target})"
        return target

    return _MARKUP.sub(one, text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def without_nul(value: Any) -> Any:
    """`value` (a request body: dicts, lists, strings) with every NUL character removed."""
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, dict):
        return {key: without_nul(item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_nul(item) for item in value]
    return value
