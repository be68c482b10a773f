"""Ideal futures and the common future (issue 18, item 2): proposing through `/mindset future` and its form,
endorsing once per person (a double click counts once), confirming (the workspace's admins only; another
replaces it), the App Home, action items serving a future, the digest's numbers per future, forget-me and the
exports. Signed requests against the real app and the fake Slack, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot import ids
from bot.deps import Deps
from bot.digest.compose import compose_common
from bot.digest.period import Week
from bot.export import FUTURE_COLUMNS, export, person_data
from bot.render.digest import digest_blocks, digest_text
from bot.render.privacy import forget_blocks
from bot.services import actions as action_service
from bot.services import futures as future_service
from bot.services import groups as group_service
from bot.services.groups import GroupOption
from bot.services.replays import Replayed
from bot.worktime import zone
from storage.models import ActionFuture, ActionStatus, Future, FutureEndorsement, SettingsChange
from storage.repositories import erasure
from tests.conftest import RunningBot
from tests.engine_harness import SimClock, utc
from tests.slack_requests import TEAM, USER, deep, payload

ADMIN = "W0ADMIN"
OTHER = "W0OTHER"


def mindset(bot: RunningBot, text: str, *, user: str = USER) -> dict[str, Any]:
    answer = bot.slack.send_command("/mindset", text, user=user)
    assert answer.status == 200, answer.text
    return answer.json if answer.text else {}


def buttons(blocks: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(action id, value, label) of every button in the blocks."""
    found = []
    for block in blocks:
        for element in [*(block.get("elements") or []), block.get("accessory") or {}]:
            if element.get("type") == "button":
                found.append((element["action_id"], element["value"], element["text"]["text"]))
    return found


def texts(blocks: list[dict[str, Any]]) -> str:
    found = []
    for block in blocks:
        if isinstance(block.get("text"), dict):
            found.append(block["text"]["text"])
        for element in block.get("elements") or []:
            if isinstance(element.get("text"), str):
                found.append(element["text"])
    return "\n".join(found)


def add_group(bot: RunningBot, name: str) -> int:
    return group_service.add_group(bot.deps, team_id=TEAM, name=name, by=USER).id


def propose(bot: RunningBot, group_id: int, text: str, *, user: str = USER, view_id: str = "VF1") -> Any:
    """Click Propose in `/mindset future`, fill the form in and submit it."""
    before = len(bot.fake.calls_to("views.open"))
    board = mindset(bot, "future", user=user)
    [(_, value, _)] = [b for b in buttons(board["blocks"]) if b[0] == ids.FUTURE_PROPOSE]
    click(bot, ids.FUTURE_PROPOSE, value, user=user)
    view = bot.fake.wait_for("views.open", before + 1)[-1].params["view"]
    assert view["callback_id"] == ids.FUTURE_MODAL
    values = {
        ids.FUTURE_GROUP_BLOCK: {
            ids.FUTURE_GROUP_INPUT: {"type": "static_select", "selected_option": {"value": str(group_id)}}
        },
        ids.FUTURE_TEXT_BLOCK: {ids.FUTURE_TEXT_INPUT: {"type": "plain_text_input", "value": text}},
    }
    return bot.slack.send_interaction(bot.slack.view_submission(view, values, view_id=view_id, user=user))


def click(bot: RunningBot, action_id: str, value: str, *, user: str = USER) -> dict[str, Any]:
    body = bot.slack.block_action(action_id, value, user=user)
    answer = bot.slack.send_interaction(body)
    assert answer.status == 200, answer.text
    return body


def futures(bot: RunningBot) -> list[Future]:
    with bot.deps.session_factory() as session:
        return list(session.scalars(select(Future).order_by(Future.id)))


def endorsements(bot: RunningBot, future_id: int) -> list[str]:
    with bot.deps.session_factory() as session:
        return list(session.scalars(select(FutureEndorsement.user_id).where(FutureEndorsement.future_id == future_id)))


def last_response(bot: RunningBot, count: int) -> dict[str, Any]:
    return bot.fake.wait_for("response_url:action", count)[-1].params


# -- propose ------------------------------------------------------------------------------------------


def test_proposing_a_future_from_the_list_stores_it_once(bot: RunningBot) -> None:
    empty = mindset(bot, "future")
    assert "no customer groups yet" in texts(empty["blocks"])
    clinics = add_group(bot, "Small clinics")
    board = mindset(bot, "future")
    assert "*Small clinics*" in texts(board["blocks"]) and "No future proposed yet" in texts(board["blocks"])

    # too short: said by the field, nothing stored
    answer = propose(bot, clinics, "Faster", view_id="VSHORT")
    assert answer.json["response_action"] == "errors"
    assert "Describe the future in a sentence" in answer.json["errors"][ids.FUTURE_TEXT_BLOCK]
    assert futures(bot) == []

    answer = propose(bot, clinics, "In 2028 a clinic   onboards itself in a day")
    assert answer.json["response_action"] == "update"
    assert "Proposed for *Small clinics*" in str(answer.json["view"])
    # the same form submitted again (Slack's retry, a double click on Propose) proposes nothing new
    view = bot.fake.calls_to("views.open")[-1].params["view"]
    values = {
        ids.FUTURE_GROUP_BLOCK: {ids.FUTURE_GROUP_INPUT: {"selected_option": {"value": str(clinics)}}},
        ids.FUTURE_TEXT_BLOCK: {ids.FUTURE_TEXT_INPUT: {"value": "In 2028 a clinic onboards itself in a day"}},
    }
    again = bot.slack.send_interaction(bot.slack.view_submission(view, values, view_id="VF1"))
    assert again.json["response_action"] == "update"
    [stored] = futures(bot)
    assert (stored.text, stored.author_id, stored.group_id, stored.confirmed_at) == (
        "In 2028 a clinic onboards itself in a day",
        USER,
        clinics,
        None,
    )
    # the list it was opened from is drawn again with it
    redrawn = bot.fake.wait_for("response_url:action")[-1].params
    assert "You proposed a future for Small clinics." in str(redrawn["blocks"])
    assert "In 2028 a clinic onboards itself in a day" in str(redrawn["blocks"])


def test_a_future_too_long_or_for_no_group_is_refused_kindly(bot: RunningBot) -> None:
    clinics = add_group(bot, "Small clinics")
    with pytest.raises(future_service.FutureProblem, match="Keep the future to 500 characters"):
        future_service.propose(bot.deps, team_id=TEAM, user_id=USER, group_id=clinics, text="x" * 501, key="k1")
    with pytest.raises(future_service.FutureProblem, match="Choose the customer group"):
        future_service.propose(bot.deps, team_id=TEAM, user_id=USER, group_id=None, text="A fine future", key="k2")
    with pytest.raises(future_service.FutureProblem, match="no longer exists"):
        future_service.propose(bot.deps, team_id=TEAM, user_id=USER, group_id=2**31, text="A fine future", key="k4")
    group_service.archive_group(bot.deps, team_id=TEAM, by=USER, group_id=clinics)
    with pytest.raises(future_service.FutureProblem, match="no longer exists"):
        future_service.propose(bot.deps, team_id=TEAM, user_id=USER, group_id=clinics, text="A fine future", key="k3")
    assert futures(bot) == []


# -- endorse ------------------------------------------------------------------------------------------


def test_endorsing_counts_once_per_person_and_can_be_withdrawn(bot: RunningBot) -> None:
    clinics = add_group(bot, "Small clinics")
    card = future_service.propose(
        bot.deps, team_id=TEAM, user_id=OTHER, group_id=clinics, text="A clinic onboards itself in a day", key="k"
    )
    board = mindset(bot, "future")
    [endorse] = [b for b in buttons(board["blocks"]) if b[0] == ids.FUTURE_ENDORSE]
    assert endorse == (ids.FUTURE_ENDORSE, f"{card.id}:all", "Endorse (0)")

    first = click(bot, ids.FUTURE_ENDORSE, endorse[1])
    redrawn = last_response(bot, 1)
    assert "You endorse this future of Small clinics (1 endorsement)." in str(redrawn["blocks"])
    assert (ids.FUTURE_WITHDRAW, f"{card.id}:all", "Withdraw my endorsement") in buttons(redrawn["blocks"])
    # a double click: the second click on the old button counts nothing more
    click(bot, ids.FUTURE_ENDORSE, endorse[1])
    assert "already endorsed this future of Small clinics: it counts once" in str(last_response(bot, 2)["blocks"])
    # the very same click sent again (a replay) changes nothing and says nothing
    assert bot.slack.send_interaction(first).status == 200
    assert endorsements(bot, card.id) == [USER]
    # two people
    click(bot, ids.FUTURE_ENDORSE, endorse[1], user=ADMIN)
    last_response(bot, 3)
    assert sorted(endorsements(bot, card.id)) == sorted([USER, ADMIN])
    assert "2 endorsements" in texts(mindset(bot, "future")["blocks"])

    click(bot, ids.FUTURE_WITHDRAW, f"{card.id}:all")
    assert "You withdrew your endorsement" in str(bot.fake.wait_for("response_url:action", 4)[-1].params["blocks"])
    assert endorsements(bot, card.id) == [ADMIN]
    # a forged button (an id no row can have) is told kindly, on either database
    click(bot, ids.FUTURE_ENDORSE, f"{2**31}:all")
    assert "could not find that future" in last_response(bot, 5)["text"]
    # with the service: the same key twice is a replay
    future_service.endorse(bot.deps, team_id=TEAM, user_id=OTHER, future_id=card.id, endorse=True, key="click:1")
    with pytest.raises(Replayed):
        future_service.endorse(bot.deps, team_id=TEAM, user_id=OTHER, future_id=card.id, endorse=True, key="click:1")
    assert sorted(endorsements(bot, card.id)) == sorted([ADMIN, OTHER])


# -- confirm ------------------------------------------------------------------------------------------


def test_only_admins_confirm_and_confirming_another_replaces_it(bot: RunningBot) -> None:
    bot.fake.add_user(USER)  # a member
    bot.fake.add_user(ADMIN, role="admin")
    clinics = add_group(bot, "Small clinics")
    enterprise = add_group(bot, "Enterprise IT")
    first = future_service.propose(
        bot.deps, team_id=TEAM, user_id=OTHER, group_id=clinics, text="A clinic onboards itself in a day", key="a"
    )
    second = future_service.propose(
        bot.deps, team_id=TEAM, user_id=USER, group_id=clinics, text="No clinic ever waits for a refund", key="b"
    )
    other_group = future_service.propose(
        bot.deps, team_id=TEAM, user_id=USER, group_id=enterprise, text="IT teams run us without a ticket", key="c"
    )

    click(bot, ids.FUTURE_CONFIRM, f"{first.id}:all", user=USER)
    refused = last_response(bot, 1)
    assert refused["text"].startswith("You cannot confirm a customer group's common future.")
    assert "workspace's admins and owners" in refused["text"]
    assert refused.get("replace_original") in (False, "false")
    assert [f.confirmed_at for f in futures(bot)] == [None, None, None]

    click(bot, ids.FUTURE_CONFIRM, f"{first.id}:all", user=ADMIN)
    said = str(last_response(bot, 2)["blocks"])
    assert "Confirmed: the common future of Small clinics is now _A clinic onboards itself in a day_." in said
    stored = {f.id: f for f in futures(bot)}
    assert stored[first.id].confirmed_by == ADMIN and stored[first.id].confirmed_at is not None

    click(bot, ids.FUTURE_CONFIRM, f"{second.id}:all", user=ADMIN)
    said = str(last_response(bot, 3)["blocks"])
    assert "is now _No clinic ever waits for a refund_, in place of _A clinic onboards itself in a day_" in said
    stored = {f.id: f for f in futures(bot)}
    assert stored[first.id].confirmed_at is None
    assert stored[second.id].confirmed_at is not None
    assert stored[other_group.id].confirmed_at is None  # another group's futures are untouched
    # confirming it again changes nothing
    click(bot, ids.FUTURE_CONFIRM, f"{second.id}:all", user=ADMIN)
    assert "That is already the common future of Small clinics." in str(last_response(bot, 4)["blocks"])

    listed = mindset(bot, "future")["blocks"]
    assert (ids.FUTURE_ENDORSE, f"{second.id}:all", "Endorse (0)") in buttons(listed)  # the common one too
    board = texts(listed)
    assert ":star: *Common future:* _No clinic ever waits for a refund_" in board
    assert "confirmed by <@W0ADMIN>" in board
    with bot.deps.session_factory() as session:
        changes = session.scalars(
            select(SettingsChange).where(SettingsChange.setting == "future_confirmed").order_by(SettingsChange.id)
        ).all()
        assert [(c.by, c.old_value, c.new_value) for c in changes] == [
            (ADMIN, "Small clinics", "A clinic onboards itself in a day"),
            (ADMIN, "Small clinics", "No clinic ever waits for a refund"),
        ]


def test_one_group_shows_all_its_proposals(bot: RunningBot) -> None:
    clinics = add_group(bot, "Small clinics")
    add_group(bot, "Enterprise IT")
    for n in range(5):
        future_service.propose(
            bot.deps, team_id=TEAM, user_id=USER, group_id=clinics, text=f"Future number {n} for clinics", key=f"{n}"
        )
    board = mindset(bot, "future")
    assert len([b for b in buttons(board["blocks"]) if b[0] == ids.FUTURE_ENDORSE]) == 3
    assert "…and 2 more proposed: `/mindset future #small-clinics` shows them all." in texts(board["blocks"])
    one = mindset(bot, "future #small-clinics")
    endorse = [b for b in buttons(one["blocks"]) if b[0] == ids.FUTURE_ENDORSE]
    assert len(endorse) == 5 and all(value.endswith(f":{clinics}") for _, value, _ in endorse)
    assert "Enterprise IT" not in texts(one["blocks"])
    assert len(one["blocks"]) <= 50
    assert "No customer group is called `#nowhere`" in mindset(bot, "future #nowhere")["text"]


# -- the App Home ------------------------------------------------------------------------------------


def open_home(bot: RunningBot, user: str = USER) -> dict[str, Any]:
    before = len(bot.fake.calls_to("views.publish"))
    event = deep(payload("app_home_opened.home_tab.json"))
    event["event_id"] = f"EvFuture{before:04d}"
    event["event"].update(user=user, tab="home")
    assert bot.slack.send_event(event).status == 200
    view: dict[str, Any] = bot.fake.wait_for("views.publish", before + 1)[-1].params["view"]
    assert len(view["blocks"]) <= 100
    return view


def test_the_home_tab_shows_the_common_futures_and_a_propose_button(bot: RunningBot) -> None:
    clinics = add_group(bot, "Small clinics")
    home = open_home(bot)
    assert "No common future confirmed yet." in texts(home["blocks"])
    assert (ids.FUTURE_PROPOSE, "any", "Propose an ideal future") in buttons(home["blocks"])

    card = future_service.propose(
        bot.deps, team_id=TEAM, user_id=OTHER, group_id=clinics, text="A clinic onboards itself in a day", key="a"
    )
    future_service.propose(
        bot.deps, team_id=TEAM, user_id=OTHER, group_id=clinics, text="A refund within the hour", key="b"
    )
    future_service.confirm(bot.deps, team_id=TEAM, by=ADMIN, future_id=card.id, key=None)
    home = texts(open_home(bot)["blocks"])
    assert "*Small clinics*: _A clinic onboards itself in a day_" in home
    assert "no open action item serves it yet" in home
    assert "1 proposed future to endorse in `/mindset future`." in home

    # proposing from the Home tab draws it again
    body = bot.slack.block_action(ids.FUTURE_PROPOSE, "any")
    body.pop("message", None)
    body["container"] = {"type": "view", "view_id": "VHOME"}
    body["view"] = {"id": "VHOME", "type": "home", "blocks": []}
    bot.slack.send_interaction(body)
    view = bot.fake.wait_for("views.open")[-1].params["view"]
    assert json.loads(view["private_metadata"])["home"] is True
    before = len(bot.fake.calls_to("views.publish"))
    values = {
        ids.FUTURE_GROUP_BLOCK: {ids.FUTURE_GROUP_INPUT: {"selected_option": {"value": str(clinics)}}},
        ids.FUTURE_TEXT_BLOCK: {ids.FUTURE_TEXT_INPUT: {"value": "Clinics tell us before we ask"}},
    }
    bot.slack.send_interaction(bot.slack.view_submission(view, values, view_id="VHOMEF"))
    redrawn = bot.fake.wait_for("views.publish", before + 1)[-1].params["view"]
    assert "2 proposed futures to endorse" in texts(redrawn["blocks"])


# -- action items serving a future ------------------------------------------------------------------------


def test_an_action_item_serves_a_confirmed_future_and_only_those_are_offered(bot: RunningBot) -> None:
    clinics = add_group(bot, "Small clinics")
    confirmed = future_service.propose(
        bot.deps, team_id=TEAM, user_id=OTHER, group_id=clinics, text="A clinic onboards itself in a day", key="a"
    )
    proposed = future_service.propose(
        bot.deps, team_id=TEAM, user_id=OTHER, group_id=clinics, text="A refund within the hour", key="b"
    )
    # no common future yet: the form has no such field
    bot.slack.send_command("/action", "")
    form = bot.fake.wait_for("views.open")[-1].params["view"]
    assert ids.ACTION_FUTURE_BLOCK not in [block.get("block_id") for block in form["blocks"]]

    future_service.confirm(bot.deps, team_id=TEAM, by=ADMIN, future_id=confirmed.id, key=None)
    bot.slack.send_command("/action", "Write the onboarding guide")
    form = bot.fake.wait_for("views.open", 2)[-1].params["view"]
    [field] = [block for block in form["blocks"] if block.get("block_id") == ids.ACTION_FUTURE_BLOCK]
    assert [o["value"] for o in field["element"]["options"]] == [str(confirmed.id)]
    assert field["element"]["options"][0]["text"]["text"].startswith("Small clinics: A clinic onboards")

    due = date.today() + timedelta(days=30)

    def values(future_id: int) -> dict[str, Any]:
        return {
            ids.ACTION_TITLE_BLOCK: {ids.ACTION_TITLE_INPUT: {"value": "Write the onboarding guide"}},
            ids.ACTION_OWNER_BLOCK: {ids.ACTION_OWNER_INPUT: {"selected_user": USER}},
            ids.ACTION_DUE_BLOCK: {ids.ACTION_DUE_INPUT: {"selected_date": due.isoformat()}},
            ids.ACTION_FUTURE_BLOCK: {ids.ACTION_FUTURE_INPUT: {"selected_option": {"value": str(future_id)}}},
        }

    # a future no longer confirmed (or never): said by the field
    refused = bot.slack.send_interaction(bot.slack.view_submission(form, values(proposed.id), view_id="VA0"))
    assert "no longer a confirmed common future" in refused.json["errors"][ids.ACTION_FUTURE_BLOCK]
    answer = bot.slack.send_interaction(bot.slack.view_submission(form, values(confirmed.id), view_id="VA1"))
    assert answer.json["response_action"] == "update", answer.text
    saved = str(answer.json["view"]["blocks"])
    assert "It serves the common future of *Small clinics*: _A clinic onboards itself in a day_" in saved
    with bot.deps.session_factory() as session:
        links = session.execute(select(ActionFuture.action_id, ActionFuture.future_id)).all()
    assert [future for _, future in links] == [confirmed.id]
    board = texts(mindset(bot, "future")["blocks"])
    assert "1 open action item serves it" in board


# -- the digest ----------------------------------------------------------------------------------------


def test_the_digest_counts_per_common_future_the_open_items_and_those_kept(bot: RunningBot) -> None:
    clock = SimClock(utc(2027, 1, 4, 9))
    deps = Deps(settings=bot.deps.settings, session_factory=bot.deps.session_factory, clock=clock)
    clinics = add_group(bot, "Small clinics")
    add_group(bot, "Enterprise IT")
    future = future_service.propose(
        deps, team_id=TEAM, user_id=OTHER, group_id=clinics, text="A clinic onboards itself in a day", key="a"
    )
    future_service.confirm(deps, team_id=TEAM, by=ADMIN, future_id=future.id, key=None)

    def commit(key: str, due: date, *, serves: bool = True) -> int:
        card, _ = action_service.create_action(
            deps,
            action_service.NewAction(
                team_id=TEAM,
                title=f"Step {key}",
                owner_id=USER,
                created_by=USER,
                due_date=due,
                today=clock.now.date(),
                idempotency_key=key,
                future_id=future.id if serves else None,
            ),
        )
        return card.id

    kept = commit("kept", date(2027, 1, 15))
    missed = commit("missed", date(2027, 1, 20))
    commit("later", date(2027, 3, 20))  # open, not due yet
    commit("elsewhere", date(2027, 1, 15), serves=False)  # counts in the workspace's index, not the future's
    clock.now = utc(2027, 1, 14, 9)
    action_service.set_status(deps, team_id=TEAM, action_id=kept, user_id=USER, status=ActionStatus.DONE)
    assert missed

    now = utc(2027, 2, 10, 10)
    week = Week.containing(now, zone("UTC"))
    with bot.deps.session_factory() as session:
        common = compose_common(session, team_id=TEAM, week=week, now=now)
    [line] = common.futures
    assert (line.group_name, line.text, line.open_actions) == ("Small clinics", "A clinic onboards itself in a day", 2)
    assert (line.index.kept, line.index.due) == (1, 2)
    assert [(i.label, i.kept, i.due) for i in common.success][-1] == ("All", 1, 3)

    from bot.digest.compose import Reader, ReaderKind, for_reader

    digest = for_reader(common, Reader(ReaderKind.PERSON, ADMIN))
    shown = str(digest_blocks(digest, today=now.date()))
    assert "Common futures: open action items serving each, and how many were kept" in shown
    assert "_A clinic onboards itself in a day_: 2 open action items, 1 of 2 due in 2027 Q1 kept (50%)" in shown
    assert "Small clinics: A clinic onboards itself in a day (2 open, 1/2 kept in 2027 Q1)" in digest_text(
        digest, today=now.date()
    )


# -- forget-me, exports, purge -------------------------------------------------------------------------


def test_forget_me_deletes_proposals_and_endorsements_and_keeps_an_adopted_future_nameless(bot: RunningBot) -> None:
    clinics = add_group(bot, "Small clinics")
    adopted = future_service.propose(
        bot.deps, team_id=TEAM, user_id=OTHER, group_id=clinics, text="A clinic onboards itself in a day", key="a"
    )
    dropped = future_service.propose(
        bot.deps, team_id=TEAM, user_id=OTHER, group_id=clinics, text="A refund within the hour", key="b"
    )
    mine = future_service.propose(
        bot.deps, team_id=TEAM, user_id=USER, group_id=clinics, text="Clinics tell us before we ask", key="c"
    )
    for future_id in (adopted.id, dropped.id, mine.id):
        future_service.endorse(bot.deps, team_id=TEAM, user_id=OTHER, future_id=future_id, endorse=True, key=None)
    future_service.endorse(bot.deps, team_id=TEAM, user_id=USER, future_id=dropped.id, endorse=True, key=None)
    future_service.confirm(bot.deps, team_id=TEAM, by=OTHER, future_id=dropped.id, key=None)
    future_service.confirm(bot.deps, team_id=TEAM, by=OTHER, future_id=adopted.id, key=None)  # replaces it

    # the copy first: their proposals and endorsements
    data = person_data(bot.deps.session_factory, team_id=TEAM, user_id=OTHER)
    assert [row["text"] for row in data["futures_proposed"]] == [
        "A clinic onboards itself in a day",
        "A refund within the hour",
    ]
    assert [(row["future"], row["customer_group"]) for row in data["future_endorsements"]] == [
        (adopted.id, "Small clinics"),
        (dropped.id, "Small clinics"),
        (mine.id, "Small clinics"),
    ]

    with bot.deps.session_factory() as session:
        rows = erasure.person_rows(session, team_id=TEAM, user_id=OTHER)
    assert (rows.futures_deleted, rows.futures_kept, rows.endorsements) == (1, 1, 3)
    said = forget_blocks(rows)[0]["text"]["text"]
    assert "the 1 ideal future you proposed (with their endorsements)" in said
    assert "your 3 endorsements of ideal futures" in said
    assert "The 1 future you proposed that the workspace adopted" in said and "stays, without your name" in said

    with bot.deps.session_factory() as session:
        erasure.forget_person(session, team_id=TEAM, user_id=OTHER, now=utc(2027, 1, 1))
        session.commit()
    left = {f.id: f for f in futures(bot)}
    assert set(left) == {adopted.id, mine.id}
    assert (left[adopted.id].author_id, left[adopted.id].confirmed_by) == (None, None)
    assert left[adopted.id].text == "A clinic onboards itself in a day" and left[adopted.id].confirmed_at
    assert endorsements(bot, mine.id) == []
    with bot.deps.session_factory() as session:
        assert session.scalars(select(FutureEndorsement.user_id)).all() == []  # USER's went with `dropped`
    with bot.deps.session_factory() as session:
        recorded = session.scalars(
            select(SettingsChange.new_value)
            .where(SettingsChange.setting == "future_confirmed")
            .order_by(SettingsChange.id)
        ).all()
    # the first confirmation was of the future since deleted: its text goes from the record too
    assert recorded == [erasure.FUTURE_FORGOTTEN, "A clinic onboards itself in a day"]
    assert "Proposed by someone since forgotten, confirmed by someone since forgotten" in texts(
        mindset(bot, "future")["blocks"]
    )


def test_export_future_writes_each_future_with_its_endorsements_and_actions(bot: RunningBot) -> None:
    clinics = add_group(bot, "Small clinics")
    card = future_service.propose(
        bot.deps, team_id=TEAM, user_id=OTHER, group_id=clinics, text="=A clinic onboards itself in a day", key="a"
    )
    future_service.endorse(bot.deps, team_id=TEAM, user_id=USER, future_id=card.id, endorse=True, key=None)
    future_service.confirm(bot.deps, team_id=TEAM, by=ADMIN, future_id=card.id, key=None)
    item, _ = action_service.create_action(
        bot.deps,
        action_service.NewAction(
            team_id=TEAM,
            title="Write the onboarding guide",
            owner_id=USER,
            created_by=USER,
            due_date=date.today() + timedelta(days=10),
            today=date.today(),
            idempotency_key="x",
            future_id=card.id,
        ),
    )
    out = io.StringIO()
    assert export(out, bot.deps.session_factory, kind="future", fmt="csv", since=None, team=TEAM) == {"futures": 1}
    header, row = out.getvalue().splitlines()
    assert header == ",".join(FUTURE_COLUMNS)
    assert "'=A clinic onboards itself in a day" in row  # a formula is neutralised
    assert f",{OTHER},1,{USER}," in row and row.endswith(f",{ADMIN},{item.id}")

    out = io.StringIO()
    export(out, bot.deps.session_factory, kind="future", fmt="json", since=None, team=TEAM)
    [record] = json.loads(out.getvalue())
    assert (record["customer_group"], record["endorsed_by"], record["actions"]) == ("Small clinics", [USER], [item.id])
    out = io.StringIO()
    counts = export(out, bot.deps.session_factory, kind="all", fmt="json", since=None, team=TEAM)
    assert counts["futures"] == 1
    everything = json.loads(out.getvalue())
    assert everything["futures"] == [record]
    assert everything["actions"][0]["future"] == card.id


# -- the renderers, as pure functions, within Slack's limits --------------------------------------------


def long_card(n: int, group_id: int, *, confirmed: bool = False) -> future_service.FutureCard:
    return future_service.FutureCard(
        id=n,
        group_id=group_id,
        group_name=f"Group & {group_id} " + "w" * 60,
        text="<!channel> & *bold* " + "x" * 480,
        author_id="W1",
        created_at=utc(2027, 1, 1),
        endorsements=n,
        endorsed_by_me=n % 2 == 0,
        confirmed=confirmed,
        confirmed_by="W2" if confirmed else None,
        confirmed_at=utc(2027, 1, 2) if confirmed else None,
        open_actions=n,
    )


@pytest.mark.parametrize("groups", [1, 7, 40])
def test_the_list_stays_within_a_message_and_names_the_groups_left_out(groups: int) -> None:
    from bot.render import futures as render
    from bot.services.futures import FutureBoard, GroupFutures
    from tests.test_render_limits import check_blocks, check_view

    board = FutureBoard(
        tuple(
            GroupFutures(
                g,
                f"Group & {g}",
                long_card(1000 + g, g, confirmed=True),
                tuple(long_card(g * 100 + n, g) for n in range(3)),
                20,
            )
            for g in range(1, groups + 1)
        )
    )
    blocks = render.board_blocks(board, notice="<@W1> &amp; more")
    check_blocks(blocks, max_blocks=50)
    shown = texts(blocks)
    assert "&lt;!channel&gt; &amp; \\*bold\\*" in shown or "&lt;!channel&gt; &amp; *bold*" in shown
    assert "<!channel>" not in shown
    if groups > 5:
        assert "No room here for every group: `/mindset future #group-" in shown
    one = FutureBoard((GroupFutures(1, "Clinics", None, tuple(long_card(n, 1) for n in range(20)), 20),))
    check_blocks(render.board_blocks(one, one_group=True), max_blocks=50)
    check_view(render.propose_modal([GroupOption(g, f"G{g}") for g in range(150)], metadata={"home": True}))
    check_view(render.proposed_view(long_card(1, 1)))
    home_blocks = render.home_blocks([long_card(n, n, confirmed=True) for n in range(12)], proposals=3)
    check_blocks(home_blocks, max_blocks=100)
    assert "…and 2 more in `/mindset future`." in texts(home_blocks)
