"""Slack's size limits, held by the pure renderers in handlers/render/ at their worst-case inputs.

Slack refuses a whole message or view when one field is over its limit (`invalid_blocks`), so the
largest thing a person may legitimately enter must still render within every limit. No Slack, no
database: plain data in, Block Kit out, checked here and by slack_sdk's own models (which know many limits).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any, cast

import pytest
from slack_bolt import Ack, BoltContext
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot import ids
from bot.deps import Deps
from bot.render import groups as groups_render
from bot.render import help as help_render
from bot.render.entries import entry_blocks, entry_fallback
from bot.render.home import home_view
from bot.render.modals import entry_modal, group_name_modal, notice_view, root_cause_modal
from bot.services.actions import ActionCard, Horizon
from bot.services.entries import EntryCard, TextTooLong, check_text
from bot.services.groups import GroupOption
from bot.services.home import HomeData
from bot.services.success_index import IndexLine, QuarterIndex
from bot.slack_text import escape_mrkdwn
from handlers.views import root_cause as root_cause_view
from storage.models import ActionStatus, Area, EntryKind

SECTION_MAX = 3000
MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100
TITLE_MAX = 24  # a modal's title, submit and close
METADATA_MAX = 3000
OPTIONS_MAX = 100
OPTION_TEXT_MAX = 75


def exactly(unit: str, size: int = 3000) -> str:
    """`unit` repeated, then padded, so that the text is exactly `size` characters once escaped."""
    text = "Start"
    while len(escape_mrkdwn(text + unit)) <= size:
        text += unit
    return text + "z" * (size - len(escape_mrkdwn(text)))


# The longest texts an entry may have: exactly 3,000 characters once &, < and > are escaped.
LONGEST_TEXTS = {
    "plain": exactly("a"),
    "words": exactly(" Called every clinic back before noon."),
    "ampersands": exactly("&"),  # 5 characters each once escaped
    "angles": exactly("<>"),  # 4 each
    "mixed": exactly(" <!channel> & <@U123> <https://evil.example|click>"),
}
ENTITY = re.compile(r"&(?!amp;|lt;|gt;)")
MAX_GROUP_NAMES = tuple((f"{n:03d} " + "Clinics & <labs> of the north " * 3)[:74] + "!" for n in range(150))


def longest(name: str) -> str:
    text = LONGEST_TEXTS[name]
    assert len(escape_mrkdwn(text)) == 3000 and text == text.strip()
    return text


@pytest.mark.parametrize("name", LONGEST_TEXTS)
def test_longest_texts_are_the_longest_an_entry_accepts(name: str) -> None:
    """The inputs below really are the boundary: accepted as they are, refused with one more `&`."""
    text = longest(name)
    assert check_text(text) == text.strip()
    assert len(escape_mrkdwn(text.strip())) <= SECTION_MAX
    with pytest.raises(TextTooLong):
        check_text(text + "&")


def test_group_names_are_as_long_as_a_group_may_be() -> None:
    assert {len(name) for name in MAX_GROUP_NAMES} == {OPTION_TEXT_MAX}


# -- helpers -------------------------------------------------------------------------------------


def texts_in(value: Any) -> Iterator[tuple[str, str]]:
    """Every text object in the Block Kit, as (type, text)."""
    if isinstance(value, dict):
        if value.get("type") in ("mrkdwn", "plain_text") and isinstance(value.get("text"), str):
            yield value["type"], value["text"]
        for item in value.values():
            yield from texts_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from texts_in(item)


def check_blocks(blocks: list[dict[str, Any]], *, max_blocks: int) -> None:
    """Slack's limits on message blocks, by hand and through slack_sdk's models."""
    assert 0 < len(blocks) <= max_blocks, f"{len(blocks)} blocks"
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= SECTION_MAX
        if block["type"] == "context":
            assert len(block["elements"]) <= 10
            for element in block["elements"]:
                assert len(element["text"]) <= SECTION_MAX
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
        if block["type"] == "actions":
            assert len(block["elements"]) <= 25
            for element in block["elements"]:
                assert len(element.get("value", "")) <= 2000
                assert len(element["text"]["text"]) <= 75
        assert len(block.get("block_id", "")) <= 255
        parsed = Block.parse(block)
        assert parsed is not None, f"slack_sdk does not know this block: {block}"
        assert parsed.to_dict() == block  # validates every limit slack_sdk knows, and drops nothing
    for kind, text in texts_in(blocks):
        if kind == "mrkdwn":
            assert not ENTITY.search(text), f"a bare & (or an escape cut in half) in {text[-80:]!r}"


def check_view(view: dict[str, Any]) -> None:
    assert len(view["blocks"]) <= VIEW_BLOCKS_MAX
    if view["type"] == "modal":
        for part in ("title", "submit", "close"):
            if part in view:
                assert view[part]["type"] == "plain_text"
                assert 0 < len(view[part]["text"]) <= TITLE_MAX, f"{part}: {view[part]['text']!r}"
    assert len(view.get("private_metadata", "")) <= METADATA_MAX
    assert len(view.get("callback_id", "")) <= 255
    model = View(**view)
    assert model.to_dict() == view  # every limit slack_sdk knows of views, blocks and elements


def card(kind: EntryKind, text: str, **extra: Any) -> EntryCard:
    return EntryCard(
        id=123456789, team_id="T111", kind=kind, author_id="U0123456789", channel_id="C0123456789", text=text, **extra
    )


# -- the entry message ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(EntryKind))
@pytest.mark.parametrize("name", LONGEST_TEXTS)
def test_entry_message_with_the_longest_text_fits_and_shows_it_whole(kind: EntryKind, name: str) -> None:
    text = check_text(longest(name))
    everything = card(
        kind,
        text,
        area=Area.ORGANISATION,
        group_names=MAX_GROUP_NAMES[:OPTIONS_MAX],
        source_permalink="https://example.slack.com/archives/C0123456789/p" + "1" * 400,
    )

    blocks = entry_blocks(everything)

    check_blocks(blocks, max_blocks=MESSAGE_BLOCKS_MAX)
    shown = [block["text"]["text"] for block in blocks if block["type"] == "section"]
    assert escape_mrkdwn(text) in shown  # whole, not clipped: what was accepted is what is posted
    assert "<!channel>" not in json.dumps(blocks)
    assert len(entry_fallback(everything)) <= SECTION_MAX
    assert "<!channel>" not in entry_fallback(everything)


def test_sorry_with_the_longest_root_cause_fits() -> None:
    why = "&<>" * 223  # 2,899 characters once escaped: the root cause form allows up to 2,900
    sorry = card(
        EntryKind.SORRY,
        check_text(longest("mixed")),
        root_cause=why,
        root_cause_by="U0123456789",
        group_names=MAX_GROUP_NAMES[:OPTIONS_MAX],
        area=Area.PEOPLE,
    )

    blocks = entry_blocks(sorry)

    check_blocks(blocks, max_blocks=MESSAGE_BLOCKS_MAX)
    assert any(escape_mrkdwn(why) in block["text"]["text"] for block in blocks if block["type"] == "section")


def test_sorry_without_root_cause_offers_the_button() -> None:
    blocks = entry_blocks(card(EntryKind.SORRY, "Three customers waited 2 days for refunds"))

    check_blocks(blocks, max_blocks=MESSAGE_BLOCKS_MAX)
    offered = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert any(e["action_id"] == ids.ADD_ROOT_CAUSE and e["value"] == "123456789" for e in offered)


def test_root_cause_refusal_names_the_limit_it_applies() -> None:
    """The form's error must name a limit the text is over, or the person cannot tell what to cut."""
    told: dict[str, Any] = {}

    def ack(**kwargs: Any) -> None:
        told.update(kwargs)

    why = "We batch refunds weekly. " * 118  # 2,949 characters once trimmed, nothing to escape
    view = {
        "callback_id": ids.ROOT_CAUSE_MODAL,
        "private_metadata": json.dumps({"entry_id": 1}),
        "state": {"values": {ids.ROOT_CAUSE_BLOCK: {ids.ROOT_CAUSE_INPUT: {"type": "plain_text_input", "value": why}}}},
    }

    # refused before anything is stored, so no database is needed
    root_cause_view.root_cause_submitted(
        ack=cast(Ack, ack),
        body={"team": {"id": "T111"}, "user": {"id": "U1"}},
        view=view,
        context=BoltContext(),
        deps=cast(Deps, None),
    )

    assert told["response_action"] == "errors"
    message = told["errors"][ids.ROOT_CAUSE_BLOCK]
    shown_length = len(why.strip())
    assert f"{shown_length:,}" in message
    limits = [int(number.replace(",", "")) for number in re.findall(r"\d{1,3}(?:,\d{3})+|\d+", message)]
    assert any(limit < shown_length for limit in limits), message


# -- modals --------------------------------------------------------------------------------------


def many_groups(count: int = 150) -> list[GroupOption]:
    return [GroupOption(10_000_000 + n, MAX_GROUP_NAMES[n % len(MAX_GROUP_NAMES)]) for n in range(count)]


@pytest.mark.parametrize("kind", list(EntryKind))
def test_entry_modal_with_150_long_group_names_fits(kind: EntryKind) -> None:
    long_message = "A customer wrote & we answered <quickly>. " * 1000  # a message shortcut on a 40,000-char message
    view = entry_modal(
        kind=kind,
        groups=many_groups(150),
        metadata={"src_channel": "C0123456789", "src_ts": "1700000000.123456"},
        initial_text=long_message,
        initial_channel="C0123456789",
    )

    check_view(view)
    [groups_block] = [b for b in view["blocks"] if b.get("block_id") == ids.ENTRY_GROUPS_BLOCK]
    options = groups_block["element"]["options"]
    assert 0 < len(options) <= OPTIONS_MAX
    assert all(len(option["text"]["text"]) <= OPTION_TEXT_MAX for option in options)
    assert all(len(option["value"]) <= 150 for option in options)
    [text_block] = [b for b in view["blocks"] if b.get("block_id") == ids.ENTRY_TEXT_BLOCK]
    element = text_block["element"]
    assert len(element["initial_value"]) <= element["max_length"] <= 3000
    assert json.loads(view["private_metadata"])["kind"] == kind.value


def test_entry_modal_without_groups_fits() -> None:
    check_view(entry_modal(kind=EntryKind.PROUD, groups=[], metadata={}))


def test_root_cause_modal_for_the_longest_sorry_fits() -> None:
    view = root_cause_modal(
        entry_id=2_147_483_647,
        entry_text=longest("mixed"),
        metadata={
            "channel": "C0123456789",
            "ts": "1700000000.123456",
            "response_url": "https://hooks.slack.com/" + "x" * 200,
        },
    )

    check_view(view)


@pytest.mark.parametrize(("title", "initial"), [("Add a customer group", ""), ("Rename group", MAX_GROUP_NAMES[0])])
def test_group_name_modals_fit(title: str, initial: str) -> None:
    """The titles handlers/actions/groups.py opens them with, and the longest name a group may have."""
    view = group_name_modal(
        callback_id=ids.GROUP_RENAME_MODAL,
        title=title,
        metadata={"group_id": 2_147_483_647, "response_url": "https://hooks.slack.com/actions/T111/" + "9" * 100},
        initial=initial,
    )

    check_view(view)


def test_notice_view_clips_what_it_is_given() -> None:
    view = notice_view(title="Not saved: the database is not answering", text="Your text: " + "word " * 2000)

    check_view(view)


# -- the groups list -----------------------------------------------------------------------------


@pytest.mark.parametrize("count", [0, 1, 46, 47, 48, 200])
@pytest.mark.parametrize("notice", [None, "Archived *Small clinics*."])
def test_groups_list_stays_within_50_blocks_and_counts_what_it_hides(count: int, notice: str | None) -> None:
    groups = many_groups(count) if count <= 150 else many_groups(150) + many_groups(count - 150)

    blocks = groups_render.groups_blocks(groups, notice=notice)

    check_blocks(blocks, max_blocks=MESSAGE_BLOCKS_MAX)
    rows = [b for b in blocks if str(b.get("block_id", "")).startswith("group_")]
    hidden_notes = [
        element["text"]
        for b in blocks
        if b["type"] == "context"
        for element in b["elements"]
        if "more not shown" in element["text"]
    ]
    if len(rows) == count:
        assert hidden_notes == []
    else:
        [note] = hidden_notes
        assert f"{count - len(rows)} more" in note
    assert rows or count == 0
    assert len({b["block_id"] for b in rows}) == len(rows)  # Slack refuses duplicate block ids
    if count:
        assert f"({count})" in json.dumps(blocks[: 2 if notice else 1])  # says how many there are in all
    # the add button is always there, even when the list is cut
    assert blocks[-1]["type"] == "actions"
    assert blocks[-1]["elements"][0]["action_id"] == ids.GROUP_ADD


def test_groups_list_escapes_names() -> None:
    blocks = groups_render.groups_blocks([GroupOption(1, "<!here> & friends")])

    assert "<!here>" not in json.dumps(blocks)
    assert "&lt;!here&gt; &amp; friends" in json.dumps(blocks)


# -- help ----------------------------------------------------------------------------------------


def test_help_lists_every_command() -> None:
    blocks = help_render.help_blocks(today=date(2027, 3, 10))
    shown = "\n".join(text for _, text in texts_in(blocks))
    fallback = help_render.help_text(today=date(2027, 3, 10))

    check_blocks(blocks, max_blocks=MESSAGE_BLOCKS_MAX)
    for command in ids.COMMANDS:
        assert f"`{command}" in shown, f"help does not list {command}"
        assert re.search(rf"(^|\n){re.escape(command)}\b", fallback), f"the help fallback does not list {command}"


def test_help_for_an_unknown_subcommand_fits_and_escapes() -> None:
    blocks = help_render.help_blocks(today=date(2027, 3, 10), unknown="<!channel> " * 1000)

    check_blocks(blocks, max_blocks=MESSAGE_BLOCKS_MAX)
    assert "<!channel>" not in json.dumps(blocks)
    assert "<!channel>" not in help_render.help_text(today=date(2027, 3, 10), unknown="<!channel> " * 1000)


# -- the Home tab --------------------------------------------------------------------------------


def home(recent: list[EntryCard], items: int = 0) -> HomeData:
    today = date(2027, 3, 10)
    cards = tuple(
        ActionCard(
            id=n,
            team_id="T111",
            title="<!channel> " + "x" * 140,
            owner_id="U0123456789",
            due_date=today - timedelta(days=n),
            original_due_date=today - timedelta(days=n + 30),
            status=ActionStatus.AT_RISK,
            horizon=Horizon.SHORT,
            desired_outcome="<!here> " + "y" * 1990,
            involved=tuple(f"U{k:010d}" for k in range(20)),
            group_names=tuple(MAX_GROUP_NAMES),
        )
        for n in range(items)
    )
    index = QuarterIndex(2027, 1, [IndexLine("Short term", 1, 3), IndexLine("Long term", 0, 0), IndexLine("All", 1, 3)])
    return HomeData(today, cards, items, index, tuple(recent), tuple(range(12)))


def test_home_view_with_many_long_entries_and_items_fits() -> None:
    recent = [
        card(
            EntryKind.SORRY if n % 2 else EntryKind.PROUD,
            check_text(longest(list(LONGEST_TEXTS)[n % len(LONGEST_TEXTS)])),
        )
        for n in range(8)
    ]

    view = home_view(home(recent, items=15))

    assert view["type"] == "home"
    check_view(view)
    check_blocks(view["blocks"], max_blocks=VIEW_BLOCKS_MAX)
    assert "<!channel>" not in json.dumps(view)


def test_home_view_of_someone_new_fits() -> None:
    view = home_view(home([]))

    check_view(view)
    check_blocks(view["blocks"], max_blocks=VIEW_BLOCKS_MAX)


BROKEN_ESCAPE = re.compile(r"&(?!amp;|lt;|gt;)")


@pytest.mark.parametrize("limit", [5, 6, 7, 600, 2999, 3000])
def test_clip_never_cuts_an_escape_or_a_mention_in_half(limit: int) -> None:
    from bot.slack_text import clip

    escaped = escape_mrkdwn("&<>" * 2000)
    clipped = clip(escaped, limit)
    assert len(clipped) <= limit
    assert not BROKEN_ESCAPE.search(clipped)
    mentions = clip("<@U123|anna> " * 500, limit)
    assert mentions.count("<") == mentions.count(">")


def test_a_long_meeting_answer_is_shown_shortened_with_a_word_and_whole_escapes() -> None:
    from bot.render.meetings import prompt_blocks
    from bot.services.meetings import TEAM, AnswerCard, PromptCard

    answer = AnswerCard(id=1, subject=TEAM, group_id=None, text="&" * 2000, answered_by="U1")
    card = PromptCard(
        id=1, team_id="T1", title="Review", meeting_id=None, starts_at=None, question_text=None, channel="C1",
        message_ts=None, groups=(), answers=(answer,),
    )  # fmt: skip
    blocks = prompt_blocks(card)
    [shown] = [b["text"]["text"] for b in blocks if "&amp;" in str(b.get("text"))]
    assert len(shown) <= SECTION_MAX
    assert not BROKEN_ESCAPE.search(shown)
    assert "2,000 characters in all" in shown


def _command_words(text: str) -> str:
    """`/mindset pause until <YYYY-MM-DD>` -> `/mindset pause until`: the words before any placeholder."""
    return " ".join(re.split(r"\s*[<\[]", text.replace("\\|", "|"))[0].split())


def test_the_readme_command_table_and_the_help_list_the_same_commands() -> None:
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    table = readme.split("## Commands", 1)[1].split("\n\n", 2)[1]
    in_readme = {
        _command_words(code)
        for line in table.splitlines()
        if line.startswith("| `/")
        for code in re.findall(r"`(/[^`]+)`", line.split(" | ")[0])
    }
    listed = help_render.command_examples(date(2027, 3, 10)) + help_render.ADMIN_EXAMPLES
    in_help = {_command_words(command) for command, _ in listed}
    # the README's row for text that starts with a subcommand word is about /proud and /sorry, not a command
    assert in_help - in_readme == set(), "commands the help lists and the README does not"
    assert in_readme - in_help - {"/proud help", "/sorry list", "/mindset"} == set(), "README rows the help lacks"
