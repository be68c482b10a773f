"""Workspaces are sealed from each other: a request from one workspace naming another's rows changes nothing.

The app serves many workspaces (tests/test_oauth.py's `oauth_bot`); T111 and T999 both installed it
through the OAuth flow. For each interactive surface that carries an id (a button's value, a menu
option, a modal's private_metadata) a crafted, correctly signed request comes from T999, by a user
whose id is the very id of T111's owner (so only the workspace can tell them apart), naming T111's
rows. Each is refused with a clear message or a field error (never a failure), and a snapshot of
every T111 row in every table is the same before and after. Also: T111's export and digest never
carry T999's rows.
"""

from __future__ import annotations

import json
import logging
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from bot import ids
from bot.deps import Deps
from bot.meetings.schedule import Repeat
from bot.services import actions as action_service
from bot.services import entries as entry_service
from bot.services import groups as group_service
from bot.services import meetings as meeting_service
from bot.services import questions as question_service
from bot.services.actions import NOT_FOUND as ITEM_NOT_FOUND
from bot.services.meetings import NOT_FOUND as MEETING_NOT_FOUND
from storage.db import make_session_factory
from storage.models import ActionItem, ActionSource, Channel, EntryKind, MeetingAnswer, PromptTarget
from tests.conftest import make_settings
from tests.engine_harness import SimClock
from tests.slack_requests import Answer
from tests.test_cli import _script as mindset_bot_script
from tests.test_cli import clean_env, no_traceback, plain_pg_url
from tests.test_oauth import OAuthBot, oauth_bot  # noqa: F401 - a fixture
from tests.test_uninstall import team_row_dicts
from tests.waiting import eventually

TEAM, INTRUDER_TEAM = "T111", "T999"
OWNER = "W111"  # owns T111's rows; the intruder in T999 has the same user id
COLLEAGUE = "W222"
SORRY_GONE = "I could not find that sorry any more."


# -- T111's rows ------------------------------------------------------------------------------------


@dataclass
class Rows:
    group: int
    sorry: int
    proud: int
    item: int
    meeting: int
    prompt: int
    answer: int
    question: int


def next_tuesday() -> date:
    today = datetime.now(UTC).date()
    return today + timedelta(days=(1 - today.weekday()) % 7 or 7)


def fill_team(deps: Deps) -> Rows:
    group = group_service.add_group(deps, team_id=TEAM, name="Small clinics", by=OWNER)

    def log(kind: EntryKind, text: str, ts: str) -> int:
        new = entry_service.NewEntry(
            team_id=TEAM, kind=kind, author_id=OWNER, channel_id="C111", text=text, idempotency_key=f"k:{text}"
        )
        card = entry_service.log_entry(deps, new).card
        entry_service.record_post(deps, team_id=TEAM, entry_id=card.id, message_ts=ts)
        return card.id

    sorry = log(EntryKind.SORRY, "Refunds took two weeks", "1700000000.500001")
    proud = log(EntryKind.PROUD, "Called the clinic back", "1700000000.500002")
    item, _ = action_service.create_action(
        deps,
        action_service.NewAction(
            team_id=TEAM,
            title="Call the three clinics",
            owner_id=OWNER,
            created_by=OWNER,
            involved=(COLLEAGUE,),
            due_date=datetime.now(UTC).date() + timedelta(days=30),
            today=datetime.now(UTC).date(),
            idempotency_key="k:item",
            group_ids=(group.id,),
            source=ActionSource.SORRY,
            source_entry_id=sorry,
        ),
    )
    form = meeting_service.MeetingForm(
        title="Tuesday planning",
        channel_id="C111",
        owner_id=OWNER,
        repeat=Repeat.WEEKLY,
        start=next_tuesday(),
        weekdays=frozenset({2}),
        at=time(10, 0),
        tz="UTC",
        lead_minutes=10,
        prompt_to=PromptTarget.OWNER,
    )
    meeting = meeting_service.register(deps, team_id=TEAM, user_id=OWNER, form=form, key="k:meeting")
    prompt = meeting_service.start_prompt_now(
        deps, team_id=TEAM, user_id=OWNER, channel_id="C111", title="Sprint review", key="k:prompt"
    )
    meeting_service.record_sent_now(deps, team_id=TEAM, prompt_id=prompt.id, channel="C111", ts="1700000000.500003")
    meeting_service.save_answers(
        deps, team_id=TEAM, prompt_id=prompt.id, user_id=OWNER, texts={f"group:{group.id}": "Faster callbacks"}
    )
    question = question_service.add_question(deps, team_id=TEAM, user_id=OWNER, text="Which clinic do we call first?")
    with deps.session_factory() as session:
        [answer] = session.scalars(select(MeetingAnswer.id).where(MeetingAnswer.prompt_id == prompt.id)).all()
    return Rows(group.id, sorry, proud, item.id, meeting.id, prompt.id, answer, question.id)


@dataclass
class Sealed:
    bot: OAuthBot
    rows: Rows
    tokens: dict[str, str]

    def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        return team_row_dicts(self.bot.engine, TEAM)


@pytest.fixture
def sealed(oauth_bot: OAuthBot, caplog: pytest.LogCaptureFixture) -> Sealed:  # noqa: F811 - imported fixture
    tokens = {team: oauth_bot.install(team) for team in (TEAM, INTRUDER_TEAM)}
    rows = fill_team(oauth_bot.deps)
    group_service.add_group(oauth_bot.deps, team_id=INTRUDER_TEAM, name="Their own group", by=OWNER)
    # the intruder owns their own workspace, so may change its settings: still not another workspace's rows
    oauth_bot.fake.add_user(OWNER, role="owner")
    caplog.set_level(logging.ERROR)
    return Sealed(oauth_bot, rows, tokens)


# -- the crafted requests ---------------------------------------------------------------------------------


def text_input(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def as_intruder(body: dict[str, Any]) -> dict[str, Any]:
    """From T999, whose installation is a plain workspace's (no Enterprise Grid org)."""
    body["team"].update(id=INTRUDER_TEAM, enterprise_id=None, enterprise_name=None)
    body["user"].update(id=OWNER, team_id=INTRUDER_TEAM)
    if "channel" in body:
        body["channel"]["id"] = "C999"
    if "container" in body and "channel_id" in body["container"]:
        body["container"]["channel_id"] = "C999"
    if isinstance(body.get("view"), dict) and body["type"] == "view_submission":  # a modal T999's app opened
        body["view"].update(team_id=INTRUDER_TEAM, app_installed_team_id=INTRUDER_TEAM)
    return body


@dataclass(frozen=True)
class Click:
    """A button (or menu option) clicked in a message in T999, naming a T111 row."""

    action_id: str
    value: Callable[[Rows], str]
    told: str  # the refusal, as the person is told it (in the message's thread of responses)
    on_home: bool = False
    menu: bool = False


@dataclass(frozen=True)
class Submit:
    """A modal submitted in T999 whose private_metadata names a T111 row."""

    callback_id: str
    metadata: Callable[[Rows], dict[str, Any]]
    values: Callable[[Rows], dict[str, Any]]
    error_block: str
    told: str


def action_form_values(rows: Rows) -> dict[str, Any]:
    due = (datetime.now(UTC).date() + timedelta(days=10)).isoformat()
    return {
        ids.ACTION_TITLE_BLOCK: {ids.ACTION_TITLE_INPUT: text_input("Our own follow-up")},
        ids.ACTION_DUE_BLOCK: {ids.ACTION_DUE_INPUT: {"type": "datepicker", "selected_date": due}},
        ids.ACTION_GROUPS_BLOCK: {
            ids.ACTION_GROUPS_INPUT: {"type": "multi_static_select", "selected_options": [{"value": str(rows.group)}]}
        },
    }


def meeting_form_values(rows: Rows) -> dict[str, Any]:
    return {
        ids.MEETING_TITLE_BLOCK: {ids.MEETING_TITLE_INPUT: text_input("Taken over")},
        ids.MEETING_OWNER_BLOCK: {ids.MEETING_OWNER_INPUT: {"type": "users_select", "selected_user": OWNER}},
        ids.MEETING_REPEAT_BLOCK: {
            ids.MEETING_REPEAT_INPUT: {"type": "static_select", "selected_option": {"value": "weekly"}}
        },
        ids.MEETING_DATE_BLOCK: {
            ids.MEETING_DATE_INPUT: {"type": "datepicker", "selected_date": next_tuesday().isoformat()}
        },
        ids.MEETING_WEEKDAYS_BLOCK: {
            ids.MEETING_WEEKDAYS_INPUT: {"type": "checkboxes", "selected_options": [{"value": "2"}]}
        },
        ids.MEETING_TIME_BLOCK: {ids.MEETING_TIME_INPUT: {"type": "timepicker", "selected_time": "11:00"}},
        ids.MEETING_TZ_BLOCK: {ids.MEETING_TZ_INPUT: text_input("UTC")},
        ids.MEETING_LEAD_BLOCK: {ids.MEETING_LEAD_INPUT: {"type": "static_select", "selected_option": {"value": "10"}}},
        ids.MEETING_TARGET_BLOCK: {
            ids.MEETING_TARGET_INPUT: {"type": "radio_buttons", "selected_option": {"value": "owner"}}
        },
    }


def item(rows: Rows) -> str:
    return str(rows.item)


CLICKS = {
    "root cause button": Click(ids.ADD_ROOT_CAUSE, lambda r: str(r.sorry), SORRY_GONE),
    "create action from sorry": Click(ids.CREATE_ACTION_FROM_SORRY, lambda r: str(r.sorry), SORRY_GONE),
    **{
        f"item button {button}": Click(button, item, ITEM_NOT_FOUND)
        for button in (*ids.ACTION_STATUS_BUTTONS, *ids.ACTION_FORM_BUTTONS)
    },
    "meeting answer button": Click(
        ids.MEETING_ANSWER, lambda r: str(r.prompt), "I could not find that question any more."
    ),
    "make it an action": Click(
        ids.MEETING_ANSWER_TO_ACTION, lambda r: str(r.answer), "I could not find that answer any more"
    ),
    **{
        f"meeting list {button}": Click(button, lambda r: str(r.meeting), MEETING_NOT_FOUND)
        for button in (*ids.MEETING_LIST_BUTTONS, ids.MEETING_EDIT)
    },
    "question retire": Click(ids.QUESTION_RETIRE, lambda r: str(r.question), "That question was already gone."),
    "group rename": Click(
        ids.GROUP_MENU, lambda r: f"{ids.GROUP_MENU_RENAME}:{r.group}", "That group no longer exists.", menu=True
    ),
    "group archive": Click(
        ids.GROUP_MENU, lambda r: f"{ids.GROUP_MENU_ARCHIVE}:{r.group}", "That group no longer exists.", menu=True
    ),
    "entry delete menu": Click(
        ids.ENTRY_MENU, lambda r: f"{ids.ENTRY_MENU_DELETE}:{r.proud}", "no longer exists", menu=True
    ),
    **{
        f"home {button}": Click(button, item, ITEM_NOT_FOUND, on_home=True)
        for button in (ids.ACTION_DONE, ids.ACTION_NOTE)
    },
}

SUBMITS = {
    "root cause modal": Submit(
        ids.ROOT_CAUSE_MODAL,
        lambda r: {"entry_id": r.sorry},
        lambda r: {ids.ROOT_CAUSE_BLOCK: {ids.ROOT_CAUSE_INPUT: text_input("Because of them")}},
        ids.ROOT_CAUSE_BLOCK,
        "This sorry could not be found any more.",
    ),
    "note form": Submit(
        ids.ACTION_NOTE_MODAL,
        lambda r: {"action_id": r.item},
        lambda r: {ids.ACTION_NOTE_BLOCK: {ids.ACTION_NOTE_INPUT: text_input("Not yours")}},
        ids.ACTION_NOTE_BLOCK,
        ITEM_NOT_FOUND,
    ),
    "move form": Submit(
        ids.ACTION_MOVE_MODAL,
        lambda r: {"action_id": r.item},
        lambda r: {
            ids.ACTION_DUE_BLOCK: {
                ids.ACTION_DUE_INPUT: {
                    "type": "datepicker",
                    "selected_date": (datetime.now(UTC).date() + timedelta(days=60)).isoformat(),
                }
            },
            ids.ACTION_NOTE_BLOCK: {ids.ACTION_NOTE_INPUT: text_input("Later")},
        },
        ids.ACTION_DUE_BLOCK,
        ITEM_NOT_FOUND,
    ),
    "hand over form": Submit(
        ids.ACTION_HAND_OVER_MODAL,
        lambda r: {"action_id": r.item},
        lambda r: {ids.ACTION_OWNER_BLOCK: {ids.ACTION_OWNER_INPUT: {"type": "users_select", "selected_user": "W9"}}},
        ids.ACTION_OWNER_BLOCK,
        ITEM_NOT_FOUND,
    ),
    "drop form": Submit(
        ids.ACTION_DROP_MODAL,
        lambda r: {"action_id": r.item},
        lambda r: {ids.ACTION_REASON_BLOCK: {ids.ACTION_REASON_INPUT: text_input("Not needed")}},
        ids.ACTION_REASON_BLOCK,
        ITEM_NOT_FOUND,
    ),
    "meeting answer modal": Submit(
        ids.MEETING_ANSWER_MODAL,
        lambda r: {"prompt_id": r.prompt},
        lambda r: {f"{ids.ANSWER_BLOCK_PREFIX}team": {ids.ANSWER_INPUT: text_input("Overwritten")}},
        f"{ids.ANSWER_BLOCK_PREFIX}team",
        "That prompt no longer exists.",
    ),
    "meeting edit form": Submit(
        ids.MEETING_MODAL,
        lambda r: {"meeting_id": r.meeting},
        meeting_form_values,
        ids.MEETING_TITLE_BLOCK,
        MEETING_NOT_FOUND,
    ),
    "group rename modal": Submit(
        ids.GROUP_RENAME_MODAL,
        lambda r: {"group_id": r.group},
        lambda r: {ids.GROUP_NAME_BLOCK: {ids.GROUP_NAME_INPUT: text_input("Renamed by them")}},
        ids.GROUP_NAME_BLOCK,
        "That group no longer exists",
    ),
}


def surfaces() -> list[Any]:
    return [*CLICKS, *SUBMITS]


def send_click(sealed: Sealed, click: Click) -> Answer:
    slack = sealed.bot.slack
    value = click.value(sealed.rows)
    if click.menu:
        option = {"text": {"type": "plain_text", "text": "Do it"}, "value": value}
        body = slack.block_action(click.action_id, "", selected_option=option)
    else:
        body = slack.block_action(click.action_id, value)
    body["message"] = {"type": "message", "ts": "1700000000.999999", "text": "their message", "blocks": []}
    body["container"].update(message_ts="1700000000.999999", is_ephemeral=False)
    if click.on_home:  # what Slack sends for a button on the Home tab: the view, and no response_url
        body.pop("message")
        body.pop("response_url")
        body["container"] = {"type": "view", "view_id": "VHOME"}
        body["view"] = {"id": "VHOME", "type": "home", "blocks": []}
    return slack.send_interaction(as_intruder(body))


def send_submit(sealed: Sealed, submit: Submit) -> Answer:
    view = {
        "callback_id": submit.callback_id,
        "private_metadata": json.dumps(submit.metadata(sealed.rows)),
        "blocks": [],
    }
    body = sealed.bot.slack.view_submission(view, submit.values(sealed.rows), view_id="VINTRUDER")
    return sealed.bot.slack.send_interaction(as_intruder(body))


def told_to_intruder(sealed: Sealed) -> str:
    """What the intruder was told (text and blocks): a response to their click, or a message to them."""
    fake = sealed.bot.fake
    said = fake.calls_to("response_url:action") + [
        call for call in fake.calls if call.method in ("chat.postEphemeral", "chat.postMessage", "views.publish")
    ]
    return json.dumps([call.params for call in said], ensure_ascii=False)


def settle(sealed: Sealed) -> None:
    """Wait until the background work of the crafted request is done: a later request's is done after it."""
    before = len(sealed.bot.fake.calls_to("response_url:settle"))
    body = sealed.bot.slack.block_action(ids.ACTION_DONE, "0")
    body["response_url"] = sealed.bot.fake.response_url("settle")
    sealed.bot.slack.send_interaction(as_intruder(body))
    sealed.bot.fake.wait_for("response_url:settle", before + 1)


@pytest.mark.parametrize("surface", surfaces())
def test_another_workspace_cannot_touch_these_rows(
    sealed: Sealed, surface: str, caplog: pytest.LogCaptureFixture
) -> None:
    before = sealed.snapshot()
    sealed.bot.fake.reset()

    if surface in CLICKS:
        click = CLICKS[surface]
        answer = send_click(sealed, click)
        assert (answer.status, answer.text) == (200, ""), answer.text
        told = eventually(lambda: told_to_intruder(sealed) if click.told in told_to_intruder(sealed) else "", timeout=5)
        assert "went wrong" not in told, told
        settle(sealed)
        assert sealed.bot.fake.calls_to("views.open") == []  # no form about someone else's row
    else:
        submit = SUBMITS[surface]
        answer = send_submit(sealed, submit)
        assert answer.status == 200, answer.text
        assert answer.json["response_action"] == "errors", answer.text
        [(block, message)] = answer.json["errors"].items()
        assert (block, submit.told in message) == (submit.error_block, True), message
        settle(sealed)

    assert sealed.snapshot() == before
    # whatever the app did in Slack, it did in T999's workspace, with T999's token
    used = {call.token for call in sealed.bot.fake.calls if not call.method.startswith("response_url:")}
    assert used <= {sealed.tokens[INTRUDER_TEAM]}
    failures = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert failures == []


def test_a_new_item_cannot_link_to_another_workspaces_sorry_answer_or_groups(sealed: Sealed) -> None:
    """The new-item form is T999's to submit, but the links in its metadata to T111's rows are dropped."""
    before = sealed.snapshot()
    for n, metadata in enumerate(
        [
            {"source": ActionSource.SORRY.value, "entry_id": sealed.rows.sorry},
            {"source": ActionSource.MEETING.value, "answer_id": sealed.rows.answer},
        ]
    ):
        view = {"callback_id": ids.ACTION_MODAL, "private_metadata": json.dumps(metadata), "blocks": []}
        body = sealed.bot.slack.view_submission(view, action_form_values(sealed.rows), view_id=f"VNEW{n}")
        answer = sealed.bot.slack.send_interaction(as_intruder(body))
        assert answer.status == 200 and answer.json["response_action"] == "update", answer.text

    with sealed.bot.deps.session_factory() as session:
        made = session.scalars(select(ActionItem).where(ActionItem.team_id == INTRUDER_TEAM)).all()
        assert [(i.source, i.source_entry_id, i.source_answer_id, i.groups) for i in made] == [
            ("manual", None, None, []),
            ("manual", None, None, []),
        ]
    settle(sealed)
    assert sealed.snapshot() == before
    assert sealed.bot.fake.calls_to("chat.update") == []  # T111's sorry message was not redrawn


@pytest.mark.parametrize("button", [ids.OPEN_ACTION_MODAL, ids.OPEN_PROUD_MODAL])
def test_forms_opened_in_one_workspace_offer_only_its_own_customer_groups(sealed: Sealed, button: str) -> None:
    body = sealed.bot.slack.block_action(button, "proud")
    body["view"] = {"id": "VHOME", "type": "home", "blocks": []}
    sealed.bot.slack.send_interaction(as_intruder(body))

    [opened] = sealed.bot.fake.wait_for("views.open")
    offered = [
        option["text"]["text"]
        for block in opened.params["view"]["blocks"]
        for option in (block.get("element") or {}).get("options") or []
        if block.get("block_id") in (ids.ACTION_GROUPS_BLOCK, ids.ENTRY_GROUPS_BLOCK)
    ]
    assert offered == ["Their own group"]
    assert opened.token == sealed.tokens[INTRUDER_TEAM]


# -- the export and the digest of one workspace ------------------------------------------------------------

WEEK_START = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # Monday of 2026-W10


def fill_week(engine: Engine) -> None:
    """One week of two workspaces: what T111 wrote and what T999 wrote, all in public channels."""
    clock = SimClock(WEEK_START + timedelta(days=1, hours=9))
    deps = Deps(
        settings=make_settings(database_url=str(engine.url)), session_factory=make_session_factory(engine), clock=clock
    )
    written = [
        (TEAM, EntryKind.PROUD, "W111", "T111 proud: called the clinic back"),
        (TEAM, EntryKind.SORRY, "W222", "T111 sorry: refunds were slow"),
        (INTRUDER_TEAM, EntryKind.PROUD, "W901", "T999 proud: secret merger call"),
        (INTRUDER_TEAM, EntryKind.PROUD, "W902", "T999 proud: private pricing"),
        (INTRUDER_TEAM, EntryKind.SORRY, "W903", "T999 sorry: lost the key account"),
    ]
    for n, (team, kind, author, text) in enumerate(written):
        clock.now += timedelta(minutes=5)
        new = entry_service.NewEntry(
            team_id=team, kind=kind, author_id=author, channel_id=f"C{team}", text=text, idempotency_key=f"w:{n}"
        )
        entry_service.log_entry(deps, new)
    for team in (TEAM, INTRUDER_TEAM):
        action_service.create_action(
            deps,
            action_service.NewAction(
                team_id=team,
                title=f"{team} item: follow up",
                owner_id="W111" if team == TEAM else "W901",
                created_by="W111" if team == TEAM else "W901",
                due_date=date(2026, 3, 20),
                today=clock.now.date(),
                idempotency_key=f"w:item:{team}",
            ),
        )
        prompt = meeting_service.start_prompt_now(
            deps, team_id=team, user_id="W111", channel_id=f"C{team}", title=f"{team} review", key=f"w:p:{team}"
        )
        meeting_service.save_answers(
            deps, team_id=team, prompt_id=prompt.id, user_id="W111", texts={"team": f"{team} answer: be faster"}
        )
    with deps.session_factory() as session:
        session.add_all(
            Channel(team_id=team, channel_id=f"C{team}", is_private=False, checked_at=clock.now)
            for team in (TEAM, INTRUDER_TEAM)
        )
        session.commit()


def console(engine: Engine, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    url = plain_pg_url(engine.url.render_as_string(hide_password=False))
    result = subprocess.run(
        [mindset_bot_script(), *args],
        cwd=tmp_path,
        env=clean_env(DATABASE_URL=url),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    no_traceback(result)
    return result


def test_a_workspaces_export_holds_only_its_own_rows(engine: Engine, tmp_path: Path) -> None:
    fill_week(engine)

    everything = json.loads(
        console(engine, tmp_path, "export", "--team", TEAM, "--kind", "all", "--format", "json").stdout
    )

    assert sorted(e["text"] for e in everything["entries"]) == [
        "T111 proud: called the clinic back",
        "T111 sorry: refunds were slow",
    ]
    assert [a["title"] for a in everything["actions"]] == ["T111 item: follow up"]
    assert [m["text"] for m in everything["meeting_answers"]] == ["T111 answer: be faster"]
    records = [*everything["entries"], *everything["actions"], *everything["meeting_answers"]]
    assert {record["team"] for record in records} == {TEAM}
    csv_out = console(engine, tmp_path, "export", "--team", TEAM).stdout
    assert "T999" not in csv_out and "T111 proud: called the clinic back" in csv_out


def test_a_workspaces_digest_holds_only_its_own_rows(engine: Engine, tmp_path: Path) -> None:
    fill_week(engine)

    text = console(engine, tmp_path, "digest", "--team", TEAM, "--week", "2026-W10").stdout

    assert "T111 proud: called the clinic back" in text  # quoted: a public channel of T111
    assert "T999" not in text
    for name in ("W901", "W902", "W903"):
        assert name not in text
    lines = text.splitlines()
    assert any(line.startswith("Prouds: 1 (") for line in lines), text
    assert any(line.startswith("Sorries: 1 (") for line in lines), text
    assert any(line.startswith("People taking part: 2 (") for line in lines), text
    assert "Thank you: W111, W222" in text
    # and the other way round, T999's digest does not quote T111
    other = console(engine, tmp_path, "digest", "--team", INTRUDER_TEAM, "--week", "2026-W10").stdout
    assert "T111" not in other and "T999 proud: secret merger call" in other
