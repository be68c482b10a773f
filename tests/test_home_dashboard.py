"""The Home tab as a personal dashboard: open items with their buttons, the Success Index, recent entries,
the buttons to log and commit, and the workspace's habit health; redrawn after a change made from it.

The real app over HTTP, signed events and interactions, the fake Slack; SQLite and PostgreSQL. The
app's clock is held at Wednesday 10 February 2027, 10:00 UTC (2027-W06, in 2027 Q1); the data is
seeded through the services at known moments, so every line below is computed by hand.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest
from slack_sdk.models.views import View
from sqlalchemy import Engine

from bot import ids
from bot.deps import Deps
from bot.services import actions as action_service
from bot.services import entries as entry_service
from storage.models import ActionStatus, EntryKind
from tests.conftest import RunningBot, serve
from tests.engine_harness import SimClock, utc
from tests.fake_slack import FakeSlack
from tests.slack_requests import TEAM, deep, payload

ME, COLLEAGUE, STRANGER = "W222", "W333", "W444"
NOW = utc(2027, 2, 10, 10)
_events = itertools.count(1)


@dataclass
class Seeded:
    items: dict[str, int]


@pytest.fixture
def app(deps: Deps, engine: Engine, fake_slack: FakeSlack) -> Iterator[RunningBot]:
    timed = Deps(settings=deps.settings, session_factory=deps.session_factory, clock=SimClock(NOW))
    yield from serve(timed, engine, fake_slack)


@pytest.fixture
def seeded(app: RunningBot) -> Seeded:
    """Who did what, when (UTC):

    - 4 Jan (W01): ME commits to K1 (due 15 Jan) and K2 (due 29 Jan)
    - 14 Jan (W02): ME closes K1, on time
    - 2, 3, 4 Feb (W05): ME commits to H1 (due 20 Feb); COLLEAGUE to H2 (due 5 Mar) with ME involved;
      STRANGER to H3 (due 25 Feb)
    - 8, 9 Feb (W06): ME logs a proud and a sorry; COLLEAGUE a proud
    """
    clock = SimClock(NOW)
    deps = Deps(settings=app.deps.settings, session_factory=app.deps.session_factory, clock=clock)
    items: dict[str, int] = {}

    def commit(name: str, at: datetime, owner: str, due: date, title: str, involved: tuple[str, ...] = ()) -> None:
        clock.now = at
        card, _ = action_service.create_action(
            deps,
            action_service.NewAction(
                team_id=TEAM,
                title=title,
                owner_id=owner,
                created_by=owner,
                involved=involved,
                due_date=due,
                today=at.date(),
                idempotency_key=name,
            ),
        )
        items[name] = card.id

    def log(at: datetime, author: str, kind: EntryKind, text: str) -> None:
        clock.now = at
        entry_service.log_entry(
            deps,
            entry_service.NewEntry(
                team_id=TEAM, kind=kind, author_id=author, channel_id="C111", text=text, idempotency_key=str(at)
            ),
        )

    commit("K1", utc(2027, 1, 4, 9), ME, date(2027, 1, 15), "Send the clinic survey")
    commit("K2", utc(2027, 1, 4, 10), ME, date(2027, 1, 29), "Publish the refund policy")
    clock.now = utc(2027, 1, 14, 9)
    action_service.set_status(deps, team_id=TEAM, action_id=items["K1"], user_id=ME, status=ActionStatus.DONE)
    commit("H1", utc(2027, 2, 2, 9), ME, date(2027, 2, 20), "Call the clinic back")
    commit("H2", utc(2027, 2, 3, 9), COLLEAGUE, date(2027, 3, 5), "Fix the refund flow", involved=(ME,))
    commit("H3", utc(2027, 2, 4, 9), STRANGER, date(2027, 2, 25), "Someone else's promise")
    log(utc(2027, 2, 8, 9), ME, EntryKind.PROUD, "Called the clinic within the hour")
    log(utc(2027, 2, 9, 9), ME, EntryKind.SORRY, "Missed the refund <!channel> & <https://evil.example|x>")
    log(utc(2027, 2, 9, 10), COLLEAGUE, EntryKind.PROUD, "A colleague's win")
    return Seeded(items)


# -- helpers --------------------------------------------------------------------------------------


def open_home(app: RunningBot, user: str) -> dict[str, Any]:
    before = len(app.fake.calls_to("views.publish"))
    event = deep(payload("app_home_opened.home_tab.json"))
    event["event_id"] = f"EvDash{next(_events):05d}"
    event["event"].update(user=user, tab="home")
    assert app.slack.send_event(event).status == 200
    return published(app, before + 1, user)


def published(app: RunningBot, count: int, user: str) -> dict[str, Any]:
    call = app.fake.wait_for("views.publish", count)[count - 1]
    assert call.params["user_id"] == user
    view: dict[str, Any] = call.params["view"]
    assert view["type"] == "home"
    assert len(view["blocks"]) <= 100
    assert View(**view).to_dict() == view  # within every limit slack_sdk knows
    return view


def click_on_home(app: RunningBot, action_id: str, value: str, user: str = ME) -> dict[str, Any]:
    """A button clicked on the Home tab: the payload carries the Home view, not a message."""
    body = app.slack.block_action(action_id, value, user=user)
    body.pop("message", None)
    body["container"] = {"type": "view", "view_id": "VHOME"}
    body["view"] = {"id": "VHOME", "type": "home", "blocks": []}
    assert app.slack.send_interaction(body).status == 200
    return body


def texts(view: dict[str, Any]) -> list[str]:
    found = []
    for block in view["blocks"]:
        if isinstance(block.get("text"), dict):
            found.append(block["text"]["text"])
        for element in block.get("elements") or []:
            if isinstance(element.get("text"), str):
                found.append(element["text"])
    return found


def item_ids(view: dict[str, Any]) -> list[int]:
    """The items shown, in order (each item's card block is `action_<id>_card`)."""
    return [
        int(block["block_id"].split("_")[1])
        for block in view["blocks"]
        if str(block.get("block_id", "")).endswith("_card")
    ]


def item_card(view: dict[str, Any], item: int) -> str:
    [card] = [b["text"]["text"] for b in view["blocks"] if b.get("block_id") == f"action_{item}_card"]
    return card


def item_buttons(view: dict[str, Any], item: int) -> list[tuple[str, str]]:
    [block] = [b for b in view["blocks"] if b.get("block_id") == f"action_{item}_buttons"]
    return [(button["action_id"], button["value"]) for button in block["elements"]]


def item_of(app: RunningBot, item: int) -> action_service.ActionCard:
    card = action_service.get_card(app.deps, team_id=TEAM, action_id=item)
    assert card is not None
    return card


# -- the dashboard ---------------------------------------------------------------------------------


def test_opening_home_shows_my_dashboard(app: RunningBot, seeded: Seeded) -> None:
    view = open_home(app, ME)

    shown = texts(view)
    # the three buttons, up top
    top = next(block for block in view["blocks"] if block["type"] == "actions")
    assert [(b["action_id"], b["value"]) for b in top["elements"]] == [
        (ids.OPEN_PROUD_MODAL, "proud"),
        (ids.OPEN_SORRY_MODAL, "sorry"),
        (ids.OPEN_ACTION_MODAL, "action"),
    ]
    # my open items, owned or involved, soonest due first, each with its status buttons; K1 is closed
    k2, h1, h2 = seeded.items["K2"], seeded.items["H1"], seeded.items["H2"]
    assert "*Your open action items (3)*" in shown
    assert item_ids(view) == [k2, h1, h2]
    for item in (k2, h1, h2):
        assert item_buttons(view, item)[:3] == [
            (ids.ACTION_DONE, f"{item}:open"),
            (ids.ACTION_ON_TRACK, f"{item}:open"),
            (ids.ACTION_AT_RISK, f"{item}:open"),
        ]
    assert "12 days overdue" in item_card(view, k2)
    assert "owner <@W333>" in item_card(view, h2) and "_With:_ <@W222>" in item_card(view, h2)
    # my Success Index for the quarter so far: K1 kept, K2 missed (due 29 January, still open)
    assert (
        ":bar_chart: *Your Success Index, 2027 Q1 so far (to 10 February)*\n"
        "• Short term: *1 of 2 (50%)*\n• Long term: *n/a*\n• All: *1 of 2 (50%)*"
    ) in shown
    # my recent entries, newest first, escaped; nobody else's
    entries = [text for text in shown if " in <#C111>: " in text]
    assert entries == [
        ":pray: *Sorry* in <#C111>: Missed the refund &lt;!channel&gt; &amp; &lt;https://evil.example|x&gt;"
        "\n_No root cause yet._",
        ":tada: *Proud* in <#C111>: Called the clinic within the hour",
    ]
    # the workspace's habit: W01 ME; W02 ME; W05 ME, COLLEAGUE, STRANGER; W06 ME, COLLEAGUE
    assert ("*Habit health* of the workspace, people taking part over 12 weeks: `▁▁▁▁▁▁▃▃▁▁█▆` (2 this week)") in shown
    everything = str(view)
    for other in ("Someone else's promise", "A colleague's win", "Send the clinic survey", "<!channel>"):
        assert other not in everything, other


def test_another_persons_items_never_appear(app: RunningBot, seeded: Seeded) -> None:
    stranger = open_home(app, STRANGER)
    colleague = open_home(app, COLLEAGUE)

    assert item_ids(stranger) == [seeded.items["H3"]]
    assert "*Your open action items (1)*" in texts(stranger)
    assert "Nothing yet: try `/proud` in any channel." in texts(stranger)
    assert item_ids(colleague) == [seeded.items["H2"]]  # owned by the colleague, ME only involved
    for view in (stranger, colleague):
        assert "Call the clinic back" not in str(view) and "Called the clinic within the hour" not in str(view)
    # someone with nothing at all still gets the buttons and the workspace's habit health
    newcomer = open_home(app, "W555")
    assert item_ids(newcomer) == []
    assert "Nothing open. Commit to the next step for a customer with `/action`." in texts(newcomer)
    assert any(text.startswith("*Habit health*") and "(2 this week)" in text for text in texts(newcomer))


def test_a_status_clicked_on_home_changes_the_item_and_redraws_home(app: RunningBot, seeded: Seeded) -> None:
    h1, k2 = seeded.items["H1"], seeded.items["K2"]
    open_home(app, ME)

    click_on_home(app, ids.ACTION_ON_TRACK, str(h1))
    view = published(app, 2, ME)
    assert item_of(app, h1).status is ActionStatus.ON_TRACK
    assert "On track · owner <@W222>" in item_card(view, h1)

    click_on_home(app, ids.ACTION_DONE, str(k2))
    view = published(app, 3, ME)
    assert item_of(app, k2).status is ActionStatus.DONE
    assert item_ids(view) == [h1, seeded.items["H2"]]  # done: no longer open
    assert "*Your open action items (2)*" in texts(view)
    # done today, 12 days after the date promised: still not kept
    assert any("• All: *1 of 2 (50%)*" in text for text in texts(view))
    assert app.fake.calls_to("chat.postMessage") == []


def test_a_proud_logged_from_home_redraws_home(app: RunningBot, seeded: Seeded) -> None:
    open_home(app, ME)

    click_on_home(app, ids.OPEN_PROUD_MODAL, "proud")
    [opened] = app.fake.wait_for("views.open")
    form = opened.params["view"]
    assert form["callback_id"] == ids.ENTRY_MODAL
    values = {
        ids.ENTRY_TEXT_BLOCK: {ids.ENTRY_TEXT_INPUT: {"type": "plain_text_input", "value": "Refunded the lab today"}},
        ids.ENTRY_GROUPS_BLOCK: {ids.ENTRY_GROUPS_INPUT: {"type": "multi_static_select", "selected_options": []}},
        ids.ENTRY_AREA_BLOCK: {ids.ENTRY_AREA_INPUT: {"type": "static_select", "selected_option": None}},
        ids.ENTRY_CHANNEL_BLOCK: {
            ids.ENTRY_CHANNEL_INPUT: {"type": "conversations_select", "selected_conversation": "C0WINS"}
        },
    }
    submitted = app.slack.send_interaction(app.slack.view_submission(form, values, view_id="VFORM1", user=ME))
    assert submitted.status == 200

    view = published(app, 2, ME)
    entries = [text for text in texts(view) if " in <#" in text]
    assert entries[0] == ":tada: *Proud* in <#C0WINS>: Refunded the lab today"
    assert len(entries) == 3
    [post] = app.fake.wait_for("chat.postMessage")
    assert post.params["channel"] == "C0WINS"
