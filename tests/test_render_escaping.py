"""Every renderer in bot/render escapes people's text, in a message's fallback `text` as in its blocks.

The test builds the renderers' arguments from their type hints, with every piece of text a person can
type (a title, an entry, a group's name, an answer...) set to a string that would ping the channel,
mention someone and hide a link if Slack read it as mrkdwn. It then calls every public function of
every module in bot/render (a new renderer is walked without being listed here) and looks at each
string Slack reads as mrkdwn: a returned string (an ephemeral reply or a `text` argument), a
`Message.text`, and every text object but `plain_text` ones (which Slack shows as typed).
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import inspect
import pkgutil
import types
import typing
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import bot.render
from bot.engine.messages import Message
from bot.render.actions import action_blocks

HOSTILE = "<!channel> <@UEVIL> <https://evil.example|click> & more"
# what would act if it reached Slack unescaped
DANGERS = ("<!channel>", "<@UEVIL>", "<https://evil.example")
TODAY = date(2026, 3, 2)

# a str field or argument holds an id, a code or the bot's own wording, not what a person typed ...
NOT_TYPED_SUFFIXES = ("_id", "_ids", "_by", "_ts", "id", "tz")
NOT_TYPED = frozenset(
    {"channel", "quarter", "contributors", "involved", "status", "subject", "source_permalink", "creator", "label"}
    # people's ids: who changed a setting, whom an item was handed to or back to, who wrote earlier root causes
    | {"by", "to", "old_owner", "new_owner", "root_cause_writers"}
)
# ... except these arguments, which carry a person's text
TYPED_ARGUMENTS = frozenset(
    {"unknown", "initial_title", "initial_outcome", "sorry_text", "context_text", "initial_text", "entry_text"}
)
# primitives: their callers decide what is mrkdwn; everything that calls them is walked
SKIPPED_MODULES = frozenset({"blocks"})
# plain text for a terminal (`mindset-bot digest`), never sent to Slack
SKIPPED = frozenset({"digest.digest_text", "futures.digest_text_lines"})  # (the latter: a part of the former)
# keys whose strings Slack never reads as mrkdwn
NOT_SHOWN_KEYS = frozenset(
    {"value", "action_id", "block_id", "callback_id", "private_metadata", "url", "initial_value"}
)


def value_for(tp: Any, name: str, *, typed: bool) -> Any:
    if name == "root_cause_history":  # (what was written, who wrote it): the text typed, the writer an id
        return tuple((HOSTILE if typed else "cause1", f"UWRITER{n}") for n in range(3))
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return value_for(next(arg for arg in args if arg is not type(None)), name, typed=typed)
    if origin is tuple and args[-1] is Ellipsis:
        return tuple(value_for(args[0], name, typed=typed) for _ in range(3))
    if origin is tuple:
        return tuple(value_for(arg, name, typed=typed) for arg in args)
    if origin in (list, Sequence):
        return [value_for(args[0], name, typed=typed) for _ in range(3)]
    if origin is frozenset:
        return frozenset({1, 3})
    if origin is dict:
        return {}
    if tp is str:
        if name.endswith("tz"):
            return "Europe/Paris"
        if name == "status":
            return "open"
        return HOSTILE if typed else f"{name}1"
    if tp is bool:
        return True
    if tp is int:
        return 3
    if tp is float:
        return 0.5
    if tp is datetime:
        return datetime(2026, 3, 2, 9, tzinfo=UTC)
    if tp is date:
        return TODAY
    if tp is time:
        return time(10, 0)
    if tp is ZoneInfo:
        return ZoneInfo("Europe/Paris")
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return next(iter(tp))
    if dataclasses.is_dataclass(tp):
        assert isinstance(tp, type)
        return build(tp)
    raise AssertionError(f"no value for {name}: {tp!r}")


def is_typed_field(name: str) -> bool:
    return not (name in NOT_TYPED or name.endswith(NOT_TYPED_SUFFIXES))


def build(cls: type) -> Any:
    hints = typing.get_type_hints(cls)
    values = {
        field.name: value_for(hints[field.name], field.name, typed=is_typed_field(field.name))
        for field in dataclasses.fields(cls)
        if field.init
    }
    return cls(**values)


def renderers() -> Iterator[tuple[str, Callable[..., Any]]]:
    for found in pkgutil.iter_modules(bot.render.__path__):
        if found.name in SKIPPED_MODULES:
            continue
        module = importlib.import_module(f"bot.render.{found.name}")
        for name, function in vars(module).items():
            public = not name.startswith("_") and f"{found.name}.{name}" not in SKIPPED
            if public and inspect.isfunction(function) and function.__module__ == module.__name__:
                yield f"{found.name}.{name}", function


def arguments(name: str, function: Callable[..., Any]) -> dict[str, Any]:
    hints = typing.get_type_hints(function)
    values = {}
    for parameter in inspect.signature(function).parameters.values():
        tp = hints[parameter.name]
        if name == "actions.refresh_item" and parameter.name == "blocks":
            values["blocks"] = action_blocks(value_for(hints["card"], "card", typed=True), TODAY)
        elif name == "replies.too_long_reply" and parameter.name == "text":
            values["text"] = HOSTILE
        else:
            values[parameter.name] = value_for(tp, parameter.name, typed=parameter.name in TYPED_ARGUMENTS)
    return values


def shown_strings(output: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """(where, text) for every string of `output` that Slack reads as mrkdwn."""
    if isinstance(output, str):
        yield where, output
    elif isinstance(output, Message):
        yield from shown_strings(output.text, f"{where}.text")
        yield from shown_strings(output.blocks, f"{where}.blocks")
    elif isinstance(output, dict):
        if output.get("type") == "plain_text":
            return
        for key, value in output.items():
            if key not in NOT_SHOWN_KEYS:
                yield from shown_strings(value, f"{where}.{key}")
    elif isinstance(output, list | tuple):
        for number, item in enumerate(output):
            yield from shown_strings(item, f"{where}[{number}]")


ALL = sorted(renderers())


def test_the_walk_finds_the_renderers_of_each_kind_of_message() -> None:
    names = {name for name, _ in ALL}
    assert {"nudges.reminder", "nudges.overdue", "nudges.assigned", "actions.person_list_text"} <= names
    assert {"entries.entry_fallback", "digest.digest_fallback", "home.home_view", "meetings.prompt_text"} <= names
    assert len(names) > 70


@pytest.mark.parametrize(("name", "function"), ALL, ids=[name for name, _ in ALL])
def test_no_text_a_person_typed_reaches_slack_unescaped(name: str, function: Callable[..., Any]) -> None:
    output = function(**arguments(name, function))

    raw = [(where, text) for where, text in shown_strings(output) if any(danger in text for danger in DANGERS)]
    assert raw == []


def test_a_title_is_escaped_in_the_fallback_text_of_the_reminder_and_the_list() -> None:
    from bot.render.actions import person_list_text
    from bot.render.nudges import assigned, overdue, reminder
    from bot.services.actions import ActionCard

    card = build(ActionCard)
    texts = [
        reminder(card, TODAY).text,
        overdue(card, TODAY, 1).text,
        assigned(card, TODAY, by="U1", reassigned=False, recipient=card.owner_id).text,
        person_list_text([card], TODAY),
    ]
    assert all("&lt;!channel&gt; &lt;@UEVIL&gt;" in text for text in texts)
