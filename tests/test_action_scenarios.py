"""Action items end to end: /action and its form, /action list, the buttons and forms on an item,
and a sorry turned into an action item. The real app over HTTP, the fake Slack, SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from bot import ids
from bot.engine.engine import NudgeEngine
from bot.services import actions as action_service
from bot.services import groups as group_service
from bot.slack_client import make_web_client
from storage.models import ActionEvent, ActionItem, Delivery, DeliveryStatus, Entry
from tests.conftest import RunningBot
from tests.fake_slack import Call
from tests.slack_requests import CHANNEL, TEAM, USER, Answer
from tests.waiting import eventually

OWNER = "W222"
HELPER = "W333"
STRANGER = "W999"


# -- helpers ---------------------------------------------------------------------------------


def today() -> date:
    # nobody's time zone is known to the bot in these tests, so their day is the UTC day
    return datetime.now(UTC).date()


def items(bot: RunningBot) -> list[ActionItem]:
    with bot.deps.session_factory() as session:
        return list(session.scalars(select(ActionItem).order_by(ActionItem.id)))


def item(bot: RunningBot, action_id: int) -> ActionItem:
    with bot.deps.session_factory() as session:
        found = session.get(ActionItem, action_id)
        assert found is not None
        return found


def history(bot: RunningBot, action_id: int) -> list[tuple[str, str | None, str | None, str | None]]:
    with bot.deps.session_factory() as session:
        events = session.scalars(select(ActionEvent).where(ActionEvent.action_id == action_id).order_by(ActionEvent.id))
        return [(event.kind, event.old_value, event.new_value, event.note) for event in events]


def action_values(
    title: str,
    *,
    due: date | None,
    owner: str | None = None,
    people: list[str] | None = None,
    outcome: str = "",
    group_ids: list[int] | None = None,
    area: str | None = None,
) -> dict[str, dict[str, Any]]:
    return {
        ids.ACTION_TITLE_BLOCK: {ids.ACTION_TITLE_INPUT: {"type": "plain_text_input", "value": title}},
        ids.ACTION_OUTCOME_BLOCK: {ids.ACTION_OUTCOME_INPUT: {"type": "plain_text_input", "value": outcome or None}},
        ids.ACTION_OWNER_BLOCK: {ids.ACTION_OWNER_INPUT: {"type": "users_select", "selected_user": owner}},
        ids.ACTION_PEOPLE_BLOCK: {
            ids.ACTION_PEOPLE_INPUT: {"type": "multi_users_select", "selected_users": people or []}
        },
        ids.ACTION_DUE_BLOCK: {
            ids.ACTION_DUE_INPUT: {"type": "datepicker", "selected_date": due.isoformat() if due else None}
        },
        ids.ACTION_GROUPS_BLOCK: {
            ids.ACTION_GROUPS_INPUT: {
                "type": "multi_static_select",
                "selected_options": [{"value": str(group_id)} for group_id in group_ids or []],
            }
        },
        ids.ACTION_AREA_BLOCK: {
            ids.ACTION_AREA_INPUT: {"type": "static_select", "selected_option": {"value": area} if area else None}
        },
    }


def opened_views(bot: RunningBot, count: int) -> list[dict[str, Any]]:
    return [call.params["view"] for call in bot.fake.wait_for("views.open", count)]


def open_action_form(bot: RunningBot, text: str = "", *, user: str = USER) -> dict[str, Any]:
    before = len(bot.fake.calls_to("views.open"))
    answer = bot.slack.send_command("/action", text, user=user)
    assert (answer.status, answer.text) == (200, "")
    view = opened_views(bot, before + 1)[-1]
    assert view["callback_id"] == ids.ACTION_MODAL
    return view


def submit(bot: RunningBot, view: dict[str, Any], values: dict[str, Any], *, view_id: str, user: str = USER) -> Answer:
    return bot.slack.send_interaction(bot.slack.view_submission(view, values, view_id=view_id, user=user))


def create(bot: RunningBot, title: str, *, due: date, owner: str | None = None, **values: Any) -> ActionItem:
    view = open_action_form(bot)
    answer = submit(bot, view, action_values(title, due=due, owner=owner, **values), view_id=f"V-{title}")
    assert answer.status == 200 and answer.json["response_action"] == "update", answer.text
    [created] = [found for found in items(bot) if found.title == title]
    return created


def block(blocks: list[dict[str, Any]], block_id: str) -> dict[str, Any]:
    [found] = [b for b in blocks if b.get("block_id") == block_id]
    return found


def shown(blocks: list[dict[str, Any]]) -> str:
    parts = []
    for b in blocks:
        if isinstance(b.get("text"), dict):
            parts.append(b["text"]["text"])
        for element in b.get("elements") or []:
            if isinstance(element.get("text"), dict):
                parts.append(element["text"]["text"])
            elif isinstance(element.get("text"), str):
                parts.append(element["text"])
    return "\n".join(parts)


def button_ids(blocks: list[dict[str, Any]]) -> list[str]:
    return [element["action_id"] for b in blocks if b["type"] == "actions" for element in b["elements"]]


def item_buttons(blocks: list[dict[str, Any]], action_id: int) -> list[str]:
    return [element["action_id"] for element in block(blocks, f"action_{action_id}_buttons")["elements"]]


def click(
    bot: RunningBot, action_id: str, value: str, *, blocks: list[dict[str, Any]] | None = None, user: str = USER
) -> Answer:
    message = {"type": "message", "ts": "1.1", "text": "fallback", "blocks": blocks or []}
    answer = bot.slack.send_interaction(bot.slack.block_action(action_id, value, message=message, user=user))
    assert answer.status == 200
    return answer


def responses(bot: RunningBot, count: int = 1) -> list[Call]:
    return bot.fake.wait_for("response_url:action", count)


def run_engine(bot: RunningBot) -> None:
    """A tick of the nudge engine at the real time (the deliveries of new commitments are due at once), and
    more at the moments what it left pending waits for (the recipients' working time: it may be night or
    a Sunday now)."""
    client = make_web_client(bot.deps.settings)
    engine = NudgeEngine(
        session_factory=bot.deps.session_factory, client_for=lambda _team: client, clock=bot.deps.clock
    )
    now = bot.deps.clock()
    engine.tick(now)
    # later ticks only send what is pending (planning then would add the nudges of that later day)
    sender = NudgeEngine(
        session_factory=bot.deps.session_factory, client_for=lambda _team: client, clock=bot.deps.clock, planners=()
    )
    for _ in range(3):
        with bot.deps.session_factory() as session:
            waiting = session.scalar(
                select(func.min(Delivery.next_attempt_at)).where(Delivery.status == DeliveryStatus.PENDING.value)
            )
        if waiting is None:
            return
        waiting = waiting if waiting.tzinfo is not None else waiting.replace(tzinfo=UTC)
        if waiting > now + timedelta(days=7):
            return
        now = max(now, waiting)
        sender.tick(now)


def dms(bot: RunningBot, user: str) -> list[Call]:
    return [call for call in bot.fake.calls_to("chat.postMessage") if call.params.get("channel") == user]


# -- creating --------------------------------------------------------------------------------


def test_action_opens_the_form_with_the_requester_as_owner(bot: RunningBot) -> None:
    view = open_action_form(bot)
    owner = block(view["blocks"], ids.ACTION_OWNER_BLOCK)["element"]
    assert owner["initial_user"] == USER
    title = block(view["blocks"], ids.ACTION_TITLE_BLOCK)["element"]
    assert "initial_value" not in title
    assert block(view["blocks"], ids.ACTION_DUE_BLOCK)["element"]["type"] == "datepicker"
    assert items(bot) == []


def test_text_after_action_fills_in_the_title_and_a_long_one_is_kept_whole(bot: RunningBot) -> None:
    view = open_action_form(bot, "Call the three clinics about refunds")
    title = block(view["blocks"], ids.ACTION_TITLE_BLOCK)["element"]
    assert title["initial_value"] == "Call the three clinics about refunds"

    long = "Rework the refund approval " + "so that nobody waits " * 10
    view = open_action_form(bot, long)
    title = block(view["blocks"], ids.ACTION_TITLE_BLOCK)["element"]
    outcome = block(view["blocks"], ids.ACTION_OUTCOME_BLOCK)["element"]
    assert len(title["initial_value"]) <= title["max_length"] == action_service.TITLE_MAX
    assert outcome["initial_value"] == " ".join(long.split())
    assert f"Your text has {len(' '.join(long.split()))} characters and a title holds 150" in shown(view["blocks"])

    longest = "Rework the refunds " * 200  # more than even the desired outcome holds
    view = open_action_form(bot, longest)
    assert "I sent you the whole text privately" in shown(view["blocks"])
    [told] = bot.fake.wait_for("response_url:action")
    assert " ".join(longest.split()) in told.params["text"]


def test_submitting_the_form_commits_and_tells_the_others(bot: RunningBot) -> None:
    clinics = group_service.add_group(bot.deps, team_id=TEAM, name="Small clinics", by=USER)
    due = today() + timedelta(days=30)
    view = open_action_form(bot)
    answer = submit(
        bot,
        view,
        action_values(
            "Call the three clinics",
            due=due,
            owner=OWNER,
            people=[HELPER, OWNER],
            outcome="Each clinic knows when its refund arrives",
            group_ids=[clinics.id],
            area="operations",
        ),
        view_id="V1",
    )

    # the form turns into what was committed
    assert answer.status == 200
    assert answer.json["response_action"] == "update"
    assert "Committed" in shown(answer.json["view"]["blocks"])
    [stored] = items(bot)
    assert (stored.title, stored.owner_id, stored.created_by) == ("Call the three clinics", OWNER, USER)
    assert stored.desired_outcome == "Each clinic knows when its refund arrives"
    assert (stored.due_date, stored.original_due_date, stored.status) == (due, due, "open")
    assert stored.involved_ids == [HELPER]  # the owner is not also "involved"
    assert [group.name for group in stored.groups] == ["Small clinics"]
    assert (stored.area, stored.source, stored.source_entry_id) == ("operations", "manual", None)
    assert action_service.ActionCard.of(stored).horizon is action_service.Horizon.SHORT

    # the owner and the person involved are told (through the engine, once each); the creator is not
    for user in (OWNER, HELPER):
        bot.fake.users[user] = {"id": user, "tz": "Europe/Berlin", "deleted": False}
    run_engine(bot)
    run_engine(bot)
    [to_owner], [to_helper] = dms(bot, OWNER), dms(bot, HELPER)
    assert to_owner.params["text"].startswith("New commitment (owner)")
    assert to_helper.params["text"].startswith("New commitment (involved)")
    assert f"<@{USER}>" in shown(to_owner.params["blocks"])
    assert dms(bot, USER) == []
    assert item_buttons(to_owner.params["blocks"], stored.id) == list(
        (ids.ACTION_DONE, ids.ACTION_ON_TRACK, ids.ACTION_AT_RISK, *ids.ACTION_FORM_BUTTONS)
    )


def test_far_dates_are_long_term(bot: RunningBot) -> None:
    created = create(bot, "Redesign onboarding", due=today() + timedelta(days=400))
    assert action_service.ActionCard.of(created).horizon is action_service.Horizon.LONG
    assert created.owner_id == USER


def test_bad_dates_and_titles_are_field_errors_and_store_nothing(bot: RunningBot) -> None:
    view = open_action_form(bot)
    cases = [
        (action_values("Call back", due=today() - timedelta(days=1)), ids.ACTION_DUE_BLOCK, "in the past"),
        (action_values("Call back", due=today() + timedelta(days=3 * 366 + 1)), ids.ACTION_DUE_BLOCK, "3 years"),
        (action_values("Call back", due=None), ids.ACTION_DUE_BLOCK, "Choose the date"),
        (action_values("   ", due=today() + timedelta(days=5)), ids.ACTION_TITLE_BLOCK, "what will be done"),
    ]
    for n, (values, block_id, words) in enumerate(cases):
        answer = submit(bot, view, values, view_id=f"VBAD{n}")
        assert answer.status == 200
        assert answer.json["response_action"] == "errors"
        assert list(answer.json["errors"]) == [block_id]
        assert words in answer.json["errors"][block_id]
    assert items(bot) == []


def test_today_is_a_valid_due_date_and_a_double_submit_stores_one_item(bot: RunningBot) -> None:
    view = open_action_form(bot)
    values = action_values("Call back today", due=today())
    first = submit(bot, view, values, view_id="VSAME")
    second = submit(bot, view, values, view_id="VSAME")
    assert first.json["response_action"] == second.json["response_action"] == "update"
    assert len(items(bot)) == 1


def test_action_help_and_the_mindset_help_explain_it(bot: RunningBot) -> None:
    answer = bot.slack.send_command("/action", "help")
    assert "/action list" in answer.json["text"]
    help_answer = bot.slack.send_command("/mindset", "help")
    assert "/action" in shown(help_answer.json["blocks"])
    assert bot.fake.calls_to("views.open") == []


# -- listing ---------------------------------------------------------------------------------


def test_action_list_shows_owned_and_involved_open_items_soonest_first(bot: RunningBot) -> None:
    empty = bot.slack.send_command("/action", "list")
    assert empty.json["response_type"] == "ephemeral"
    assert "Nothing open" in shown(empty.json["blocks"])

    later = create(bot, "Later thing", due=today() + timedelta(days=40))
    sooner = create(bot, "Sooner thing", due=today() + timedelta(days=3))
    theirs = create(bot, "Their thing", due=today() + timedelta(days=10), owner=OWNER, people=[USER])
    unrelated = create(bot, "Not mine", due=today() + timedelta(days=5), owner=OWNER)
    done = create(bot, "Finished", due=today() + timedelta(days=6))
    click(bot, ids.ACTION_DONE, str(done.id))

    listed = bot.slack.send_command("/action", "list").json
    blocks = listed["blocks"]
    cards = [b["block_id"] for b in blocks if str(b.get("block_id", "")).endswith("_card")]
    assert cards == [f"action_{found.id}_card" for found in (sooner, theirs, later)]
    assert f"action_{unrelated.id}_card" not in cards
    assert "Your open action items (3)" in shown(blocks)
    assert item_buttons(blocks, theirs.id)[:3] == [ids.ACTION_DONE, ids.ACTION_ON_TRACK, ids.ACTION_AT_RISK]


# -- the buttons on an item ------------------------------------------------------------------


def checkin_blocks(bot: RunningBot, *found: ActionItem) -> list[dict[str, Any]]:
    """A message listing several items, as /action list shows them."""
    blocks: list[dict[str, Any]] = bot.slack.send_command("/action", "list").json["blocks"]
    for each in found:
        block(blocks, f"action_{each.id}_card")
    return blocks


def test_done_refreshes_only_the_clicked_item_and_reopen_undoes_it(bot: RunningBot) -> None:
    first = create(bot, "First", due=today() + timedelta(days=3))
    second = create(bot, "Second", due=today() + timedelta(days=4))
    blocks = checkin_blocks(bot, first, second)

    click(bot, ids.ACTION_DONE, str(first.id), blocks=blocks)
    assert item(bot, first.id).status == "done"
    assert item(bot, first.id).closed_at is not None
    [replaced] = responses(bot)
    assert replaced.params["replace_original"] is True
    new_blocks = replaced.params["blocks"]
    assert ":white_check_mark:" in block(new_blocks, f"action_{first.id}_card")["text"]["text"]
    assert item_buttons(new_blocks, first.id) == [ids.ACTION_REOPEN]
    # the other item and the heading are exactly as they were
    assert block(new_blocks, f"action_{second.id}_card") == block(blocks, f"action_{second.id}_card")
    assert new_blocks[0] == blocks[0]
    assert len(new_blocks) == len(blocks)

    click(bot, ids.ACTION_REOPEN, str(first.id), blocks=new_blocks)
    assert item(bot, first.id).status == "open"
    assert item(bot, first.id).closed_at is None
    [_, reopened] = responses(bot, 2)
    assert item_buttons(reopened.params["blocks"], first.id)[0] == ids.ACTION_DONE
    assert [kind for kind, *_ in history(bot, first.id)] == ["created", "status", "status"]


def test_a_double_click_on_a_status_button_changes_the_item_once(bot: RunningBot) -> None:
    """Two clicks arrive as two requests (each with its own trigger): the second finds the work done."""
    found = create(bot, "Call the clinic back", due=today() + timedelta(days=5))
    blocks = checkin_blocks(bot, found)

    click(bot, ids.ACTION_DONE, str(found.id), blocks=blocks)
    click(bot, ids.ACTION_DONE, str(found.id), blocks=blocks)

    assert item(bot, found.id).status == "done"
    assert [kind for kind, *_ in history(bot, found.id)] == ["created", "status"]
    answers = responses(bot, 2)
    # each click is answered with the item as it now is: done, with the button to reopen it
    for answer in answers:
        assert item_buttons(answer.params["blocks"], found.id) == [ids.ACTION_REOPEN]


def test_a_status_button_of_an_older_message_leaves_a_closed_item_closed(bot: RunningBot) -> None:
    """`At risk` clicked in a message drawn before the item was done: only Reopen changes a closed item."""
    found = create(bot, "Call the clinic back", due=today() + timedelta(days=5))
    older = checkin_blocks(bot, found)
    click(bot, ids.ACTION_DONE, str(found.id), blocks=older)

    click(bot, ids.ACTION_AT_RISK, str(found.id), blocks=older)

    assert item(bot, found.id).status == "done"
    assert [kind for kind, *_ in history(bot, found.id)] == ["created", "status"]
    # the answers to the two clicks are sent after each ack, so they may interleave
    answers = responses(bot, 3)
    [told] = [answer for answer in answers if not answer.params.get("replace_original")]
    redrawn = [answer for answer in answers if answer.params.get("replace_original")]
    assert "already done" in told.params["text"] and "Reopen" in told.params["text"]
    assert len(redrawn) == 2  # the Done click's and this one's, both showing the item as it is
    for answer in redrawn:
        assert item_buttons(answer.params["blocks"], found.id) == [ids.ACTION_REOPEN]


def test_on_track_and_at_risk_are_recorded(bot: RunningBot) -> None:
    found = create(bot, "Watch it", due=today() + timedelta(days=9))
    click(bot, ids.ACTION_AT_RISK, str(found.id))
    assert item(bot, found.id).status == "at_risk"
    click(bot, ids.ACTION_ON_TRACK, str(found.id))
    assert item(bot, found.id).status == "on_track"
    assert history(bot, found.id)[1:] == [
        ("status", "open", "at_risk", None),
        ("status", "at_risk", "on_track", None),
    ]


def test_someone_unrelated_cannot_change_an_item(bot: RunningBot) -> None:
    found = create(bot, "Mine", due=today() + timedelta(days=9))
    click(bot, ids.ACTION_DONE, str(found.id), user=STRANGER)
    [told] = responses(bot)
    assert told.params["replace_original"] is False
    assert "Only its owner" in told.params["text"]
    assert item(bot, found.id).status == "open"

    click(bot, ids.ACTION_MOVE, str(found.id), user=STRANGER)
    [_, told_again] = responses(bot, 2)
    assert "Only its owner" in told_again.params["text"]
    assert bot.fake.calls_to("views.open") and all(
        call.params["view"]["callback_id"] == ids.ACTION_MODAL for call in bot.fake.calls_to("views.open")
    )


def test_an_item_of_another_workspace_is_not_found(bot: RunningBot) -> None:
    found = create(bot, "Ours", due=today() + timedelta(days=9))
    body = bot.slack.block_action(ids.ACTION_DONE, str(found.id), team="T999")
    assert bot.slack.send_interaction(body).status == 200
    [told] = responses(bot)
    assert "no longer exists" in told.params["text"]
    assert item(bot, found.id).status == "open"


def open_item_form(bot: RunningBot, button: str, found: ActionItem, callback_id: str) -> dict[str, Any]:
    before = len(bot.fake.calls_to("views.open"))
    click(bot, button, str(found.id))
    view = opened_views(bot, before + 1)[-1]
    assert view["callback_id"] == callback_id
    assert json.loads(view["private_metadata"])["action_id"] == found.id
    return view


def test_a_note_is_kept_in_the_history_and_confirmed(bot: RunningBot) -> None:
    found = create(bot, "Call back", due=today() + timedelta(days=9))
    view = open_item_form(bot, ids.ACTION_NOTE, found, ids.ACTION_NOTE_MODAL)

    empty = submit(bot, view, {ids.ACTION_NOTE_BLOCK: {ids.ACTION_NOTE_INPUT: {"value": "  "}}}, view_id="VN0")
    assert list(empty.json["errors"]) == [ids.ACTION_NOTE_BLOCK]

    note = "Two of three called; <!channel> the third is on holiday"
    answer = submit(bot, view, {ids.ACTION_NOTE_BLOCK: {ids.ACTION_NOTE_INPUT: {"value": note}}}, view_id="VN1")
    assert (answer.status, answer.text) == (200, "")
    assert history(bot, found.id)[-1] == ("note", None, None, note)
    [confirmed] = responses(bot)
    assert confirmed.params["replace_original"] is False
    assert "note is saved" in confirmed.params["text"]
    assert f"action_{found.id}_card" in [b.get("block_id") for b in confirmed.params["blocks"]]


def test_moving_the_date_keeps_the_first_promise(bot: RunningBot) -> None:
    first_due = today() + timedelta(days=9)
    found = create(bot, "Ship the fix", due=first_due)
    view = open_item_form(bot, ids.ACTION_MOVE, found, ids.ACTION_MOVE_MODAL)
    assert block(view["blocks"], ids.ACTION_DUE_BLOCK)["element"]["initial_date"] == first_due.isoformat()

    def values(day: date, why: str = "") -> dict[str, Any]:
        return {
            ids.ACTION_DUE_BLOCK: {ids.ACTION_DUE_INPUT: {"type": "datepicker", "selected_date": day.isoformat()}},
            ids.ACTION_NOTE_BLOCK: {ids.ACTION_NOTE_INPUT: {"value": why or None}},
        }

    past = submit(bot, view, values(today() - timedelta(days=2)), view_id="VM0")
    assert "in the past" in past.json["errors"][ids.ACTION_DUE_BLOCK]
    assert item(bot, found.id).due_date == first_due

    new_due = today() + timedelta(days=20)
    answer = submit(bot, view, values(new_due, "Waiting for the supplier"), view_id="VM1")
    assert (answer.status, answer.text) == (200, "")
    moved = item(bot, found.id)
    assert (moved.due_date, moved.original_due_date) == (new_due, first_due)
    assert history(bot, found.id)[-1] == (
        "rescheduled",
        first_due.isoformat(),
        new_due.isoformat(),
        "Waiting for the supplier",
    )
    [confirmed] = responses(bot)
    assert "first promise" in confirmed.params["text"]


def test_dropping_asks_why(bot: RunningBot) -> None:
    found = create(bot, "Maybe later", due=today() + timedelta(days=9))
    view = open_item_form(bot, ids.ACTION_DROP, found, ids.ACTION_DROP_MODAL)

    no_reason = submit(bot, view, {ids.ACTION_REASON_BLOCK: {ids.ACTION_REASON_INPUT: {"value": ""}}}, view_id="VD0")
    assert "why" in no_reason.json["errors"][ids.ACTION_REASON_BLOCK].lower()
    assert item(bot, found.id).status == "open"

    reason = {ids.ACTION_REASON_BLOCK: {ids.ACTION_REASON_INPUT: {"value": "The clinic switched provider"}}}
    submit(bot, view, reason, view_id="VD1")
    dropped = item(bot, found.id)
    assert (dropped.status, dropped.drop_reason) == ("dropped", "The clinic switched provider")

    # a form button on a closed item says so instead of opening a form
    click(bot, ids.ACTION_MOVE, str(found.id))
    # both answers are sent after Slack's acknowledgement, in background threads: in either order
    texts = [str(call.params["text"]) for call in responses(bot, 2)]
    assert any("reopen it first" in text for text in texts), texts


def test_handing_over_tells_the_new_owner(bot: RunningBot) -> None:
    found = create(bot, "Hand me over", due=today() + timedelta(days=9))
    view = open_item_form(bot, ids.ACTION_HAND_OVER, found, ids.ACTION_HAND_OVER_MODAL)

    nobody = submit(
        bot, view, {ids.ACTION_OWNER_BLOCK: {ids.ACTION_OWNER_INPUT: {"selected_user": None}}}, view_id="H0"
    )
    assert list(nobody.json["errors"]) == [ids.ACTION_OWNER_BLOCK]

    chosen = {ids.ACTION_OWNER_BLOCK: {ids.ACTION_OWNER_INPUT: {"type": "users_select", "selected_user": OWNER}}}
    answer = submit(bot, view, chosen, view_id="H1")
    assert (answer.status, answer.text) == (200, "")
    assert item(bot, found.id).owner_id == OWNER
    assert history(bot, found.id)[-1][:3] == ("reassigned", USER, OWNER)

    bot.fake.users[OWNER] = {"id": OWNER, "tz": "America/New_York", "deleted": False}
    run_engine(bot)
    [told] = dms(bot, OWNER)
    assert told.params["text"].startswith("New commitment (owner)")
    assert "handed you" in shown(told.params["blocks"])


def test_hand_overs_in_a_row_make_one_message_each_telling_what_happened(bot: RunningBot) -> None:
    found = create(bot, "Pass it on", due=today() + timedelta(days=9), people=[HELPER])
    for user in (OWNER, HELPER, USER, OWNER, "W444", "W555"):
        bot.fake.users[user] = {"id": user, "tz": "UTC", "deleted": False}
    for n, new_owner in enumerate(["W444", "W555", OWNER, "W444"]):
        view = open_item_form(bot, ids.ACTION_HAND_OVER, found, ids.ACTION_HAND_OVER_MODAL)
        chosen = {ids.ACTION_OWNER_BLOCK: {ids.ACTION_OWNER_INPUT: {"selected_user": new_owner}}}
        assert submit(bot, view, chosen, view_id=f"HH{n}").text == ""
    assert item(bot, found.id).owner_id == "W444"

    run_engine(bot)

    [involved] = dms(bot, HELPER)  # one message, from the creation through the four hand-overs
    told = shown(involved.params["blocks"])
    assert f"<@{USER}> made a commitment with you in it" in told
    steps = [f"<@{USER}> handed it to <@{new}>" for new in ("W444", "W555", OWNER, "W444")]
    assert ", then ".join(steps) in told
    [owner] = dms(bot, "W444")  # owner twice, told once
    assert "You are its owner now" in shown(owner.params["blocks"])
    assert dms(bot, OWNER) == []  # owner for a moment, no longer part of it when the message would go

    # told since: a later hand-over is a message of its own, written from that hand-over
    view = open_item_form(bot, ids.ACTION_HAND_OVER, found, ids.ACTION_HAND_OVER_MODAL)
    chosen = {ids.ACTION_OWNER_BLOCK: {ids.ACTION_OWNER_INPUT: {"selected_user": OWNER}}}
    assert submit(bot, view, chosen, view_id="HH9").text == ""
    run_engine(bot)
    later = shown(dms(bot, HELPER)[-1].params["blocks"])
    assert f"<@{USER}> handed a commitment you are involved in to <@{OWNER}>" in later
    assert f"<@{USER}> handed it to you, then <@{USER}> handed it to <@W444>, then <@{USER}> handed it to you. Due" in (
        shown(dms(bot, OWNER)[-1].params["blocks"])
    )


def test_an_owner_must_be_a_person(bot: RunningBot) -> None:
    """The bot itself, Slackbot, apps and deactivated accounts are refused on the owner field, in the form and
    in Hand over; nothing is stored or handed over."""
    bot.fake.users["WGONE"] = {"id": "WGONE", "name": "gone", "real_name": "Gone Person", "deleted": True}
    bot.fake.users["BAPP"] = {"id": "BAPP", "name": "deploybot", "real_name": "Deploy Bot", "is_bot": True}
    view = open_action_form(bot)
    refusals = {
        "USLACKBOT": "Slackbot cannot own it",
        "UBOT": "I cannot own it myself",
        "WGONE": "Gone Person is deactivated",
        "BAPP": "Deploy Bot is an app, not a person",
    }
    for owner, said in refusals.items():
        answer = submit(bot, view, action_values("Not a person", due=today(), owner=owner), view_id=f"V{owner}")
        assert answer.json["response_action"] == "errors"
        assert said in answer.json["errors"][ids.ACTION_OWNER_BLOCK]
    assert items(bot) == []
    for involved, said in [("USLACKBOT", "Slackbot cannot be involved"), ("WGONE", "Gone Person is deactivated")]:
        values = action_values("Not people", due=today(), people=[HELPER, involved])
        answer = submit(bot, view, values, view_id=f"VP{involved}")
        assert said in answer.json["errors"][ids.ACTION_PEOPLE_BLOCK]
    assert items(bot) == []

    found = create(bot, "Hand me over", due=today() + timedelta(days=9))
    form = open_item_form(bot, ids.ACTION_HAND_OVER, found, ids.ACTION_HAND_OVER_MODAL)
    for owner, said in [("USLACKBOT", "Slackbot cannot take it on"), ("WGONE", "deactivated")]:
        chosen = {ids.ACTION_OWNER_BLOCK: {ids.ACTION_OWNER_INPUT: {"selected_user": owner}}}
        answer = submit(bot, form, chosen, view_id=f"H{owner}")
        assert said in answer.json["errors"][ids.ACTION_OWNER_BLOCK]
    same = {ids.ACTION_OWNER_BLOCK: {ids.ACTION_OWNER_INPUT: {"selected_user": USER}}}
    answer = submit(bot, form, same, view_id="Hsame")
    assert "already own it, so nothing changed" in answer.json["errors"][ids.ACTION_OWNER_BLOCK]
    assert item(bot, found.id).owner_id == USER
    assert [event[0] for event in history(bot, found.id)] == ["created"]


# -- from a sorry ----------------------------------------------------------------------------


def test_a_sorry_becomes_an_action_item_linked_to_it(bot: RunningBot) -> None:
    clinics = group_service.add_group(bot.deps, team_id=TEAM, name="Small clinics", by=USER)
    bot.slack.send_command("/sorry", "Three customers waited 2 days for refunds #small-clinics")
    [post] = bot.fake.wait_for("chat.postMessage")
    with bot.deps.session_factory() as session:
        [sorry] = session.scalars(select(Entry)).all()

    def posted_ts() -> str | None:
        with bot.deps.session_factory() as session:
            return session.get_one(Entry, sorry.id).message_ts

    eventually(posted_ts)
    assert ids.CREATE_ACTION_FROM_SORRY in button_ids(post.params["blocks"])

    click(bot, ids.CREATE_ACTION_FROM_SORRY, str(sorry.id), blocks=post.params["blocks"])
    [view] = opened_views(bot, 1)
    assert view["callback_id"] == ids.ACTION_MODAL
    assert "Three customers waited" in shown(view["blocks"])
    groups = block(view["blocks"], ids.ACTION_GROUPS_BLOCK)["element"]
    assert [chosen["value"] for chosen in groups["initial_options"]] == [str(clinics.id)]

    answer = submit(
        bot, view, action_values("Refunds without a manager", due=today() + timedelta(days=14)), view_id="VS"
    )
    assert answer.json["response_action"] == "update"
    [created] = items(bot)
    assert (created.source, created.source_entry_id) == ("sorry", sorry.id)

    # the sorry's message now lists the action item it led to
    [update] = bot.fake.wait_for("chat.update")
    assert update.params["channel"] == CHANNEL
    assert "Refunds without a manager" in shown(update.params["blocks"])
    assert f"<@{USER}>" in shown(update.params["blocks"])

    # and follows its status
    click(bot, ids.ACTION_DONE, str(created.id))
    updates = bot.fake.wait_for("chat.update", 2)
    assert "(done)" in shown(updates[-1].params["blocks"])


def test_a_forged_link_to_another_workspaces_sorry_is_dropped(bot: RunningBot) -> None:
    bot.slack.send_command("/sorry", "Their miss", team="T999")
    bot.fake.wait_for("chat.postMessage")
    with bot.deps.session_factory() as session:
        [theirs] = session.scalars(select(Entry)).all()
    view = open_action_form(bot)
    view["private_metadata"] = json.dumps({"source": "sorry", "entry_id": theirs.id})
    submit(bot, view, action_values("Sneaky", due=today() + timedelta(days=3)), view_id="VF")
    [created] = items(bot)
    assert (created.source, created.source_entry_id) == ("manual", None)
    assert bot.fake.calls_to("chat.update") == []


def home_click(bot: RunningBot, action_id: str, value: str) -> None:
    """A button clicked on the Home tab: the payload carries the home view, not a message."""
    body = bot.slack.block_action(action_id, value)
    body.pop("message", None)
    body["container"] = {"type": "view", "view_id": "VHOME"}
    body["view"] = {"id": "VHOME", "type": "home", "blocks": []}
    assert bot.slack.send_interaction(body).status == 200


def test_the_home_tab_button_opens_the_form_and_committing_redraws_home(bot: RunningBot) -> None:
    home_click(bot, ids.OPEN_ACTION_MODAL, "action")
    [view] = opened_views(bot, 1)
    assert view["callback_id"] == ids.ACTION_MODAL
    assert json.loads(view["private_metadata"]) == {"source": "manual", "home": True}

    submit(bot, view, action_values("From home", due=today() + timedelta(days=3)), view_id="VH")
    [published] = bot.fake.wait_for("views.publish")
    assert published.params["user_id"] == USER
    assert "From home" in shown(published.params["view"]["blocks"])


def test_a_status_clicked_on_home_redraws_home(bot: RunningBot) -> None:
    found = create(bot, "Home item", due=today() + timedelta(days=3))
    home_click(bot, ids.ACTION_DONE, str(found.id))
    [published] = bot.fake.wait_for("views.publish")
    assert item(bot, found.id).status == "done"
    assert "Home item" not in shown(published.params["view"]["blocks"])  # no longer open
