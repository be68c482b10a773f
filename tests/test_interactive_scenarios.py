"""The forms end to end: the entry modal, the root cause button and modal, and the message shortcuts.

Every modal is submitted as Slack would submit it: the very view the app opened (as the fake Slack
received it in `views.open`), with state values shaped like Slack's `state.values`.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from bot import ids
from bot.services import entries as entry_service
from bot.services import groups as group_service
from storage.models import Entry, EntryKind, RootCauseRevision
from tests.conftest import RunningBot
from tests.fake_slack import Call
from tests.slack_requests import CHANNEL, TEAM, USER, Answer
from tests.waiting import eventually

OTHER_TEAM = "T999"
SHARE_CHANNEL = "C222"


# -- helpers ---------------------------------------------------------------------------------


def entries(bot: RunningBot) -> list[Entry]:
    with bot.deps.session_factory() as session:
        return list(session.scalars(select(Entry).order_by(Entry.id)))


def entry(bot: RunningBot, entry_id: int) -> Entry:
    with bot.deps.session_factory() as session:
        found = session.get(Entry, entry_id)
        assert found is not None
        return found


def group_names(bot: RunningBot, entry_id: int) -> list[str]:
    with bot.deps.session_factory() as session:
        found = session.get(Entry, entry_id)
        assert found is not None
        return [group.name for group in found.groups]


def opened_view(call: Call) -> dict[str, Any]:
    view: dict[str, Any] = call.params["view"]
    return view


def block(view_or_blocks: dict[str, Any] | list[dict[str, Any]], block_id: str) -> dict[str, Any]:
    blocks = view_or_blocks["blocks"] if isinstance(view_or_blocks, dict) else view_or_blocks
    [found] = [b for b in blocks if b.get("block_id") == block_id]
    return found


def shown_text(blocks: list[dict[str, Any]]) -> str:
    """Every piece of mrkdwn or plain text the blocks show, joined."""
    parts: list[str] = []
    for b in blocks:
        if isinstance(b.get("text"), dict):
            parts.append(b["text"]["text"])
        for element in b.get("elements") or []:
            if isinstance(element.get("text"), str):
                parts.append(element["text"])
            elif isinstance(element.get("text"), dict):
                parts.append(element["text"]["text"])
    return "\n".join(parts)


def buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [element for b in blocks if b["type"] == "actions" for element in b["elements"]]


def text_value(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def entry_values(
    text: str, *, channel: str = SHARE_CHANNEL, group_ids: list[int] | None = None, area: str | None = None
) -> dict[str, dict[str, Any]]:
    values: dict[str, dict[str, Any]] = {
        ids.ENTRY_TEXT_BLOCK: {ids.ENTRY_TEXT_INPUT: text_value(text)},
        ids.ENTRY_GROUPS_BLOCK: {
            ids.ENTRY_GROUPS_INPUT: {
                "type": "multi_static_select",
                "selected_options": [{"value": str(group_id)} for group_id in group_ids or []],
            }
        },
        ids.ENTRY_AREA_BLOCK: {
            ids.ENTRY_AREA_INPUT: {
                "type": "static_select",
                "selected_option": {"value": area} if area else None,
            }
        },
        ids.ENTRY_CHANNEL_BLOCK: {
            ids.ENTRY_CHANNEL_INPUT: {"type": "conversations_select", "selected_conversation": channel}
        },
    }
    return values


def root_cause_values(why: str) -> dict[str, dict[str, Any]]:
    return {ids.ROOT_CAUSE_BLOCK: {ids.ROOT_CAUSE_INPUT: text_value(why)}}


def open_entry_modal(bot: RunningBot, command: str = "/proud") -> dict[str, Any]:
    answer = bot.slack.send_command(command, "")
    assert answer.status == 200
    [opened] = bot.fake.wait_for("views.open")
    view = opened_view(opened)
    assert view["callback_id"] == ids.ENTRY_MODAL
    return view


def submit(
    bot: RunningBot, view: dict[str, Any], values: dict[str, dict[str, Any]], *, view_id: str, **kwargs: Any
) -> Answer:
    return bot.slack.send_interaction(bot.slack.view_submission(view, values, view_id=view_id, **kwargs))


def posts_to(bot: RunningBot, channel: str) -> list[Call]:
    return [call for call in bot.fake.calls_to("chat.postMessage") if call.params.get("channel") == channel]


def settle(bot: RunningBot) -> None:
    """Let the background work of every earlier request run: a later marker post must come through first.

    Background work runs on a FIFO pool, so once a /proud posted after them is out, the quick
    background steps queued before it have been taken up too.
    """
    before = len(posts_to(bot, "CMARKER"))
    bot.slack.send_command("/proud", "marker", channel="CMARKER")
    eventually(lambda: len(posts_to(bot, "CMARKER")) > before)


# -- the entry modal -------------------------------------------------------------------------


def test_proud_without_text_opens_form_and_submitting_stores_and_posts(bot: RunningBot) -> None:
    clinics = group_service.add_group(bot.deps, team_id=TEAM, name="Small clinics", by=USER)
    labs = group_service.add_group(bot.deps, team_id=TEAM, name="Research labs", by=USER)
    group_service.add_group(bot.deps, team_id=TEAM, name="Enterprise IT", by=USER)
    group_service.add_group(bot.deps, team_id=OTHER_TEAM, name="Not ours", by=USER)

    view = open_entry_modal(bot)

    channel_element = block(view, ids.ENTRY_CHANNEL_BLOCK)["element"]
    assert channel_element["initial_conversation"] == CHANNEL
    offered = [option["text"]["text"] for option in block(view, ids.ENTRY_GROUPS_BLOCK)["element"]["options"]]
    assert offered == ["Enterprise IT", "Research labs", "Small clinics"]  # this workspace's, by name
    assert json.loads(view["private_metadata"])["kind"] == "proud"
    assert entries(bot) == []

    answer = submit(
        bot,
        view,
        entry_values("Called the clinic back within the hour", group_ids=[clinics.id, labs.id], area="operations"),
        view_id="V00001",
    )

    assert (answer.status, answer.text) == (200, "")  # the modal closes
    [stored] = entries(bot)
    assert (stored.team_id, stored.kind, stored.author_id) == (TEAM, "proud", USER)
    assert stored.text == "Called the clinic back within the hour"
    assert stored.area == "operations"
    assert stored.channel_id == SHARE_CHANNEL
    assert group_names(bot, stored.id) == ["Research labs", "Small clinics"]
    [post] = bot.fake.wait_for("chat.postMessage")
    assert post.params["channel"] == SHARE_CHANNEL
    shown = shown_text(post.params["blocks"])
    assert "Called the clinic back within the hour" in shown
    assert "Small clinics" in shown and "Research labs" in shown and "Enterprise IT" not in shown
    assert "Area: Operations" in shown
    # the bot keeps the posted message's ts, to show a root cause in it later
    assert eventually(lambda: entry(bot, stored.id).message_ts).startswith("1700000000.")


def test_sorry_form_stores_a_sorry_without_groups_or_area(bot: RunningBot) -> None:
    view = open_entry_modal(bot, "/sorry")
    assert view["title"]["text"] == "Log a sorry"
    # with no customer groups yet, the form says how to add them instead of an empty menu
    assert not [b for b in view["blocks"] if b.get("block_id") == ids.ENTRY_GROUPS_BLOCK]
    assert "/mindset groups" in shown_text(view["blocks"])

    values = entry_values("Refund took two weeks", channel=CHANNEL)
    del values[ids.ENTRY_GROUPS_BLOCK]
    answer = submit(bot, view, values, view_id="V00001")

    assert (answer.status, answer.text) == (200, "")
    [stored] = entries(bot)
    assert (stored.kind, stored.area, stored.channel_id) == ("sorry", None, CHANNEL)
    [post] = bot.fake.wait_for("chat.postMessage")
    assert [button["action_id"] for button in buttons(post.params["blocks"])] == [
        ids.ADD_ROOT_CAUSE,
        ids.CREATE_ACTION_FROM_SORRY,
    ]


def test_double_submit_of_the_same_view_stores_and_posts_once(bot: RunningBot) -> None:
    view = open_entry_modal(bot)
    body = bot.slack.view_submission(view, entry_values("Fixed the invoice typo"), view_id="V00001")

    first = bot.slack.send_interaction(body)
    second = bot.slack.send_interaction(dict(body, trigger_id=bot.slack.next_trigger()))

    assert (first.status, first.text) == (200, "")
    assert (second.status, second.text) == (200, "")  # the second one closes the modal too, quietly
    assert len(entries(bot)) == 1
    bot.fake.wait_for("chat.postMessage")
    settle(bot)
    assert len(posts_to(bot, SHARE_CHANNEL)) == 1
    assert len(entries(bot)) == 2  # the marker, nothing else


@pytest.mark.parametrize("typed", ["", "   \n\t  "])
def test_empty_text_is_a_field_error_and_stores_nothing(bot: RunningBot, typed: str) -> None:
    view = open_entry_modal(bot)

    answer = submit(bot, view, entry_values(typed), view_id="V00001")

    assert answer.status == 200
    assert answer.json["response_action"] == "errors"
    assert list(answer.json["errors"]) == [ids.ENTRY_TEXT_BLOCK]
    assert answer.json["errors"][ids.ENTRY_TEXT_BLOCK].strip()
    assert entries(bot) == []


def test_text_too_long_once_escaped_is_a_field_error_naming_the_limit(bot: RunningBot) -> None:
    view = open_entry_modal(bot)

    # 1,000 characters fit Slack's input, but each & shows as &amp;: 5,000 characters in the post
    answer = submit(bot, view, entry_values("&" * 1000), view_id="V00001")

    assert answer.status == 200
    assert answer.json["response_action"] == "errors"
    error = answer.json["errors"][ids.ENTRY_TEXT_BLOCK]
    assert "3,000" in error
    assert "5,000" in error
    assert entries(bot) == []

    # the person shortens it in the same modal: now it is saved
    fixed = submit(bot, view, entry_values("&" * 600), view_id="V00001")
    assert (fixed.status, fixed.text) == (200, "")
    assert [stored.text for stored in entries(bot)] == ["&" * 600]


def test_groups_of_another_workspace_cannot_be_tagged(bot: RunningBot) -> None:
    ours = group_service.add_group(bot.deps, team_id=TEAM, name="Small clinics", by=USER)
    theirs = group_service.add_group(bot.deps, team_id=OTHER_TEAM, name="Their secret customer", by=USER)
    view = open_entry_modal(bot)

    answer = submit(bot, view, entry_values("Helped a clinic", group_ids=[ours.id, theirs.id]), view_id="V00001")

    assert (answer.status, answer.text) == (200, "")
    [stored] = entries(bot)
    assert group_names(bot, stored.id) == ["Small clinics"]
    [post] = bot.fake.wait_for("chat.postMessage")
    assert "Their secret customer" not in shown_text(post.params["blocks"])


# -- root cause ------------------------------------------------------------------------------


def logged_sorry(bot: RunningBot, text: str) -> tuple[Entry, Call]:
    answer = bot.slack.send_command("/sorry", text)
    assert answer.status == 200
    [post] = bot.fake.wait_for("chat.postMessage")
    [stored] = [found for found in entries(bot) if found.team_id == TEAM]
    eventually(lambda: entry(bot, stored.id).message_ts)
    return entry(bot, stored.id), post


def click_add_root_cause(bot: RunningBot, value: str, post: Call | None = None, ts: str = "1.1") -> None:
    message = {"type": "message", "ts": ts, "text": "", "blocks": post.params["blocks"] if post else []}
    answer = bot.slack.send_interaction(bot.slack.block_action(ids.ADD_ROOT_CAUSE, value, message=message))
    assert answer.status == 200


def test_root_cause_button_opens_modal_and_answer_shows_in_the_message(bot: RunningBot) -> None:
    sorry, post = logged_sorry(bot, "Three customers waited 2 days for refunds")
    [button] = [b for b in buttons(post.params["blocks"]) if b["action_id"] == ids.ADD_ROOT_CAUSE]

    click_add_root_cause(bot, button["value"], post, ts=str(sorry.message_ts))

    [opened] = bot.fake.wait_for("views.open")
    view = opened_view(opened)
    assert view["callback_id"] == ids.ROOT_CAUSE_MODAL
    assert "Three customers waited 2 days for refunds" in shown_text(view["blocks"])
    answer = submit(
        bot, view, root_cause_values("Refunds need a manager's approval & nobody covers holidays"), view_id="V00001"
    )

    assert (answer.status, answer.text) == (200, "")
    saved = entry(bot, sorry.id)
    assert saved.root_cause == "Refunds need a manager's approval & nobody covers holidays"
    assert saved.root_cause_by == USER
    assert saved.root_cause_at is not None
    [update] = bot.fake.wait_for("chat.update")
    assert (update.params["channel"], update.params["ts"]) == (CHANNEL, sorry.message_ts)
    blocks = update.params["blocks"]
    shown = shown_text(blocks)
    assert "Why did this happen?" in shown
    assert "Refunds need a manager's approval &amp; nobody covers holidays" in shown
    assert "Three customers waited 2 days for refunds" in shown
    # the root cause can be revised by anyone who knows better; the miss can still become an action item
    assert [button["text"]["text"] for button in buttons(blocks)] == ["Revise root cause", "Create action item"]


def test_a_second_person_revises_the_root_cause_seeing_it_and_the_first_is_kept(bot: RunningBot) -> None:
    sorry, post = logged_sorry(bot, "Three customers waited 2 days for refunds")
    click_add_root_cause(bot, str(sorry.id), post, ts=str(sorry.message_ts))
    first = opened_view(bot.fake.wait_for("views.open")[0])
    submit(bot, first, root_cause_values("Approvals wait for one manager"), view_id="V00001")
    bot.fake.wait_for("chat.update")

    other = "W222"
    message = {"type": "message", "ts": str(sorry.message_ts), "text": "", "blocks": []}
    bot.slack.send_interaction(bot.slack.block_action(ids.ADD_ROOT_CAUSE, str(sorry.id), message=message, user=other))
    second = opened_view(bot.fake.wait_for("views.open", 2)[1])
    [field] = [b for b in second["blocks"] if b.get("block_id") == ids.ROOT_CAUSE_BLOCK]
    assert field["element"]["initial_value"] == "Approvals wait for one manager"
    assert f"written by <@{USER}>" in shown_text(second["blocks"])

    answer = bot.slack.send_interaction(
        bot.slack.view_submission(
            second, root_cause_values("Approvals wait for one manager, and nobody covers holidays"),
            view_id="V00002", user=other,
        )
    )  # fmt: skip
    assert answer.text == ""

    saved = entry(bot, sorry.id)
    assert (saved.root_cause, saved.root_cause_by) == (
        "Approvals wait for one manager, and nobody covers holidays",
        other,
    )
    with bot.deps.session_factory() as session:
        [kept] = session.scalars(select(RootCauseRevision)).all()
        assert (kept.entry_id, kept.text, kept.written_by, kept.replaced_by) == (
            sorry.id, "Approvals wait for one manager", USER, other,
        )  # fmt: skip
    update = bot.fake.wait_for("chat.update", 2)[1]
    credit = shown_text(update.params["blocks"])
    assert f"Root cause by <@{other}>; 1 earlier version by <@{USER}>" in credit

    # a third look shows both who wrote the current one and the earlier text, with its writer
    bot.slack.send_interaction(bot.slack.block_action(ids.ADD_ROOT_CAUSE, str(sorry.id), message=message))
    third = opened_view(bot.fake.wait_for("views.open", 3)[2])
    assert f"Earlier, by <@{USER}>: _Approvals wait for one manager_" in shown_text(third["blocks"])


def test_empty_root_cause_is_a_field_error(bot: RunningBot) -> None:
    sorry, post = logged_sorry(bot, "Shipped the wrong size")
    click_add_root_cause(bot, str(sorry.id), post, ts=str(sorry.message_ts))
    view = opened_view(bot.fake.wait_for("views.open")[0])

    answer = submit(bot, view, root_cause_values("   "), view_id="V00001")

    assert answer.status == 200
    assert answer.json["response_action"] == "errors"
    assert answer.json["errors"][ids.ROOT_CAUSE_BLOCK].strip()
    assert entry(bot, sorry.id).root_cause is None
    settle(bot)
    assert bot.fake.calls_to("chat.update") == []


def test_root_cause_button_for_another_workspaces_sorry_does_not_open(bot: RunningBot) -> None:
    theirs = entry_service.log_entry(
        bot.deps,
        entry_service.NewEntry(
            team_id=OTHER_TEAM,
            kind=EntryKind.SORRY,
            author_id="U999",
            channel_id="C999",
            text="Their private sorry",
            idempotency_key="test:theirs",
        ),
    ).card

    click_add_root_cause(bot, str(theirs.id))

    [told] = bot.fake.wait_for("response_url:action")
    assert "could not find that sorry" in told.params["text"]
    assert told.params.get("response_type") == "ephemeral"
    assert bot.fake.calls_to("views.open") == []


def test_root_cause_submission_for_another_workspaces_sorry_stores_nothing(bot: RunningBot) -> None:
    theirs = entry_service.log_entry(
        bot.deps,
        entry_service.NewEntry(
            team_id=OTHER_TEAM,
            kind=EntryKind.SORRY,
            author_id="U999",
            channel_id="C999",
            text="Their private sorry",
            idempotency_key="test:theirs",
        ),
    ).card
    ours, post = logged_sorry(bot, "Our own sorry")
    click_add_root_cause(bot, str(ours.id), post, ts=str(ours.message_ts))
    view = opened_view(bot.fake.wait_for("views.open")[0])
    crafted = dict(view, private_metadata=json.dumps({"entry_id": theirs.id}))

    answer = submit(bot, crafted, root_cause_values("Overwriting their root cause"), view_id="V00001")

    assert answer.status == 200
    assert answer.json["response_action"] == "errors"
    assert ids.ROOT_CAUSE_BLOCK in answer.json["errors"]
    assert entry(bot, theirs.id).root_cause is None
    assert entry(bot, ours.id).root_cause is None
    settle(bot)
    assert bot.fake.calls_to("chat.update") == []


def test_root_cause_cannot_be_added_to_a_proud(bot: RunningBot) -> None:
    bot.slack.send_command("/proud", "Shipped it")
    bot.fake.wait_for("chat.postMessage")
    [proud] = entries(bot)

    click_add_root_cause(bot, str(proud.id))

    [told] = bot.fake.wait_for("response_url:action")
    assert "could not find that sorry" in told.params["text"]
    assert bot.fake.calls_to("views.open") == []


# -- message shortcuts -----------------------------------------------------------------------


@pytest.mark.parametrize(("callback_id", "kind"), [(ids.LOG_AS_PROUD, "proud"), (ids.LOG_AS_SORRY, "sorry")])
def test_message_shortcut_logs_the_message_with_a_link_back(bot: RunningBot, callback_id: str, kind: str) -> None:
    said = "The customer said the new invoice layout saved her an hour"
    answer = bot.slack.send_interaction(
        bot.slack.message_shortcut(callback_id, said, channel="C333", ts="1700000100.000200")
    )
    assert answer.status == 200

    [opened] = bot.fake.wait_for("views.open")
    view = opened_view(opened)
    assert view["callback_id"] == ids.ENTRY_MODAL
    assert block(view, ids.ENTRY_TEXT_BLOCK)["element"]["initial_value"] == said
    assert block(view, ids.ENTRY_CHANNEL_BLOCK)["element"]["initial_conversation"] == "C333"
    assert json.loads(view["private_metadata"])["kind"] == kind
    assert entries(bot) == []

    submitted = submit(bot, view, entry_values(said + " (logged by me)", channel=SHARE_CHANNEL), view_id="V00001")

    assert (submitted.status, submitted.text) == (200, "")
    [stored] = entries(bot)
    assert stored.kind == kind
    assert stored.text == said + " (logged by me)"
    assert (stored.source_channel_id, stored.source_ts) == ("C333", "1700000100.000200")
    [link] = bot.fake.wait_for("chat.getPermalink")
    assert (link.params["channel"], link.params["message_ts"]) == ("C333", "1700000100.000200")
    [post] = bot.fake.wait_for("chat.postMessage")
    assert post.params["channel"] == SHARE_CHANNEL
    permalink = "https://fake.slack.com/archives/C333/p1700000100000200"
    [context] = [b for b in post.params["blocks"] if b["type"] == "context"]
    assert f"<{permalink}|Original message>" in shown_text([context])
    assert eventually(lambda: entry(bot, stored.id).source_permalink) == permalink


def test_message_shortcut_fills_the_form_with_readable_text_not_slack_markup(bot: RunningBot) -> None:
    bot.fake.users["W222"] = {
        "id": "W222",
        "name": "anna",
        "real_name": "Anna Berg",
        "profile": {"display_name": "anna"},
    }
    said = "<@W222> <!here> read <https://docs.example/a?x=1&amp;y=2|the guide> in <#C444|support> &lt;3 <@U1005>"

    bot.slack.send_interaction(bot.slack.message_shortcut(ids.LOG_AS_PROUD, said))

    view = opened_view(bot.fake.wait_for("views.open")[0])
    assert block(view, ids.ENTRY_TEXT_BLOCK)["element"]["initial_value"] == (
        "@anna @here read the guide (https://docs.example/a?x=1&y=2) in #support <3 @U1005"
    )


def test_message_shortcut_too_long_for_the_form_says_so_and_hands_back_the_whole_text(bot: RunningBot) -> None:
    said = " ".join(f"word{number:04d}" for number in range(390))  # 3,509 characters

    bot.slack.send_interaction(bot.slack.message_shortcut(ids.LOG_AS_SORRY, said))

    view = opened_view(bot.fake.wait_for("views.open")[0])
    prefilled = block(view, ids.ENTRY_TEXT_BLOCK)["element"]["initial_value"]
    assert len(prefilled) <= 3000
    assert said.startswith(prefilled.removesuffix("…"))
    assert "3,509 characters" in shown_text(view["blocks"])
    [told] = bot.fake.wait_for("response_url:shortcut")
    assert told.params["response_type"] == "ephemeral"
    assert said in told.params["text"]
