"""One effect each: a signed request sent again within its five minutes, and two clicks at once.

A replay is the very body Slack signed, sent again (by Slack retrying or by anyone who captured it):
it finds the key its first delivery claimed (bot/services/replays.py) and changes nothing, even
after someone else changed the same thing meanwhile. Two clicks on one item at once are two real
HTTP requests, held by a barrier until both are about to read the item: the row lock makes the second
read what the first wrote, so one wins and the other is told the item changed.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import ORMExecuteState

from bot import ids
from bot.deps import Deps
from bot.engine.engine import NudgeEngine
from bot.engine.scheduler import tick_once
from bot.render.modals import root_cause_modal
from bot.services import entries as entry_service
from bot.services import meetings as meeting_service
from bot.slack_client import make_web_client
from storage.models import ActionItem, Entry, EntryKind, MeetingAnswer, ProcessedEvent
from storage.repositories.events import claim_event
from tests.conftest import RunningBot
from tests.engine_harness import SimClock
from tests.slack_requests import CHANNEL, TEAM, USER
from tests.test_action_scenarios import (
    HELPER,
    OWNER,
    checkin_blocks,
    create,
    history,
    item,
    open_item_form,
    responses,
    today,
)
from tests.test_meeting_scenarios import (
    add_groups,
    answer_values,
    mbot,  # noqa: F401  (the fixture)
    meeting,
    meeting_now,
    open_answer_form,
    register,
)


def send_twice(bot: RunningBot, body: dict[str, Any]) -> None:
    """The same signed body, delivered twice."""
    for _ in range(2):
        answer = bot.slack.send_interaction(body)
        assert answer.status == 200, answer.text


def submission(bot: RunningBot, view: dict[str, Any], values: dict[str, Any], view_id: str) -> dict[str, Any]:
    return bot.slack.view_submission(view, values, view_id=view_id)


# -- replays -----------------------------------------------------------------------------------


def test_a_status_click_replayed_after_another_change_changes_nothing(bot: RunningBot) -> None:
    found = create(bot, "Call the clinic back", due=today() + timedelta(days=5))
    message = {"type": "message", "ts": "1.1", "text": "fallback", "blocks": checkin_blocks(bot, found)}
    at_risk = bot.slack.block_action(ids.ACTION_AT_RISK, str(found.id), message=message)
    assert bot.slack.send_interaction(at_risk).status == 200
    on_track = bot.slack.block_action(ids.ACTION_ON_TRACK, str(found.id), message=message)
    assert bot.slack.send_interaction(on_track).status == 200

    assert bot.slack.send_interaction(at_risk).status == 200  # the first click, once more

    assert item(bot, found.id).status == "on_track"
    assert history(bot, found.id)[1:] == [("status", "open", "at_risk", None), ("status", "at_risk", "on_track", None)]


def test_a_note_form_replayed_adds_one_note(bot: RunningBot) -> None:
    found = create(bot, "Call back", due=today() + timedelta(days=9))
    view = open_item_form(bot, ids.ACTION_NOTE, found, ids.ACTION_NOTE_MODAL)
    values = {ids.ACTION_NOTE_BLOCK: {ids.ACTION_NOTE_INPUT: {"value": "Two of three called"}}}

    send_twice(bot, submission(bot, view, values, "VN1"))

    assert [kind for kind, *_ in history(bot, found.id)] == ["created", "note"]


def test_a_hand_over_replayed_after_the_item_was_handed_back_leaves_it_where_it_is(bot: RunningBot) -> None:
    found = create(bot, "Hand me over", due=today() + timedelta(days=9))
    view = open_item_form(bot, ids.ACTION_HAND_OVER, found, ids.ACTION_HAND_OVER_MODAL)

    def to(user: str) -> dict[str, Any]:
        return {ids.ACTION_OWNER_BLOCK: {ids.ACTION_OWNER_INPUT: {"type": "users_select", "selected_user": user}}}

    to_owner = submission(bot, view, to(OWNER), "H1")
    assert bot.slack.send_interaction(to_owner).status == 200
    assert bot.slack.send_interaction(submission(bot, view, to(HELPER), "H2")).status == 200

    assert bot.slack.send_interaction(to_owner).status == 200  # the first hand-over, once more

    assert item(bot, found.id).owner_id == HELPER
    assert [event[:3] for event in history(bot, found.id)[1:]] == [
        ("reassigned", USER, OWNER),
        ("reassigned", OWNER, HELPER),
    ]


def test_a_root_cause_replayed_after_it_was_corrected_keeps_the_correction(bot: RunningBot) -> None:
    sorry = entry_service.log_entry(
        bot.deps,
        entry_service.NewEntry(
            team_id=TEAM,
            kind=EntryKind.SORRY,
            author_id=USER,
            channel_id=CHANNEL,
            text="Refunds took two days",
            idempotency_key="replay-sorry",
        ),
    ).card
    view = root_cause_modal(entry_id=sorry.id, entry_text=sorry.text, metadata={"entry_id": sorry.id})

    def why(text: str) -> dict[str, Any]:
        return {ids.ROOT_CAUSE_BLOCK: {ids.ROOT_CAUSE_INPUT: {"type": "plain_text_input", "value": text}}}

    first = submission(bot, view, why("Nobody covers holidays"), "VR1")
    assert bot.slack.send_interaction(first).status == 200
    assert bot.slack.send_interaction(submission(bot, view, why("Approvals need a manager"), "VR2")).status == 200

    assert bot.slack.send_interaction(first).status == 200

    with bot.deps.session_factory() as session:
        assert session.scalars(select(Entry.root_cause).where(Entry.id == sorry.id)).one() == "Approvals need a manager"


def test_a_meeting_answer_replayed_after_it_was_changed_keeps_the_change(mbot: RunningBot) -> None:  # noqa: F811
    [clinics] = add_groups(mbot, "Small clinics")
    post = meeting_now(mbot)
    view = open_answer_form(mbot, post)
    subject = f"g{clinics.id}"
    first = submission(mbot, view, answer_values(view, **{subject: "Faster refunds"}), "VA1")
    assert mbot.slack.send_interaction(first).status == 200
    again = open_answer_form(mbot, post)
    changed = submission(mbot, again, answer_values(again, **{subject: "Refunds the same day"}), "VA2")
    assert mbot.slack.send_interaction(changed).status == 200

    assert mbot.slack.send_interaction(first).status == 200

    with mbot.deps.session_factory() as session:
        stored = session.scalars(
            select(MeetingAnswer.text).where(MeetingAnswer.subject == meeting_service.group_subject(clinics.id))
        ).all()
    assert stored == ["Refunds the same day"]


def test_a_pause_click_replayed_after_the_meeting_was_resumed_leaves_it_running(mbot: RunningBot) -> None:  # noqa: F811
    found = register(mbot, "Tuesday planning")
    message = {"type": "message", "ts": "1.1", "text": "fallback", "blocks": []}
    pause = mbot.slack.block_action(ids.MEETING_PAUSE, str(found.id), message=message)
    assert mbot.slack.send_interaction(pause).status == 200
    resume = mbot.slack.block_action(ids.MEETING_RESUME, str(found.id), message=message)
    assert mbot.slack.send_interaction(resume).status == 200

    assert mbot.slack.send_interaction(pause).status == 200  # the pause, once more

    assert meeting(mbot, found.id).paused is False


# -- two clicks at once ------------------------------------------------------------------------


class ReadBarrier:
    """Holds the first `parties` request threads that come to a statement on action_items, each just
    before it (before it has a connection or a lock), until all have come that far: none has read the
    item before every other is about to."""

    def __init__(self, session_factory: Any, parties: int) -> None:
        self.session_factory = session_factory
        self.parties = parties
        self.barrier = threading.Barrier(parties, timeout=30)
        self.held: set[int] = set()
        self.lock = threading.Lock()

    def __enter__(self) -> ReadBarrier:
        event.listen(self.session_factory, "do_orm_execute", self._before)
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(self.session_factory, "do_orm_execute", self._before)

    def _before(self, state: ORMExecuteState) -> None:
        # the threads answering requests (bot/server.py), not the work done after an answer
        if not threading.current_thread().name.startswith("http"):
            return
        if not any(mapper.class_ is ActionItem for mapper in state.all_mappers):
            return
        with self.lock:
            me = threading.get_ident()
            if me in self.held or len(self.held) == self.parties:
                return
            self.held.add(me)
        self.barrier.wait()


def click_at_once(bot: RunningBot, clicks: list[tuple[str, str]], found: ActionItem) -> None:
    """Each (button, user) clicked in its own request on a list showing `found`, all sent at once."""
    value = f"{found.id}:open"
    message = {"type": "message", "ts": "1.1", "text": "fallback", "blocks": checkin_blocks(bot, found)}
    bodies = [bot.slack.block_action(button, value, message=message, user=user) for button, user in clicks]
    statuses: list[int] = []

    def send(body: dict[str, Any]) -> None:
        statuses.append(bot.slack.send_interaction(body).status)

    with ReadBarrier(bot.deps.session_factory, len(bodies)):
        senders = [threading.Thread(target=send, args=(body,)) for body in bodies]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join(timeout=60)
    assert statuses == [200] * len(bodies)


@pytest.mark.parametrize(
    ("second", "ends_as"),
    [(ids.ACTION_DONE, {"done"}), (ids.ACTION_AT_RISK, {"done", "at_risk"})],
    ids=["done+done", "done+at_risk"],
)
def test_two_clicks_at_once_on_one_item_have_one_effect_and_the_other_is_told(
    bot: RunningBot, second: str, ends_as: set[str]
) -> None:
    found = create(bot, "Call the clinic back", due=today() + timedelta(days=5), people=[HELPER])

    click_at_once(bot, [(ids.ACTION_DONE, USER), (second, HELPER)], found)

    status = item(bot, found.id).status
    assert status in ends_as
    [(kind, old, new, _)] = history(bot, found.id)[1:]
    assert (kind, old, new) == ("status", "open", status)
    # the winner's click redraws the item; the other's is told, and redraws it as it is
    answers = responses(bot, 3)
    [told] = [answer for answer in answers if not answer.params.get("replace_original")]
    assert "changed meanwhile" in told.params["text"]
    assert f"it is {status.replace('_', ' ')} now" in told.params["text"]
    assert len([answer for answer in answers if answer.params.get("replace_original")]) == 2


def test_the_status_buttons_carry_the_status_they_were_drawn_with(bot: RunningBot) -> None:
    found = create(bot, "Call the clinic back", due=today() + timedelta(days=5))
    blocks = checkin_blocks(bot, found)
    [buttons] = [b for b in blocks if b.get("block_id") == f"action_{found.id}_buttons"]
    values = {element["action_id"]: element["value"] for element in buttons["elements"]}
    assert values[ids.ACTION_DONE] == values[ids.ACTION_AT_RISK] == f"{found.id}:open"
    assert values[ids.ACTION_NOTE] == str(found.id)
    assert json.dumps(values)  # plain strings


# -- the keys are kept as long as they can matter ------------------------------------------------


def test_the_engine_deletes_the_keys_of_requests_handled_before_the_retention(deps: Deps) -> None:
    """The keys live in processed_events, kept PROCESSED_EVENTS_RETENTION_DAYS (7): far longer than a replay
    (five minutes) or Slack's retries (an hour) can come."""
    clock = SimClock(datetime(2026, 3, 2, 9, tzinfo=UTC))
    with deps.session_factory() as session:
        claim_event(session, team_id=TEAM, event_id="view:V1:old", now=clock.now - timedelta(days=7, minutes=1))
        claim_event(session, team_id=TEAM, event_id="view:V2:recent", now=clock.now - timedelta(days=6, hours=23))
        session.commit()
    client = make_web_client(deps.settings)
    engine = NudgeEngine(session_factory=deps.session_factory, client_for=lambda _team: client, clock=clock)

    tick_once(engine)

    with deps.session_factory() as session:
        assert session.scalars(select(ProcessedEvent.event_id)).all() == ["view:V2:recent"]
