"""The Home tab: opening it publishes buttons to log a proud or a sorry and the person's recent entries.

Events arrive signed over HTTP at the real app, which publishes through the fake Slack.
"""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from bot import ids
from bot.app import build_app
from bot.deps import Deps
from bot.services import entries as entry_service
from storage.models import EntryKind
from tests import conftest
from tests.conftest import RunningBot, serve
from tests.engine_harness import SimClock, utc
from tests.fake_slack import Call, FakeSlack
from tests.slack_requests import CHANNEL, TEAM, deep, payload
from tests.waiting import eventually

OPENER = payload("app_home_opened.home_tab.json")["event"]["user"]  # W222
OTHER_TEAM = "T999"
_event_ids = itertools.count(1)


def home_opened(user: str = OPENER, *, tab: str = "home", team: str = TEAM) -> dict[str, Any]:
    """An app_home_opened event with a fresh event_id."""
    event = deep(payload("app_home_opened.home_tab.json"))
    event["event_id"] = f"EvHome{next(_event_ids):05d}"
    event["team_id"] = team
    event["event"].update(user=user, tab=tab)
    return event


@pytest.fixture
def one_worker_bot(
    deps: Deps, engine: Engine, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> Iterator[RunningBot]:
    """One background worker: jobs run one after another, so a marker's effect means earlier jobs are done."""
    monkeypatch.setattr(conftest, "build_app", functools.partial(build_app, background_workers=1))
    yield from serve(deps, engine, fake_slack)


def publishes(bot: RunningBot) -> list[Call]:
    return bot.fake.calls_to("views.publish")


def published_to(bot: RunningBot, user: str) -> list[dict[str, Any]]:
    return [call.params["view"] for call in publishes(bot) if call.params.get("user_id") == user]


def marker(bot: RunningBot) -> None:
    """Someone else opens their Home tab; once theirs is published, every earlier job has run."""
    assert bot.slack.send_event(home_opened("WMARKER")).status == 200
    eventually(lambda: published_to(bot, "WMARKER"))


def section_texts(view: dict[str, Any]) -> list[str]:
    return [block["text"]["text"] for block in view["blocks"] if block["type"] == "section"]


def buttons(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [element for block in view["blocks"] if block["type"] == "actions" for element in block["elements"]]


LOG_BUTTONS = {(ids.OPEN_PROUD_MODAL, "proud"), (ids.OPEN_SORRY_MODAL, "sorry")}


def log_buttons(view: dict[str, Any]) -> list[dict[str, Any]]:
    """The buttons that log a proud or a sorry (the Home tab may offer more)."""
    found = [b for b in buttons(view) if (b.get("action_id"), b.get("value")) in LOG_BUTTONS]
    assert {(b["action_id"], b["value"]) for b in found} == LOG_BUTTONS, buttons(view)
    assert len(found) == 2, "a log button is shown twice"
    return found


def seed(bot: RunningBot, author: str, texts: list[tuple[EntryKind, str]], *, team: str = TEAM) -> None:
    """Entries one hour apart, in the order given (so the last is the newest)."""
    clock = SimClock(utc(2026, 5, 4, 9))
    timed = Deps(settings=bot.deps.settings, session_factory=bot.deps.session_factory, clock=clock)
    for n, (kind, text) in enumerate(texts):
        clock.now = utc(2026, 5, 4, 9) + timedelta(hours=n)
        entry_service.log_entry(
            timed,
            entry_service.NewEntry(
                team_id=team,
                kind=kind,
                author_id=author,
                channel_id=CHANNEL,
                text=text,
                idempotency_key=f"seed:{team}:{author}:{n}",
            ),
        )


def test_home_opened_publishes_buttons_and_the_openers_recent_entries(bot: RunningBot) -> None:
    seed(
        bot,
        OPENER,
        [
            (EntryKind.PROUD, "Called the clinic back within the hour"),
            (EntryKind.SORRY, "Ping <!channel> & <https://evil.example|click here> now"),
        ],
    )
    seed(bot, "WSOMEONE", [(EntryKind.PROUD, "Someone else's win")])
    seed(bot, OPENER, [(EntryKind.PROUD, "Same person id, another workspace")], team=OTHER_TEAM)

    answer = bot.slack.send_event(home_opened())

    assert answer.status == 200
    [call] = bot.fake.wait_for("views.publish")
    assert call.params["user_id"] == OPENER
    view = call.params["view"]
    assert view["type"] == "home"
    assert all(b["value"] in b["text"]["text"].lower() for b in log_buttons(view))
    texts = section_texts(view)
    shown = "\n".join(texts)
    # newest first, only the opener's, only this workspace's
    entry_lines = [text for text in texts if "in <#" in text]
    assert len(entry_lines) == 2
    assert "Ping" in entry_lines[0] and "Called the clinic back" in entry_lines[1]
    assert f"<#{CHANNEL}>" in entry_lines[0]
    assert "Someone else's win" not in shown
    assert "another workspace" not in shown
    # the sorry without a root cause says so
    assert "No root cause yet" in entry_lines[0]
    assert "No root cause yet" not in entry_lines[1]
    # user text is escaped: no @channel ping, no forged link
    everything = json.dumps(view)
    assert "<!channel>" not in everything
    assert "<https://evil.example" not in everything
    assert "&lt;!channel&gt; &amp; &lt;https://evil.example|click here&gt;" in entry_lines[0]


def test_home_of_someone_with_no_entries_says_how_to_start(bot: RunningBot) -> None:
    assert bot.slack.send_event(home_opened("WNEW")).status == 200

    [call] = bot.fake.wait_for("views.publish")
    view = call.params["view"]
    assert call.params["user_id"] == "WNEW"
    log_buttons(view)
    assert "/proud" in json.dumps(view)
    assert not [text for text in section_texts(view) if "in <#" in text]


def test_home_lists_a_bounded_number_of_the_newest_entries(bot: RunningBot) -> None:
    seed(bot, OPENER, [(EntryKind.PROUD, f"Win number {n:02d}") for n in range(30)])

    assert bot.slack.send_event(home_opened()).status == 200

    [call] = bot.fake.wait_for("views.publish")
    view = call.params["view"]
    shown = [text for text in section_texts(view) if "Win number" in text]
    newest_first = [f"Win number {n:02d}" for n in range(29, -1, -1)]
    assert shown, "no entries listed"
    assert [next(t for t in newest_first if t in line) for line in shown] == newest_first[: len(shown)]
    assert len(shown) < 30
    assert len(view["blocks"]) <= 100  # Slack refuses a Home view with more blocks


def test_home_buttons_open_the_entry_form_of_their_kind(bot: RunningBot) -> None:
    assert bot.slack.send_event(home_opened(user="W111")).status == 200
    [call] = bot.fake.wait_for("views.publish")

    for n, button in enumerate(sorted(log_buttons(call.params["view"]), key=lambda b: b["value"]), start=1):
        click = bot.slack.block_action(button["action_id"], button["value"], user="W111")
        assert bot.slack.send_interaction(click).status == 200
        opened = bot.fake.wait_for("views.open", n)[-1]
        form = opened.params["view"]
        assert opened.params["trigger_id"] == click["trigger_id"]
        assert form["callback_id"] == ids.ENTRY_MODAL
        assert json.loads(form["private_metadata"])["kind"] == button["value"]
        assert button["value"] in form["title"]["text"]


def test_messages_tab_opened_publishes_nothing(one_worker_bot: RunningBot) -> None:
    bot = one_worker_bot

    assert bot.slack.send_event(home_opened(tab="messages")).status == 200
    marker(bot)

    assert [call.params["user_id"] for call in publishes(bot)] == ["WMARKER"]


def test_redelivered_home_event_publishes_once(one_worker_bot: RunningBot) -> None:
    bot = one_worker_bot
    event = home_opened()

    assert bot.slack.send_event(event).status == 200
    bot.fake.wait_for("views.publish")
    # Slack did not see the answer in time: the very same event (same event_id), twice more
    assert bot.slack.send_event(event, retry_num=1).status == 200
    assert bot.slack.send_event(event, retry_num=2).status == 200
    marker(bot)

    assert [call.params["user_id"] for call in publishes(bot)] == [OPENER, "WMARKER"]
    # a genuinely new opening (a new event_id) is published again
    assert bot.slack.send_event(home_opened()).status == 200
    eventually(lambda: len(published_to(bot, OPENER)) == 2)
