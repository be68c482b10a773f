"""A person's data: `/mindset forget me` (a copy first, then deleting it for good), and the ⋯ menu on an
entry's post, whose Delete only the entry's author can use.

The real app over HTTP against the fake Slack, on SQLite and PostgreSQL. The workspace is filled
through the services (as the listeners fill it); what `forget me` must change is written out by hand,
and everything else is compared row by row before and after.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot import ids
from bot.deps import Deps
from bot.meetings.schedule import Repeat
from bot.render.privacy import COPY_SENT, FORGOTTEN
from bot.services import actions as action_service
from bot.services import ambassadors as ambassador_service
from bot.services import entries as entry_service
from bot.services import groups as group_service
from bot.services import meetings as meeting_service
from bot.services import people as people_service
from bot.services import privacy as privacy_service
from bot.services import questions as question_service
from storage.models import (
    ActionEvent,
    ActionItem,
    ActionStatus,
    Ambassador,
    Channel,
    Delivery,
    Entry,
    EntryKind,
    MeetingAnswer,
    Person,
    PromptTarget,
)
from tests.conftest import BOT_TOKEN, RunningBot
from tests.engine_harness import simulation, utc
from tests.fake_slack import Call, dm_channel
from tests.slack_requests import CHANNEL, TEAM, USER, Answer
from tests.test_uninstall import team_row_dicts
from tests.waiting import eventually

ME = USER  # W111, who asks to be forgotten
OTHER = "W222"
THIRD = "W333"
OTHER_TEAM = "T999"


# -- a workspace with a bit of everything -----------------------------------------------------------


def today() -> date:
    return datetime.now(UTC).date()


@dataclass
class World:
    my_proud: int
    my_sorry: int
    my_unposted: int
    others_sorry: int
    others_proud: int
    my_item: int
    others_item: int
    item_from_my_answer: int
    my_answer: int
    others_answer: int
    prompt: int
    elsewhere_entry: int
    elsewhere_item: int


def log(deps: Deps, team: str, kind: EntryKind, author: str, text: str, *, channel: str, ts: str | None) -> int:
    card = entry_service.log_entry(
        deps,
        entry_service.NewEntry(
            team_id=team, kind=kind, author_id=author, channel_id=channel, text=text, idempotency_key=f"test:{text}"
        ),
    ).card
    if ts is not None:
        entry_service.record_post(deps, team_id=team, entry_id=card.id, message_ts=ts)
    return card.id


def add_item(
    deps: Deps, title: str, *, owner: str, by: str, involved: tuple[str, ...] = (), team: str = TEAM, **extra: Any
) -> int:
    card, created = action_service.create_action(
        deps,
        action_service.NewAction(
            team_id=team,
            title=title,
            owner_id=owner,
            created_by=by,
            involved=involved,
            due_date=today() + timedelta(days=30),
            today=today(),
            idempotency_key=f"test:{team}:{title}",
            **extra,
        ),
    )
    assert created
    return card.id


def build_world(deps: Deps) -> World:
    clinics = group_service.add_group(deps, team_id=TEAM, name="Small clinics", by=OTHER)
    group_service.add_group(deps, team_id=TEAM, name="Pharmacies", by=OTHER)

    my_proud = log(
        deps, TEAM, EntryKind.PROUD, ME, "Mine: called the clinic back", channel=CHANNEL, ts="1700000000.900001"
    )
    my_sorry = log(
        deps, TEAM, EntryKind.SORRY, ME, "Mine: refunds took two weeks", channel="C222", ts="1700000000.900002"
    )
    entry_service.add_root_cause(deps, team_id=TEAM, entry_id=my_sorry, root_cause="Others' why: batch", by=OTHER)
    my_unposted = log(deps, TEAM, EntryKind.PROUD, ME, "Mine: never posted", channel="CGONE", ts=None)
    others_sorry = log(
        deps, TEAM, EntryKind.SORRY, OTHER, "Theirs: lost a parcel", channel=CHANNEL, ts="1700000000.900003"
    )
    entry_service.add_root_cause(deps, team_id=TEAM, entry_id=others_sorry, root_cause="My why: no tracking", by=ME)
    others_proud = log(
        deps, TEAM, EntryKind.PROUD, OTHER, "Theirs: same-day refund", channel=CHANNEL, ts="1700000000.900004"
    )

    # an item I own (created by someone else, with a third person involved and a note of theirs)
    my_item = add_item(deps, "Mine: call the three clinics", owner=ME, by=OTHER, involved=(THIRD,))
    action_service.add_note(deps, team_id=TEAM, action_id=my_item, user_id=THIRD, note="Third's note on my item")
    # an item someone else owns that I created, am involved in, and wrote a note on
    others_item = add_item(deps, "Theirs: fix the refund batch", owner=OTHER, by=ME, involved=(ME, THIRD))
    action_service.add_note(deps, team_id=TEAM, action_id=others_item, user_id=ME, note="My note on their item")

    prompt = meeting_service.start_prompt_now(
        deps, team_id=TEAM, user_id=OTHER, channel_id=CHANNEL, title="Sprint review", key="test:prompt"
    )
    meeting_service.save_answers(
        deps, team_id=TEAM, prompt_id=prompt.id, user_id=ME, texts={f"group:{clinics.id}": "Mine: faster callbacks"}
    )
    meeting_service.save_answers(
        deps, team_id=TEAM, prompt_id=prompt.id, user_id=OTHER, texts={"team": "Theirs: fewer handovers"}
    )
    with deps.session_factory() as session:
        answers = {a.answered_by: a.id for a in session.scalars(select(MeetingAnswer))}
    item_from_my_answer = add_item(
        deps, "Theirs: from my answer", owner=OTHER, by=OTHER, source=action_service.ActionSource.MEETING,
        source_answer_id=answers[ME],
    )  # fmt: skip

    ambassador_service.join(deps, team_id=TEAM, user_id=ME, group_words=["#small-clinics"])
    ambassador_service.join(deps, team_id=TEAM, user_id=OTHER, group_words=[])
    people_service.pause_until(deps, team_id=TEAM, user_id=ME, day=today() + timedelta(days=10))
    people_service.pause_until(deps, team_id=TEAM, user_id=OTHER, day=today() + timedelta(days=20))

    # the same user id in another workspace: none of it is this person's data here
    elsewhere_entry = log(
        deps, OTHER_TEAM, EntryKind.PROUD, ME, "Elsewhere: not this workspace", channel="C9", ts="9.9"
    )
    elsewhere_item = add_item(deps, "Elsewhere: item", owner=ME, by=OTHER, team=OTHER_TEAM)
    ambassador_service.join(deps, team_id=OTHER_TEAM, user_id=ME, group_words=[])
    people_service.pause_until(deps, team_id=OTHER_TEAM, user_id=ME, day=today() + timedelta(days=5))

    return World(
        my_proud, my_sorry, my_unposted, others_sorry, others_proud, my_item, others_item, item_from_my_answer,
        answers[ME], answers[OTHER], prompt.id, elsewhere_entry, elsewhere_item,
    )  # fmt: skip


@pytest.fixture
def world(bot: RunningBot) -> World:
    return build_world(bot.deps)


def forget_me(bot: RunningBot, *, user: str = ME) -> dict[str, Any]:
    answer = bot.slack.send_command("/mindset", "forget me", user=user)
    assert answer.status == 200, answer.text
    shown: dict[str, Any] = answer.json
    return shown


def click(bot: RunningBot, action_id: str, value: str, *, user: str = ME, **kwargs: Any) -> Answer:
    answer = bot.slack.send_interaction(bot.slack.block_action(action_id, value, user=user, **kwargs))
    assert (answer.status, answer.text) == (200, ""), answer.text
    return answer


def responses(bot: RunningBot, count: int = 1) -> list[Call]:
    return bot.fake.wait_for("response_url:action", count)


def shown_text(blocks: list[dict[str, Any]]) -> str:
    return "\n".join(b["text"]["text"] for b in blocks if isinstance(b.get("text"), dict))


def buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [element for b in blocks if b["type"] == "actions" for element in b["elements"]]


# -- what forgetting deletes, and the copy first -----------------------------------------------------------


def test_forget_me_says_what_goes_and_offers_a_copy_first(bot: RunningBot, world: World) -> None:
    shown = forget_me(bot)

    assert shown["response_type"] == "ephemeral"
    text = shown_text(shown["blocks"])
    # my 3 prouds and sorries and my 1 meeting answer (hand-counted from build_world); the 1 item I own was
    # created by OTHER, so it is handed back to them, not deleted; I leave the 1 item of OTHER's I am in
    assert "deletes, for good: your 3 prouds and sorries (and their posts) and your 1 meeting answer." in text
    assert (
        "The action item you own that others share is handed back, not deleted:\n"
        f"• _Mine: call the three clinics_ goes to <@{OTHER}> (who created it, who I tell)"
    ) in text
    assert "You leave the 1 item others own that you are involved in" in text
    assert "action items you own that no one else" not in text  # none of mine is mine alone
    found = buttons(shown["blocks"])
    assert [(b["action_id"], b["text"]["text"]) for b in found] == [
        (ids.FORGET_COPY, "Send me a copy first"),
        (ids.FORGET_CONFIRM, "Delete my data"),
    ]
    assert found[1]["style"] == "danger" and "confirm" in found[1]  # Slack asks "Delete your data?" first
    # asking deletes nothing
    with bot.deps.session_factory() as session:
        assert session.get(Entry, world.my_proud) is not None
    assert bot.fake.calls_to("chat.delete") == []


def test_a_copy_comes_by_dm_as_a_json_file_of_my_data_only(bot: RunningBot, world: World) -> None:
    click(bot, ids.FORGET_COPY, "copy")

    [told] = responses(bot)
    assert (told.params["text"], told.params["response_type"], told.params["replace_original"]) == (
        COPY_SENT,
        "ephemeral",
        False,
    )
    [note] = bot.fake.calls_to("chat.postMessage")
    assert note.params["channel"] == ME  # a DM with the bot
    assert note.token == BOT_TOKEN
    [asked] = bot.fake.wait_for("files.getUploadURLExternal")
    [completed] = bot.fake.wait_for("files.completeUploadExternal")
    assert completed.params["channel_id"] == dm_channel(ME)  # the DM's id, as Slack answered the note
    # in the thread of the note (the fake gives posts ts 1700000000.000001, ...; the note is this test's first)
    assert completed.params["thread_ts"] == "1700000000.000001"
    [upload] = [call for call in bot.fake.calls if call.method.startswith("upload:")]
    raw: bytes = upload.params["content"]
    assert int(asked.params["length"]) == len(raw)
    data = json.loads(raw.decode("utf-8"))

    assert (data["team"], data["user"]) == (TEAM, ME)
    assert sorted(row["id"] for row in data["entries"]) == sorted([world.my_proud, world.my_sorry, world.my_unposted])
    assert {row["text"] for row in data["entries"]} == {
        "Mine: called the clinic back",
        "Mine: refunds took two weeks",
        "Mine: never posted",
    }
    assert [(row["id"], row["title"]) for row in data["actions"]] == [(world.my_item, "Mine: call the three clinics")]
    assert [(row["id"], row["text"]) for row in data["meeting_answers"]] == [
        (world.my_answer, "Mine: faster callbacks")
    ]
    everything = raw.decode("utf-8")
    for theirs in ("Theirs:", "Elsewhere:"):
        assert theirs not in everything, theirs  # other people's records, and other workspaces', stay out
    # sending a copy changes nothing
    with bot.deps.session_factory() as session:
        assert session.get(Entry, world.my_proud) is not None


# -- deleting -----------------------------------------------------------------------------------------


def mentions(row: dict[str, Any], user: str) -> bool:
    return any(isinstance(value, str) and user in value.split() for value in row.values())


def test_delete_my_data_deletes_what_is_mine_and_my_trace_in_the_rest_and_nothing_else(
    bot: RunningBot, world: World
) -> None:
    before = team_row_dicts(bot.engine, TEAM)
    elsewhere_before = team_row_dicts(bot.engine, OTHER_TEAM)
    with bot.deps.session_factory() as session:
        planned = {d.id: (d.kind, d.recipient, d.subject) for d in session.scalars(select(Delivery))}
    # pending now: "new commitment" for me (my item), for THIRD (my item and theirs), for OTHER (theirs)
    assert sorted(v[:2] for v in planned.values()) == sorted(
        [
            ("action_assigned", ME),
            ("action_assigned", THIRD),
            ("action_assigned", OTHER),
            ("action_assigned", THIRD),
            ("action_assigned", ME),  # in the other workspace
        ]
    )

    click(bot, ids.FORGET_CONFIRM, "forget")

    [done] = responses(bot)
    assert (done.params["text"], done.params["replace_original"]) == (FORGOTTEN, True)
    # the posts of my posted entries are deleted (the one never posted has no post)
    deleted = {(call.params["channel"], call.params["ts"]) for call in bot.fake.calls_to("chat.delete")}
    assert deleted == {(CHANNEL, "1700000000.900001"), ("C222", "1700000000.900002")}
    assert {call.token for call in bot.fake.calls_to("chat.delete")} == {BOT_TOKEN}

    with bot.deps.session_factory() as session:
        # mine: gone
        assert [e.id for e in session.scalars(select(Entry).where(Entry.team_id == TEAM, Entry.author_id == ME))] == []
        # the item I owned, created by OTHER with THIRD involved: back to OTHER, with its history and THIRD
        handed = session.get(ActionItem, world.my_item)
        assert handed is not None
        assert (handed.owner_id, handed.involved_ids, handed.created_by) == (OTHER, [THIRD], OTHER)
        history = session.scalars(select(ActionEvent).where(ActionEvent.action_id == world.my_item)).all()
        assert [(e.kind, e.by, e.old_value, e.new_value, e.note) for e in history][1:] == [
            ("note", THIRD, None, None, "Third's note on my item"),
            ("reassigned", "forgotten", "forgotten", OTHER, None),
        ]
        assert session.get(MeetingAnswer, world.my_answer) is None
        assert (
            session.scalars(select(Ambassador).where(Ambassador.team_id == TEAM, Ambassador.user_id == ME)).all() == []
        )
        assert session.scalars(select(Person).where(Person.team_id == TEAM, Person.user_id == ME)).all() == []
        # others' records: I leave their item, and my name is replaced where I acted on it
        theirs = session.get(ActionItem, world.others_item)
        assert theirs is not None
        assert (theirs.owner_id, theirs.involved_ids) == (OTHER, [THIRD])
        assert theirs.created_by != ME
        events = session.scalars(select(ActionEvent).where(ActionEvent.action_id == world.others_item)).all()
        assert [(e.kind, e.note) for e in events] == [("created", None), ("note", "My note on their item")]
        assert ME not in {e.by for e in events}
        their_sorry = session.get(Entry, world.others_sorry)
        assert their_sorry is not None
        assert (their_sorry.root_cause, their_sorry.text) == ("My why: no tracking", "Theirs: lost a parcel")
        assert their_sorry.root_cause_by != ME
        # the item made from my answer stays (it is theirs), without its link to the answer that went
        from_answer = session.get(ActionItem, world.item_from_my_answer)
        assert from_answer is not None and from_answer.source_answer_id is None
        # what was planned for me is not sent; what was planned for others still is
        after = {d.id: (d.recipient, d.team_id, d.status, d.last_error) for d in session.scalars(select(Delivery))}
        # and OTHER is told the item came back to them (a DM the engine sends)
        told = [
            (d.kind, d.subject, d.recipient, d.status)
            for d in session.scalars(select(Delivery).where(Delivery.id.not_in(list(planned))))
        ]
    assert told == [("action_handed_back", str(world.my_item), OTHER, "pending")]
    for delivery_id, (_, recipient, _) in planned.items():
        found = after[delivery_id]
        if recipient == ME and found[1] == TEAM:
            assert found[2:] == ("skipped", "person forgotten")
        else:
            assert found[2:] == ("pending", None)

    # everything else, row by row: unchanged
    now = team_row_dicts(bot.engine, TEAM)
    mine = {  # rows of mine that went, by table: their link rows went with them
        "entries": {world.my_proud, world.my_sorry, world.my_unposted},
        "action_items": {world.my_item},  # handed back: checked above
        "ambassadors": {row["id"] for row in before["ambassadors"] if row["user_id"] == ME},
    }
    links = {
        "entry_customer_groups": ("entry_id", "entries"),
        "action_people": ("action_id", "action_items"),
        "action_customer_groups": ("action_id", "action_items"),
        "action_events": ("action_id", "action_items"),
        "ambassador_groups": ("ambassador_id", "ambassadors"),
    }
    changed_by_forgetting = {
        ("entries", world.others_sorry),  # root_cause_by replaced
        ("action_items", world.others_item),  # created_by replaced
        ("action_items", world.item_from_my_answer),  # source_answer_id cleared
    }
    for table, rows in before.items():
        for row in rows:
            if mentions(row, ME) or (table, row.get("id")) in changed_by_forgetting:
                continue  # checked above
            if table in links and row[links[table][0]] in mine[links[table][1]]:
                continue
            assert row in now[table], (table, row)
    # and the other workspace, where the same user id is someone else's business, is untouched
    assert team_row_dicts(bot.engine, OTHER_TEAM) == elsewhere_before


def test_forgetting_twice_or_someone_with_no_data_is_harmless(bot: RunningBot, world: World) -> None:
    click(bot, ids.FORGET_CONFIRM, "forget")
    responses(bot, 1)
    before = team_row_dicts(bot.engine, TEAM)

    shown = forget_me(bot)
    assert "finds no prouds, sorries, meeting answers or action items of yours to delete" in shown_text(shown["blocks"])
    click(bot, ids.FORGET_CONFIRM, "forget")
    click(bot, ids.FORGET_CONFIRM, "forget", user="W404")  # never used the bot

    responses(bot, 3)
    assert team_row_dicts(bot.engine, TEAM) == before
    assert len(bot.fake.calls_to("chat.delete")) == 2  # only the first time


def test_forgetting_removes_my_id_from_the_history_of_an_item_i_handed_over(bot: RunningBot, world: World) -> None:
    handed = add_item(bot.deps, "Theirs now: the export fix", owner=ME, by=ME)
    action_service.reassign(bot.deps, team_id=TEAM, action_id=handed, user_id=ME, new_owner=OTHER)

    click(bot, ids.FORGET_CONFIRM, "forget")
    responses(bot)

    with bot.deps.session_factory() as session:
        item = session.get(ActionItem, handed)
        assert item is not None and item.owner_id == OTHER  # theirs: it stays
        events = session.scalars(select(ActionEvent).where(ActionEvent.action_id == handed)).all()
        assert [e.kind for e in events] == ["created", "reassigned"]
        traces = [(e.kind, e.by, e.old_value, e.new_value) for e in events if ME in (e.by, e.old_value, e.new_value)]
    assert traces == []


# -- the ⋯ menu on an entry's post ---------------------------------------------------------------------


def post_proud(bot: RunningBot, text: str, *, user: str = ME) -> tuple[Entry, Call]:
    before = len(bot.fake.calls_to("chat.postMessage"))
    answer = bot.slack.send_command("/proud", text, user=user)
    assert "Saved your proud" in answer.json["text"]
    post = bot.fake.wait_for("chat.postMessage", before + 1)[-1]

    def stored() -> Entry | None:
        with bot.deps.session_factory() as session:
            found = session.scalars(select(Entry).where(Entry.text == text, Entry.message_ts.is_not(None))).first()
            return found

    entry = eventually(stored)

    def learnt() -> bool:  # after the post the bot asks Slack whether the channel is private, and keeps it
        with bot.deps.session_factory() as session:
            found = select(Channel).where(Channel.team_id == entry.team_id, Channel.channel_id == entry.channel_id)
            return session.scalars(found).first() is not None

    eventually(learnt)
    return entry, post


def menu_of(post: Call) -> dict[str, Any]:
    [menu] = [b["accessory"] for b in post.params["blocks"] if (b.get("accessory") or {}).get("type") == "overflow"]
    return menu


def choose_delete(bot: RunningBot, entry: Entry, post: Call, *, user: str) -> None:
    menu = menu_of(post)
    assert menu["action_id"] == ids.ENTRY_MENU
    [option] = menu["options"]
    assert option["value"] == f"delete:{entry.id}"
    message = {"type": "message", "ts": entry.message_ts, "blocks": post.params["blocks"], "text": post.params["text"]}
    body = bot.slack.block_action(
        ids.ENTRY_MENU, "", user=user, channel=entry.channel_id, message=message, selected_option=option
    )
    answer = bot.slack.send_interaction(body)
    assert (answer.status, answer.text) == (200, ""), answer.text


def entry_row(bot: RunningBot, entry_id: int) -> Entry | None:
    with bot.deps.session_factory() as session:
        return session.get(Entry, entry_id)


def test_the_author_deletes_their_entry_from_its_menu(bot: RunningBot) -> None:
    entry, post = post_proud(bot, "Shipped the export fix")
    kept, _ = post_proud(bot, "Another one, kept")

    choose_delete(bot, entry, post, user=ME)

    eventually(lambda: entry_row(bot, entry.id) is None)
    [gone] = bot.fake.wait_for("chat.delete")
    assert (gone.params["channel"], gone.params["ts"], gone.token) == (CHANNEL, entry.message_ts, BOT_TOKEN)
    assert entry_row(bot, entry.id) is None
    assert entry_row(bot, kept.id) is not None


def test_anyone_else_is_told_only_the_author_can_delete_and_nothing_changes(bot: RunningBot) -> None:
    entry, post = post_proud(bot, "Shipped the export fix")
    before = team_row_dicts(bot.engine, TEAM)

    choose_delete(bot, entry, post, user=OTHER)

    [told] = responses(bot)
    assert told.params["text"] == "Only its author can delete an entry."
    assert (told.params["response_type"], told.params["replace_original"]) == ("ephemeral", False)
    assert team_row_dicts(bot.engine, TEAM) == before
    assert bot.fake.calls_to("chat.delete") == []


def test_a_post_whose_entry_is_gone_is_not_deleted_by_someone_else(bot: RunningBot) -> None:
    entry, post = post_proud(bot, "Shipped the export fix")
    with bot.deps.session_factory() as session:  # gone, e.g. purged, while its post stays in the channel
        found = session.get(Entry, entry.id)
        session.delete(found)
        session.commit()

    choose_delete(bot, entry, post, user=OTHER)

    [told] = responses(bot)
    assert "Only its author can delete an entry" in told.params["text"] or "no longer" in told.params["text"]
    assert bot.fake.calls_to("chat.delete") == []


# -- after forgetting: no trace left in shared records, and no more messages ------------------------------


def test_forgetting_leaves_my_id_in_no_shared_record(bot: RunningBot, world: World) -> None:
    group_service.add_group(bot.deps, team_id=TEAM, name="Home care", by=ME)
    question_service.add_question(bot.deps, team_id=TEAM, user_id=ME, text="Which customer would we call first?")
    meeting_service.start_prompt_now(
        deps=bot.deps, team_id=TEAM, user_id=ME, channel_id=CHANNEL, title="Retro", key="k"
    )

    click(bot, ids.FORGET_CONFIRM, "forget")
    responses(bot)

    traces = {
        table: [row for row in rows if mentions(row, ME)]
        for table, rows in team_row_dicts(bot.engine, TEAM).items()
        if table != "deliveries"  # the skipped ones stay, as the record of what was not sent
    }
    assert {table: rows for table, rows in traces.items() if rows} == {}


def test_after_forgetting_the_bot_sends_me_nothing_more(bot: RunningBot) -> None:
    sim = simulation(bot.deps, bot.fake, utc(2027, 3, 2, 9, 30))  # Tuesday, half an hour before the meeting
    sim.add_person(ME, "UTC")
    form = meeting_service.MeetingForm(
        title="Tuesday planning",
        channel_id=None,
        owner_id=ME,
        repeat=Repeat.WEEKLY,
        start=date(2027, 3, 2),
        weekdays=frozenset({2}),
        at=time(10, 0),
        tz="UTC",
        lead_minutes=10,
        prompt_to=PromptTarget.OWNER,
    )
    meeting_service.register(sim.deps, team_id=TEAM, user_id=ME, form=form, key="test:meeting")

    click(bot, ids.FORGET_CONFIRM, "forget")
    responses(bot)
    sim.run_until(utc(2027, 3, 2, 10, 5), step=timedelta(minutes=5))  # past its start (question due at 09:50)

    assert [call.params["text"] for call in sim.messages() if call.params["channel"] == ME] == []
    with bot.deps.session_factory() as session:
        assert session.scalars(select(Person).where(Person.team_id == TEAM, Person.user_id == ME)).all() == []


def test_forgetting_hands_shared_items_back_tells_the_new_owner_and_deletes_only_what_was_mine_alone(
    bot: RunningBot,
) -> None:
    sim = simulation(bot.deps, bot.fake, utc(2027, 3, 2, 10, 0))  # a Tuesday morning
    for person in (ME, OTHER, THIRD):
        sim.add_person(person, "UTC")
    deps = sim.deps

    def item(title: str, *, by: str, involved: tuple[str, ...] = ()) -> int:
        card, _ = action_service.create_action(
            deps,
            action_service.NewAction(
                team_id=TEAM, title=title, owner_id=ME, created_by=by, involved=involved,
                due_date=date(2027, 4, 1), today=date(2027, 3, 2), idempotency_key=f"test:{title}",
            ),
        )  # fmt: skip
        return card.id

    from_other = item("Asked of me by Other", by=OTHER, involved=(THIRD,))
    mine_with_third = item("Mine, with Third in it", by=ME, involved=(THIRD, OTHER))
    mine_alone = item("Mine alone", by=ME)
    done_for_other = item("Done for Other", by=OTHER)
    action_service.set_status(deps, team_id=TEAM, action_id=done_for_other, user_id=ME, status=ActionStatus.DONE)
    sim.run_until(utc(2027, 3, 2, 10, 30), step=timedelta(minutes=5))  # the "new commitment" messages go first
    already = len(sim.messages())

    rows = privacy_service.what_forgetting_deletes(deps, team_id=TEAM, user_id=ME)
    assert rows.items_deleted == 1
    assert [(back.title, back.to, back.to_creator, back.is_open) for back in rows.handed_back] == [
        ("Asked of me by Other", OTHER, True, True),
        ("Mine, with Third in it", OTHER, False, True),  # the first person involved (by id: W222 before W333)
        ("Done for Other", OTHER, True, False),
    ]
    privacy_service.forget(deps, team_id=TEAM, user_id=ME)

    with deps.session_factory() as session:
        assert session.get(ActionItem, mine_alone) is None
        owners = {
            item.id: (item.owner_id, item.involved_ids, item.status)
            for item in session.scalars(select(ActionItem).where(ActionItem.team_id == TEAM))
        }
    assert owners == {
        from_other: (OTHER, [THIRD], "open"),
        mine_with_third: (OTHER, [THIRD], "open"),
        done_for_other: (OTHER, [], "done"),
    }
    sim.run_until(utc(2027, 3, 2, 11, 0), step=timedelta(minutes=5))
    told = sim.messages()[already:]
    # one DM per open item handed back, to its new owner; nothing about the closed one, nothing to me
    assert sorted((call.params["channel"], call.params["text"].split(":", 1)[0]) for call in told) == [
        (OTHER, "A commitment came back to you"),
        (OTHER, "A commitment came back to you"),
    ]
    texts = [shown_text(call.params["blocks"]) for call in told]
    assert any("Asked of me by Other" in text and "you created it" in text for text in texts)
    assert any("Mine, with Third in it" in text and "first of the people involved" in text for text in texts)
    assert all("forget their data" in text for text in texts)
